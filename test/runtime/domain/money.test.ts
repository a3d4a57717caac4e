import { expect } from "chai";
import { formatMoney, minorDigits, taxOf } from "../../../runtime/domain/money";

describe("money", () => {
  describe("taxOf", () => {
    const cases: [number, number, number, string][] = [
      [10000, 2000, 2000, "20 % of 100.00 is exact"],
      [1999, 1900, 380, "19 % of 19.99 = 379.81 rounds up to 380"],
      [1, 2000, 0, "20 % of 0.01 = 0.2 rounds down"],
      [5, 1000, 1, "10 % of 0.05 = 0.5 rounds half up"],
      [15, 1000, 2, "10 % of 0.15 = 1.5 rounds half up"],
      [999, 725, 72, "7.25 % of 9.99 = 72.4275 rounds down"],
      [0, 2000, 0, "tax of nothing is nothing"],
      [123456789, 0, 0, "a zero rate makes no tax"],
      [999_999_999_999, 10000, 999_999_999_999, "a 100 % rate on a huge amount stays exact"],
    ];
    for (const [amount, bps, expected, why] of cases) {
      it(`${why}`, () => expect(taxOf(amount, bps)).to.equal(expected));
    }
  });

  describe("formatMoney", () => {
    const cases: [number, string, string][] = [
      [123456, "EUR", "€1,234.56"],
      [5, "USD", "$0.05"],
      [1500, "JPY", "¥1,500"],
      [1234, "KWD", "KWD 1.234"],
      [0, "GBP", "£0.00"],
      [-250, "EUR", "-€2.50"],
      [100_000_000_000, "USD", "$1,000,000,000.00"],
    ];
    for (const [amount, cur, expected] of cases) {
      it(`formats ${amount} ${cur} as ${expected}`, () => expect(formatMoney(amount, cur).replace(/\u00a0/g, " ")).to.equal(expected));
    }
    it("knows the minor digits of JPY, KWD and EUR", () => {
      expect([minorDigits("JPY"), minorDigits("KWD"), minorDigits("EUR")]).to.deep.equal([0, 3, 2]);
    });
  });
});
