/**
 * Fixed invoice documents (no random ids, so their text can be compared with a stored copy) and a
 * reader that opens a rendered PDF: its text through pdf.js (pdf-parse), and its embedded fonts and
 * drawn glyph ids by inflating its streams.
 */
import { inflateSync } from "node:zlib";
import { expect } from "chai";
import type { PricedOrder } from "../../../runtime/domain/order";
import type { InvoiceDocument } from "../../../runtime/invoices/document";
import type { Seller } from "../../../runtime/settings";
import { makePricedLine, makePricedOrder } from "../../helpers/orders";

export const SELLER: Seller = {
  name: "Nordwind Handel GmbH",
  addressLines: ["Friedrichstraße 12", "10117 Berlin", "Germany"],
  country: "DE",
  vatId: "DE129273398",
  taxNumber: "37/123/45678",
  register: "Amtsgericht Charlottenburg, HRB 123456 B",
  directors: "Erika Mustermann",
  email: "billing@nordwind.example",
};

/** An invoice of `order` with a fixed number, date and seller. */
export function invoiceOf(order: PricedOrder, overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return { order, invoiceNumber: "INV-000042", issuedAt: new Date("2025-03-14T09:27:00.000Z"), seller: SELLER, ...overrides };
}

/** Names in every script family the API accepts, as the invoice prints them. */
export const SCRIPT_SAMPLES: ReadonlyArray<{ script: string; name: string; shown: string }> = [
  { script: "Latin", name: "Zoë Ångström-Łukasz", shown: "Zoë Ångström-Łukasz" },
  { script: "Greek", name: "Αλέξανδρος Παπαδόπουλος", shown: "Αλέξανδρος Παπαδόπουλος" },
  { script: "Cyrillic", name: "Дмитрий Иванов", shown: "Дмитрий Иванов" },
  { script: "Armenian", name: "Արամ Խաչատրյան", shown: "Արամ Խաչատրյան" },
  { script: "Georgian", name: "ნინო ბერიძე", shown: "ნინო ბერიძე" },
  { script: "Hebrew (right to left)", name: "דוד כהן", shown: "דוד כהן" },
  { script: "Arabic (shaped, right to left)", name: "كتاب عربي", shown: "كتاب عربي" },
  { script: "Han, which the font lacks", name: "李小龙 Lee", shown: "??? Lee" },
  { script: "Devanagari, which the font lacks (its vowel sign, a mark, is dropped)", name: "राम Ram", shown: "?? Ram" },
  { script: "emoji, outside the font", name: "Sam 😀 Smith", shown: "Sam ? Smith" },
];

/** The documents whose read-back text is stored in fixtures/ (see fonts.test.ts), to show what a layout change changes. */
export const FIXED_DOCUMENTS: ReadonlyArray<{ file: string; doc: InvoiceDocument }> = [
  {
    file: "one-line-eur.txt",
    doc: invoiceOf(
      makePricedOrder({
        orderId: "ord_FixedOneLine000000001",
        lines: [makePricedLine(0, { sku: "TSHIRT-RED-M", name: "T-shirt, red, M", quantity: 2, unitPriceMinor: 1999 })],
      }),
    ),
  },
  {
    file: "scripts-kwd.txt",
    doc: invoiceOf(
      makePricedOrder({
        orderId: "ord_FixedScripts000000002",
        currency: "KWD",
        customer: { id: "user-2", email: "dmitri@example.com", name: "Дмитрий Иванов" },
        shippingAddress: {
          name: "Αλέξανδρος Παπαδόπουλος",
          line1: "كتاب عربي 5",
          line2: "דוד כהן",
          city: "Թբիլիսի",
          postalCode: "0105",
          region: "ნინო",
          country: "GE",
        },
        lines: SCRIPT_SAMPLES.map((s, i) => makePricedLine(i, { name: s.name })),
      }),
      { seller: { ...SELLER, name: "Zoë & Łukasz 李 Handel" } },
    ),
  },
  {
    file: "many-lines-jpy.txt",
    doc: invoiceOf(makePricedOrder({ orderId: "ord_FixedManyLines0000003", currency: "JPY", lineCount: 100 }), {
      invoiceNumber: "INV-123456",
    }),
  },
];

// The package's index.js runs a debug self-test when it thinks it is the main module; the library
// file is the parser alone.
const pdfParse: (
  data: Buffer,
  options: { pagerender: (page: PdfPage) => Promise<string> },
) => Promise<{
  numpages: number;
  text: string;
  info: Record<string, unknown>;
}> = require("pdf-parse/lib/pdf-parse.js");

