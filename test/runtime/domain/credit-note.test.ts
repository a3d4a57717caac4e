import { expect } from "chai";
import {
  creditNoteOf,
  creditNoteRequestSchema,
  CreditNoteRefused,
  type CreditNoteProblem,
  type CreditNoteRequest,
} from "../../../runtime/domain/credit-note";
import { taxOf } from "../../../runtime/domain/money";
import type { PricedOrder } from "../../../runtime/domain/order";
import type { TaxCategory } from "../../../runtime/domain/catalog";
import { makePricedLine, makePricedOrder, TEST_SHIPPING } from "../../helpers/orders";
import { seededRandom } from "../../helpers/seeded-random";
import { domesticMixedRateOrder, exportOrder, intraCommunityOrder } from "../../helpers/tax-orders";

// No super-reduced: Germany (the rates country without OSS) has none, and pricing would refuse such an order.
const CATEGORIES: readonly TaxCategory[] = ["standard", "reduced", "zero", "exempt"];
const DESTINATIONS = [
  { country: "DE", postalCode: "10115", city: "Berlin" },
  { country: "FR", postalCode: "75002", city: "Paris" },
  { country: "IE", postalCode: "D02 X285", city: "Dublin" },
  { country: "CH", postalCode: "8001", city: "Zürich" },
];

/** A random order: 1..8 lines of random categories, quantities and prices, random shipping, destination and OSS registration. */
function randomOrder(random: () => number): PricedOrder {
  const int = (n: number) => Math.floor(random() * n);
  const lines = Array.from({ length: 1 + int(8) }, (_, i) =>
    makePricedLine(i, { quantity: 1 + int(12), unitPriceMinor: int(50_000), taxCategory: CATEGORIES[int(CATEGORIES.length)] }),
  );
  const d = DESTINATIONS[int(DESTINATIONS.length)];
  return makePricedOrder({
    lines,
    shipping: { ...TEST_SHIPPING, priceMinor: int(3) === 0 ? 0 : int(5_000) },
    shippingAddress: { name: "Alice Example", line1: "Street 1", ...d },
    situation: { sellerCountry: "DE", buyer: { kind: "consumer" }, ossRegistered: random() < 0.5, supplyKind: "goods" },
  });
}

const request = (r: Omit<Extract<CreditNoteRequest, { kind: "partial" }>, "id" | "kind" | "reason">): CreditNoteRequest =>
  creditNoteRequestSchema().parse({ id: "cn_test0001", kind: "partial", reason: "Returned", ...r });
const full = (): CreditNoteRequest => creditNoteRequestSchema().parse({ id: "cn_test0001", kind: "full", reason: "Order cancelled" });

