import { expect } from "chai";
import { creditNoteOf, CreditNoteRefused, pricedCreditNoteSchema } from "../../../runtime/domain/credit-note";
import { creditNoteForRefund, netOfGross, type CreditedSoFar } from "../../../runtime/domain/refund-credit";
import { taxOf } from "../../../runtime/domain/money";
import { seededRandom } from "../../helpers/seeded-random";
import { domesticMixedRateOrder, exportOrder } from "../../helpers/tax-orders";

const NOTHING_CREDITED: CreditedSoFar = { creditedMinor: 0, quantity: () => 0, shippingCredited: false };
const refund = (amountMinor: number) => ({
  creditNoteId: "cn_refund_test_1",
  amountMinor,
  reason: "Refunded at the provider",
  lineName: "Refund",
});

describe("credit note for a refund made at the payment provider", () => {
  it("a refund of the whole invoice is the full credit note, equal to the invoice", () => {
    const order = domesticMixedRateOrder();
    const cn = creditNoteForRefund(order, NOTHING_CREDITED, refund(order.totalMinor));
    expect(cn.kind).to.equal("full");
    expect(cn.totalMinor).to.equal(order.totalMinor);
    expect(cn.tax.groups).to.deep.equal(order.tax.groups);
    expect(cn.lines.map((l) => [l.invoiceLine, l.quantity])).to.deep.equal(order.lines.map((l, i) => [i, l.quantity]));
  });

  it("a refund of what is left after a partial credit note credits the remaining units and the shipping", () => {
    const order = domesticMixedRateOrder();
    const first = creditNoteOf(order, {
      kind: "partial",
      id: "cn_first_001",
      reason: "damaged",
      lines: [{ line: 1, quantity: 1 }],
      shipping: false,
    });
    const soFar: CreditedSoFar = { creditedMinor: first.totalMinor, quantity: (l) => (l === 1 ? 1 : 0), shippingCredited: false };
    const cn = creditNoteForRefund(order, soFar, refund(order.totalMinor - first.totalMinor));
    expect(cn.kind).to.equal("partial");
    expect(cn.totalMinor).to.equal(order.totalMinor - first.totalMinor);
    expect(cn.lines.map((l) => [l.invoiceLine, l.quantity])).to.deep.equal([
      [0, order.lines[0].quantity],
      [1, order.lines[1].quantity - 1],
    ]);
    expect(cn.shipping).to.deep.equal(order.shipping);
  });

  it("any other amount is credited per VAT group by gross share, its total exactly the money refunded (500 random amounts)", () => {
    const order = domesticMixedRateOrder();
    const random = seededRandom(18);
    for (let i = 0; i < 500; i++) {
      const amount = 1 + Math.floor(random() * (order.totalMinor - 1));
      const cn = creditNoteForRefund(order, NOTHING_CREDITED, refund(amount));
      expect(pricedCreditNoteSchema().safeParse(cn).success, `schema, amount ${amount}`).to.equal(true);
      expect(cn.kind).to.equal("amount");
      expect(cn.totalMinor, `amount ${amount}`).to.equal(amount);
      expect(cn.subtotalMinor + cn.taxMinor).to.equal(amount);
      for (const l of cn.lines) expect(l.invoiceLine).to.equal(-1);
      for (const g of cn.tax.groups) {
        // VAT is its rate on the group's net, rounded once, but for a gross that no net reaches (a cent off at most).
        expect(Math.abs(g.taxMinor - taxOf(g.taxableMinor, g.rateBps)), `group ${g.code} ${g.rateBps}, amount ${amount}`).to.be.at.most(1);
        expect(g.shippingNetMinor).to.equal(0);
      }
    }
  });

  it("splits by the invoice's gross per group: half of the money back is about half of each group", () => {
    const order = domesticMixedRateOrder();
    const cn = creditNoteForRefund(order, NOTHING_CREDITED, refund(Math.floor(order.totalMinor / 2)));
    for (const g of cn.tax.groups) {
      const invoiced = order.tax.groups.find((x) => x.code === g.code && x.rateBps === g.rateBps)!;
      expect(g.taxableMinor + g.taxMinor).to.be.closeTo((invoiced.taxableMinor + invoiced.taxMinor) / 2, 1);
    }
  });

  it("keeps the invoice's treatment: an export's refund is credited at 0 % G with the export note", () => {
    const order = exportOrder();
    const cn = creditNoteForRefund(order, NOTHING_CREDITED, refund(1234));
    expect(cn.tax.groups.map((g) => [g.code, g.rateBps, g.taxableMinor, g.taxMinor])).to.deep.equal([["G", 0, 1234, 0]]);
    expect(cn.tax.notes).to.deep.equal(order.tax.notes);
  });

  it("refuses more than the invoice has left to credit, and nothing", () => {
    const order = domesticMixedRateOrder();
    const problem = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof CreditNoteRefused ? e.problem : String(e);
      }
      return "no error";
    };
    expect(problem(() => creditNoteForRefund(order, NOTHING_CREDITED, refund(order.totalMinor + 1)))).to.equal("OVER_CREDIT");
    const soFar: CreditedSoFar = { creditedMinor: order.totalMinor - 5, quantity: () => 0, shippingCredited: true };
    expect(problem(() => creditNoteForRefund(order, soFar, refund(6)))).to.equal("OVER_CREDIT");
    expect(problem(() => creditNoteForRefund(order, NOTHING_CREDITED, refund(0)))).to.equal("EMPTY_CREDIT_NOTE");
  });

  it("netOfGross finds the net whose rounded VAT makes the gross", () => {
    expect(netOfGross(119, 1900)).to.deep.equal({ netMinor: 100, taxMinor: 19 });
    expect(netOfGross(107, 700)).to.deep.equal({ netMinor: 100, taxMinor: 7 });
    expect(netOfGross(5, 0)).to.deep.equal({ netMinor: 5, taxMinor: 0 });
    for (let gross = 1; gross < 3000; gross++) {
      const { netMinor, taxMinor } = netOfGross(gross, 1900);
      expect(netMinor + taxMinor).to.equal(gross);
      expect(Math.abs(taxMinor - taxOf(netMinor, 1900))).to.be.at.most(1);
    }
  });
});
