import { createHash } from "node:crypto";
import { jsPDF } from "jspdf";
import type { Address, OrderTax, PricedLine, PricedOrder, PricedShipping } from "../domain/order";
import type { Seller } from "../settings";
import {
  countryNameIn,
  formatDateIn,
  formatPercentIn,
  formatVatIn,
  localeTag,
  messages,
  moneyFormatterIn,
  t,
  taxNoteIn,
  type Lang,
  type MessageKey,
} from "../i18n";
import type { CreditNoteDocument, InvoiceDocument } from "./document";
import { addFonts, type FontFace } from "./fonts";

// A4 portrait in points.
const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const LEFT = 48;
const RIGHT = PAGE_WIDTH - 48;
const TOP = 48;
/** Lowest y a table row may reach; the footer lives below it. */
const BOTTOM = PAGE_HEIGHT - 80;
const FOOTER_Y = PAGE_HEIGHT - 60;
/** The company's register and directors, under the page line of every page: at most this many lines of this size. */
const COMPANY_LINES = 3;
const COMPANY_SIZE = 7;

/** PostScript-style names, distinct per weight: a viewer that caches fonts by name must not mix them up. */
const FONTS = {
  normal: { name: "DejaVuSans", file: "DejaVuSans.ttf" },
  bold: { name: "DejaVuSans-Bold", file: "DejaVuSans-Bold.ttf" },
} as const;
/** The font files every invoice embeds (the worker image ships exactly these). */
export const FONT_FACES: readonly FontFace[] = Object.values(FONTS);
const BODY_SIZE = 9;
const SMALL_SIZE = 8;
const LINE_HEIGHT = 1.3;
const MUTED = 100;
const RULE = 200;
const HEADER_FILL = 235;

const CELL_PAD = 4;
const ROW_PAD = 4;
/** Enough for any 200-character item name (the API's limit); caps a row's height should that move. */
const MAX_CELL_LINES = 12;
/** Height of one line of body text and its gap in the totals block. */
const STEP = BODY_SIZE * LINE_HEIGHT + 4;
/** Where the VAT breakdown and the totals start: a right-hand block of this width. */
const TOTALS_X = RIGHT - 260;

type Align = "left" | "right";
/** Formats minor units of the invoice's currency. */
type Money = (amountMinor: number) => string;
interface Column {
  readonly title: MessageKey;
  readonly width: number;
  readonly align: Align;
  readonly cell: (line: TableRow, money: Money) => string;
}
/** A row of the items table (an order line, or the shipping as its own line): net amounts, the VAT as printed. */
interface TableRow {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPriceMinor: number;
  readonly vat: string;
  readonly lineTotalMinor: number;
}

/** What the items table and the closing block print: an order's or a credit note's lines, shipping and VAT. */
export interface Items {
  readonly lines: readonly PricedLine[];
  /** The shipping as its own line; a credit note that does not credit it has none. */
  readonly shipping?: PricedShipping;
  readonly tax: Pick<OrderTax, "groups" | "notes">;
  readonly subtotalMinor: number;
  readonly taxMinor: number;
  readonly totalMinor: number;
}

/** The rows of the items table: the lines, then the shipping (if any). */
export function tableRows(items: Items, lang: Lang = "en"): TableRow[] {
  const unit = t(lang, "unitPiece");
  const s = items.shipping;
  const shipping = s && {
    sku: "",
    name: t(lang, "shippingLine", { method: s.name }),
    quantity: 1,
    unit,
    unitPriceMinor: s.priceMinor,
    vat: shippingVat(items, lang),
    lineTotalMinor: s.priceMinor,
  };
  return [...items.lines.map((l) => ({ ...l, unit, vat: formatVatIn(l.vat, lang) })), ...(shipping ? [shipping] : [])];
}

/**
 * The shipping's VAT cell. Shipping follows the goods (the tax engine spreads its net over the
 * lines' rates in proportion to their amounts), so it has one rate only when one group carries it;
 * otherwise it says "split" and the VAT breakdown, whose taxable amounts include each share, tells the rest.
 */
