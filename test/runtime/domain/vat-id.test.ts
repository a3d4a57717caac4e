import { expect } from "chai";
import { isVatCountry, parseVatId, VAT_COUNTRIES, type VatIdProblem } from "../../../runtime/domain/vat-id";

// Made-up numbers whose check digits are right (found with jsvat-next); their last digit changed breaks them.
describe("parseVatId", () => {
  const valid: [string, string, { country: string; number: string; full: string }][] = [
    ["a French ID", "FR32123456789", { country: "FR", number: "32123456789", full: "FR32123456789" }],
    ["an Austrian ID (U before the digits)", "ATU12345675", { country: "AT", number: "U12345675", full: "ATU12345675" }],
    ["a German ID", "DE123456788", { country: "DE", number: "123456788", full: "DE123456788" }],
    ["a Greek ID with VIES's prefix EL", "EL123456783", { country: "EL", number: "123456783", full: "EL123456783" }],
    ["a Greek ID typed with the ISO prefix GR, read as EL", "GR123456783", { country: "EL", number: "123456783", full: "EL123456783" }],
    ["a Spanish company ID (letter first)", "ESB12345674", { country: "ES", number: "B12345674", full: "ESB12345674" }],
    ["a Belgian ID", "BE0123456749", { country: "BE", number: "0123456749", full: "BE0123456749" }],
    ["a Dutch ID (B01 suffix)", "NL123456782B01", { country: "NL", number: "123456782B01", full: "NL123456782B01" }],
    ["an Italian ID", "IT01234560017", { country: "IT", number: "01234560017", full: "IT01234560017" }],
    ["a Polish ID", "PL1234567890", { country: "PL", number: "1234567890", full: "PL1234567890" }],
    ["a Northern Irish ID (XI)", "XI123456727", { country: "XI", number: "123456727", full: "XI123456727" }],
    ["an ID in lower case with spaces", "fr 32 123 456 789", { country: "FR", number: "32123456789", full: "FR32123456789" }],
    ["an ID with dots and dashes", "DE-123.456.788", { country: "DE", number: "123456788", full: "DE123456788" }],
    ["an ID with an en dash and a no-break space", "ATU\u00a012345–675", { country: "AT", number: "U12345675", full: "ATU12345675" }],
    ["an ID in full-width characters", "ＤＥ１２３４５６７８８", { country: "DE", number: "123456788", full: "DE123456788" }],
    ["an ID with surrounding whitespace", "  el123456783\n", { country: "EL", number: "123456783", full: "EL123456783" }],
  ];
  for (const [what, input, expected] of valid) {
    it(`reads ${what}`, () => {
      const parsed = parseVatId(input);

      expect(parsed).to.deep.equal({ ok: true, vatId: expected });
    });
  }

  const invalid: [string, string, VatIdProblem][] = [
    ["an empty text", "", "empty"],
    ["only separators", " . - ", "empty"],
    ["a French ID with a wrong check key", "FR33123456789", "check-digits"],
    ["an Austrian ID with a wrong last digit", "ATU12345676", "check-digits"],
    ["a German ID with a wrong last digit", "DE123456789", "check-digits"],
    ["a Greek ID with a wrong last digit", "EL123456784", "check-digits"],
    ["a Greek ID with a wrong last digit typed with GR", "GR123456784", "check-digits"],
    ["a Dutch ID with a wrong check digit", "NL123456783B01", "check-digits"],
    ["a Northern Irish ID with wrong check digits", "XI123456728", "check-digits"],
    ["an Austrian ID without its U", "AT12345675", "format"],
    ["a German ID one digit short", "DE12345678", "format"],
    ["a French number under the German prefix", "DE32123456789", "format"],
    ["a British ID (not in VIES since Brexit)", "GB123456727", "country"],
    ["a Swiss ID", "CHE123456789", "country"],
    ["a Norwegian ID", "NO123456789MVA", "country"],
    ["a number without its prefix", "123456788", "country"],
    ["an unknown prefix", "QQ123456788", "country"],
    ["jsvat-next's French 'fiscal representative' suffix, which VIES does not take", "FR32123456789|||AB123456789", "characters"],
    ["a VAT ID with a comma", "DE123,456,788", "characters"],
    ["a text far longer than any VAT ID", "DE" + "1".repeat(40), "characters"],
  ];
  for (const [what, input, expected] of invalid) {
    it(`refuses ${what} (${expected})`, () => {
      const parsed = parseVatId(input);

      expect(parsed.ok).to.equal(false);
      if (!parsed.ok) {
        expect(parsed.problem).to.equal(expected);
        expect(parsed.message).to.be.a("string").and.not.equal("");
      }
    });
  }

  it("names the prefix it refuses in the message", () => {
    const parsed = parseVatId("CHE123456789");

    expect(parsed).to.deep.include({ ok: false, problem: "country" });
    expect(!parsed.ok && parsed.message).to.contain("CH");
  });
});

describe("VAT_COUNTRIES", () => {
  it("lists the 27 member states with EL for Greece, and XI, but neither GR nor GB", () => {
    expect(VAT_COUNTRIES).to.have.length(28);
    expect(VAT_COUNTRIES).to.include.members(["EL", "XI", "AT", "FR", "DE"]);
    expect(VAT_COUNTRIES).to.not.include.members(["GR"]);
    expect(VAT_COUNTRIES).to.not.include("GB");
    expect(isVatCountry("EL")).to.equal(true);
    expect(isVatCountry("GR")).to.equal(false);
    expect(isVatCountry("toString")).to.equal(false);
  });
});
