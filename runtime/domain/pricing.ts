import { nameIn, taxCategoryOf, zoneFor, type Product, type ShippingMethod } from "./catalog";
import type { Lang } from "../i18n/langs";
import { MAX_TOTAL_MINOR, type Buyer, type CreateOrderBody, type Customer, type PricedLine, type PricedOrder } from "./order";
import { lineVat, taxBreakdown, taxDestination, taxTreatment, type TaxTreatment } from "./tax/engine";
import { NoRateError } from "./tax/rates";

/**
 * Prices an order from the shop's catalog: the body names SKUs, quantities and a shipping method;
 * names, unit prices and the shipping price are the catalog's, snapshotted on the order.
 */

/** What the catalog holds for one order (one lookup): its products by SKU and the chosen shipping method. */
export interface CatalogSnapshot {
  readonly products: ReadonlyMap<string, Product>;
  readonly shippingMethod?: ShippingMethod;
}

/** One problem of a line or the shipping, with the path it concerns. */
export interface PricingIssue {
  readonly path: string;
  readonly message: string;
}

/** A line names a SKU the catalog does not have or no longer sells. */
export class ProductUnavailable extends Error {
  override name = "ProductUnavailable";
  constructor(readonly issues: readonly PricingIssue[]) {
    super(issues.map((i) => i.message).join(" "));
  }
}

/** Something of the order has no price in its currency, or the shipping method does not ship to the address. */
export class PriceUnavailable extends Error {
  override name = "PriceUnavailable";
  constructor(readonly issues: readonly PricingIssue[]) {
    super(issues.map((i) => i.message).join(" "));
  }
}

/** A line's price as the catalog has it now, for the client to show the customer again. */
export interface CurrentPrice {
  readonly line: number;
  readonly sku: string;
  readonly expected: number;
  readonly current: number;
  readonly currency: string;
}

/** The client showed the customer other prices than the catalog's: nothing is recorded. */
export class PriceChanged extends Error {
  override name = "PriceChanged";
  constructor(readonly changes: readonly CurrentPrice[]) {
    super(`${changes.length} price(s) changed`);
  }
}

/** The order is priced, but its total is zero or above what the shop accepts. */
export class TotalOutOfRange extends Error {
  override name = "TotalOutOfRange";
}

/** What pricing needs besides the body. */
export interface PricingContext {
  readonly orderId: string;
  readonly customer: Customer;
  readonly now: Date;
  /** The currency when the body names none. */
  readonly shopCurrency: string;
  /** The order's language: product names are taken in it (else in the shop's), the invoice is written in it. */
  readonly lang: Lang;
  /** The shop's language, the names' fallback. */
  readonly shopLanguage: string;
  /** Who decides the VAT rules: the shop's establishment and registrations, and the buyer (VIES answered before). */
  readonly tax: {
    readonly sellerCountry: string;
    readonly ossRegistered: boolean;
    readonly supplyKind: "goods" | "services";
    readonly buyer: Buyer;
  };
}

/**
 * Prices the order from `catalog`. Throws ProductUnavailable (unknown or inactive SKUs, every line
 * named), PriceUnavailable (no price in the currency, no shipping to the country), PriceChanged
 * (expected prices that differ, all of them) or TotalOutOfRange; checks in that order.
 */
