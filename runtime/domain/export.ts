/**
 * The accountant's export: issued invoices and credit notes as a CSV for spreadsheets and as a DATEV "Buchungsstapel"
 * (DATEV-Format EXTF, header version 700, category 21, format version 13) for the tax adviser.
 * Pure: documents in, text (or CP1252 bytes) out. One row per document and VAT group.
 */
import { minorDigits } from "./money";
import type { InvoicedRecord } from "./store";
import type { OrderTax, PricedOrder } from "./order";
import type { PricedCreditNote } from "./credit-note";

/** An issued document the export books: an invoice, or a credit note correcting one. */
export interface ExportDocument {
  readonly kind: "invoice" | "credit_note";
  readonly number: string;
  /** When it was issued (ISO instant); its date is the day in UTC, as the document prints it. */
  readonly issuedAt: string;
  /** A credit note's corrected invoice number. */
  readonly corrects?: string;
  /** The order: who it is addressed to. */
  readonly order: PricedOrder;
  readonly currency: string;
  /** The document's VAT breakdown (a credit note's: the credited amounts, positive). */
  readonly groups: readonly OrderTax["groups"][number][];
}

/** An invoice as the export books it. */
export const invoiceDocument = (rec: InvoicedRecord): ExportDocument => ({
  kind: "invoice",
  number: rec.invoiceNumber,
  issuedAt: rec.invoiceIssuedAt,
  order: rec.order,
  currency: rec.order.currency,
  groups: rec.order.tax.groups,
});

/** A numbered credit note of `order` as the export books it. */
export const creditNoteDocument = (
  order: PricedOrder,
  cn: {
    readonly creditNote: PricedCreditNote;
    readonly creditNoteNumber: string;
    readonly issuedAt: string;
    readonly invoiceNumber: string;
  },
): ExportDocument => ({
  kind: "credit_note",
  number: cn.creditNoteNumber,
  issuedAt: cn.issuedAt,
  corrects: cn.invoiceNumber,
  order,
  currency: cn.creditNote.currency,
  groups: cn.creditNote.tax.groups,
});

/** One document's VAT group, the unit both exports are made of. */
export interface ExportRow {
  readonly kind: ExportDocument["kind"];
  /** Document date, YYYY-MM-DD in UTC, as the document prints it. */
  readonly date: string;
  readonly number: string;
  readonly corrects?: string;
  readonly orderId: string;
  readonly customerId: string;
  /** Who the document is addressed to: the company, else the billing name. */
  readonly customerName: string;
  readonly currency: string;
  /** EN 16931 VAT category code (S, Z, E, K, AE, G, O). */
  readonly vatCode: string;
  readonly rateBps: number;
  /** Amounts as the document shows them: positive, also on a credit note (its sign is its kind). */
  readonly netMinor: number;
  readonly vatMinor: number;
  readonly grossMinor: number;
}

/** The documents' VAT groups as rows, in the order given (documents) and of their breakdown (groups). */
export function exportRows(documents: readonly ExportDocument[]): ExportRow[] {
  return documents.flatMap((d) =>
    d.groups.map((g) => ({
      kind: d.kind,
      date: d.issuedAt.slice(0, 10),
      number: d.number,
      ...(d.corrects ? { corrects: d.corrects } : {}),
      orderId: d.order.orderId,
      customerId: d.order.customer.id,
      customerName: d.order.buyer.company ?? d.order.billingAddress.name,
      currency: d.currency,
      vatCode: g.code,
      rateBps: g.rateBps,
      netMinor: g.taxableMinor,
      vatMinor: g.taxMinor,
      grossMinor: g.taxableMinor + g.taxMinor,
    })),
  );
}

/** A minor-unit amount as a plain decimal with the currency's digits: 123456 EUR -> "1234.56" (or "1234,56"). */
export function decimalOf(minor: number, currency: string, separator: "." | "," = "."): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  if (digits === 0) return `${sign}${abs}`;
  const s = String(abs).padStart(digits + 1, "0");
  return `${sign}${s.slice(0, -digits)}${separator}${s.slice(-digits)}`;
}

/** A rate in basis points as a percentage: 1900 -> "19", 550 -> "5.5". */
function percentOf(rateBps: number, separator: "." | ","): string {
  const whole = Math.trunc(rateBps / 100);
  const frac = String(rateBps % 100)
    .padStart(2, "0")
    .replace(/0+$/, "");
  return frac ? `${whole}${separator}${frac}` : String(whole);
}

// ---------------------------------------------------------------- CSV

