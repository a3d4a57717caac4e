import { z } from "zod";
import { once } from "../../memo";
import type { TaxCategory } from "../catalog";
import rawTable from "./vat-rates.json";

/**
 * The checked-in VAT rate table (vat-rates.json): one row per country, category and period, each with its
 * source and the day it was read. Parsed and indexed on first use; a malformed row fails loudly then.
 */

/** The categories whose rate differs by country and date; "zero" and "exempt" are 0 % by definition. */
export const TABLE_CATEGORIES = ["standard", "reduced", "super-reduced"] as const satisfies readonly TaxCategory[];

const isoDate = () => z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a calendar date YYYY-MM-DD");

/** The schema of vat-rates.json. */
export const rateTableSchema = once(() =>
  z
    .object({
      about: z.string(),
      coverageFrom: isoDate(),
      sources: z.record(z.string().min(1)),
      rows: z.array(
        z
          .object({
            country: z.string().regex(/^[A-Z]{2}$/),
            category: z.enum(TABLE_CATEGORIES),
            rateBps: z.number().int().min(0).max(10_000),
            validFrom: isoDate(),
            validTo: isoDate().nullable(),
            source: z.string().min(1),
            readOn: isoDate(),
            note: z.string().optional(),
          })
          .strict()
          .refine((r) => r.validTo === null || r.validTo >= r.validFrom, { message: "validTo must not be before validFrom" }),
      ),
    })
    .strict()
    .refine((t) => t.rows.every((r) => r.source in t.sources), { message: "every row's source must be a key of sources" }),
);
export type RateTable = z.infer<ReturnType<typeof rateTableSchema>>;
export type RateRow = RateTable["rows"][number];

/** The parsed table. */
export const rateTable = once((): RateTable => rateTableSchema().parse(rawTable));

const rowsByKey = once(() => {
  const index = new Map<string, RateRow[]>();
  for (const row of rateTable().rows) {
    const key = `${row.country}/${row.category}`;
    index.set(key, [...(index.get(key) ?? []), row]);
  }
  return index;
});

/** No row of the table covers a country, category and date: the caller must not guess a rate. */
export class NoRateError extends Error {
  constructor(
    readonly country: string,
    readonly category: TaxCategory,
    readonly date: string,
  ) {
    super(`No ${category} VAT rate for ${country} on ${date} in the rate table (runtime/domain/tax/vat-rates.json).`);
    this.name = "NoRateError";
  }
}

/** The table row in force for `country` and `category` on `date` (YYYY-MM-DD, the invoice date). Throws NoRateError. */
export function rateRowFor(country: string, category: (typeof TABLE_CATEGORIES)[number], date: string): RateRow {
  assertCalendarDate(date);
  const row = rowsByKey()
    .get(`${country}/${category}`)
    ?.find((r) => r.validFrom <= date && (r.validTo === null || date <= r.validTo));
  if (!row) throw new NoRateError(country, category, date);
  return row;
}

/**
 * The rate in basis points for `category` in `country` on `date` (YYYY-MM-DD). "zero" and "exempt"
 * are 0 wherever the country has a standard rate that day. Throws NoRateError when no row covers it.
 */
export function rateFor(country: string, category: TaxCategory, date: string): number {
  if (category === "zero" || category === "exempt") {
    rateRowFor(country, "standard", date); // the country and date must be covered all the same
    return 0;
  }
  return rateRowFor(country, category, date).rateBps;
}

/** Throws a RangeError unless `date` is a real calendar date written YYYY-MM-DD. */
export function assertCalendarDate(date: string): void {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) {
    throw new RangeError(`"${date}" is not a calendar date YYYY-MM-DD`);
  }
}