function shippingVat(items: Items, lang: Lang): string {
  const groups = items.tax.groups;
  const carrying = groups.filter((g) => g.shippingNetMinor > 0);
  const only = carrying.length === 1 ? carrying[0] : groups.length === 1 ? groups[0] : undefined;
  return only ? formatVatIn(only, lang) : t(lang, "shippingVatSplit");
}

const FIXED_COLUMNS_WIDTH = 78 + 34 + 38 + 72 + 48 + 80;
const COLUMNS: readonly Column[] = [
  { title: "columnSku", width: 78, align: "left", cell: (l) => l.sku },
  { title: "columnDescription", width: RIGHT - LEFT - FIXED_COLUMNS_WIDTH, align: "left", cell: (l) => l.name },
  { title: "columnQuantity", width: 34, align: "right", cell: (l) => String(l.quantity) },
  { title: "columnUnit", width: 38, align: "left", cell: (l) => l.unit },
  { title: "columnUnitPrice", width: 72, align: "right", cell: (l, money) => money(l.unitPriceMinor) },
  { title: "columnVat", width: 48, align: "right", cell: (l) => l.vat },
  { title: "columnLineTotal", width: 80, align: "right", cell: (l, money) => money(l.lineTotalMinor) },
];
/** Amounts shrink to fit their column instead of wrapping: a number split over two lines misleads. */
const isAmount = (column: Column) => column.align === "right";

/**
 * What one printed document says, in its language: an invoice or a credit note. Both are laid out
 * alike (heading, items table, VAT breakdown, totals, notes, footers); only these texts and amounts differ.
 */
interface Sheet {
  readonly seller: Seller;
  /** The order: its id, customer, buyer and addresses head the document. */
  readonly order: PricedOrder;
  readonly issuedAt: Date;
  /** Which texts name it (title, "Invoice INV-000042" in the PDF's title and every footer, continuation heading). */
  readonly kind: keyof typeof SHEET_TEXTS;
  readonly number: string;
  readonly subject: string;
  /** The PDF file id: a hash of this, so a re-render is identical. */
  readonly fileIdSeed: string;
  /** Label and value pairs at the top right: number, dates, order. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /** Sentences between the addresses and the items table (what a credit note corrects, and why). */
  readonly remarks: readonly string[];
  readonly items: Items;
  readonly payment?: InvoiceDocument["payment"];
}

/** The message keys that name each kind of sheet. */
const SHEET_TEXTS = {
  invoice: { title: "invoiceTitle", withNumber: "invoiceWithNumber", continued: "invoiceContinued" },
  creditNote: { title: "creditNoteTitle", withNumber: "creditNoteWithNumber", continued: "creditNoteContinued" },
} as const;

/** Renders the invoice as a PDF in `lang`; the same document and language always yield the same bytes. */
export function renderInvoicePdf(doc: InvoiceDocument, lang: Lang = doc.order.lang ?? "en"): Uint8Array {
  const { order, invoiceNumber: number } = doc;
  return renderSheet(
    {
      ...doc,
      kind: "invoice",
      number,
      subject: t(lang, "invoiceForOrder", { number, orderId: order.orderId }),
      fileIdSeed: `${number}\n${order.orderId}`,
      fields: [
        [t(lang, "invoiceNumber"), number],
        [t(lang, "invoiceDate"), formatDateIn(doc.issuedAt, lang)],
        [t(lang, "supplyDate"), supplyDateIn(order.tax.date, lang)],
        [t(lang, "order"), order.orderId],
      ],
      remarks: [],
      items: order,
    },
    lang,
  );
}

/**
 * Renders the credit note as a PDF in `lang` (the invoice's language by default), laid out as the
 * invoice: it names the invoice it corrects and why, and prints the credited amounts as positive
 * numbers (EN 16931 credit note, type 381: the document type says they are taken back). Deterministic bytes.
 */
