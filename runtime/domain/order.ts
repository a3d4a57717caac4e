import { z } from "zod";
import { once } from "../memo";
// Generated from the maintained i18n-iso-countries package by scripts/update-country-codes.ts (checked by a test).
import isoCountryCodes from "./country-codes.json";
import { knownCurrencies } from "./money";
import { TAX_CATEGORIES } from "./catalog";
import { LANGS } from "../i18n/langs";
import { parseVatId } from "./vat-id";
import { EXEMPTION_REASON_CODES, TAX_NOTE_KEYS, TAX_RULES, VAT_CATEGORY_CODES } from "./tax/codes";

/** Bounds of an order, enforced at the API edge. */
export const LIMITS = {
  maxBodyBytes: 64 * 1024,
  minLines: 1,
  maxLines: 100,
  maxQuantity: 1000,
  maxUnitPriceMinor: 100_000_000, // 1,000,000.00 in a 2-digit currency
  maxSkuLength: 64,
  maxNameLength: 200,
  maxAddressLineLength: 200,
  maxIdempotencyKeyLength: 128,
  maxCityLength: 100,
  maxRegionLength: 100,
  /** Objects and arrays nested deeper than this are refused before anything walks the body. */
  maxJsonDepth: 8,
  /** Code points one character may combine: the longest emoji ZWJ sequence has 10; stacked marks stop here. */
  maxCodePointsPerCharacter: 16,
} as const;

// Each schema is built on first use and kept (`once`): the Lambda bundle loads this module as written.

/**
 * What "printable" refuses: control characters (C0, DEL, C1), line and paragraph separators, and the
 * bidi embedding, override and isolate controls, which can make a name display as something else.
 */
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Measures text as a reader sees it: `characters` counts extended grapheme clusters ("e" + accent, a
 * flag, a family emoji: one each), `widest` is the most code points one of them combines. Stops past `upTo`.
 */
export function measureText(s: string, upTo = Infinity, segmenter = new Intl.Segmenter("en", { granularity: "grapheme" })) {
  let characters = 0;
  let widest = 0;
  for (const { segment } of segmenter.segment(s)) {
    if (++characters > upTo) break;
    let cps = 0;
    for (const _cp of segment) cps++;
    widest = Math.max(widest, cps);
  }
  return { characters, widest };
}

/** Does the string hold an unpaired UTF-16 surrogate (which no store, PDF or mail can carry)? */
export const hasLoneSurrogate = (s: string): boolean => /\p{Cs}/u.test(s);

/** Trimmed text of 1..max characters (grapheme clusters) of at most 16 code points each, no unpaired surrogates. */
const text = (max: number) => {
  const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" }); // once per schema
  return z
    .string()
    .trim()
    .min(1)
    .superRefine((s, ctx) => {
      const issue = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message });
      if (hasLoneSurrogate(s)) return issue("must be well-formed Unicode (no unpaired surrogates)");
      const { characters, widest } = measureText(s, max, segmenter);
      if (characters > max) issue(`must be at most ${max} characters`);
      else if (widest > LIMITS.maxCodePointsPerCharacter) {
        issue(`must not stack more than ${LIMITS.maxCodePointsPerCharacter} code points into one character`);
      }
    });
};
// Control characters would corrupt the PDF and the email; everything printable, any script, is fine.
/** Printable text of 1..max characters: any script, no control, line-separator or bidi override characters. */
export const printable = (max: number) =>
  text(max).refine((s) => !NOT_PRINTABLE.test(s), {
    message: "must not contain control, line-separator or bidi override/isolate characters",
  });

/** ISO 3166-1 alpha-2 codes, from the maintained i18n-iso-countries table. */
export function countryCodes(): ReadonlySet<string> {
  return new Set<string>(isoCountryCodes);
}

/**
 * The path ("items.0.name.3") of the first object or array nested deeper than `max` levels (the
 * body itself is level 1), or undefined. Iterative, so any depth is safe to measure.
 */
