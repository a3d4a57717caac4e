import { newOrderId } from "../../runtime/domain/ids";
import { lineVat, taxBreakdown, taxTreatment, type TaxSituation } from "../../runtime/domain/tax/engine";
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
    vat: overrides.vat ?? { code: "S", rateBps: 1900 },
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

/** How test orders are taxed unless told otherwise: a German shop selling to a consumer, not OSS-registered. */
export const TEST_TAX_SITUATION: Omit<TaxSituation, "destinationCountry"> = {
  sellerCountry: "DE",
  buyer: { kind: "consumer" },
  ossRegistered: false,
  supplyKind: "goods",
};

/**
 * The lines (with their VAT), totals and tax of `lines` and `shipping` shipped to `destination` on `date`,
 * computed by the tax engine the way pricing does.
 */
export function taxedOf(
  lines: readonly PricedLine[],
  shipping: PricedShipping,
  destination: string,
  date: string,
  situation: Omit<TaxSituation, "destinationCountry"> = TEST_TAX_SITUATION,
): Pick<PricedOrder, "lines" | "subtotalMinor" | "taxMinor" | "totalMinor" | "tax"> {
  const treatment = taxTreatment({ ...situation, destinationCountry: destination });
  const b = taxBreakdown(
    lines.map((l) => ({ netMinor: l.lineTotalMinor, category: l.taxCategory })),
    { netMinor: shipping.priceMinor, category: shipping.taxCategory },
    treatment,
    date,
    "EUR",
  );
  return {
    lines: lines.map((l) => ({ ...l, vat: lineVat(l.taxCategory, treatment, date) })),
    subtotalMinor: b.netTotalMinor,
    taxMinor: b.taxTotalMinor,
    totalMinor: b.grossTotalMinor,
    tax: {
      rule: b.rule,
      ...(b.ratesCountry ? { ratesCountry: b.ratesCountry } : {}),
      date,
      groups: b.groups.map((g) => JSON.parse(JSON.stringify(g))),
      notes: [...b.notes],
    },
  };
}

/**
 * A valid PricedOrder (checked by pricedOrderSchema) of ALICE: a fresh order id, `lineCount` generated
 * lines (default 1) unless `lines` is given, EUR, shipped and billed to Berlin, taxed by the tax engine
 * (`situation`, default a German shop's domestic sale) unless the totals are overridden.
 */
export function makePricedOrder(
  overrides: Partial<PricedOrder> & { lineCount?: number; situation?: Omit<TaxSituation, "destinationCountry"> } = {},
): PricedOrder {
  const { lineCount = 1, situation, ...fields } = overrides;
  const lines = fields.lines ?? Array.from({ length: lineCount }, (_, i) => makePricedLine(i));
  const shippingAddress = fields.shippingAddress ?? {
    name: "Alice Example",
    line1: "Hauptstr. 5",
    city: "Berlin",
    postalCode: "10115",
    country: "DE",
  };
  const createdAt = fields.createdAt ?? "2025-03-14T09:26:53.000Z";
  return pricedOrderSchema().parse({
    orderId: newOrderId(),
    customer: { id: ALICE.sub, email: ALICE.email, name: ALICE.name },
    currency: "EUR",
    shippingAddress,
    billingAddress: shippingAddress,
    buyer: { kind: "consumer" },
    shipping: TEST_SHIPPING,
    payment: { provider: "stripe" },
    ...taxedOf(lines, fields.shipping ?? TEST_SHIPPING, shippingAddress.country, createdAt.slice(0, 10), situation),
    createdAt,
    ...fields,
    ...(fields.lines
      ? { lines: taxedOf(lines, fields.shipping ?? TEST_SHIPPING, shippingAddress.country, createdAt.slice(0, 10), situation).lines }
      : {}),
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