export function renderCreditNotePdf(doc: CreditNoteDocument, lang: Lang = doc.creditNote.lang ?? "en"): Uint8Array {
  const { order, creditNote, creditNoteNumber: number } = doc;
  const invoiceDate = formatDateIn(doc.invoiceIssuedAt, lang);
  return renderSheet(
    {
      ...doc,
      kind: "creditNote",
      number,
      subject: t(lang, "creditNoteForInvoice", { number, invoice: doc.invoiceNumber, orderId: order.orderId }),
      fileIdSeed: `${number}\n${doc.invoiceNumber}\n${order.orderId}`,
      fields: [
        [t(lang, "creditNoteNumber"), number],
        [t(lang, "creditNoteDate"), formatDateIn(doc.issuedAt, lang)],
        [t(lang, "correctedInvoice"), doc.invoiceNumber],
        [t(lang, "invoiceDate"), invoiceDate],
        [t(lang, "supplyDate"), supplyDateIn(creditNote.tax.date, lang)],
        [t(lang, "order"), order.orderId],
      ],
      remarks: [
        t(lang, "correctsInvoice", { invoice: doc.invoiceNumber, date: invoiceDate }),
        t(lang, "creditReason", { reason: creditNote.reason }),
      ],
      items: creditNote,
    },
    lang,
  );
}

/** Draws a sheet: heading, items table over as many pages as it takes, closing block, footers. */
function renderSheet(sheet: Sheet, lang: Lang): Uint8Array {
  const pdf = new jsPDF({ unit: "pt", format: "a4", compress: true, putOnlyUsedFonts: true });
  addFonts(pdf, FONT_FACES);
  const texts = SHEET_TEXTS[sheet.kind];
  const withNumber = t(lang, texts.withNumber, { number: sheet.number });
  pdf.setProperties({
    title: withNumber,
    subject: sheet.subject,
    author: sheet.seller.name,
    creator: "shop-backend invoice worker",
  });
  pdf.setLanguage(localeTag(lang));
  // jsPDF stamps the wall clock and a random file id by default; both must come from the document.
  pdf.setCreationDate(pdfDate(sheet.issuedAt));
  pdf.setFileId(createHash("sha256").update(sheet.fileIdSeed).digest("hex").slice(0, 32));

  const pen = new Pen(pdf);
  let y = drawHeading(pen, sheet, lang);
  y = drawTableHeader(pen, y, lang);
  const lines = tableRows(sheet.items, lang);
  const money = moneyFormatterIn(sheet.order.currency, lang);
  const closing = layoutClosing(pen, sheet, money, lang);
  lines.forEach((line, i) => {
    const row = layoutRow(pen, line, money);
    // The last row takes the closing block (breakdown, totals, notes) with it: it never lands on a page of its own.
    const needed = row.height + (i === lines.length - 1 ? closing.height : 0);
    if (y + needed > BOTTOM) {
      pdf.addPage();
      y = drawTableHeader(pen, drawContinuationHeading(pen, t(lang, texts.continued, { number: sheet.number }), sheet, lang), lang);
    }
    y = drawRow(pen, row, y);
  });
  closing.draw(y);
  drawFooters(pen, sheet, withNumber, lang);
  return new Uint8Array(pdf.output("arraybuffer"));
}

/** A tax rate in basis points as an English percentage: 2000 -> "20%", 725 -> "7.25%" (`formatPercentIn` for any language). */
export function formatTaxRate(bps: number): string {
  return formatPercentIn(bps, "en");
}

/** The seller's identity for the heading: full address, VAT ID and tax number (Art. 226 (3), (5); § 14 (4) UStG), email. */
function sellerLines(seller: InvoiceDocument["seller"], lang: Lang): string[] {
  return [
    ...seller.addressLines,
    seller.vatId && t(lang, "sellerVatId", { id: seller.vatId }),
    seller.taxNumber && t(lang, "taxNumber", { number: seller.taxNumber }),
    seller.email,
  ].filter((s): s is string => Boolean(s));
}

