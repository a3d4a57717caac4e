import { expect } from "chai";
import { TAX_CATEGORIES, type TaxCategory } from "../../../runtime/domain/catalog";
import { taxOf } from "../../../runtime/domain/money";
import { splitProportionally, taxBreakdown, taxTreatment, vatIdDecides, type TaxSituation } from "../../../runtime/domain/tax/engine";
import { NoRateError } from "../../../runtime/domain/tax/rates";
import { seededRandom } from "../../helpers/seeded-random";
import { TAX_CASES } from "../../helpers/tax-cases";

describe("tax engine", () => {
  describe("the tax cases (test/helpers/tax-cases.ts)", () => {
    for (const c of TAX_CASES) {
      it(c.name, () => {
        const treatment = taxTreatment(c.situation);

        const b = taxBreakdown(c.lines, c.shipping, treatment, c.date, c.currency);

        const { groups, buyerVatIdRequired, ...totals } = c.expected;
        expect(treatment.buyerVatIdRequired).to.equal(buyerVatIdRequired);
        expect({
          rule: b.rule,
          ratesCountry: b.ratesCountry,
          notes: b.notes,
          net: b.netTotalMinor,
          tax: b.taxTotalMinor,
          gross: b.grossTotalMinor,
        }).to.deep.equal({
          rule: totals.rule,
          ratesCountry: totals.ratesCountry,
          notes: totals.notes,
          net: totals.netTotalMinor,
          tax: totals.taxTotalMinor,
          gross: totals.grossTotalMinor,
        });
        expect(b.groups.map(({ categories: _c, note: _n, ...g }) => g)).to.deep.equal(groups);
        expect(b.currency).to.equal(c.currency);
      });
    }
  });

  describe("taxTreatment", () => {
    const base: TaxSituation = {
      sellerCountry: "DE",
      destinationCountry: "DE",
      buyer: { kind: "consumer" },
      ossRegistered: false,
      supplyKind: "goods",
    };
    const cases: [string, Partial<TaxSituation>, string, string | undefined, string][] = [
      ["a domestic sale takes the seller's rates", {}, "domestic", "DE", "S"],
      [
        "a domestic business buyer is taxed like any domestic sale",
        { buyer: { kind: "business", vatId: "DE136695976", vatIdValid: true } },
        "domestic",
        "DE",
        "S",
      ],
      ["an EU consumer abroad without OSS takes the seller's rates", { destinationCountry: "NL" }, "distance-sale-origin", "DE", "S"],
      [
        "an EU consumer abroad with OSS takes the destination's rates",
        { destinationCountry: "NL", ossRegistered: true },
        "distance-sale-destination",
        "NL",
        "S",
      ],
      [
        "a business whose VAT ID is not confirmed (vatIdValid missing) is taxed as a consumer",
        { destinationCountry: "NL", ossRegistered: true, buyer: { kind: "business", vatId: "NL004495445B01" } },
        "distance-sale-destination",
        "NL",
        "S",
      ],
      [
        "a business without a VAT ID is taxed as a consumer",
        { destinationCountry: "NL", buyer: { kind: "business", vatIdValid: true } },
        "distance-sale-origin",
        "DE",
        "S",
      ],
      [
        "a valid VAT ID of the seller's own member state does not make a supply abroad VAT-free",
        { destinationCountry: "NL", buyer: { kind: "business", vatId: "DE136695976", vatIdValid: true } },
        "domestic",
        "DE",
        "S",
      ],
      [
        "a Greek business (VAT prefix EL) with a valid VAT ID gets an intra-Community supply",
        { destinationCountry: "GR", buyer: { kind: "business", vatId: "EL094019245", vatIdValid: true } },
        "intra-community-supply",
        undefined,
        "K",
      ],
      ["Monaco is in France's VAT territory", { destinationCountry: "MC", ossRegistered: true }, "distance-sale-destination", "FR", "S"],
      ["Åland (AX) is outside the EU VAT area: an export", { destinationCountry: "AX" }, "export", undefined, "G"],
      ["a US consumer of goods is an export", { destinationCountry: "US" }, "export", undefined, "G"],
      [
        "services to a Norwegian are outside the scope of EU VAT",
        { destinationCountry: "NO", supplyKind: "services" },
        "outside-scope",
        undefined,
        "O",
      ],
      [
        "services to an EU consumer abroad follow OSS like goods",
        { destinationCountry: "SE", ossRegistered: true, supplyKind: "services" },
        "distance-sale-destination",
        "SE",
        "S",
      ],
    ];
    for (const [why, change, rule, ratesCountry, standardCode] of cases) {
      it(why, () => {
        const t = taxTreatment({ ...base, ...change });
        expect({ rule: t.rule, ratesCountry: t.ratesCountry, code: t.categories.standard.code }).to.deep.equal({
          rule,
          ratesCountry,
          code: standardCode,
        });
      });
    }

    it("keeps exempt supplies exempt (E, note.exempt) under every rule", () => {
      for (const destinationCountry of ["DE", "FR", "CH"]) {
        for (const buyer of [{ kind: "consumer" as const }, { kind: "business" as const, vatId: "FR40303265045", vatIdValid: true }]) {
          expect(taxTreatment({ ...base, destinationCountry, buyer }).categories.exempt).to.deep.equal({ code: "E", note: "note.exempt" });
        }
      }
    });

    it("gives zero-rated goods Z where VAT is charged and the treatment's code where it is not", () => {
      expect(taxTreatment(base).categories.zero.code).to.equal("Z");
      expect(taxTreatment({ ...base, destinationCountry: "CH" }).categories.zero).to.deep.equal({
        code: "G",
        exemptionReason: "VATEX-EU-G",
      });
    });

    it("refuses a seller outside the EU, naming its country", () => {
      expect(() => taxTreatment({ ...base, sellerCountry: "CH" })).to.throw(RangeError, /CH/);
    });
  });

  describe("taxBreakdown refusals", () => {
    const domestic = taxTreatment({
      sellerCountry: "DE",
      destinationCountry: "DE",
      buyer: { kind: "consumer" },
      ossRegistered: false,
      supplyKind: "goods",
    });
    const ship = { netMinor: 0, category: "standard" } as const;

    it("throws NoRateError for a category the rates country does not have (super-reduced in Germany)", () => {
      expect(() => taxBreakdown([{ netMinor: 100, category: "super-reduced" }], ship, domestic, "2026-06-15", "EUR")).to.throw(
        NoRateError,
        /super-reduced.*DE/,
      );
    });

    it("throws NoRateError for an invoice date before the table's coverage", () => {
      expect(() => taxBreakdown([{ netMinor: 100, category: "standard" }], ship, domestic, "2023-06-15", "EUR")).to.throw(NoRateError);
    });

    for (const netMinor of [-1, 1.5, Number.NaN, 2 ** 53]) {
      it(`refuses the net amount ${netMinor}`, () => {
        expect(() => taxBreakdown([{ netMinor, category: "standard" }], ship, domestic, "2026-06-15", "EUR")).to.throw(RangeError);
      });
    }
  });

  describe("splitProportionally", () => {
    const cases: [number, number[], number[], string][] = [
      [490, [2000, 1500], [280, 210], "an exact split"],
      [590, [2000, 1500], [337, 253], "the leftover unit goes to the largest remainder"],
      [1, [1, 1], [1, 0], "a tie goes to the earlier part"],
      [100, [0, 5], [0, 100], "a zero weight gets nothing"],
      [99_999_999, [9_007_199_254_740_991, 1], [99_999_999, 0], "weights near 2^53 lose no unit"],
    ];
    for (const [amount, weights, parts, why] of cases) {
      it(`splits ${amount} by ${weights.join(":")} into ${parts.join(" + ")} (${why})`, () =>
        expect(splitProportionally(amount, weights)).to.deep.equal(parts));
    }

    it("refuses weights that are all zero", () => expect(() => splitProportionally(5, [0, 0])).to.throw(RangeError));
  });

  describe("properties over random orders (fixed seed)", () => {
    const random = seededRandom(16);
    const int = (max: number) => Math.floor(random() * (max + 1));
    const situations: TaxSituation[] = [
      { sellerCountry: "DE", destinationCountry: "DE", buyer: { kind: "consumer" }, ossRegistered: false, supplyKind: "goods" },
      { sellerCountry: "DE", destinationCountry: "IT", buyer: { kind: "consumer" }, ossRegistered: true, supplyKind: "goods" },
      { sellerCountry: "FR", destinationCountry: "ES", buyer: { kind: "consumer" }, ossRegistered: true, supplyKind: "goods" },
      {
        sellerCountry: "DE",
        destinationCountry: "FR",
        buyer: { kind: "business", vatId: "FR40303265045", vatIdValid: true },
        ossRegistered: true,
        supplyKind: "goods",
      },
      { sellerCountry: "DE", destinationCountry: "CH", buyer: { kind: "consumer" }, ossRegistered: true, supplyKind: "goods" },
    ];
    // Categories every situation above has a rate for (Germany has no super-reduced rate).
    const categories = (s: TaxSituation): readonly TaxCategory[] =>
      TAX_CATEGORIES.filter((c) => c !== "super-reduced" || (s.destinationCountry !== "DE" && s.ossRegistered));
    const orders = Array.from({ length: 500 }, () => {
      const situation = situations[int(situations.length - 1)];
      const cats = categories(situation);
      const lines = Array.from({ length: 1 + int(7) }, () => ({
        netMinor: int(random() < 0.1 ? 10 : 5_000_000),
        category: cats[int(cats.length - 1)],
      }));
      const shipping = { netMinor: int(3) === 0 ? 0 : int(20_000), category: cats[int(cats.length - 1)] };
      return { situation, lines, shipping, currency: ["EUR", "JPY", "KWD"][int(2)] };
    });

    it("500 orders: groups' taxable amounts add up to the lines' and shipping's net total, shipping shares to the shipping", () => {
      for (const o of orders) {
        const b = taxBreakdown(o.lines, o.shipping, taxTreatment(o.situation), "2026-06-15", o.currency);
        const net = o.lines.reduce((s, l) => s + l.netMinor, 0) + o.shipping.netMinor;
        expect(b.groups.reduce((s, g) => s + g.taxableMinor, 0)).to.equal(net);
        expect(b.netTotalMinor).to.equal(net);
        expect(b.groups.reduce((s, g) => s + g.shippingNetMinor, 0)).to.equal(o.shipping.netMinor);
      }
    });

    it("500 orders: the tax is the sum of each group's rate x taxable amount rounded once, and net + tax == gross", () => {
      for (const o of orders) {
        const b = taxBreakdown(o.lines, o.shipping, taxTreatment(o.situation), "2026-06-15", o.currency);
        for (const g of b.groups) expect(g.taxMinor).to.equal(taxOf(g.taxableMinor, g.rateBps));
        expect(b.taxTotalMinor).to.equal(b.groups.reduce((s, g) => s + g.taxMinor, 0));
        expect(b.netTotalMinor + b.taxTotalMinor).to.equal(b.grossTotalMinor);
      }
    });

    it("500 orders: one group per VAT category code and rate", () => {
      for (const o of orders) {
        const keys = taxBreakdown(o.lines, o.shipping, taxTreatment(o.situation), "2026-06-15", o.currency).groups.map(
          (g) => `${g.code}/${g.rateBps}`,
        );
        expect(new Set(keys).size).to.equal(keys.length);
      }
    });

    it("500 orders: each group's shipping share is within one minor unit of its exact proportional share", () => {
      for (const o of orders) {
        const b = taxBreakdown(o.lines, o.shipping, taxTreatment(o.situation), "2026-06-15", o.currency);
        const linesNet = b.groups.reduce((s, g) => s + g.linesNetMinor, 0);
        if (linesNet === 0) continue;
        for (const g of b.groups)
          expect(Math.abs(g.shippingNetMinor - (o.shipping.netMinor * g.linesNetMinor) / linesNet)).to.be.lessThan(1);
      }
    });
  });
});

