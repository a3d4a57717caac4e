import { expect } from "chai";
import { EU_MEMBER_STATES, goodsTerritory } from "../../../runtime/domain/tax/member-states";
import { NoRateError, rateFor, rateRowFor, rateTable } from "../../../runtime/domain/tax/rates";

describe("tax rate table", () => {
  const table = rateTable();

  describe("standard rates", () => {
    // As of 2026-12-01; from TEDB (see vat-rates.json's sources).
    const standard2026: Record<string, number> = {
      AT: 2000,
      BE: 2100,
      BG: 2000,
      CY: 1900,
      CZ: 2100,
      DE: 1900,
      DK: 2500,
      EE: 2400,
      ES: 2100,
      FI: 2550,
      FR: 2000,
      GR: 2400,
      HR: 2500,
      HU: 2700,
      IE: 2300,
      IT: 2200,
      LT: 2100,
      LU: 1700,
      LV: 2100,
      MT: 1800,
      NL: 2100,
      PL: 2300,
      PT: 2300,
      RO: 2100,
      SE: 2500,
      SI: 2200,
      SK: 2300,
    };

    it("names each of the 27 member states once in the assertion below", () => {
      expect(Object.keys(standard2026).sort()).to.deep.equal([...EU_MEMBER_STATES].sort());
    });
    for (const [country, bps] of Object.entries(standard2026)) {
      it(`holds ${country}'s standard rate ${bps / 100} % on 2026-12-01`, () =>
        expect(rateFor(country, "standard", "2026-12-01")).to.equal(bps));
    }
  });

  describe("reduced and super-reduced rates the catalog uses", () => {
    const cases: [string, "reduced" | "super-reduced", number][] = [
      ["DE", "reduced", 700],
      ["FR", "reduced", 550],
      ["FR", "super-reduced", 210],
      ["AT", "reduced", 1000],
      ["IT", "reduced", 1000],
      ["IT", "super-reduced", 400],
      ["ES", "reduced", 1000],
      ["ES", "super-reduced", 400],
      ["NL", "reduced", 900],
      ["BE", "reduced", 600],
      ["IE", "reduced", 1350],
      ["LU", "super-reduced", 300],
      ["FI", "reduced", 1350],
      ["RO", "reduced", 1100],
      ["SK", "reduced", 500],
      ["DK", "reduced", 2500],
    ];
    for (const [country, category, bps] of cases) {
      it(`holds ${country}'s ${category} rate ${bps / 100} %`, () => expect(rateFor(country, category, "2026-12-01")).to.equal(bps));
    }

    it("gives every member state a reduced row in force today (Denmark's is its standard rate: it has no reduced rate)", () => {
      for (const c of EU_MEMBER_STATES) expect(() => rateFor(c, "reduced", "2026-12-01"), c).not.to.throw();
    });

    it("gives zero and exempt 0 % in every member state", () => {
      for (const c of EU_MEMBER_STATES) {
        expect(rateFor(c, "zero", "2026-12-01")).to.equal(0);
        expect(rateFor(c, "exempt", "2026-12-01")).to.equal(0);
      }
    });
  });

  describe("shape", () => {
    /** Each country's rows of one category, oldest first. */
    const periods = () =>
      [...new Set(table.rows.map((r) => `${r.country} ${r.category}`))].map((key) => ({
        key,
        rows: table.rows.filter((r) => `${r.country} ${r.category}` === key).sort((a, b) => a.validFrom.localeCompare(b.validFrom)),
      }));

    it("has no overlapping rows for one country and category", () => {
      for (const { key, rows } of periods()) {
        for (let i = 1; i < rows.length; i++) {
          expect(rows[i - 1].validTo, `${key} row ${i - 1} is open-ended but followed`).to.be.a("string");
          expect(rows[i - 1].validTo! < rows[i].validFrom, `${key} rows ${i - 1} and ${i} overlap`).to.equal(true);
        }
      }
    });

    it("leaves no gap: each country's rows of a category run from the coverage start to today without a missing day", () => {
      for (const { key, rows } of periods()) {
        expect(rows[0].validFrom, key).to.equal(table.coverageFrom);
        expect(rows[rows.length - 1].validTo, key).to.equal(null);
        for (let i = 1; i < rows.length; i++) expect(nextDay(rows[i - 1].validTo!), key).to.equal(rows[i].validFrom);
      }
    });

    it("has rows for the EU's VAT area for goods only (the member states and Northern Ireland, XI), each with a known source and the day it was read", () => {
      for (const r of table.rows) {
        expect(goodsTerritory(r.country), r.country).to.equal(r.country);
        expect(table.sources).to.have.property(r.source);
        expect(r.readOn).to.match(/^2026-\d{2}-\d{2}$/);
      }
    });

    it("has no rows for export destinations (CH, GB, NO, US)", () => {
      for (const c of ["CH", "GB", "NO", "US"]) expect(table.rows.filter((r) => r.country === c)).to.have.length(0);
    });
  });

  describe("lookup by invoice date", () => {
    const cases: [string, string, number, string][] = [
      ["EE", "2025-06-30", 2200, "Estonia's last day at 22 %"],
      ["EE", "2025-07-01", 2400, "Estonia's first day at 24 %"],
      ["FI", "2024-08-31", 2400, "Finland's last day at 24 %"],
      ["FI", "2024-09-01", 2550, "Finland's first day at 25.5 %"],
      ["SK", "2024-12-31", 2000, "Slovakia's last day at 20 %"],
      ["SK", "2025-01-01", 2300, "Slovakia's first day at 23 %"],
      ["RO", "2025-07-31", 1900, "Romania's last day at 19 %"],
      ["RO", "2025-08-01", 2100, "Romania's first day at 21 %"],
    ];
    for (const [country, date, bps, why] of cases) {
      it(`finds ${bps / 100} % for ${country} on ${date} (${why})`, () => expect(rateFor(country, "standard", date)).to.equal(bps));
    }

    it("finds a reduced rate across its change (Finland's food rate 14 % -> 13.5 % on 2026-01-01)", () => {
      expect([rateFor("FI", "reduced", "2025-12-31"), rateFor("FI", "reduced", "2026-01-01")]).to.deep.equal([1400, 1350]);
    });

    it("returns the row with its source", () => {
      const row = rateRowFor("DE", "reduced", "2026-03-15");
      expect(row).to.include({ country: "DE", category: "reduced", rateBps: 700, source: "tedb-current-rates" });
    });
  });

  describe("refusals", () => {
    const cases: [string, string, string, string][] = [
      ["CH", "standard", "2026-01-01", "a country outside the EU"],
      ["DE", "standard", "2023-12-31", "a date before the table's coverage"],
      ["DE", "super-reduced", "2026-01-01", "a category the country does not have"],
      ["CH", "zero", "2026-01-01", "zero outside the EU"],
    ];
    for (const [country, category, date, why] of cases) {
      it(`throws NoRateError naming country, category and date for ${why}`, () => {
        expect(() => rateFor(country, category as "standard", date))
          .to.throw(NoRateError)
          .with.property("message")
          .that.includes(country)
          .and.includes(date);
      });
    }

    for (const bad of ["2026-02-30", "2026-1-01", "yesterday", "2026-01-01T00:00:00Z"]) {
      it(`throws a RangeError for the date "${bad}"`, () => expect(() => rateFor("DE", "standard", bad)).to.throw(RangeError));
    }
  });
});

function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