/**
 * What company law asks of every business letter (§ 35a GmbHG: register court and number, managing
 * directors), as the footer of every page, German style: the items packed into lines of `width`, never split.
 */
function companyLines(pen: Pen, seller: InvoiceDocument["seller"], lang: Lang, width: number): string[] {
  const items = [
    seller.register && t(lang, "tradeRegister", { register: seller.register }),
    seller.directors && t(lang, "managingDirectors", { names: seller.directors }),
  ].filter((s): s is string => Boolean(s));
  const lines: string[] = [];
  for (const item of items) {
    const joined = lines.length ? `${lines[lines.length - 1]} · ${item}` : item;
    if (lines.length && pen.pdf.getTextWidth(pen.prepare(joined, { size: COMPANY_SIZE })) <= width) lines[lines.length - 1] = joined;
    else lines.push(item);
  }
  // More than fits is joined into the last line, which single() then shrinks or cuts short.
  return lines.length > COMPANY_LINES ? [...lines.slice(0, COMPANY_LINES - 1), lines.slice(COMPANY_LINES - 1).join(" · ")] : lines;
}

/** An address as lines, top to bottom, the country named in `lang`. */
function addressLines(address: Address, lang: Lang): string[] {
  return [
    address.name,
    address.line1,
    address.line2,
    [address.postalCode, address.city].join(" "),
    address.region,
    countryNameIn(address.country, lang),
  ].filter((s): s is string => Boolean(s));
}

const sameAddress = (a: Address, b: Address) =>
  a.name === b.name &&
  a.line1 === b.line1 &&
  a.line2 === b.line2 &&
  a.postalCode === b.postalCode &&
  a.city === b.city &&
  a.region === b.region &&
  a.country === b.country;

/** The tax point (YYYY-MM-DD) as a date in `lang`. */
const supplyDateIn = (date: string, lang: Lang) => formatDateIn(new Date(`${date}T00:00:00.000Z`), lang);

function drawHeading(pen: Pen, sheet: Sheet, lang: Lang): number {
  const { seller, order } = sheet;
  const sellerWidth = 250;
  let left = TOP;
  left = pen.paragraph(seller.name, LEFT, left, sellerWidth, { size: 12, bold: true, maxLines: 2 });
  for (const line of sellerLines(seller, lang)) left = pen.paragraph(line, LEFT, left, sellerWidth);

  pen.single(t(lang, SHEET_TEXTS[sheet.kind].title), RIGHT, TOP - 2, 200, { size: 22, bold: true, align: "right" });
  let right = TOP + 34;
  const labelX = RIGHT - 230;
  const valueX = labelX + 84;
  for (const [label, value] of sheet.fields) {
    pen.single(label, labelX, right, valueX - labelX - 4, { muted: true });
    right = pen.paragraph(value, valueX, right, RIGHT - valueX, { maxLines: 2 });
  }

  let y = Math.max(left, right) + 24;
  const column = (RIGHT - LEFT) / 2;
  const { buyer, billingAddress, shippingAddress } = order;
  const billTo = [
    buyer.company,
    ...addressLines(billingAddress, lang),
    order.customer.email,
    buyer.vatId && t(lang, "buyerVatId", { id: buyer.vatId }),
  ].filter((s): s is string => Boolean(s));
  let bottom = pen.block(t(lang, "billTo"), billTo, LEFT, y, column - 16);
  // The delivery address is printed only where it differs: the same address twice says nothing more.
  if (!sameAddress(billingAddress, shippingAddress)) {
    bottom = Math.max(bottom, pen.block(t(lang, "shipTo"), addressLines(shippingAddress, lang), LEFT + column, y, column - 16));
  }
  if (sheet.remarks.length) bottom += 12;
  for (const remark of sheet.remarks) bottom = pen.paragraph(remark, LEFT, bottom, RIGHT - LEFT);
  return bottom + 20;
}

