import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { jsPDF } from "jspdf";

/**
 * The invoice's embedded fonts, parsed once per process and subset per invoice.
 *
 * jsPDF parses each TrueType file again for every document and embeds a "subset" that still carries
 * the whole cmap, hmtx, loca, name and hinting tables (about 24 KB per font). Here each file is parsed
 * once, and a document embeds a real subset: only the glyphs it draws, unhinted, glyph ids kept (the
 * PDF maps CIDs to glyph ids one to one), cached by glyph set because most invoices share one.
 */

/** A TrueType file the renderer embeds, by its PostScript-style name (distinct per weight). */
export interface FontFace {
  readonly name: string;
  readonly file: string;
}

/**
 * Where a font file is: in `fonts/` beside the bundled worker's entry folder (the image, see
 * invoice-container/build.ts), else in the dejavu-fonts-ttf package (running from source).
 */
function fontPath(file: string): string {
  const shipped = path.join(__dirname, "..", "fonts", file);
  return existsSync(shipped) ? shipped : require.resolve(`dejavu-fonts-ttf/ttf/${file}`);
}

interface Table {
  readonly offset: number;
  readonly length: number;
}

/** The parts of a TrueType file the subsetter needs. */
interface ParsedTrueType {
  readonly bytes: Buffer;
  readonly tables: ReadonlyMap<string, Table>;
  readonly numGlyphs: number;
  readonly numberOfHMetrics: number;
  /** Start of glyph i's data in `glyf` is loca[i], its end loca[i + 1]. */
  readonly loca: Uint32Array;
}

function parseTrueType(bytes: Buffer): ParsedTrueType {
  const tables = new Map<string, Table>();
  const count = bytes.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const at = 12 + 16 * i;
    tables.set(bytes.toString("latin1", at, at + 4), { offset: bytes.readUInt32BE(at + 8), length: bytes.readUInt32BE(at + 12) });
  }
  const table = (tag: string) => {
    const t = tables.get(tag);
    if (!t) throw new Error(`TrueType font has no ${tag} table`);
    return t;
  };
  const numGlyphs = bytes.readUInt16BE(table("maxp").offset + 4);
  const numberOfHMetrics = bytes.readUInt16BE(table("hhea").offset + 34);
  const longLoca = bytes.readInt16BE(table("head").offset + 50) === 1;
  const locaAt = table("loca").offset;
  const loca = new Uint32Array(numGlyphs + 1);
  for (let i = 0; i <= numGlyphs; i++) loca[i] = longLoca ? bytes.readUInt32BE(locaAt + 4 * i) : 2 * bytes.readUInt16BE(locaAt + 2 * i);
  return { bytes, tables, numGlyphs, numberOfHMetrics, loca };
}

// Composite glyph flags (OpenType glyf table).
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;
const WE_HAVE_INSTRUCTIONS = 0x0100;

/**
 * Glyph `gid`'s outline without its hinting instructions (the subset carries no fpgm/prep/cvt for
 * them to call), and the glyphs it is composed of.
 */
function unhintedGlyph(font: ParsedTrueType, gid: number): Glyph {
  const glyf = font.tables.get("glyf")!.offset;
  const start = glyf + font.loca[gid];
  const end = glyf + font.loca[gid + 1];
  if (end <= start) return { data: Buffer.alloc(0), components: [] };
  const g = font.bytes.subarray(start, end);
  const contours = g.readInt16BE(0);
  if (contours >= 0) {
    const at = 10 + 2 * contours;
    const instructions = g.readUInt16BE(at);
    return { data: Buffer.concat([g.subarray(0, at), Buffer.alloc(2), g.subarray(at + 2 + instructions)]), components: [] };
  }
  const out = Buffer.from(g);
  const components: { gid: number; at: number }[] = [];
  let at = 10;
  for (;;) {
    const flags = out.readUInt16BE(at);
    out.writeUInt16BE(flags & ~WE_HAVE_INSTRUCTIONS, at);
    components.push({ gid: out.readUInt16BE(at + 2), at: at + 2 });
    at += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
    if (flags & WE_HAVE_A_SCALE) at += 2;
    else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) at += 4;
    else if (flags & WE_HAVE_A_TWO_BY_TWO) at += 8;
    if (!(flags & MORE_COMPONENTS)) break;
  }
  return { data: out.subarray(0, at), components };
}

interface Glyph {
  readonly data: Buffer;
  /** Component glyph ids of a composite glyph, and where each id sits in `data`. */
  readonly components: ReadonlyArray<{ readonly gid: number; readonly at: number }>;
}

/**
 * A TrueType font whose glyph i is the original's glyph `glyphs[i]` (undefined: an empty slot), and
 * after those the components of any composite glyph, renumbered: glyf, loca, hmtx, head, hhea, maxp,
 * OS/2 and a nameless post. No cmap: a PDF CIDFontType2 with /CIDToGIDMap /Identity addresses glyphs
 * by id. Glyph 0 is always the original's .notdef.
 */
