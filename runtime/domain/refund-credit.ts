/**
 * The credit note a refund made at the payment provider stands for (one made in its dashboard, which
 * knows amounts, not lines). A refund of everything not yet credited credits what is left of every
 * line and the shipping; any other amount is credited per VAT group of the invoice, in proportion to
 * each group's gross amount, so the credit note's total is exactly the money refunded.
 */
import { taxOf } from "./money";
import { splitProportionally } from "./tax/engine";
import { creditNoteOf, creditNoteOfGroups, CreditNoteRefused, type CreditedLine, type PricedCreditNote } from "./credit-note";
import type { PricedOrder } from "./order";

/** What the invoice's credit notes took back so far. */
export interface CreditedSoFar {
  readonly creditedMinor: number;
  /** Units of invoice line `line` credited so far. */
  readonly quantity: (line: number) => number;
  readonly shippingCredited: boolean;
}

/** The refund, and the credit note's id and printed reason. */
export interface RefundToCredit {
  readonly creditNoteId: string;
  readonly amountMinor: number;
  readonly reason: string;
  /** The name of an "amount" credit note's line, in the order's language (e.g. "Refund"). */
  readonly lineName: string;
}

/**
 * The net amount whose VAT at `rateBps`, rounded once as every breakdown is, makes exactly `gross`;
 * where rounding leaves no such amount, the nearest net with the VAT taking the cent left over.
 */
export function netOfGross(gross: number, rateBps: number): { netMinor: number; taxMinor: number } {
  const near = Math.round((gross * 10_000) / (10_000 + rateBps));
  for (const net of [near, near - 1, near + 1]) {
    if (net >= 0 && net + taxOf(net, rateBps) === gross) return { netMinor: net, taxMinor: gross - net };
  }
  return { netMinor: near, taxMinor: gross - near };
}

/**
 * The credit note for `refund` on the invoiced `order`. Throws CreditNoteRefused OVER_CREDIT when the
 * amount is more than the invoice has left to credit, EMPTY_CREDIT_NOTE for nothing.
 */
export function creditNoteForRefund(order: PricedOrder, credited: CreditedSoFar, refund: RefundToCredit): PricedCreditNote {
  const left = order.totalMinor - credited.creditedMinor;
  if (refund.amountMinor <= 0) throw new CreditNoteRefused("EMPTY_CREDIT_NOTE", "A refund of nothing credits nothing");
  if (refund.amountMinor > left)
    throw new CreditNoteRefused("OVER_CREDIT", `A refund of ${refund.amountMinor} is more than the ${left} the invoice has left to credit`);
  if (refund.amountMinor === left) {
    const untouched = credited.creditedMinor === 0;
    const lines = order.lines.map((l, line) => ({ line, quantity: l.quantity - credited.quantity(line) })).filter((l) => l.quantity > 0);
    const shipping = !credited.shippingCredited && order.shipping.priceMinor > 0;
    if (lines.length > 0 || shipping) {
      const whatIsLeft = creditNoteOf(
        order,
        untouched
          ? { kind: "full", id: refund.creditNoteId, reason: refund.reason }
          : { kind: "partial", id: refund.creditNoteId, reason: refund.reason, lines, shipping },
      );
      // Earlier credit notes rounded their own VAT: what is left by lines may differ from the money by a cent.
      if (whatIsLeft.totalMinor === refund.amountMinor) return whatIsLeft;
    }
  }
  return amountCreditNote(order, refund);
}

/** An "amount" credit note: the refund split over the invoice's VAT groups by their gross amounts, one line per group. */
function amountCreditNote(order: PricedOrder, refund: RefundToCredit): PricedCreditNote {
  const invoiceGroups = order.tax.groups;
  const shares = splitProportionally(
    refund.amountMinor,
    invoiceGroups.map((g) => g.taxableMinor + g.taxMinor),
  );
  const parts = invoiceGroups.map((g, i) => ({ g, ...netOfGross(shares[i], g.rateBps) })).filter((p) => p.netMinor + p.taxMinor > 0);
  const lines: CreditedLine[] = parts.map(({ g, netMinor }) => ({
    sku: "",
    name: refund.lineName,
    quantity: 1,
    unitPriceMinor: netMinor,
    lineTotalMinor: netMinor,
    taxCategory: g.categories[0],
    catalogVersion: 1,
    vat: { code: g.code, rateBps: g.rateBps },
    invoiceLine: -1,
  }));
  const groups = parts.map(({ g, netMinor, taxMinor }) => ({
    ...g,
    linesNetMinor: netMinor,
    shippingNetMinor: 0,
    taxableMinor: netMinor,
    taxMinor,
  }));
  return creditNoteOfGroups(order, { id: refund.creditNoteId, kind: "amount", reason: refund.reason }, lines, groups);
}