function drawContinuationHeading(pen: Pen, heading: string, sheet: Sheet, lang: Lang): number {
  pen.single(heading, LEFT, TOP, 250, { bold: true, size: 10 });
  pen.single(t(lang, "orderWithId", { orderId: sheet.order.orderId }), RIGHT, TOP, 250, { muted: true, align: "right" });
  return TOP + 28;
}

function drawTableHeader(pen: Pen, y: number, lang: Lang): number {
  const height = BODY_SIZE * LINE_HEIGHT + 2 * ROW_PAD;
  pen.pdf.setFillColor(HEADER_FILL, HEADER_FILL, HEADER_FILL);
  pen.pdf.rect(LEFT, y, RIGHT - LEFT, height, "F");
  let x = LEFT;
  for (const column of COLUMNS) {
    const textX = column.align === "right" ? x + column.width - CELL_PAD : x + CELL_PAD;
    pen.single(messages(lang)[column.title], textX, y + ROW_PAD, column.width - 2 * CELL_PAD, { bold: true, align: column.align });
    x += column.width;
  }
  return y + height;
}

interface Row {
  readonly cells: ReadonlyArray<{ readonly lines: string[]; readonly size: number }>;
  readonly height: number;
}

function layoutRow(pen: Pen, line: TableRow, money: Money): Row {
  const cells = COLUMNS.map((column) => {
    const text = column.cell(line, money);
    const width = column.width - 2 * CELL_PAD;
    if (!isAmount(column)) return { lines: pen.wrap(text, width, BODY_SIZE, MAX_CELL_LINES), size: BODY_SIZE };
    const clean = pen.prepare(text);
    return { lines: [clean], size: pen.fitSize(clean, width, BODY_SIZE) };
  });
  const height = Math.max(...cells.map((c) => c.lines.length)) * BODY_SIZE * LINE_HEIGHT + 2 * ROW_PAD;
  return { cells, height };
}

function drawRow(pen: Pen, row: Row, y: number): number {
  let x = LEFT;
  row.cells.forEach((cell, i) => {
    const column = COLUMNS[i];
    const textX = column.align === "right" ? x + column.width - CELL_PAD : x + CELL_PAD;
    pen.lines(cell.lines, textX, y + ROW_PAD, { size: cell.size, align: column.align });
    x += column.width;
  });
  const bottom = y + row.height;
  pen.pdf.setDrawColor(RULE);
  pen.pdf.setLineWidth(0.5);
  pen.pdf.line(LEFT, bottom, RIGHT, bottom);
  return bottom;
}

/** A block measured before it is drawn, so the page break can keep it whole. */
interface Block {
  readonly height: number;
  draw(top: number): void;
}

/**
 * What follows the items: the VAT breakdown per category and rate (taxable amount, rate, VAT), the
 * net, VAT and gross totals, the payment, and the notes the tax treatment requires, in `lang`.
 */
