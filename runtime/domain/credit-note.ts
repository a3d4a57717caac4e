/**
 * Credit notes: the only way to correct an issued invoice. A credit note credits some or all of the
 * invoice's lines (at the invoice's unit prices), optionally its shipping (whole), in the invoice's
 * language, currency and tax treatment, and carries its own VAT breakdown computed as the invoice's was.
 */
import { z } from "zod";
import { once } from "../memo";
import { taxOf } from "./money";
import { LANGS } from "../i18n/langs";
import { CREDIT_NOTE_ID_PATTERN, ORDER_ID_PATTERN } from "./ids";
import {
  currencySchema,
  LIMITS,
  orderTaxSchema,
  pricedLineSchema,
  pricedShippingSchema,
  printable,
  type OrderTax,
  type PricedLine,
  type PricedOrder,
  type PricedShipping,
} from "./order";

/** A credit note's id (CREDIT_NOTE_ID_PATTERN). */
export const creditNoteIdSchema = once(() =>
  z.string().regex(new RegExp(`^${CREDIT_NOTE_ID_PATTERN}$`), "must be a credit-note id such as cn_abc123"),
);

/** The orders queue's message for a reserved credit note: the worker numbers, renders and stores it. */
export const creditNoteMessageSchema = once(() =>
  z
    .object({
      v: z.literal(1),
      kind: z.literal("credit-note"),
      orderId: z.string().regex(new RegExp(`^${ORDER_ID_PATTERN}$`)),
      creditNoteId: creditNoteIdSchema(),
    })
    .strict(),
);
export type CreditNoteMessage = z.infer<ReturnType<typeof creditNoteMessageSchema>>;

/** Longest reason text a credit note prints. */
export const MAX_CREDIT_REASON_LENGTH = 500;

/** One credited line: the invoice line's index (0-based) and how many of its units are credited. */
export const creditLineRequestSchema = once(() =>
  z
    .object({
      line: z
        .number()
        .int()
        .min(0)
        .max(LIMITS.maxLines - 1),
      quantity: z.number().int().min(1).max(LIMITS.maxQuantity),
    })
    .strict(),
);

/**
 * A credit-note request: `id` makes it idempotent (a retry with the same id gets the same number);
 * "full" credits the whole invoice, "partial" chosen lines and quantities and, if asked, the whole shipping.
 */
export const creditNoteRequestSchema = once(() => {
  const common = {
    id: z.string().regex(/^cn_[A-Za-z0-9_-]{6,64}$/, "must be a credit-note id such as cn_abc123"),
    reason: printable(MAX_CREDIT_REASON_LENGTH),
  };
  return z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("full"), ...common }).strict(),
    z
      .object({
        kind: z.literal("partial"),
        ...common,
        lines: z.array(creditLineRequestSchema()).max(LIMITS.maxLines).default([]),
        shipping: z.boolean().default(false),
      })
      .strict(),
  ]);
});
export type CreditNoteRequest = z.infer<ReturnType<typeof creditNoteRequestSchema>>;

/** A credited line: the invoice line as it was priced, with the credited quantity and its net amount. */
export interface CreditedLine extends PricedLine {
  /** Index of the corrected invoice line (0-based); -1 for an "amount" credit note's line per VAT group. */
  readonly invoiceLine: number;
}

/** A priced credit note: positive amounts that are taken back (EN 16931 type 381). */
export interface PricedCreditNote {
  readonly id: string;
  readonly orderId: string;
  /** "amount": a refund of an amount that is no set of lines (made at the provider), credited per VAT group. */
  readonly kind: CreditNoteRequest["kind"] | "amount";
  readonly reason: string;
  readonly currency: string;
  readonly lang: PricedOrder["lang"];
  readonly lines: readonly CreditedLine[];
  /** The shipping, credited whole, or absent. */
  readonly shipping?: PricedShipping;
  readonly subtotalMinor: number;
  readonly taxMinor: number;
  readonly totalMinor: number;
  /** The invoice's rule, rates country, tax point and notes; groups of the credited amounts only. */
  readonly tax: OrderTax;
}

/** A priced credit note as stored and, later, queued: checked when read back, so a corrupt item goes no further. */
export const pricedCreditNoteSchema = once(() =>
  z.object({
    id: z.string(),
    orderId: z.string(),
    kind: z.enum(["full", "partial", "amount"]),
    reason: z.string(),
    currency: currencySchema(),
    lang: z.enum(LANGS),
    // invoiceLine -1: a line of an "amount" credit note, which corrects no one invoice line.
    lines: z.array(pricedLineSchema().extend({ invoiceLine: z.number().int().min(-1) })).max(LIMITS.maxLines),
    shipping: pricedShippingSchema().optional(),
    subtotalMinor: z.number().int().nonnegative(),
    taxMinor: z.number().int().nonnegative(),
    totalMinor: z.number().int().nonnegative(),
    tax: orderTaxSchema(),
  }),
) satisfies () => z.ZodType<PricedCreditNote>;

/**
 * Why a credit note cannot be made: stable codes for the API to map (422; NOT_INVOICED 409). The first four
 * come from creditNoteOf, the last three from the store (the credited total, the invoice, the id).
 */
