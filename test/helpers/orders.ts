import { newOrderId } from "../../runtime/domain/ids";
import { taxOf } from "../../runtime/domain/money";
import { pricedOrderSchema, type PricedLine, type PricedOrder, type PricedShipping } from "../../runtime/domain/order";
import { ALICE } from "./events";
import type { OrderRecord, OrderStore } from "../../runtime/domain/store";

/** The i-th (0-based) line of a test order: distinct fixed-width SKU, varied quantity and price. */
export function makePricedLine(i: number, overrides: Partial<PricedLine> = {}): PricedLine {
  const quantity = overrides.quantity ?? 1 + (i % 5);
  const unitPriceMinor = overrides.unitPriceMinor ?? 199 + 100 * i;
  return {
    sku: `SKU-${String(i + 1).padStart(4, "0")}`,
    name: `Test item ${i + 1}`,
    ...overrides,
    quantity,
    unitPriceMinor,
    lineTotalMinor: overrides.lineTotalMinor ?? unitPriceMinor * quantity,
    taxCategory: overrides.taxCategory ?? "standard",
    catalogVersion: overrides.catalogVersion ?? 1,
  };
}

/** The shipping of test orders: standard, domestic, 4.90. */
export const TEST_SHIPPING: PricedShipping = {
  method: "standard",
  name: "Standard shipping",
  zone: "domestic",
  priceMinor: 490,
  taxCategory: "standard",
};

/** Subtotal, tax and total of `lines` and `shipping` at `taxRateBps`, computed the way pricing does. */
export function totalsOf(
  lines: readonly PricedLine[],
  taxRateBps: number,
  shipping: PricedShipping = TEST_SHIPPING,
): Pick<PricedOrder, "subtotalMinor" | "taxRateBps" | "taxMinor" | "totalMinor"> {
  const subtotalMinor = lines.reduce((sum, l) => sum + l.lineTotalMinor, 0) + shipping.priceMinor;
  const taxMinor = taxOf(subtotalMinor, taxRateBps);
  return { subtotalMinor, taxRateBps, taxMinor, totalMinor: subtotalMinor + taxMinor };
}

/**
 * A valid PricedOrder (checked by pricedOrderSchema) of ALICE: a fresh order id, `lineCount` generated
 * lines (default 1) unless `lines` is given, EUR, 20 % tax, totals computed from the lines unless overridden.
 */
export function makePricedOrder(overrides: Partial<PricedOrder> & { lineCount?: number } = {}): PricedOrder {
  const { lineCount = 1, ...fields } = overrides;
  const lines = fields.lines ?? Array.from({ length: lineCount }, (_, i) => makePricedLine(i));
  return pricedOrderSchema().parse({
    orderId: newOrderId(),
    customer: { id: ALICE.sub, email: ALICE.email, name: ALICE.name },
    currency: "EUR",
    lines,
    shippingAddress: {
      name: "Alice Example",
      line1: "Hauptstr. 5",
      city: "Berlin",
      postalCode: "10115",
      country: "DE",
    },
    shipping: TEST_SHIPPING,
    payment: { provider: "stripe" },
    ...totalsOf(lines, fields.taxRateBps ?? 2000, fields.shipping ?? TEST_SHIPPING),
    createdAt: "2025-03-14T09:26:53.000Z",
    ...fields,
  });
}

/** A payment deadline far ahead, for orders recorded by tests. */
export const DUE_LATER = "2099-01-01T00:00:00.000Z";

/**
 * Records `order` as the API would and has it paid, as a confirmed payment would: AWAITING_PAYMENT,
 * then PAID with a made-up payment id. Returns the stored record.
 */
export async function recordPaidOrder(store: OrderStore, order: PricedOrder, now = new Date()): Promise<OrderRecord> {
  await store.createOrder(order, DUE_LATER);
  const paid = await store.markPaid(
    order.orderId,
    { paymentId: `pi_test_${order.orderId.slice(4)}`, card: { brand: "visa", last4: "4242" } },
    now,
    "test",
  );
  if (!paid) throw new Error(`order ${order.orderId} could not be marked PAID`);
  return (await store.get(order.orderId))!;
}