function layoutClosing(pen: Pen, sheet: Sheet, money: Money, lang: Lang): Block {
  const { items: order } = sheet;
  const x = TOTALS_X;
  const amountWidth = 96;
  const taxableRight = RIGHT - CELL_PAD - amountWidth - 8;
  const notes = order.tax.notes.map((note) => pen.wrap(taxNoteIn(note, lang), RIGHT - LEFT, BODY_SIZE, 3, true));
  const breakdownHeight = STEP * (2 + order.tax.groups.length) + 6;
  const totalsHeight = 2 * STEP + 6 + 11 * LINE_HEIGHT;
  const paymentHeight = sheet.payment ? STEP + 8 : 0;
  const notesHeight = notes.reduce((h, lines) => h + lines.length * BODY_SIZE * LINE_HEIGHT + 4, notes.length ? 12 : 0);
  const height = 10 + breakdownHeight + totalsHeight + paymentHeight + notesHeight + 4;

  const draw = (top: number) => {
    let y = top + 10;
    pen.single(t(lang, "taxBreakdown"), x, y, RIGHT - x, { bold: true });
    y += STEP;
    pen.single(t(lang, "vatRate"), x, y, 70, { muted: true });
    pen.single(t(lang, "taxableAmount"), taxableRight, y, 90, { muted: true, align: "right" });
    pen.single(t(lang, "vatAmount"), RIGHT - CELL_PAD, y, amountWidth, { muted: true, align: "right" });
    y += STEP;
    for (const g of order.tax.groups) {
      pen.single(formatVatIn(g, lang), x, y, 70, {});
      pen.single(money(g.taxableMinor), taxableRight, y, 90, { align: "right" });
      pen.single(money(g.taxMinor), RIGHT - CELL_PAD, y, amountWidth, { align: "right" });
      y += STEP;
    }
    pen.pdf.setDrawColor(RULE);
    pen.pdf.setLineWidth(0.5);
    pen.pdf.line(x, y, RIGHT, y);
    y += 6;
    for (const [label, amount] of [
      [t(lang, "subtotal"), order.subtotalMinor],
      [t(lang, "tax"), order.taxMinor],
    ] as const) {
      pen.single(label, x, y, 140, {});
      pen.single(money(amount), RIGHT - CELL_PAD, y, 130, { align: "right" });
      y += STEP;
    }
    pen.pdf.line(x, y, RIGHT, y);
    y += 6;
    pen.single(t(lang, "total"), x, y, 140, { bold: true, size: 11 });
    pen.single(money(order.totalMinor), RIGHT - CELL_PAD, y, 130, { bold: true, size: 11, align: "right" });
    y += 11 * LINE_HEIGHT;
    if (sheet.payment) {
      y += 8;
      pen.single(paymentStatement(sheet.payment, lang), RIGHT - CELL_PAD, y, RIGHT - x, { muted: true, align: "right" });
      y += STEP;
    }
    if (notes.length) y += 12;
    for (const lines of notes) {
      pen.lines(lines, LEFT, y, { bold: true });
      y += lines.length * BODY_SIZE * LINE_HEIGHT + 4;
    }
  };
  return { height, draw };
}

/** "Paid on 2026-12-04 by Visa •••• 4242 (stripe)" (in `lang`): how the invoice was settled. */
export function paymentStatement(p: NonNullable<InvoiceDocument["payment"]>, lang: Lang = "en"): string {
  const date = formatDateIn(p.paidAt, lang);
  if (!p.card) return t(lang, "paidOn", { date, provider: p.provider });
  const card = `${p.card.brand.charAt(0).toUpperCase()}${p.card.brand.slice(1)} •••• ${p.card.last4}`;
  return t(lang, "paidOnWithCard", { date, card, provider: p.provider });
}

function drawFooters(pen: Pen, sheet: Sheet, withNumber: string, lang: Lang): void {
  const pages = pen.pdf.getNumberOfPages();
  const company = companyLines(pen, sheet.seller, lang, RIGHT - LEFT);
  for (let page = 1; page <= pages; page++) {
    pen.pdf.setPage(page);
    pen.single(`${sheet.seller.name} · ${withNumber}`, LEFT, FOOTER_Y, 330, {
      size: SMALL_SIZE,
      muted: true,
    });
    pen.single(t(lang, "pageOf", { page, pages }), RIGHT, FOOTER_Y, 120, { size: SMALL_SIZE, muted: true, align: "right" });
    company.forEach((line, i) => {
      const y = FOOTER_Y + SMALL_SIZE * LINE_HEIGHT + 2 + i * COMPANY_SIZE * LINE_HEIGHT;
      pen.single(line, LEFT, y, RIGHT - LEFT, { size: COMPANY_SIZE, muted: true });
    });
  }
}