interface PdfPage {
  view: number[];
  getTextContent(): Promise<{ items: Array<{ str: string; transform: number[]; width: number }> }>;
}
export interface TextItem {
  readonly str: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
}
export interface ReadPage {
  /** The page's text, top to bottom, items of one baseline joined by a space. */
  readonly text: string;
  readonly items: TextItem[];
  readonly width: number;
}

/** Parses the PDF with pdf.js (through pdf-parse) and returns every page's text and positions. */
export async function readPdf(
  bytes: Uint8Array,
): Promise<{ numpages: number; text: string; pages: ReadPage[]; info: Record<string, unknown> }> {
  const pages: ReadPage[] = [];
  const result = await pdfParse(Buffer.from(bytes), {
    pagerender: async (page) => {
      const content = await page.getTextContent();
      const items = content.items.map((i) => ({ str: i.str, x: i.transform[4], y: i.transform[5], width: i.width }));
      const text = baselines(items)
        .map((line) => line.map((i) => i.str).join(" "))
        .join("\n");
      pages.push({ text, items, width: page.view[2] });
      return text;
    },
  });
  // pdf-parse turns a page that fails to render into empty text; make that loud.
  expect(pages, "pages read").to.have.length(result.numpages);
  return { numpages: result.numpages, text: pages.map((p) => p.text).join("\n"), pages, info: result.info };
}

/** Items grouped by baseline, top to bottom, each baseline left to right. */
export function baselines(items: TextItem[]): TextItem[][] {
  const byY = new Map<number, TextItem[]>();
  for (const item of items) {
    const y = Math.round(item.y * 10) / 10;
    byY.set(y, [...(byY.get(y) ?? []), item]);
  }
  return [...byY.entries()].sort(([a], [b]) => b - a).map(([, line]) => line.sort((a, b) => a.x - b.x));
}

/** One embedded font of a PDF: its name, font program and the glyph ids the pages draw with it. */
export interface EmbeddedFont {
  readonly name: string;
  readonly program: Buffer;
  readonly drawn: ReadonlySet<number>;
}

/**
 * The PDF's embedded TrueType fonts (Type0, Identity-H), each with the glyph ids its text shows
 * (`<hex> Tj` after `/F.. size Tf`). Reads the objects as this renderer writes them, no general parser.
 */
export function embeddedFonts(bytes: Uint8Array): EmbeddedFont[] {
  const pdf = Buffer.from(bytes).toString("latin1");
  const objects = new Map<number, { dict: string; stream?: Buffer }>();
  for (const m of pdf.matchAll(/(\d+) 0 obj\s*<<([\s\S]*?)>>\s*(stream\r?\n|endobj)/g)) {
    const id = Number(m[1]);
    let stream: Buffer | undefined;
    if (m[3].startsWith("stream")) {
      const start = m.index! + m[0].length;
      const length = Number(/\/Length (\d+)/.exec(m[2])![1]);
      stream = Buffer.from(pdf.slice(start, start + length), "latin1");
      if (m[2].includes("/FlateDecode")) stream = inflateSync(stream);
    }
    objects.set(id, { dict: m[2], stream });
  }
  const ref = (dict: string, key: string) => Number(new RegExp(`/${key} (\\d+) 0 R`).exec(dict)?.[1]);
  // Resource names (/F15) to Type0 font objects, from every page's resource dictionary.
  const fontByResource = new Map<string, number>();
  for (const m of pdf.matchAll(/\/(F\d+) (\d+) 0 R/g)) fontByResource.set(m[1], Number(m[2]));
  const drawn = new Map<number, Set<number>>();
  for (const { dict, stream } of objects.values()) {
    if (!stream || /\/Length1/.test(dict)) continue;
    let font: number | undefined;
    for (const m of stream.toString("latin1").matchAll(/\/(F\d+) [\d.]+ Tf|<([0-9a-f]*)> Tj/g)) {
      if (m[1]) font = fontByResource.get(m[1]);
      else if (font !== undefined) {
        const ids = drawn.get(font) ?? new Set<number>();
        for (let i = 0; i < m[2].length; i += 4) ids.add(parseInt(m[2].slice(i, i + 4), 16));
        drawn.set(font, ids);
      }
    }
  }
  return [...drawn.entries()].map(([type0, ids]) => {
    const descendant = objects.get(Number(/\/DescendantFonts \[(\d+) 0 R\]/.exec(objects.get(type0)!.dict)![1]))!;
    const descriptor = objects.get(ref(descendant.dict, "FontDescriptor"))!;
    const program = objects.get(ref(descriptor.dict, "FontFile2"))!.stream!;
    return { name: /\/BaseFont \/(\S+)/.exec(objects.get(type0)!.dict)![1], program, drawn: ids };
  });
}
