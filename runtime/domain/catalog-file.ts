import { parse as parseCsv } from "csv-parse/sync";
import { z, type ZodIssue } from "zod";
import { once } from "../memo";
import { shippingMethodSchema } from "./catalog";
import { minorDigits } from "./money";
import { catalogProductSchema, type CatalogFile, type CatalogProductInput } from "./catalog-store";

/**
 * The catalog files `npm run catalog -- import` reads: JSON (products and shipping methods) or CSV
 * (products only, one row each, header `sku,name.en,name.de,price.EUR,price.USD,taxCategory,active`, and
 * `taxCategory.<country>` columns where a product's category differs by country).
 * A file is checked whole: every problem is reported with where it is (CSV line, JSON path) and
 * which field, and a file with any problem yields no catalog at all.
 */

/** One thing wrong with a catalog file. */
export interface CatalogProblem {
  /** Where: "line 4 (sku MUG-01)" in a CSV, "products[3] (sku MUG-01)" in JSON, "file" for the whole. */
  readonly where: string;
  /** The field or column, e.g. "price.EUR" (CSV) or "prices.EUR" (JSON); absent for a whole row or item. */
  readonly field?: string;
  readonly message: string;
}

/** A parsed, valid catalog file, or every problem found in it. */
export type CatalogFileResult =
  { readonly ok: true; readonly file: CatalogFile } | { readonly ok: false; readonly problems: CatalogProblem[] };

/** One problem as a line of text. */
export const formatProblem = (p: CatalogProblem): string => `${p.where}${p.field ? `, ${p.field}` : ""}: ${p.message}`;

const jsonFileSchema = once(() =>
  z
    .object({
      products: z.array(catalogProductSchema()).max(10_000),
      shippingMethods: z.array(shippingMethodSchema()).max(100).optional(),
    })
    .strict(),
);

/** Reads a catalog file by its name's extension (.json or .csv). */
export function parseCatalogFile(name: string, text: string): CatalogFileResult {
  if (/\.json$/i.test(name)) return parseCatalogJson(text);
  if (/\.csv$/i.test(name)) return parseCatalogCsv(text);
  return { ok: false, problems: [{ where: "file", message: `${name}: give a .json or .csv catalog file` }] };
}

/** Reads a JSON catalog: `{ "products": [...], "shippingMethods": [...] }`. */
export function parseCatalogJson(text: string): CatalogFileResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return { ok: false, problems: [{ where: "file", message: `not valid JSON: ${(e as Error).message}` }] };
  }
  const parsed = jsonFileSchema().safeParse(raw);
  const items = (key: string) => (raw && typeof raw === "object" ? (raw as Record<string, unknown>)[key] : undefined);
  const named = (key: string, i: number, idField: string) => {
    const item = (items(key) as unknown[] | undefined)?.[i] as Record<string, unknown> | undefined;
    const id = item && typeof item[idField] === "string" ? ` (${idField} ${item[idField]})` : "";
    return `${key}[${i}]${id}`;
  };
  const problems: CatalogProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const [top, index, ...rest] = i.path;
        if ((top === "products" || top === "shippingMethods") && typeof index === "number") {
          return { where: named(top, index, top === "products" ? "sku" : "id"), ...fieldOf(rest, i) };
        }
        return { where: "file", field: i.path.join(".") || undefined, message: i.message };
      });
  // Repeated ids are reported whether or not the items are otherwise valid.
  const idsIn = (key: string, idField: string) => {
    const list = items(key);
    return (Array.isArray(list) ? list : []).flatMap((item: unknown, i) => {
      const id = item && typeof item === "object" ? (item as Record<string, unknown>)[idField] : undefined;
      return typeof id === "string" ? [{ id, where: named(key, i, idField) }] : [];
    });
  };
  problems.push(...duplicates(idsIn("products", "sku"), "sku"), ...duplicates(idsIn("shippingMethods", "id"), "id"));
  if (!parsed.success) return { ok: false, problems };
  const file = parsed.data;
  file.shippingMethods?.forEach((m, i) => problems.push(...zoneProblems(m.zones, named("shippingMethods", i, "id"))));
  return problems.length ? { ok: false, problems } : { ok: true, file };
}

