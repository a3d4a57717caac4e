import { z } from "zod";
import { knownCurrencies, taxOf } from "./money";

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
} as const;

// Schemas are built by functions, not held in module constants: a module-scope zod object cannot be
// serialized into a Lambda closure (its methods are bound natives). Building one costs microseconds.
const text = (max: number) => z.string().trim().min(1).max(max);
// Control characters would corrupt the PDF and the email; everything printable, any script, is fine.
const printable = (max: number) =>
  text(max).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: "must not contain control characters" });

/** An ISO 4217 currency code the runtime can format. */
export const currencySchema = () => {
  const known = knownCurrencies(); // once per schema, not once per value checked
  return z
    .string()
    .length(3)
    .regex(/^[A-Z]{3}$/, "must be an upper-case ISO 4217 code such as EUR")
    .refine((c) => known.has(c), { message: "is not a known ISO 4217 currency" });
};

/** A line of the order as the client sends it. */
export const orderLineInputSchema = () =>
  z
  .object({
    sku: z.string().trim().min(1).max(LIMITS.maxSkuLength).regex(/^[A-Za-z0-9._\-\/]+$/, "may hold letters, digits and . _ - / only"),
    name: printable(LIMITS.maxNameLength),
    quantity: z.number().int().min(1).max(LIMITS.maxQuantity),
    unitPrice: z
      .object({
        amount: z.number().int("must be an integer amount of minor units (cents)").min(0).max(LIMITS.maxUnitPriceMinor),
        currency: currencySchema(),
      })
      .strict(),
  })
  .strict();

/** A postal address. */
export const addressSchema = () =>
  z
  .object({
    name: printable(LIMITS.maxNameLength),
    line1: printable(LIMITS.maxAddressLineLength),
    line2: printable(LIMITS.maxAddressLineLength).optional(),
    city: printable(100),
    region: printable(100).optional(),
    postalCode: z.string().trim().min(1).max(20).regex(/^[A-Za-z0-9 \-]+$/, "may hold letters, digits, spaces and dashes only"),
    country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as DE"),
  })
  .strict();

/** Payment as a provider token; card numbers are never accepted. */
export const paymentSchema = () =>
  z
  .object({
    provider: z.string().trim().min(1).max(40).regex(/^[a-z0-9_\-]+$/, "must be a lower-case provider id such as stripe"),
    token: z.string().trim().min(8).max(256).regex(/^[A-Za-z0-9_\-.:]+$/, "must be a payment-provider token, not card data"),
    last4: z.string().regex(/^\d{4}$/, "must be exactly four digits").optional(),
    brand: z.string().trim().min(1).max(20).regex(/^[A-Za-z ]+$/).optional(),
  })
  .strict();

/** The body of POST /orders. */
export const createOrderBodySchema = () =>
  z
  .object({
    items: z.array(orderLineInputSchema()).min(LIMITS.minLines).max(LIMITS.maxLines),
    shippingAddress: addressSchema(),
    payment: paymentSchema(),
  })
  .strict();
export type CreateOrderBody = z.infer<ReturnType<typeof createOrderBodySchema>>;

/** The customer, always from the verified token's claims. */
export const customerSchema = () =>
  z.object({
  id: z.string().min(1).max(128),
  email: z.string().email().max(254),
  name: z.string().max(200).optional(),
});
export type Customer = z.infer<ReturnType<typeof customerSchema>>;

/** A priced line: integer minor units throughout. */
export const pricedLineSchema = () =>
  z.object({
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int().positive(),
  unitPriceMinor: z.number().int().nonnegative(),
  lineTotalMinor: z.number().int().nonnegative(),
});
export type PricedLine = z.infer<ReturnType<typeof pricedLineSchema>>;