/** The CSV's columns, in order. */
export const CSV_COLUMNS = [
  "date",
  "document",
  "number",
  "corrects",
  "order_id",
  "customer_id",
  "customer",
  "currency",
  "net",
  "vat_code",
  "vat_rate",
  "vat",
  "gross",
] as const;

/**
 * A text cell made safe for spreadsheets (OWASP CSV injection): a cell starting with = + - @ (or a tab
 * or carriage return) is prefixed with a single quote, so Excel and LibreOffice show it as text.
 */
export function safeCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** RFC 4180 quoting: a field with a quote, comma, CR or LF is quoted, its quotes doubled. */
export function quoteField(field: string, separator = ","): string {
  return field.includes('"') || field.includes(separator) || /[\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/**
 * The documents as a CSV (RFC 4180: comma, CRLF, a header row), one row per document and VAT group. A
 * credit note's amounts are negative, so a column's sum is what the period invoiced net of corrections.
 * Amounts are decimals with a point (numbers, never text, so they are not guarded); text cells are.
 */
export function documentsCsv(documents: readonly ExportDocument[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of exportRows(documents)) {
    const sign = r.kind === "credit_note" ? -1 : 1;
    const cells = [
      r.date,
      r.kind,
      safeCell(r.number),
      safeCell(r.corrects ?? ""),
      safeCell(r.orderId),
      safeCell(r.customerId),
      safeCell(r.customerName),
      r.currency,
      decimalOf(sign * r.netMinor, r.currency),
      r.vatCode,
      percentOf(r.rateBps, "."),
      decimalOf(sign * r.vatMinor, r.currency),
      decimalOf(sign * r.grossMinor, r.currency),
    ];
    lines.push(cells.map((c) => quoteField(c)).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

// ---------------------------------------------------------------- DATEV

/** Which revenue account (Gegenkonto) books a VAT group, and with which BU-Schlüssel if the account is not an automatic one. */
export interface RevenueAccount {
  readonly account: string;
  /** Leave unset for automatic accounts (AM): DATEV rejects a BU-Schlüssel on them. */
  readonly buKey?: string;
}

/** The tax adviser's settings for the Buchungsstapel. */
export interface DatevConfig {
  /** Beraternummer (1001..9999999). */
  readonly consultantNumber: number;
  /** Mandantennummer (1..99999). */
  readonly clientNumber: number;
  /** Start of the fiscal year, YYYY-MM-DD. */
  readonly fiscalYearStart: string;
  /** Sachkontenlänge. @default 4 */
  readonly accountLength?: number;
  /** The debtor account the invoices are booked against (Konto): a collective debtor. */
  readonly debtorAccount: string;
  /** Revenue accounts by `${vatCode}:${rateBps}`, falling back to `${vatCode}`. */
  readonly revenueAccounts: Readonly<Record<string, RevenueAccount>>;
  /** Kontenrahmen, "03" (SKR03) or "04" (SKR04). */
  readonly chart: "03" | "04";
  /** Bezeichnung of the batch (at most 30 characters). @default "Rechnungsausgang" */
  readonly label?: string;
}

/**
 * SKR03 revenue accounts for a German seller: 8400 (19 %), 8300 (7 %), 8125 (intra-Community supply, K),
 * 8120 (export, G). All four are automatic accounts in SKR03, so no BU-Schlüssel. To be confirmed by the
 * shop's tax adviser: the chart is theirs.
 */
export const SKR03_REVENUE_ACCOUNTS: Readonly<Record<string, RevenueAccount>> = {
  "S:1900": { account: "8400" },
  "S:700": { account: "8300" },
  K: { account: "8125" },
  G: { account: "8120" },
};

/** A group the config maps to no revenue account: the batch is not written half-booked. */
export class UnmappedVatGroupError extends Error {
  constructor(readonly key: string) {
    super(`no revenue account for VAT group ${key}; add it to revenueAccounts`);
    this.name = "UnmappedVatGroupError";
  }
}

/** The revenue account of a VAT group, by code and rate, else by code. */
export function revenueAccountOf(config: DatevConfig, vatCode: string, rateBps: number): RevenueAccount {
  const found = config.revenueAccounts[`${vatCode}:${rateBps}`] ?? config.revenueAccounts[vatCode];
  if (!found) throw new UnmappedVatGroupError(`${vatCode}:${rateBps}`);
  return found;
}

/** The first 14 of the 125 Buchungsstapel columns, in DATEV's order; the rest stay empty and are left out. */
export const DATEV_COLUMNS = [
  "Umsatz (ohne Soll/Haben-Kz)",
  "Soll/Haben-Kennzeichen",
  "WKZ Umsatz",
  "Kurs",
  "Basis-Umsatz",
  "WKZ Basis-Umsatz",
  "Konto",
  "Gegenkonto (ohne BU-Schlüssel)",
  "BU-Schlüssel",
  "Belegdatum",
  "Belegfeld 1",
  "Belegfeld 2",
  "Skonto",
  "Buchungstext",
] as const;

/** A DATEV text field: in double quotes, quotes doubled, separators and line breaks flattened, cut to `max`. */
function datevText(s: string, max: number): string {
  const flat = s.replace(/[\s;]+/g, " ").slice(0, max);
  return `"${flat.replace(/"/g, '""')}"`;
}

const compact = (iso: string): string => iso.replace(/\D/g, "");

/** Belegfeld 1 allows 36 characters of A-Z 0-9 $ & % * + - / (DATEV's OPOS rule). */
function belegfeld(invoiceNumber: string): string {
  return datevText(invoiceNumber.toUpperCase().replace(/[^A-Z0-9$&%*+\-/]/g, ""), 36);
}

/**
 * The Buchungsstapel as text: the EXTF header line (31 fields), the column header and one booking per
 * invoice and VAT group: the gross amount debited (S) to the debtor account against the group's revenue
 * account. `createdAt` is the file's "Erzeugt am"; `from`/`to` the period (YYYY-MM-DD) the batch covers.
 */
export function datevBuchungsstapel(
  documents: readonly ExportDocument[],
  config: DatevConfig,
  period: { readonly from: string; readonly to: string; readonly createdAt: Date },
): string {
  const rows = exportRows(documents);
  const currencies = new Set(rows.map((r) => r.currency));
  if (currencies.size > 1) throw new Error(`a Buchungsstapel holds one currency; got ${[...currencies].join(", ")}`);
  const wkz = rows[0]?.currency ?? "EUR";
  const header = [
    '"EXTF"',
    "700",
    "21",
    '"Buchungsstapel"',
    "13",
    compact(period.createdAt.toISOString()).slice(0, 17),
    "",
    '"RE"',
    '"shop-backend"',
    '""',
    String(config.consultantNumber),
    String(config.clientNumber),
    compact(config.fiscalYearStart),
    String(config.accountLength ?? 4),
    compact(period.from),
    compact(period.to),
    datevText(config.label ?? "Rechnungsausgang", 30),
    '""',
    "1",
    "0",
    "0",
    `"${wkz}"`,
    "",
    '""',
    "",
    "",
    `"${config.chart}"`,
    "",
    "",
    '""',
    '""',
  ];
  const lines = [header.join(";"), DATEV_COLUMNS.join(";")];
  for (const r of rows) {
    const revenue = revenueAccountOf(config, r.vatCode, r.rateBps);
    const text = `${r.customerName} ${r.orderId}`;
    lines.push(
      [
        decimalOf(r.grossMinor, r.currency, ","),
        // An invoice is debited to the customer (Soll), a credit note credited back (Haben).
        r.kind === "credit_note" ? '"H"' : '"S"',
        `"${r.currency}"`,
        "",
        "",
        '""',
        config.debtorAccount,
        revenue.account,
        revenue.buKey ? `"${revenue.buKey}"` : '""',
        `${r.date.slice(8, 10)}${r.date.slice(5, 7)}`,
        belegfeld(r.number),
        '""',
        "",
        datevText(text, 60),
      ].join(";"),
    );
  }
  return lines.join("\r\n") + "\r\n";
}

/** Windows-1252's characters at 0x80..0x9F (where it differs from ISO-8859-1); undefined bytes are absent. */
const CP1252_HIGH: Record<string, number> = {
  "€": 0x80, "‚": 0x82, "ƒ": 0x83, "„": 0x84, "…": 0x85, "†": 0x86, "‡": 0x87, "ˆ": 0x88, "‰": 0x89, "Š": 0x8a, "‹": 0x8b,
  "Œ": 0x8c, "Ž": 0x8e, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94, "•": 0x95, "–": 0x96, "—": 0x97, "˜": 0x98, "™": 0x99,
  "š": 0x9a, "›": 0x9b, "œ": 0x9c, "ž": 0x9e, "Ÿ": 0x9f,
}; // prettier-ignore

/**
 * The text in Windows-1252, the encoding DATEV's import expects for EXTF files; a character it cannot
 * hold becomes "?" (names in other scripts; the booking is still right, its text is not).
 */
export function toCp1252(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) out.push(code);
    else out.push(CP1252_HIGH[ch] ?? 0x3f);
  }
  return Buffer.from(out);
}