function fieldOf(path: (string | number)[], i: ZodIssue): { field?: string; message: string } {
  if (i.code === "unrecognized_keys") return { field: path.join(".") || undefined, message: `unknown field(s): ${i.keys.join(", ")}` };
  return { field: path.join(".") || undefined, message: i.message };
}

/** One problem per repeated id, naming where it first stood and where it stands again. */
function duplicates(entries: readonly { id: string; where: string }[], what: string): CatalogProblem[] {
  const first = new Map<string, string>();
  const problems: CatalogProblem[] = [];
  for (const e of entries) {
    const earlier = first.get(e.id);
    if (earlier) problems.push({ where: e.where, field: what, message: `duplicate ${what} ${e.id}: ${earlier} has it too` });
    else first.set(e.id, e.where);
  }
  return problems;
}

/** A method's zones must have distinct ids, name each country once, and hold at most one "*". */
function zoneProblems(zones: readonly { zone: string; countries: "*" | string[] }[], where: string): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const ids = new Set<string>();
  const countries = new Map<string, string>();
  let wildcard: string | undefined;
  zones.forEach((z, i) => {
    const field = `zones[${i}]`;
    if (ids.has(z.zone)) problems.push({ where, field: `${field}.zone`, message: `zone ${z.zone} appears twice` });
    ids.add(z.zone);
    if (z.countries === "*") {
      if (wildcard) problems.push({ where, field: `${field}.countries`, message: `only one zone may be "*"; ${wildcard} is already` });
      wildcard ??= z.zone;
      return;
    }
    for (const c of z.countries) {
      const other = countries.get(c);
      if (other) problems.push({ where, field: `${field}.countries`, message: `${c} is in zone ${other} too` });
      else countries.set(c, z.zone);
    }
  });
  return problems;
}

/** The columns a CSV may have, besides name.<lang> and price.<CURRENCY>. */
const CSV_FIXED = ["sku", "taxCategory", "active"] as const;
const NAME_COLUMN = /^name\.[a-z]{2}$/;
const PRICE_COLUMN = /^price\.[A-Z]{3}$/;
/** A product's tax category where one country's rates apply (taxCategory.IT: super-reduced). */
const COUNTRY_CATEGORY_COLUMN = /^taxCategory\.[A-Z]{2}$/;

/** Reads a CSV catalog of products (shipping methods come only from JSON). Empty cells: not offered in that language or currency. */
export function parseCatalogCsv(text: string): CatalogFileResult {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parseCsv(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as never;
  } catch (e) {
    return {
      ok: false,
      problems: [{ where: `line ${(e as { lines?: number }).lines ?? "?"}`, message: `not valid CSV: ${(e as Error).message}` }],
    };
  }
  if (!rows.length)
    return { ok: false, problems: [{ where: "file", message: "the CSV is empty: it needs a header and a row per product" }] };
  const [head, ...body] = rows;
  const problems = headerProblems(head.record);
  if (problems.length) return { ok: false, problems };
  const columns = head.record;
  const products: CatalogProductInput[] = [];
  const skus: { id: string; where: string }[] = [];
  for (const { record, info } of body) {
    const sku = record[columns.indexOf("sku")];
    const where = `line ${info.lines}${sku ? ` (sku ${sku})` : ""}`;
    if (sku) skus.push({ id: sku, where });
    if (record.length !== columns.length) {
      problems.push({ where, message: `has ${record.length} cells, the header ${columns.length}` });
      continue;
    }
    const before = problems.length;
    const row = csvRow(columns, record, where, problems);
    const badPrice = problems.slice(before).some((p) => p.field?.startsWith("price."));
    const parsed = catalogProductSchema().safeParse(row);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ where, field: csvColumnOf(i.path), message: i.message }));
      // "no price at all" after a price cell was refused says nothing new
      problems.push(...issues.filter((i) => !(badPrice && i.field === "price.*")));
    } else products.push(parsed.data);
  }
  problems.push(...duplicates(skus, "sku"));
  return problems.length ? { ok: false, problems } : { ok: true, file: { products } };
}