/** An order after server-side pricing: what is stored and what the worker receives. */
export const pricedOrderSchema = () =>
  z.object({
  orderId: z.string().regex(/^ord_[A-Za-z0-9]{10,40}$/),
  customer: customerSchema(),
  currency: currencySchema(),
  lines: z.array(pricedLineSchema()).min(1).max(LIMITS.maxLines),
  shippingAddress: addressSchema(),
  payment: z.object({ provider: z.string(), last4: z.string().optional(), brand: z.string().optional() }),
  subtotalMinor: z.number().int().nonnegative(),
  taxRateBps: z.number().int().min(0).max(10_000),
  taxMinor: z.number().int().nonnegative(),
  totalMinor: z.number().int().nonnegative(),
  createdAt: z.string().datetime(),
});
export type PricedOrder = z.infer<ReturnType<typeof pricedOrderSchema>>;

/** The SQS message body: the version tag lets a future schema change roll out safely. */
export const orderMessageSchema = () =>
  z.object({ v: z.literal(1), order: pricedOrderSchema() });
export type OrderMessage = z.infer<ReturnType<typeof orderMessageSchema>>;

/** Why an otherwise valid order cannot exist; becomes a 422. */
export class ImpossibleOrder extends Error {
  override name = "ImpossibleOrder";
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

/** Largest total we accept: keeps every sum an exact integer well inside Number's safe range. */
export const MAX_TOTAL_MINOR = 1_000_000_000_000;

/**
 * Prices an order server-side: line totals, subtotal, tax at `taxRateBps`, total. The payment
 * token is dropped here: only provider, last4 and brand travel further.
 */
export function priceOrder(
  body: CreateOrderBody,
  customer: Customer,
  taxRateBps: number,
  orderId: string,
  now: Date,
): PricedOrder {
  const currency = body.items[0].unitPrice.currency;
  body.items.forEach((item, i) => {
    if (item.unitPrice.currency !== currency) {
      throw new ImpossibleOrder(
        `All items of an order must be priced in one currency: item 0 is in ${currency}, item ${i} in ${item.unitPrice.currency}.`,
        `items.${i}.unitPrice.currency`,
      );
    }
  });
  const lines: PricedLine[] = body.items.map((i) => ({
    sku: i.sku,
    name: i.name,
    quantity: i.quantity,
    unitPriceMinor: i.unitPrice.amount,
    lineTotalMinor: i.unitPrice.amount * i.quantity,
  }));
  const subtotalMinor = lines.reduce((s, l) => s + l.lineTotalMinor, 0);
  if (subtotalMinor <= 0) throw new ImpossibleOrder("The order total must be greater than zero.", "items");
  const taxMinor = taxOf(subtotalMinor, taxRateBps);
  const totalMinor = subtotalMinor + taxMinor;
  if (totalMinor > MAX_TOTAL_MINOR) throw new ImpossibleOrder("The order total is larger than this shop accepts.", "items");
  return {
    orderId,
    customer,
    currency,
    lines,
    shippingAddress: body.shippingAddress,
    payment: { provider: body.payment.provider, last4: body.payment.last4, brand: body.payment.brand },
    subtotalMinor,
    taxRateBps,
    taxMinor,
    totalMinor,
    createdAt: now.toISOString(),
  };
}

/** Lifecycle of an order: PENDING -> INVOICED -> NOTIFIED. */
export type OrderStatus = "PENDING" | "INVOICED" | "NOTIFIED";

/** Page sizes of GET /orders. */
export const LIST_LIMITS = { defaultLimit: 20, maxLimit: 100, maxCursorLength: 512 } as const;

/** The query string of GET /orders (order history): page size and the opaque cursor of the next page. */
export const listOrdersQuerySchema = () =>
  z
    .object({
      limit: z
        .string()
        .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${LIST_LIMITS.maxLimit}`)
        .transform(Number)
        .pipe(z.number().int().min(1).max(LIST_LIMITS.maxLimit))
        .optional(),
      cursor: z.string().min(1).max(LIST_LIMITS.maxCursorLength).regex(/^[A-Za-z0-9_-]+$/, "must be a cursor returned by this API").optional(),
    })
    .strip();
export type ListOrdersQuery = z.infer<ReturnType<typeof listOrdersQuerySchema>>;
