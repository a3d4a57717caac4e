import { z } from "zod";
import { once } from "../memo";
import { countrySchema, currencySchema, LIMITS } from "./order";

/**
 * The shop's catalog: products and shipping methods, owned by the shop (admin routes, `npm run
 * catalog -- import`), never by the customer. Prices are integer minor units per currency.
 */

/** Tax categories a product or shipping method is taxed by (the tax table maps them to rates). */
export const TAX_CATEGORIES = ["standard", "reduced", "super-reduced", "zero", "exempt"] as const;
export type TaxCategory = (typeof TAX_CATEGORIES)[number];

/** A language tag of a product name: ISO 639-1, e.g. "en", "de". */
export const languageSchema = once(() => z.string().regex(/^[a-z]{2}$/, "must be a lower-case ISO 639-1 language code such as de"));

/** A SKU: what an order line names. */
export const skuSchema = once(() =>
  z
    .string()
    .trim()
    .min(1)
    .max(LIMITS.maxSkuLength)
    .regex(/^[A-Za-z0-9._\-\/]+$/, "may hold letters, digits and . _ - / only"),
);

/**
 * Where a product's kind of rate differs by country (a book is "reduced" in Germany, 7 %, but "super-reduced"
 * in Italy, 4 %): the category per member state whose rates apply, else `taxCategory`.
 */
const taxCategoryIn = () =>
  z.record(z.string().regex(/^[A-Z]{2}$/, "must be an upper-case ISO 3166-1 alpha-2 code such as IT"), z.enum(TAX_CATEGORIES)).optional();

const names = () =>
  z
    .record(languageSchema(), z.string().trim().min(1).max(LIMITS.maxNameLength))
    .refine((r) => Object.keys(r).length > 0, { message: "must name the product in at least one language" });
const prices = () =>
  z
    .record(currencySchema(), z.number().int("must be whole minor units (cents)").min(0).max(LIMITS.maxUnitPriceMinor))
    .refine((r) => Object.keys(r).length > 0, { message: "must give a price in at least one currency" });

/** A product as the shop defines it (what an import row or PUT /admin/products/{sku} carries). */
export const productInputSchema = once(() =>
  z
    .object({
      names: names(),
      prices: prices(),
      taxCategory: z.enum(TAX_CATEGORIES),
      taxCategoryIn: taxCategoryIn(),
      active: z.boolean().default(true),
    })
    .strict(),
);
export type ProductInput = z.input<ReturnType<typeof productInputSchema>>;

/** A product as stored. `version` grows with every change (optimistic concurrency for admin writes and imports). */
export const productSchema = once(() =>
  z.object({
    sku: skuSchema(),
    names: names(),
    prices: prices(),
    taxCategory: z.enum(TAX_CATEGORIES),
    taxCategoryIn: taxCategoryIn(),
    active: z.boolean(),
    version: z.number().int().min(1),
    updatedAt: z.string().datetime(),
  }),
);
export type Product = z.infer<ReturnType<typeof productSchema>>;

/** Where a shipping method ships and what it costs there: `countries` "*" is every country no other zone names. */
export const shippingZoneSchema = once(() =>
  z
    .object({
      zone: z.string().regex(/^[a-z0-9-]{1,32}$/, "must be a short lower-case zone id such as eu"),
      countries: z.union([z.literal("*"), z.array(countrySchema()).min(1)]),
      prices: prices(),
    })
    .strict(),
);
export type ShippingZone = z.infer<ReturnType<typeof shippingZoneSchema>>;

/** A shipping method the client may choose, priced per destination zone and currency. */
export const shippingMethodSchema = once(() =>
  z
    .object({
      id: z.string().regex(/^[a-z0-9-]{1,32}$/, "must be a short lower-case id such as standard"),
      names: names(),
      taxCategory: z.enum(TAX_CATEGORIES),
      zones: z.array(shippingZoneSchema()).min(1).max(50),
      active: z.boolean().default(true),
    })
    .strict(),
);
export type ShippingMethod = z.infer<ReturnType<typeof shippingMethodSchema>>;

/** The zone of a method that ships to `country` (a named country wins over "*"), or undefined. */
export function zoneFor(method: ShippingMethod, country: string): ShippingZone | undefined {
  return method.zones.find((z) => z.countries !== "*" && z.countries.includes(country)) ?? method.zones.find((z) => z.countries === "*");
}

/** A product's name in `language`, else in the shop's `fallback` language, else its first. */
export function nameIn(n: Readonly<Record<string, string>>, language: string, fallback = "en"): string {
  return n[language] ?? n[fallback] ?? Object.values(n)[0];
}

/** The product's tax category where `country`'s rates apply (its own entry, else its default). */
export function taxCategoryOf(p: Pick<Product, "taxCategory" | "taxCategoryIn">, country: string | undefined): TaxCategory {
  return (country && p.taxCategoryIn?.[country]) || p.taxCategory;
}
