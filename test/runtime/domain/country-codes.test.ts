import { expect } from "chai";
import * as fs from "node:fs";
import { COUNTRY_CODES_FILE, packageCountryCodes } from "../../../scripts/update-country-codes";
import { countryCodes } from "../../../runtime/domain/order";

describe("ISO 3166-1 country codes", () => {
  it("are the maintained package's list (regenerate with scripts/update-country-codes.ts when this fails)", () => {
    expect(JSON.parse(fs.readFileSync(COUNTRY_CODES_FILE, "utf8"))).to.deep.equal(packageCountryCodes());
  });

  const cases: [string, boolean][] = [
    ["DE", true],
    ["JP", true],
    ["XK", true],
    ["XX", false],
    ["EU", false],
    ["UK", false],
    ["AA", false],
  ];
  for (const [code, known] of cases) {
    it(`${known ? "include" : "exclude"} ${code}`, () => expect(countryCodes().has(code)).to.equal(known));
  }
});