export function subsetTrueType(font: ParsedTrueType, glyphs: ReadonlyArray<number | undefined>): Uint8Array {
  const original = [0, ...glyphs.slice(1)];
  const newId = new Map<number, number>();
  original.forEach((gid, i) => gid !== undefined && !newId.has(gid) && newId.set(gid, i));
  const outlines: Buffer[] = [];
  for (let i = 0; i < original.length; i++) {
    const gid = original[i];
    if (gid === undefined || gid >= font.numGlyphs) {
      outlines.push(Buffer.alloc(0));
      continue;
    }
    const glyph = unhintedGlyph(font, gid);
    let data = glyph.data;
    if (glyph.components.length > 0) {
      data = Buffer.from(data);
      for (const c of glyph.components) {
        if (!newId.has(c.gid)) {
          newId.set(c.gid, original.length);
          original.push(c.gid);
        }
        data.writeUInt16BE(newId.get(c.gid)!, c.at);
      }
    }
    outlines.push(data);
  }
  const numGlyphs = original.length;
  const { bytes } = font;
  const raw = (tag: string) => {
    const t = font.tables.get(tag)!;
    return Buffer.from(bytes.subarray(t.offset, t.offset + t.length));
  };

  // Short loca (offset / 2, glyphs 2-byte aligned) while the outlines stay under 128 KB.
  const pieces: Buffer[] = [];
  const offsets = new Uint32Array(numGlyphs + 1);
  let offset = 0;
  for (let gid = 0; gid < numGlyphs; gid++) {
    offsets[gid] = offset;
    const data = outlines[gid];
    if (data.length === 0) continue;
    const padded = data.length % 2 ? Buffer.concat([data, Buffer.alloc(1)]) : data;
    pieces.push(padded);
    offset += padded.length;
  }
  offsets[numGlyphs] = offset;
  const shortLoca = offset < 0x20000;
  const loca = Buffer.alloc((shortLoca ? 2 : 4) * (numGlyphs + 1));
  offsets.forEach((o, i) => (shortLoca ? loca.writeUInt16BE(o / 2, 2 * i) : loca.writeUInt32BE(o, 4 * i)));

  const hmtx = Buffer.alloc(4 * numGlyphs);
  const hmtxAt = font.tables.get("hmtx")!.offset;
  original.forEach((gid, i) => {
    if (gid === undefined || gid >= font.numGlyphs) return;
    const long = Math.min(gid, font.numberOfHMetrics - 1);
    hmtx.writeUInt16BE(bytes.readUInt16BE(hmtxAt + 4 * long), 4 * i);
    const lsbAt =
      gid < font.numberOfHMetrics ? hmtxAt + 4 * gid + 2 : hmtxAt + 4 * font.numberOfHMetrics + 2 * (gid - font.numberOfHMetrics);
    hmtx.writeInt16BE(bytes.readInt16BE(lsbAt), 4 * i + 2);
  });

  const head = raw("head");
  head.writeUInt32BE(0, 8); // checkSumAdjustment, set below
  head.writeInt16BE(shortLoca ? 0 : 1, 50); // indexToLocFormat
  const hhea = raw("hhea");
  hhea.writeUInt16BE(numGlyphs, 34);
  const maxp = raw("maxp");
  maxp.writeUInt16BE(numGlyphs, 4);
  if (maxp.length >= 28) maxp.writeUInt16BE(0, 26); // maxSizeOfInstructions: none left
  const post = raw("post").subarray(0, 32);
  post.writeUInt32BE(0x00030000, 0); // version 3: no glyph names

  const tables: [string, Buffer][] = [
    ["OS/2", raw("OS/2")],
    ["glyf", Buffer.concat(pieces)],
    ["head", head],
    ["hhea", hhea],
    ["hmtx", hmtx],
    ["loca", loca],
    ["maxp", maxp],
    ["post", post],
  ];
  const file = writeTrueType(tables);
  const adjustment = (0xb1b0afba - checksum(file)) >>> 0;
  const headAt = file.readUInt32BE(12 + 16 * 2 + 8);
  file.writeUInt32BE(adjustment, headAt + 8);
  return file;
}

function checksum(data: Buffer): number {
  let sum = 0;
  const padded = data.length % 4 ? Buffer.concat([data, Buffer.alloc(4 - (data.length % 4))]) : data;
  for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32BE(i)) >>> 0;
  return sum;
}

/** An sfnt file of `tables`, which must be sorted by tag. */
function writeTrueType(tables: [string, Buffer][]): Buffer {
  const n = tables.length;
  const entrySelector = Math.floor(Math.log2(n));
  const searchRange = 16 * 2 ** entrySelector;
  const header = Buffer.alloc(12 + 16 * n);
  header.writeUInt32BE(0x00010000, 0);
  header.writeUInt16BE(n, 4);
  header.writeUInt16BE(searchRange, 6);
  header.writeUInt16BE(entrySelector, 8);
  header.writeUInt16BE(16 * n - searchRange, 10);
  const body: Buffer[] = [];
  let offset = header.length;
  tables.forEach(([tag, data], i) => {
    const at = 12 + 16 * i;
    header.write(tag, at, 4, "latin1");
    header.writeUInt32BE(checksum(data), at + 4);
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(data.length, at + 12);
    const padded = Buffer.alloc((data.length + 3) & ~3);
    data.copy(padded);
    body.push(padded);
    offset += padded.length;
  });
  return Buffer.concat([header, ...body]);
}