export function priceOrder(body: CreateOrderBody, catalog: CatalogSnapshot, ctx: PricingContext): PricedOrder {
  const currency = body.currency ?? ctx.shopCurrency;
  const unavailable: PricingIssue[] = [];
  body.items.forEach((item, i) => {
    const p = catalog.products.get(item.sku);
    if (!p || !p.active) unavailable.push({ path: `items.${i}.sku`, message: `Item ${i} (${item.sku}) is not a product this shop sells.` });
  });
  if (unavailable.length) throw new ProductUnavailable(unavailable);

  const unpriced: PricingIssue[] = [];
  body.items.forEach((item, i) => {
    if (catalog.products.get(item.sku)!.prices[currency] === undefined) {
      unpriced.push({ path: `items.${i}.sku`, message: `Item ${i} (${item.sku}) has no price in ${currency}.` });
    }
  });
  const method = catalog.shippingMethod;
  const country = body.shippingAddress.country;
  const zone = method?.active ? zoneFor(method, country) : undefined;
  if (!method || !method.active) {
    unpriced.push({ path: "shipping.method", message: `There is no shipping method "${body.shipping.method}".` });
  } else if (!zone) {
    unpriced.push({ path: "shipping.method", message: `The shipping method "${method.id}" does not ship to ${country}.` });
  } else if (zone.prices[currency] === undefined) {
    unpriced.push({ path: "shipping.method", message: `The shipping method "${method.id}" has no price in ${currency} for ${country}.` });
  }
  if (unpriced.length) throw new PriceUnavailable(unpriced);

  const changes: CurrentPrice[] = [];
  body.items.forEach((item, i) => {
    const current = catalog.products.get(item.sku)!.prices[currency];
    const expected = item.expectedUnitPrice;
    if (expected && (expected.amount !== current || expected.currency !== currency)) {
      changes.push({ line: i, sku: item.sku, expected: expected.amount, current, currency });
    }
  });
  if (changes.length) throw new PriceChanged(changes);

  // The tax point is the order's day (UTC): its rates are the ones charged and invoiced.
  const date = ctx.now.toISOString().slice(0, 10);
  const buyer = ctx.tax.buyer;
  // Goods are taxed where they go (Northern Ireland as XI); services where the customer is (its billing address).
  const billing = body.billingAddress === "same-as-shipping" ? body.shippingAddress : body.billingAddress;
  const treatment = taxTreatment({
    sellerCountry: ctx.tax.sellerCountry,
    destinationCountry: taxDestination(body.shippingAddress, billing, ctx.tax.supplyKind),
    buyer: { kind: buyer.kind, vatId: buyer.vatId, vatIdValid: buyer.vatCheck?.outcome === "valid" },
    ossRegistered: ctx.tax.ossRegistered,
    supplyKind: ctx.tax.supplyKind,
  });
  const untaxable: PricingIssue[] = [];
  const vatOf = (category: Product["taxCategory"], path: string, label: string) => {
    try {
      return lineVat(category, treatment, date);
    } catch (e) {
      if (!(e instanceof NoRateError)) throw e;
      untaxable.push({
        path,
        message: `${label} cannot be sold to ${country}: there is no ${category} VAT rate for ${e.country} on ${date}.`,
      });
      return { code: "S" as const, rateBps: 0 };
    }
  };
  const lines: PricedLine[] = body.items.map((item, i) => {
    const p = catalog.products.get(item.sku)!;
    const unit = p.prices[currency];
    const taxCategory = taxCategoryOf(p, treatment.ratesCountry);
    return {
      sku: p.sku,
      name: nameIn(p.names, ctx.lang, ctx.shopLanguage),
      quantity: item.quantity,
      unitPriceMinor: unit,
      lineTotalMinor: unit * item.quantity,
      taxCategory,
      catalogVersion: p.version,
      vat: vatOf(taxCategory, `items.${i}.sku`, `Item ${i} (${item.sku})`),
    };
  });
  const shipping = {
    method: method!.id,
    name: nameIn(method!.names, ctx.lang, ctx.shopLanguage),
    zone: zone!.zone,
    priceMinor: zone!.prices[currency],
    taxCategory: method!.taxCategory,
  };
  vatOf(shipping.taxCategory, "shipping.method", `The shipping method "${method!.id}"`);
  if (untaxable.length) throw new PriceUnavailable(untaxable);

  const tax = taxBreakdown(
    lines.map((l) => ({ netMinor: l.lineTotalMinor, category: l.taxCategory })),
    { netMinor: shipping.priceMinor, category: shipping.taxCategory },
    treatment,
    date,
    currency,
  );
  if (tax.netTotalMinor <= 0) throw new TotalOutOfRange("The order total must be greater than zero.");
  if (tax.grossTotalMinor > MAX_TOTAL_MINOR) throw new TotalOutOfRange("The order total is larger than this shop accepts.");
  return {
    orderId: ctx.orderId,
    customer: ctx.customer,
    currency,
    lines,
    shipping,
    shippingAddress: body.shippingAddress,
    billingAddress: body.billingAddress === "same-as-shipping" ? body.shippingAddress : body.billingAddress,
    buyer,
    payment: { provider: body.payment.provider },
    subtotalMinor: tax.netTotalMinor,
    taxMinor: tax.taxTotalMinor,
    totalMinor: tax.grossTotalMinor,
    tax: orderTaxOf(tax, treatment, date),
    createdAt: ctx.now.toISOString(),
    lang: ctx.lang,
  };
}

/** The breakdown as the order stores it. */
function orderTaxOf(tax: ReturnType<typeof taxBreakdown>, treatment: TaxTreatment, date: string): PricedOrder["tax"] {
  return {
    rule: treatment.rule,
    ...(treatment.ratesCountry ? { ratesCountry: treatment.ratesCountry } : {}),
    date,
    groups: tax.groups.map((g) => ({
      code: g.code,
      rateBps: g.rateBps,
      ...(g.exemptionReason ? { exemptionReason: g.exemptionReason } : {}),
      ...(g.note ? { note: g.note } : {}),
      categories: [...g.categories],
      linesNetMinor: g.linesNetMinor,
      shippingNetMinor: g.shippingNetMinor,
      taxableMinor: g.taxableMinor,
      taxMinor: g.taxMinor,
    })),
    notes: [...tax.notes],
  };
}