describe("vatIdDecides: is a VAT ID worth asking VIES about?", () => {
  const sale = (destinationCountry: string, vatId: string, supplyKind: "goods" | "services" = "goods") =>
    vatIdDecides({ sellerCountry: "DE", destinationCountry, buyer: { kind: "business", vatId }, ossRegistered: true, supplyKind });
  const cases: [string, boolean, boolean][] = [
    ["a French ID, goods to France (an intra-Community supply if confirmed)", sale("FR", "FR32123456789"), true],
    ["a French ID, goods to Austria (the ID need not be the destination's)", sale("AT", "FR32123456789"), true],
    ["an Austrian ID, services billed in Austria (a reverse charge if confirmed)", sale("AT", "ATU12345675", "services"), true],
    ["a Northern Irish ID, goods to Belfast (XI)", sale("XI", "XI123456782"), true],
    ["a French ID, goods to Germany (domestic either way)", sale("DE", "FR32123456789"), false],
    ["the seller's own country's ID, goods to France", sale("FR", "DE123456788"), false],
    ["a French ID, goods to Switzerland (an export either way)", sale("CH", "FR32123456789"), false],
    ["a Northern Irish ID, services (outside the Windsor Framework)", sale("FR", "XI123456782", "services"), false],
  ];
  for (const [what, decides, expected] of cases)
    it(`${expected ? "asks" : "does not ask"} for ${what}`, () => expect(decides).to.equal(expected));
  it("never asks without a VAT ID", () =>
    expect(
      vatIdDecides({
        sellerCountry: "DE",
        destinationCountry: "FR",
        buyer: { kind: "consumer" },
        ossRegistered: true,
        supplyKind: "goods",
      }),
    ).to.equal(false));
});