function headerProblems(header: readonly string[]): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const seen = new Set<string>();
  for (const c of header) {
    if (seen.has(c)) problems.push({ where: "line 1 (header)", field: c, message: "column appears twice" });
    seen.add(c);
    if (!(CSV_FIXED as readonly string[]).includes(c) && !NAME_COLUMN.test(c) && !PRICE_COLUMN.test(c) && !COUNTRY_CATEGORY_COLUMN.test(c))
      problems.push({
        where: "line 1 (header)",
        field: c,
        message:
          "unknown column: use sku, name.<language> (name.en), price.<currency> (price.EUR), taxCategory, taxCategory.<country> (taxCategory.IT), active",
      });
  }
  for (const required of ["sku", "taxCategory"])
    if (!seen.has(required)) problems.push({ where: "line 1 (header)", field: required, message: "required column is missing" });
  if (!header.some((c) => NAME_COLUMN.test(c)))
    problems.push({ where: "line 1 (header)", message: "needs at least one name.<language> column" });
  if (!header.some((c) => PRICE_COLUMN.test(c)))
    problems.push({ where: "line 1 (header)", message: "needs at least one price.<currency> column" });
  return problems;
}

/** A CSV row as the product schema's input; cells that cannot be numbers or booleans are reported and left out. */
function csvRow(columns: readonly string[], cells: readonly string[], where: string, problems: CatalogProblem[]): Record<string, unknown> {
  const row: Record<string, unknown> & { names: Record<string, string>; prices: Record<string, number> } = { names: {}, prices: {} };
  columns.forEach((c, i) => {
    const cell = cells[i];
    if (c === "sku" || c === "taxCategory") row[c] = cell;
    else if (c === "active") {
      if (cell === "") return; // default: active
      const b = /^(true|yes|1)$/i.test(cell) ? true : /^(false|no|0)$/i.test(cell) ? false : undefined;
      if (b === undefined) problems.push({ where, field: c, message: `"${cell}" is not true or false` });
      else row.active = b;
    } else if (cell !== "") {
      const [kind, key] = c.split(".");
      if (kind === "name") row.names[key] = cell;
      else if (kind === "taxCategory") row.taxCategoryIn = { ...(row.taxCategoryIn as object | undefined), [key]: cell };
      else {
        const amount = minorUnits(cell, key);
        if (typeof amount === "string") problems.push({ where, field: c, message: amount });
        else row.prices[key] = amount;
      }
    }
  });
  return row;
}

/**
 * A price cell as integer minor units, or why not. Decimals are refused rather than converted: "12.5"
 * from a spreadsheet could be meant as 12.50 or be a typo, and a silent guess would misprice.
 */
function minorUnits(cell: string, currency: string): number | string {
  if (/^\d{1,12}$/.test(cell)) return Number(cell);
  const decimal = /^(\d+)[.,](\d+)$/.exec(cell);
  if (decimal) {
    const digits = minorDigits(currency);
    const hint = decimal[2].length <= digits ? `: write ${Number(decimal[1]) * 10 ** digits + Number(decimal[2].padEnd(digits, "0"))}` : "";
    return `"${cell}" is a decimal: give the price in whole minor units (cents for ${currency})${hint}`;
  }
  return `"${cell}" is not a price: give whole minor units (cents), e.g. 1250 for 12.50`;
}

/** The CSV column a schema issue is about: names.en -> name.en, prices.EUR -> price.EUR. */
function csvColumnOf(path: (string | number)[]): string | undefined {
  const [top, key] = path;
  if (top === "names") return key === undefined ? "name.*" : `name.${key}`;
  if (top === "prices") return key === undefined ? "price.*" : `price.${key}`;
  if (top === "taxCategoryIn" && key !== undefined) return `taxCategory.${key}`;
  return path.length ? path.join(".") : undefined;
}
