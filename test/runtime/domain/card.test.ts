import { expect } from "chai";
import { containsCardNumber, foldDigits, jsonContainsCardNumber, luhnValid } from "../../../runtime/domain/card";

describe("card-number detection", () => {
  const positives: [string, string][] = [
    ["a Visa test number", "4111111111111111"],
    ["a Visa number with spaces", "4111 1111 1111 1111"],
    ["a Mastercard number with dashes", "5500-0000-0000-0004"],
    ["an Amex number (15 digits)", "378282246310005"],
    ["a 13-digit Visa", "4222222222222"],
    ["a card inside a sentence", "please charge 4242 4242 4242 4242 thanks"],
    ["a card next to letters", "card:4012888888881881;"],
    ["a card number with dots", "4111.1111.1111.1111"],
    ["a card number in full-width digits", "４１１１１１１１１１１１１１１１"],
    ["a card number with no-break spaces", "4111\u00a01111\u00a01111\u00a01111"],
    ["a card number in mathematical bold digits", "𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏"],
    ["a card number in mathematical monospace digits (the last of five adjacent digit blocks)", "𝟺𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷𝟷"],
    ["a card number in Arabic-Indic digits", "٤١١١١١١١١١١١١١١١"],
    ["a card number in Devanagari digits", "४१११ ११११ ११११ ११११"],
    ["a card number with en dashes", "4111–1111–1111–1111"],
  ];
  for (const [what, text] of positives) {
    it(`finds ${what}`, () => {
      expect(containsCardNumber(text)).to.equal(true);
    });
  }

  const negatives: [string, string][] = [
    ["a Luhn-invalid 16-digit number", "4111111111111112"],
    ["a 12-digit Luhn-valid number (too short)", "411111111113"],
    ["a 20-digit run (too long)", "41111111111111111110"],
    ["a phone number", "+49 30 1234 5678"],
    ["an ISO date", "2026-11-25"],
    ["a run of zeros", "0000000000000000"],
    ["a provider token", "tok_1NXa2bCdEfGh"],
    ["last4 digits", "4242"],
    ["digits split by double spaces", "4111  1111  1111  1111"],
  ];
  for (const [what, text] of negatives) {
    it(`does not flag ${what}`, () => {
      expect(containsCardNumber(text)).to.equal(false);
    });
  }

  it("folds every script's digits to their values", () => {
    expect(foldDigits("٠١٢٣٤٥٦٧٨٩ ۰۹ ०९ ０９ 𝟎𝟗 𝟶𝟿 abc 09")).to.equal("0123456789 09 09 09 09 09 abc 09");
  });

  it("accepts a real 19-digit Luhn-valid run", () => {
    // Prepare: make a Luhn-valid 19-digit number by choosing the check digit.
    const stem = "622126000000000000";
    const check = [...Array(10).keys()].find((d) => luhnValid(stem + d))!;
    // Act / assess
    expect(containsCardNumber(stem + check)).to.equal(true);
  });

  it("finds a card number in any string, key or integer of a JSON value", () => {
    expect(jsonContainsCardNumber({ a: [{ b: "x 4111111111111111" }] })).to.equal(true);
    expect(jsonContainsCardNumber({ "4111111111111111": 1 })).to.equal(true);
    expect(jsonContainsCardNumber({ n: 4111111111111111 })).to.equal(true);
    expect(jsonContainsCardNumber({ n: 42, s: "hello", t: null, u: true })).to.equal(false);
  });

  it("walks a value nested 100,000 levels deep without exhausting the stack", () => {
    const deep = JSON.parse('{"a":'.repeat(100_000) + '"4111 1111 1111 1111"' + "}".repeat(100_000));
    expect(jsonContainsCardNumber(deep)).to.equal(true);
  });
});
