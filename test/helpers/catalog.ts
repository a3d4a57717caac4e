import type { CatalogFile, CatalogProductInput } from "../../runtime/domain/catalog-store";
import type { ProductInput, ShippingMethod } from "../../runtime/domain/catalog";

/** A valid product of a catalog file; `overrides` replace its fields. */
export function productRow(sku: string, overrides: Partial<CatalogProductInput> = {}): CatalogProductInput {
  return {
    sku,
    names: { en: `Product ${sku}`, de: `Produkt ${sku}` },
    prices: { EUR: 1250, USD: 1390 },
    taxCategory: "standard",
    active: true,
    ...overrides,
  };
}

/** A valid product as PUT /admin/products/{sku} and putProduct take it (no SKU: the path names it). */
export function productInput(sku = "MUG-01", overrides: Partial<ProductInput> = {}): ProductInput {
  const { sku: _sku, ...input } = productRow(sku);
  return { ...input, ...overrides };
}

/** A valid shipping method with a domestic, an EU and a world zone. */
export function shippingMethod(id = "standard", overrides: Partial<ShippingMethod> = {}): ShippingMethod {
  return {
    id,
    names: { en: `Shipping ${id}`, de: `Versand ${id}` },
    taxCategory: "standard",
    zones: [
      { zone: "domestic", countries: ["DE"], prices: { EUR: 490 } },
      { zone: "eu", countries: ["AT", "FR"], prices: { EUR: 990 } },
      { zone: "world", countries: "*", prices: { EUR: 1990, USD: 2190 } },
    ],
    active: true,
    ...overrides,
  };
}

/** A catalog file of `n` products SKU-0001.. and one shipping method. */
export function catalogFile(n: number, o: { shipping?: boolean } = {}): CatalogFile {
  return {
    products: Array.from({ length: n }, (_, i) => productRow(`SKU-${String(i + 1).padStart(4, "0")}`)),
    ...(o.shipping === false ? {} : { shippingMethods: [shippingMethod()] }),
  };
}