export type CreditNoteProblem =
  | "UNKNOWN_LINE"
  | "DUPLICATE_LINE"
  | "QUANTITY_ABOVE_INVOICED"
  | "EMPTY_CREDIT_NOTE"
  | "OVER_CREDIT"
  | "NOT_INVOICED"
  | "CREDIT_NOTE_ID_REUSED";

/** A credit-note request that does not fit its invoice. */
export class CreditNoteRefused extends Error {
  readonly problem: CreditNoteProblem;
  constructor(problem: CreditNoteProblem, message: string) {
    super(message);
    // Set in the constructor, not as class fields: those did not survive the closure serializer (FIELD-NOTES).
    this.name = "CreditNoteRefused";
    this.problem = problem;
  }
}

/**
 * The credit note of `order` that credits `lines` (and the shipping, when `withShipping`) under `groups`:
 * its totals are the groups' sums, its notes those of the credited groups and the treatment's.
 */
export function creditNoteOfGroups(
  order: PricedOrder,
  head: Pick<PricedCreditNote, "id" | "kind" | "reason">,
  lines: readonly CreditedLine[],
  groups: OrderTax["groups"],
  withShipping = false,
): PricedCreditNote {
  const subtotalMinor = groups.reduce((s, g) => s + g.taxableMinor, 0);
  const taxMinor = groups.reduce((s, g) => s + g.taxMinor, 0);
  return {
    ...head,
    orderId: order.orderId,
    currency: order.currency,
    lang: order.lang,
    lines,
    ...(withShipping && order.shipping.priceMinor > 0 ? { shipping: order.shipping } : {}),
    subtotalMinor,
    taxMinor,
    totalMinor: subtotalMinor + taxMinor,
    tax: { ...order.tax, groups, notes: creditedNotes(order.tax, groups) },
  };
}

/** The invoice's notes a credit note of `groups` keeps: notes of groups not credited go; the treatment's note (no group has it) stays. */
export function creditedNotes(tax: OrderTax, groups: readonly { readonly note?: string }[]): OrderTax["notes"] {
  const groupNotes = new Set<string | undefined>(tax.groups.map((g) => g.note));
  return tax.notes.filter((n) => !groupNotes.has(n) || groups.some((g) => g.note === n));
}

/**
 * The credit note `request` makes of the invoiced `order`. Lines are credited at the invoice's unit
 * prices (a whole line at its invoiced net amount), each under the invoice's VAT code and rate; the
 * shipping, credited whole, keeps the invoice's share per group; each group's tax is its rate on its
 * taxable amount, rounded once, so a full credit note equals the invoice exactly.
 * Throws CreditNoteRefused for an unknown or repeated line, a quantity above the invoiced one, or nothing to credit.
 */
export function creditNoteOf(order: PricedOrder, request: CreditNoteRequest): PricedCreditNote {
  const wanted =
    request.kind === "full" ? order.lines.map((l, line) => ({ line, quantity: l.quantity })) : request.lines.map((l) => ({ ...l }));
  const withShipping = request.kind === "full" || request.shipping;
  const seen = new Set<number>();
  const lines: CreditedLine[] = wanted.map(({ line, quantity }) => {
    const invoiced = order.lines[line];
    if (!invoiced) throw new CreditNoteRefused("UNKNOWN_LINE", `The invoice has no line ${line} (it has ${order.lines.length})`);
    if (seen.has(line)) throw new CreditNoteRefused("DUPLICATE_LINE", `Line ${line} is named twice`);
    seen.add(line);
    if (quantity > invoiced.quantity)
      throw new CreditNoteRefused("QUANTITY_ABOVE_INVOICED", `Line ${line}: ${quantity} credited, ${invoiced.quantity} invoiced`);
    const lineTotalMinor = quantity === invoiced.quantity ? invoiced.lineTotalMinor : invoiced.unitPriceMinor * quantity;
    return { ...invoiced, invoiceLine: line, quantity, lineTotalMinor };
  });
  const shippingMinor = withShipping ? order.shipping.priceMinor : 0;
  if (lines.length === 0 && shippingMinor === 0)
    throw new CreditNoteRefused("EMPTY_CREDIT_NOTE", "A credit note must credit a line or the shipping");

  const groups = order.tax.groups
    .map((g) => {
      const linesNetMinor = lines
        .filter((l) => l.vat.code === g.code && l.vat.rateBps === g.rateBps)
        .reduce((s, l) => s + l.lineTotalMinor, 0);
      const credited = lines.some((l) => l.vat.code === g.code && l.vat.rateBps === g.rateBps);
      // The shipping is credited whole, so each group takes back exactly the share the invoice gave it.
      const shippingNetMinor = withShipping ? g.shippingNetMinor : 0;
      const taxableMinor = linesNetMinor + shippingNetMinor;
      return {
        keep: credited || shippingNetMinor > 0,
        group: { ...g, linesNetMinor, shippingNetMinor, taxableMinor, taxMinor: taxOf(taxableMinor, g.rateBps) },
      };
    })
    .filter((g) => g.keep)
    .map((g) => g.group);
  for (const l of lines) {
    if (!groups.some((g) => g.code === l.vat.code && g.rateBps === l.vat.rateBps))
      throw new Error(`Line ${l.invoiceLine}'s VAT ${l.vat.code} ${l.vat.rateBps} is in none of the invoice's groups`);
  }
  return creditNoteOfGroups(order, { id: request.id, kind: request.kind, reason: request.reason }, lines, groups, withShipping);
}