describe("creditNoteOf", () => {
  it("credits a whole invoice with exactly its groups, totals and notes", () => {
    for (const order of [domesticMixedRateOrder(), intraCommunityOrder(), exportOrder()]) {
      // Act
      const note = creditNoteOf(order, full());
      // Assess
      expect(note.tax.groups, order.orderId).to.deep.equal(order.tax.groups);
      expect([note.subtotalMinor, note.taxMinor, note.totalMinor]).to.deep.equal([order.subtotalMinor, order.taxMinor, order.totalMinor]);
      expect(note.tax.notes).to.deep.equal(order.tax.notes);
      expect(note.shipping).to.deep.equal(order.shipping);
      expect([note.currency, note.lang, note.tax.rule, note.tax.date]).to.deep.equal([
        order.currency,
        order.lang,
        order.tax.rule,
        order.tax.date,
      ]);
    }
  });

  it("credits one unit of a line at the invoice's unit price, under its VAT group only", () => {
    // Prepare: a book at 7 % (20.00) and two shirts at 19 % (15.00 each)
    const order = domesticMixedRateOrder();
    // Act
    const note = creditNoteOf(order, request({ lines: [{ line: 1, quantity: 1 }], shipping: false }));
    // Assess
    expect(note.lines.map((l) => [l.sku, l.quantity, l.lineTotalMinor, l.invoiceLine])).to.deep.equal([["SHIRT-M", 1, 1500, 1]]);
    expect(note.tax.groups.map((g) => [g.code, g.rateBps, g.taxableMinor, g.taxMinor])).to.deep.equal([["S", 1900, 1500, 285]]);
    expect([note.subtotalMinor, note.taxMinor, note.totalMinor]).to.deep.equal([1500, 285, 1785]);
    expect(note.shipping).to.equal(undefined);
  });

  it("credits the shipping alone with the invoice's share per group", () => {
    const order = domesticMixedRateOrder();
    const note = creditNoteOf(order, request({ lines: [], shipping: true }));
    expect(note.lines).to.deep.equal([]);
    expect(note.tax.groups.map((g) => g.shippingNetMinor)).to.deep.equal(order.tax.groups.map((g) => g.shippingNetMinor));
    expect(note.subtotalMinor).to.equal(order.shipping.priceMinor);
  });

  const refusals: ReadonlyArray<{
    name: string;
    lines: { line: number; quantity: number }[];
    shipping?: boolean;
    problem: CreditNoteProblem;
  }> = [
    { name: "a quantity above the invoiced one", lines: [{ line: 1, quantity: 3 }], problem: "QUANTITY_ABOVE_INVOICED" },
    { name: "a line the invoice does not have", lines: [{ line: 2, quantity: 1 }], problem: "UNKNOWN_LINE" },
    {
      name: "a line named twice",
      lines: [
        { line: 0, quantity: 1 },
        { line: 0, quantity: 1 },
      ],
      problem: "DUPLICATE_LINE",
    },
    { name: "nothing at all", lines: [], problem: "EMPTY_CREDIT_NOTE" },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} (${c.problem})`, () => {
      const order = domesticMixedRateOrder();
      expect(() => creditNoteOf(order, request({ lines: c.lines, shipping: c.shipping ?? false })))
        .to.throw(CreditNoteRefused)
        .with.property("problem", c.problem);
    });
  }

  it("refuses crediting the shipping of an order that had none as empty", () => {
    const order = makePricedOrder({ shipping: { ...TEST_SHIPPING, priceMinor: 0 } });
    expect(() => creditNoteOf(order, request({ lines: [], shipping: true })))
      .to.throw(CreditNoteRefused)
      .with.property("problem", "EMPTY_CREDIT_NOTE");
  });

  it("refuses a request with an unknown field, a zero quantity or a reason with control characters", () => {
    const base = { id: "cn_test0001", kind: "partial", reason: "x", lines: [{ line: 0, quantity: 1 }] };
    expect(creditNoteRequestSchema().safeParse(base).success).to.equal(true);
    expect(creditNoteRequestSchema().safeParse({ ...base, amount: 5 }).success).to.equal(false);
    expect(creditNoteRequestSchema().safeParse({ ...base, lines: [{ line: 0, quantity: 0 }] }).success).to.equal(false);
    expect(creditNoteRequestSchema().safeParse({ ...base, reason: "a\u202eb" }).success).to.equal(false);
    expect(creditNoteRequestSchema().safeParse({ ...base, kind: "full" }).success).to.equal(false);
  });

  it("holds for 300 random orders and partial credit notes: groups add up, tax rounds once per group, full = invoice", () => {
    const random = seededRandom(18);
    for (let run = 0; run < 300; run++) {
      // Prepare
      const order = randomOrder(random);
      const lines = order.lines.map((l, line) => ({ line, quantity: 1 + Math.floor(random() * l.quantity) })).filter(() => random() < 0.5);
      const shipping = random() < 0.5;
      const label = `run ${run}: ${JSON.stringify({ lines, shipping })}`;
      // Act
      const whole = creditNoteOf(order, full());
      let partial;
      try {
        partial = creditNoteOf(order, request({ lines, shipping }));
      } catch (e) {
        expect(lines.length === 0 && (!shipping || order.shipping.priceMinor === 0), `${label}: ${e}`).to.equal(true);
        continue;
      }
      // Assess: the whole invoice, exactly
      expect(whole.tax.groups, label).to.deep.equal(order.tax.groups);
      expect(whole.totalMinor, label).to.equal(order.totalMinor);
      // Assess: every group's net is its lines plus its shipping share, its tax one rounding of it; totals are the groups' sums
      for (const g of partial.tax.groups) {
        const linesNet = partial.lines
          .filter((l) => l.vat.code === g.code && l.vat.rateBps === g.rateBps)
          .reduce((s, l) => s + l.lineTotalMinor, 0);
        const invoiced = order.tax.groups.find((x) => x.code === g.code && x.rateBps === g.rateBps)!;
        expect(g.linesNetMinor, label).to.equal(linesNet);
        expect(g.shippingNetMinor, label).to.equal(shipping ? invoiced.shippingNetMinor : 0);
        expect(g.taxableMinor, label).to.equal(g.linesNetMinor + g.shippingNetMinor);
        expect(g.taxMinor, label).to.equal(taxOf(g.taxableMinor, g.rateBps));
        expect(g.taxableMinor, label).to.be.at.most(invoiced.taxableMinor);
      }
      expect(partial.subtotalMinor, label).to.equal(partial.tax.groups.reduce((s, g) => s + g.taxableMinor, 0));
      expect(partial.taxMinor, label).to.equal(partial.tax.groups.reduce((s, g) => s + g.taxMinor, 0));
      expect(partial.totalMinor, label).to.equal(partial.subtotalMinor + partial.taxMinor);
      expect(partial.subtotalMinor, label).to.equal(
        lines.reduce((s, l) => s + order.lines[l.line].unitPriceMinor * l.quantity, 0) + (shipping ? order.shipping.priceMinor : 0),
      );
      expect(partial.totalMinor, label).to.be.at.most(order.totalMinor);
    }
  });
});
