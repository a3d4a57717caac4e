import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { renderInvoicePdf } from "../../../runtime/invoices/pdf";
import { makePricedOrder } from "../../helpers/orders";
import { embeddedFonts, FIXED_DOCUMENTS, invoiceOf, readPdf, SCRIPT_SAMPLES } from "./invoices";

const ROOT = path.resolve(__dirname, "../../..");

/** Glyph `gid`'s outline bytes in a TrueType file (empty for a glyph with no contours). */
function outline(font: Buffer, gid: number): Buffer {
  const tables = new Map<string, number>();
  for (let i = 0; i < font.readUInt16BE(4); i++)
    tables.set(font.toString("latin1", 12 + 16 * i, 16 + 16 * i), font.readUInt32BE(20 + 16 * i));
  const longLoca = font.readInt16BE(tables.get("head")! + 50) === 1;
  const loca = tables.get("loca")!;
  const at = (i: number) => (longLoca ? font.readUInt32BE(loca + 4 * i) : 2 * font.readUInt16BE(loca + 2 * i));
  return font.subarray(tables.get("glyf")! + at(gid), tables.get("glyf")! + at(gid + 1));
}

/** How many glyphs the font program holds (maxp.numGlyphs). */
function glyphCount(font: Buffer): number {
  for (let i = 0; i < font.readUInt16BE(4); i++) {
    if (font.toString("latin1", 12 + 16 * i, 16 + 16 * i) === "maxp") return font.readUInt16BE(font.readUInt32BE(20 + 16 * i) + 4);
  }
  throw new Error("no maxp table");
}

describe("invoice fonts", () => {
  for (const { script, name, shown } of SCRIPT_SAMPLES) {
    it(`prints a name in ${script} as "${shown}" and embeds an outline for every glyph it draws`, async () => {
      // Prepare
      const order = makePricedOrder({
        customer: { id: "user-1", email: "customer@example.com", name },
        shippingAddress: { name, line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
      });

      // Act
      const bytes = renderInvoicePdf(invoiceOf(order));

      // Assess: the text reads back, and no drawn glyph is .notdef or an empty outline (except spaces).
      expect((await readPdf(bytes)).text).to.contain(`${shown}\n`);
      const fonts = embeddedFonts(bytes);
      expect(fonts.map((f) => f.name).sort()).to.deep.equal(["DejaVuSans", "DejaVuSans-Bold"]);
      for (const font of fonts) {
        const empty = [...font.drawn].filter(
          (gid) => gid === 0 || gid >= glyphCount(font.program) || outline(font.program, gid).length === 0,
        );
        // Only the space may have no outline; it is drawn in every font here.
        expect(empty.length, `${font.name}: glyphs without an outline`).to.be.at.most(1);
      }
    });
  }

  it("embeds only what the page draws: a few dozen glyphs per font, not the face's thousands", () => {
    // Act
    const fonts = embeddedFonts(renderInvoicePdf(FIXED_DOCUMENTS[0].doc));

    // Assess
    for (const font of fonts) {
      expect(glyphCount(font.program), font.name).to.be.within(font.drawn.size, font.drawn.size + 80);
      expect(Math.max(...font.drawn), font.name).to.be.below(glyphCount(font.program));
    }
  });

  // After a deliberate change of the layout or wording, re-read them with UPDATE_FIXTURES=1 and review the diff.
  for (const { file, doc } of FIXED_DOCUMENTS) {
    it(`reads back the same text as the stored read-back of the last layout (${file})`, async () => {
      // Prepare: fixtures/ holds what pdf.js read from the renderer's PDF of this document when the layout last changed.
      const fixture = path.join(__dirname, "fixtures", file);

      // Act
      const pdf = await readPdf(renderInvoicePdf(doc));
      if (process.env.UPDATE_FIXTURES === "1") writeFileSync(fixture, `${pdf.text}\n`);
      const before = readFileSync(fixture, "utf8");

      // Assess
      expect(`${pdf.text}\n`).to.equal(before);
    });
  }

  it("renders identical bytes whatever was rendered before in the process (font caches hold no document state)", () => {
    // Prepare
    const [first, second, third] = FIXED_DOCUMENTS.map((f) => f.doc);

    // Act
    const alone = renderInvoicePdf(second);
    renderInvoicePdf(first);
    renderInvoicePdf(third);
    const afterOthers = renderInvoicePdf(structuredClone(second));

    // Assess
    expect(Buffer.compare(alone, afterOthers)).to.equal(0);
  });

  it("renders identical bytes in a fresh process, with cold caches", () => {
    // Prepare
    const doc = FIXED_DOCUMENTS[1];
    const script = `const { FIXED_DOCUMENTS } = require("./test/runtime/invoices/invoices");
      const { renderInvoicePdf } = require("./runtime/invoices/pdf");
      process.stdout.write(Buffer.from(renderInvoicePdf(FIXED_DOCUMENTS[1].doc)).toString("base64"));`;

    // Act
    const fresh = Buffer.from(
      execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
      }),
      "base64",
    );

    // Assess
    expect(Buffer.compare(fresh, renderInvoicePdf(doc.doc))).to.equal(0);
  });
});