export function pathBeyondDepth(value: unknown, max: number): string | undefined {
  const pending: [unknown, number, string][] = [[value, 1, ""]];
  while (pending.length) {
    const [v, depth, path] = pending.pop()!;
    if (!v || typeof v !== "object") continue;
    if (depth > max) return path;
    const children: [string | number, unknown][] = Array.isArray(v) ? v.map((c, i) => [i, c]) : Object.entries(v);
    // Pushed in reverse so the first path reported is the first in document order.
    for (let i = children.length - 1; i >= 0; i--) {
      const [k, child] = children[i];
      pending.push([child, depth + 1, path ? `${path}.${k}` : String(k)]);
    }
  }
  return undefined;
}

/** An ISO 4217 currency code the runtime can format. */
export const currencySchema = once(() => {
  const known = knownCurrencies(); // once per schema, not once per value checked
  return z
    .string()
    .length(3)
    .regex(/^[A-Z]{3}$/, "must be an upper-case ISO 4217 code such as EUR")
    .refine((c) => known.has(c), { message: "is not a known ISO 4217 currency" });
});

/** A line of the order as the client sends it: what and how many; name and price come from the catalog. */
export const orderLineInputSchema = once(() =>
  z
    .object({
      sku: z
        .string()
        .trim()
        .min(1)
        .max(LIMITS.maxSkuLength)
        .regex(/^[A-Za-z0-9._\-\/]+$/, "may hold letters, digits and . _ - / only"),
      quantity: z.number().int().min(1).max(LIMITS.maxQuantity),
      /** The unit price the client showed the customer: when the catalog's differs, the order is refused (409 PRICE_CHANGED). */
      expectedUnitPrice: z
        .object({
          amount: z.number().int("must be an integer amount of minor units (cents)").min(0).max(LIMITS.maxUnitPriceMinor),
          currency: currencySchema(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);

/** Fields of the old contract a client may still send: prices and names come from the catalog only, so they are refused by name. */
export const CLIENT_PRICING_FIELDS = ["name", "unitPrice"] as const;

/** An ISO 3166-1 alpha-2 country code that is assigned (DE, not XX). */
export const countrySchema = once(() => {
  const known = countryCodes(); // once per schema
  return z
    .string()
    .regex(/^[A-Z]{2}$/, "must be an upper-case ISO 3166-1 alpha-2 code such as DE")
    .refine((c) => known.has(c), { message: "is not an ISO 3166-1 alpha-2 country code" });
});

/** A postal address. */
export const addressSchema = once(() =>
  z
    .object({
      name: printable(LIMITS.maxNameLength),
      line1: printable(LIMITS.maxAddressLineLength),
      line2: printable(LIMITS.maxAddressLineLength).optional(),
      city: printable(LIMITS.maxCityLength),
      region: printable(LIMITS.maxRegionLength).optional(),
      postalCode: z
        .string()
        .trim()
        .min(1)
        .max(20)
        .regex(/^[A-Za-z0-9 \-]+$/, "may hold letters, digits, spaces and dashes only"),
      country: countrySchema(),
    })
    .strict(),
);

export type Address = z.infer<ReturnType<typeof addressSchema>>;

/**
 * How the customer pays: the provider, and optionally a payment method id to confirm with at once
 * (Stripe: pm_...). Without one, the answer carries the client secret for the client to confirm
 * with the provider itself. Card numbers are never accepted.
 */
export const paymentSchema = once(() =>
  z
    .object({
      provider: z.literal("stripe", { errorMap: () => ({ message: 'must be "stripe", the payment provider this shop uses' }) }),
      paymentMethod: z
        .string()
        .regex(/^pm_[A-Za-z0-9_]{1,200}$/, "must be a payment method id from the payment provider (pm_...), never card data")
        .optional(),
    })
    .strict(),
);

/**
 * The billing address of the body: "same-as-shipping", or an address whose problems are reported by
 * field (billingAddress.postalCode), not as one "matches neither" of a union.
 */
export const billingAddressInputSchema = once(() => {
  const same = z.literal("same-as-shipping", { errorMap: () => ({ message: 'must be an address, or "same-as-shipping"' }) });
  const address = addressSchema();
  return z
    .custom<"same-as-shipping" | Address>()
    .superRefine((v, ctx) => {
      if (v === undefined)
        return void ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'is required: an address, or "same-as-shipping"' });
      const r = (typeof v === "string" ? same : address).safeParse(v);
      if (!r.success) for (const { path, message } of r.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    })
    .transform((v) => (typeof v === "string" ? v : address.parse(v)));
});

/** A VAT ID as a buyer types it: format and check digits are checked here, registration later (VIES). */
export const vatIdInputSchema = once(() =>
  z
    .string()
    .max(32)
    .transform((s, ctx) => {
      const parsed = parseVatId(s);
      if (parsed.ok) return parsed.vatId.full;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.message, params: { problem: parsed.problem } });
      return z.NEVER;
    }),
);

/** The buyer as a business: its registered name, and its VAT ID (normalized: "FR32123456789"). */
export const buyerInputSchema = once(() =>
  z
    .object({
      company: printable(LIMITS.maxNameLength).optional(),
      vatId: vatIdInputSchema().optional(),
    })
    .strict()
    // A VAT ID alone proves nothing about who orders: the registered name goes on the invoice beside it.
    .refine((b) => !b.vatId || b.company, { message: "is required with a VAT ID: the buyer's registered name", path: ["company"] }),
);

/** The shipping method the customer chose (its price comes from the catalog, by destination). */
export const shippingChoiceSchema = once(() =>
  z.object({ method: z.string().regex(/^[a-z0-9-]{1,32}$/, "must be a shipping method id such as standard") }).strict(),
);

/** The body of POST /orders. */
export const createOrderBodySchema = once(() =>
  z
    .object({
      /** The currency to price the order in; the shop's currency when left out. */
      currency: currencySchema().optional(),
      items: z.array(orderLineInputSchema()).min(LIMITS.minLines).max(LIMITS.maxLines),
      shippingAddress: addressSchema(),
      /** Where the invoice is addressed (EU VAT Directive Art. 226 (5)): an address, or "same-as-shipping". */
      billingAddress: billingAddressInputSchema(),
      /** A business buyer: its registered name and VAT ID (checked with VIES for a VAT-free intra-Community supply). */
      buyer: buyerInputSchema().optional(),
      shipping: shippingChoiceSchema(),
      payment: paymentSchema(),
      /** The customer's language (BCP 47, e.g. "de-DE"): the invoice and its email are written in it when the shop has it. */
      locale: z
        .string()
        .max(35)
        .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/, "must be a language tag such as de-DE")
        .optional(),
    })
    .strict(),
);
export type CreateOrderBody = z.infer<ReturnType<typeof createOrderBodySchema>>;

/** The customer, always from the verified token's claims. */
export const customerSchema = once(() =>
  z.object({
    id: z.string().min(1).max(128),
    email: z.string().email().max(254),
    // The name claim is the user's own choice (self sign-up): it reaches the PDF and the email only as
    // printable text, like every name in the body; anything else is left out rather than locking the user out.
    name: printable(LIMITS.maxNameLength).optional().catch(undefined),
  }),
);
export type Customer = z.infer<ReturnType<typeof customerSchema>>;

/** A line's VAT: its EN 16931 category code and rate in basis points. */
export const lineVatSchema = once(() => z.object({ code: z.enum(VAT_CATEGORY_CODES), rateBps: z.number().int().min(0).max(10_000) }));

/** One line of the invoice's VAT breakdown (EN 16931 BG-23), as the tax engine made it. */
export const taxGroupSchema = once(() =>
  z.object({
    code: z.enum(VAT_CATEGORY_CODES),
    rateBps: z.number().int().min(0).max(10_000),
    exemptionReason: z.enum(EXEMPTION_REASON_CODES).optional(),
    note: z.enum(TAX_NOTE_KEYS).optional(),
    categories: z.array(z.enum(TAX_CATEGORIES)).min(1),
    linesNetMinor: z.number().int().nonnegative(),
    shippingNetMinor: z.number().int().nonnegative(),
    taxableMinor: z.number().int().nonnegative(),
    taxMinor: z.number().int().nonnegative(),
  }),
);

/** The order's VAT: the rule that decided it, the breakdown per category and rate, and the notes the invoice carries. */
export const orderTaxSchema = once(() =>
  z.object({
    rule: z.enum(TAX_RULES),
    /** The member state whose rates apply; absent when no VAT is charged. */
    ratesCountry: z.string().length(2).optional(),
    /** The tax point: the day whose rates apply (the order's day), YYYY-MM-DD. */
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    groups: z.array(taxGroupSchema()).min(1),
    notes: z.array(z.enum(TAX_NOTE_KEYS)),
  }),
);
export type OrderTax = z.infer<ReturnType<typeof orderTaxSchema>>;

/** What VIES said about the buyer's VAT ID: the exemption's evidence, or why there is none. */
export const vatCheckSchema = once(() =>
  z.object({
    outcome: z.enum(["valid", "invalid", "unanswered", "no-consultation-number"]),
    vatId: z.string(),
    /** VIES's consultation number: the proof of a valid check. */
    requestIdentifier: z.string().optional(),
    requestDate: z.string().optional(),
    name: z.string().optional(),
    address: z.string().optional(),
    /** Why VIES gave no answer. */
    failure: z.object({ code: z.string(), message: z.string() }).optional(),
    source: z.literal("vies"),
  }),
);
export type VatCheck = z.infer<ReturnType<typeof vatCheckSchema>>;

/** The buyer as the invoice names it: a consumer, or a business (with a VAT ID VIES confirmed, for the exemption). */
export const buyerSchema = once(() =>
  z.object({
    kind: z.enum(["consumer", "business"]),
    company: z.string().optional(),
    vatId: z.string().optional(),
    vatCheck: vatCheckSchema().optional(),
  }),
);
export type Buyer = z.infer<ReturnType<typeof buyerSchema>>;

/** A priced line: integer minor units throughout; name and price as the catalog had them when the order was made. */
export const pricedLineSchema = once(() =>
  z.object({
    sku: z.string(),
    name: z.string(),
    quantity: z.number().int().positive(),
    unitPriceMinor: z.number().int().nonnegative(),
    lineTotalMinor: z.number().int().nonnegative(),
    taxCategory: z.enum(TAX_CATEGORIES),
    /** The catalog version of the product that priced the line. */
    catalogVersion: z.number().int().positive(),
    /** The line's VAT category code (EN 16931 BT-151) and rate (BT-152). */
    vat: lineVatSchema(),
  }),
);
export type PricedLine = z.infer<ReturnType<typeof pricedLineSchema>>;

/** The shipping of an order: its own line on the order, the invoice and the email. */
export const pricedShippingSchema = once(() =>
  z.object({
    method: z.string(),
    name: z.string(),
    zone: z.string(),
    priceMinor: z.number().int().nonnegative(),
    taxCategory: z.enum(TAX_CATEGORIES),
  }),
);
export type PricedShipping = z.infer<ReturnType<typeof pricedShippingSchema>>;

/** An order after server-side pricing: the snapshot that is stored, paid for and invoiced. */
export const pricedOrderSchema = once(() =>
  z.preprocess(
    fromFlatRateOrder,
    z.object({
      orderId: z.string().regex(/^ord_[A-Za-z0-9]{10,40}$/),
      customer: customerSchema(),
      currency: currencySchema(),
      lines: z.array(pricedLineSchema()).min(1).max(LIMITS.maxLines),
      shipping: pricedShippingSchema(),
      shippingAddress: addressSchema(),
      /** Where the invoice is addressed (the shipping address when the customer said "same-as-shipping"). */
      billingAddress: addressSchema(),
      buyer: buyerSchema(),
      payment: z.object({ provider: z.string() }),
      /** The net total: the lines' and the shipping's net amounts (EN 16931 BT-109). */
      subtotalMinor: z.number().int().nonnegative(),
      /** The VAT total (BT-110): the sum of the breakdown's taxes. */
      taxMinor: z.number().int().nonnegative(),
      /** subtotalMinor + taxMinor (BT-112). */
      totalMinor: z.number().int().nonnegative(),
      tax: orderTaxSchema(),
      createdAt: z.string().datetime(),
      /** The language the invoice and its email are written in (orders stored before it existed: English). */
      lang: z.enum(LANGS).default("en"),
    }),
  ),
);

/**
 * Orders (and queued messages) from before the tax engine carry one flat `taxRateBps` and no buyer:
 * they are read as what they were, one standard-rated group at that rate, billed to the shipping address.
 */
function fromFlatRateOrder(v: unknown): unknown {
  if (!v || typeof v !== "object" || "tax" in v || !("taxRateBps" in v)) return v;
  const { taxRateBps, ...o } = v as Record<string, unknown> & { taxRateBps: number };
  const lines = Array.isArray(o.lines) ? (o.lines as Record<string, unknown>[]) : [];
  const shipping = (o.shipping ?? {}) as { priceMinor?: number };
  const subtotal = typeof o.subtotalMinor === "number" ? o.subtotalMinor : 0;
  const shippingNet = shipping.priceMinor ?? 0;
  return {
    ...o,
    lines: lines.map((l) => ({ ...l, vat: { code: "S", rateBps: taxRateBps } })),
    billingAddress: o.billingAddress ?? o.shippingAddress,
    buyer: o.buyer ?? { kind: "consumer" },
    tax: {
      rule: "domestic",
      date: typeof o.createdAt === "string" ? o.createdAt.slice(0, 10) : undefined,
      groups: [
        {
          code: "S",
          rateBps: taxRateBps,
          categories: ["standard"],
          linesNetMinor: subtotal - shippingNet,
          shippingNetMinor: shippingNet,
          taxableMinor: subtotal,
          taxMinor: o.taxMinor,
        },
      ],
      notes: [],
    },
  };
}
export type PricedOrder = z.infer<ReturnType<typeof pricedOrderSchema>>;

/** The SQS message body: the version tag lets a future schema change roll out safely. */
export const orderMessageSchema = once(() => z.object({ v: z.literal(1), order: pricedOrderSchema() }));
export type OrderMessage = z.infer<ReturnType<typeof orderMessageSchema>>;

/** Largest total we accept: keeps every sum an exact integer well inside Number's safe range. */
export const MAX_TOTAL_MINOR = 1_000_000_000_000;

/**
 * Lifecycle of an order: AWAITING_PAYMENT -> PAID -> INVOICED -> NOTIFIED. Only a payment the provider
 * confirmed makes an order PAID, and only a PAID order is invoiced. AWAITING_PAYMENT -> PAYMENT_FAILED
 * (declined; the customer may still pay until the deadline) -> EXPIRED (not paid in time) or
 * CANCELLED (its payment was cancelled at the provider): none of these takes an invoice number.
 * An admin's cancellation of a PAID order not numbered yet: PAID -> CANCELLING (no worker numbers it
 * any more; its payment is being refunded) -> CANCELLED. An invoiced order is corrected by a credit note.
 */
export const ORDER_STATUSES = [
  "AWAITING_PAYMENT",
  "PAYMENT_FAILED",
  "EXPIRED",
  "CANCELLING",
  "CANCELLED",
  "PAID",
  "INVOICED",
  "NOTIFIED",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Page sizes of GET /orders. */
export const LIST_LIMITS = { defaultLimit: 20, maxLimit: 100, maxCursorLength: 512 } as const;

/** The query string of GET /orders (order history): page size and the opaque cursor of the next page. */
export const listOrdersQuerySchema = once(() =>
  z
    .object({
      limit: z
        .string()
        .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${LIST_LIMITS.maxLimit}`)
        .transform(Number)
        .pipe(z.number().int().min(1).max(LIST_LIMITS.maxLimit))
        .optional(),
      cursor: z
        .string()
        .min(1)
        .max(LIST_LIMITS.maxCursorLength)
        .regex(/^[A-Za-z0-9_-]+$/, "must be a cursor returned by this API")
        .optional(),
    })
    .strip(),
);
export type ListOrdersQuery = z.infer<ReturnType<typeof listOrdersQuerySchema>>;