/**
 * Our strings are in logical order and jsPDF lays glyphs out left to right. Its default bidi options
 * reverse Latin text next to Hebrew and leave pure Hebrew unreversed; these reorder each line from
 * logical to visual order, with the direction taken from the line's first strong character.
 */
const BIDI = { isInputVisual: false, isOutputVisual: true, isOutputRtl: false, isSymmetricSwapping: true } as const;

/** Text that jsPDF must pass through its bidi and Arabic shaping: any right-to-left character or control. */
const NEEDS_SHAPING = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** A number for a content stream: at most 4 decimals, no exponent, no trailing zeros. */
function num(n: number): string {
  const s = n.toFixed(4);
  return s.includes(".") ? s.replace(/\.?0+$/, "") || "0" : s;
}

interface TextStyle {
  readonly size?: number;
  readonly bold?: boolean;
  readonly muted?: boolean;
  readonly align?: Align;
  readonly maxLines?: number;
}

/**
 * Draws text in the embedded font. Every string passes through `prepare`, because jsPDF silently
 * drops each character its font has no glyph for: a "?" at least shows that something was there.
 */
class Pen {
  constructor(readonly pdf: jsPDF) {}

  /** Selects the style and returns the text reduced to characters the selected font can draw. */
  prepare(text: string, style: TextStyle = {}): string {
    this.pdf.setFont(FONTS[style.bold ? "bold" : "normal"].name, "normal");
    this.pdf.setFontSize(style.size ?? BODY_SIZE);
    this.pdf.setTextColor(style.muted ? MUTED : 0);
    const metadata: { characterToGlyph(code: number): number } = this.pdf.getFont().metadata;
    return drawable(text, (code) => code <= 0xffff && metadata.characterToGlyph(code) !== 0);
  }

  /** The font size, at most `size` and at least 5 pt, at which `text` fits `width` on one line. */
  fitSize(text: string, width: number, size: number): number {
    const unitWidth = this.pdf.getStringUnitWidth(text);
    return Math.max(5, Math.min(size, Math.floor((width / unitWidth) * 4) / 4));
  }

  /** Wraps `text` into at most `maxLines` lines of `width`, ending with "…" when cut short. */
  wrap(text: string, width: number, size: number, maxLines: number, bold = false): string[] {
    const clean = this.prepare(text, { size, bold });
    const lines: string[] = this.pdf.splitTextToSize(clean, width);
    if (lines.length <= maxLines) return lines;
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = this.ellipsize(`${kept[maxLines - 1]}…`, width);
    return kept;
  }

  /** Draws already prepared lines with their top at `y`. */
  lines(lines: string[], x: number, y: number, style: TextStyle): void {
    this.prepare("", style);
    const font = this.pdf.getFont().postScriptName;
    if (this.direct.has(font) && lines.every((l) => !NEEDS_SHAPING.test(l))) return this.directLines(lines, x, y, style);
    // The first text in a font goes through jsPDF, which then counts the font as used and embeds it.
    this.direct.add(font);
    this.pdf.text(lines, x, y, { baseline: "top", align: style.align ?? "left", lineHeightFactor: LINE_HEIGHT, ...BIDI });
  }

  /** Fonts already drawn through jsPDF's text(). */
  private readonly direct = new Set<string>();