/** jsPDF's parsed font object (its TTFFont), as far as this module touches it. */
interface JsPdfTrueType {
  subset: { encode(glyphIds: number[]): Uint8Array };
  toUnicode: Record<number, number>;
  characterToGlyph(code: number): number;
  widthOfGlyph(glyph: number): number;
  widthOfString(text: string, size: number, charSpace: number): number;
  Unicode?: unknown;
  glyIdsUsed?: number[];
}

interface LoadedFont {
  readonly truetype: ParsedTrueType;
  /** jsPDF's parse of the file, done once; each document gets a shallow copy. */
  readonly metrics: JsPdfTrueType;
  /** Encoded subsets by their glyph list, oldest first. */
  readonly subsets: Map<string, Uint8Array>;
}

/** Most invoices draw from a few glyph lists; this bounds the memory a hostile mix can take. */
const SUBSET_CACHE_SIZE = 256;
/** What the VFS holds in place of a font file: a TrueType signature and the file name. */
const MARKER = "\x00\x01\x00\x00shop-backend-font:";
const loaded = new Map<string, LoadedFont>();
type Open = (data: Uint8Array) => JsPdfTrueType;
let parseWithJsPdf: Open | undefined;

function load(file: string): LoadedFont {
  let font = loaded.get(file);
  if (!font) {
    const bytes = readFileSync(fontPath(file));
    font = { truetype: parseTrueType(bytes), metrics: parseWithJsPdf!(new Uint8Array(bytes)), subsets: new Map() };
    loaded.set(file, font);
  }
  return font;
}

function cachedSubset(font: LoadedFont, glyphs: ReadonlyArray<number | undefined>): Uint8Array {
  const key = glyphs.join(",");
  let subset = font.subsets.get(key);
  if (subset)
    font.subsets.delete(key); // re-inserted below as the newest
  else subset = subsetTrueType(font.truetype, glyphs);
  font.subsets.set(key, subset);
  if (font.subsets.size > SUBSET_CACHE_SIZE) font.subsets.delete(font.subsets.keys().next().value!);
  return subset;
}

/**
 * For one document: jsPDF's font object with its own state over the shared parse. Glyph ids are
 * per document, 1, 2, 3... in the order characters are first met, so the embedded font spans a few
 * dozen ids instead of the original's thousands (loca and hmtx cover every id up to the highest).
 * A shallow copy, not a prototype view: jsPDF checks `metadata.hasOwnProperty("cmap")` before it
 * draws any character above U+00FF.
 */
function perDocument(file: string): JsPdfTrueType {
  const font = load(file);
  const shared = font.metrics;
  const view: JsPdfTrueType = Object.assign(Object.create(Object.getPrototypeOf(shared)), shared);
  const originalOf: number[] = [0];
  const idOf = new Map<number, number>();
  view.characterToGlyph = (code) => {
    const gid = shared.characterToGlyph(code);
    if (gid === 0) return 0;
    let id = idOf.get(gid);
    if (id === undefined) {
      id = originalOf.push(gid) - 1;
      idOf.set(gid, id);
    }
    return id;
  };
  view.widthOfGlyph = (id) => shared.widthOfGlyph(originalOf[id] ?? 0);
  // Measuring text allocates no ids: only drawn characters do (through characterToGlyph).
  view.widthOfString = (text, size, charSpace) => shared.widthOfString(text, size, charSpace);
  view.toUnicode = {};
  delete view.Unicode;
  delete view.glyIdsUsed;
  view.subset = {
    encode: (used) => {
      const drawn = new Set(used);
      return cachedSubset(
        font,
        originalOf.map((gid, id) => (drawn.has(id) ? gid : undefined)),
      );
    },
  };
  return view;
}

/**
 * Makes jsPDF open our marker files from the per-process cache. jsPDF has no hook for a pre-parsed
 * font: its addFont event always parses the VFS file with `TTFFont.open`, so that one function is
 * wrapped; any other file still goes to jsPDF's own parser.
 */
function installOpen(): void {
  if (parseWithJsPdf) return;
  const api = (jsPDF as unknown as { API: { TTFFont: { open: Open } } }).API;
  const original = api.TTFFont.open.bind(api.TTFFont);
  parseWithJsPdf = original;
  api.TTFFont.open = (data: Uint8Array) => {
    const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 256)).toString("latin1");
    return head.startsWith(MARKER) ? perDocument(head.slice(MARKER.length)) : original(data);
  };
}

/** Registers `faces` with a new jsPDF document: parsed once per process, subset at output. */
export function addFonts(pdf: jsPDF, faces: readonly FontFace[]): void {
  installOpen();
  for (const { name, file } of faces) {
    pdf.addFileToVFS(file, MARKER + file);
    pdf.addFont(file, name, "normal");
  }
}