  /**
   * What jsPDF's text() writes for left-to-right text that needs no shaping, at a tenth of its cost
   * (it runs the bidi and Arabic passes and option handling on every call; a 1,000-line invoice
   * makes 5,000 calls). Glyph ids, widths and ToUnicode entries are registered by jsPDF's own
   * `pdfEscape16`, so the font subset and text extraction stay exactly as through text().
   */
  private directLines(lines: string[], x: number, y: number, style: TextStyle): void {
    const pdf = this.pdf as jsPDF & { pdfEscape16(text: string, font: unknown): string; internal: { write(s: string): void } };
    const font = pdf.getFont();
    const size = pdf.getFontSize();
    const leading = size * LINE_HEIGHT;
    const pageHeight = pdf.internal.pageSize.getHeight();
    // jsPDF's "top" baseline: the first baseline sits a font size minus (line height - 1) below y.
    const baseline = pageHeight - (y + size - size * (LINE_HEIGHT - 1));
    const gray = style.muted ? MUTED : 0;
    const out = ["BT", `/${font.id} ${num(size)} Tf`, `${num(leading)} TL`, `${num(gray / 255)} g`];
    let previousX = 0;
    lines.forEach((line, i) => {
      const lineX = style.align === "right" ? x - pdf.getStringUnitWidth(line) * size : x;
      out.push(i === 0 ? `${num(lineX)} ${num(baseline)} Td` : `${num(lineX - previousX)} ${num(-leading)} Td`);
      out.push(`<${pdf.pdfEscape16(line, font)}> Tj`);
      previousX = lineX;
    });
    out.push("ET");
    pdf.internal.write(out.join("\n"));
  }

  /** Draws one line with its top at `y`, shrunk to fit `width`, or cut short where even that fails. */
  single(text: string, x: number, y: number, width: number, style: TextStyle): void {
    const clean = this.prepare(text, style);
    const size = this.fitSize(clean, width, style.size ?? BODY_SIZE);
    this.pdf.setFontSize(size);
    this.lines([this.ellipsize(clean, width)], x, y, { ...style, size });
  }

  /** `text` if it fits `width` in the current font and size, else its longest prefix that fits with "…". */
  ellipsize(text: string, width: number): string {
    if (this.pdf.getTextWidth(text) <= width) return text;
    const chars = [...text];
    while (chars.length > 0 && this.pdf.getTextWidth(`${chars.join("")}…`) > width) chars.pop();
    return `${chars.join("").trimEnd()}…`;
  }

  /** Draws wrapped text with its top at `y`; returns the y below it. */
  paragraph(text: string, x: number, y: number, width: number, style: TextStyle = {}): number {
    const size = style.size ?? BODY_SIZE;
    const lines = this.wrap(text, width, size, style.maxLines ?? 3, style.bold);
    this.lines(lines, x, y, { ...style, size });
    return y + lines.length * size * LINE_HEIGHT;
  }

  /** Draws a labelled block of lines (an address); returns the y below it. */
  block(label: string, lines: string[], x: number, y: number, width: number): number {
    this.single(label, x, y, width, { bold: true, size: SMALL_SIZE, muted: true });
    let bottom = y + SMALL_SIZE * LINE_HEIGHT + 2;
    for (const line of lines) bottom = this.paragraph(line, x, bottom, width);
    return bottom;
  }
}

/**
 * Reduces text to what the font can draw: composed (NFC) so accents use precomposed glyphs, control
 * characters as spaces, a missing accented letter as its base letter, a missing invisible character
 * (joiner, variation selector, lone mark) as nothing, anything else as "?".
 */
function drawable(text: string, hasGlyph: (code: number) => boolean): string {
  let out = "";
  for (const char of text.normalize("NFC").replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")) {
    if (hasGlyph(char.codePointAt(0)!)) {
      out += char;
      continue;
    }
    const base = char.normalize("NFD").replace(/[\p{M}\p{Default_Ignorable_Code_Point}]/gu, "");
    if (base === "") continue;
    out += [...base].every((c) => hasGlyph(c.codePointAt(0)!)) ? base : "?";
  }
  return out;
}

/** The date as a PDF date string in UTC, so the bytes do not depend on the machine's time zone. */
function pdfDate(date: Date): string | Date {
  const t = date.toISOString();
  const year = date.getUTCFullYear();
  // jsPDF rejects date strings outside 1970-2037; a Date object it formats in local time instead.
  if (year < 1970 || year > 2037) return date;
  return `D:${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}${t.slice(11, 13)}${t.slice(14, 16)}${t.slice(17, 19)}+00'00'`;
}
