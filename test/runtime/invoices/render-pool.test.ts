import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { buildSync } from "esbuild";
import type { InvoiceDocument } from "../../../runtime/invoices/document";
import { renderInvoicePdf } from "../../../runtime/invoices/pdf";
import { createRenderPool, renderThreadCount, type RenderPool } from "../../../runtime/invoices/render-pool";
import { makePricedLine, makePricedOrder, totalsOf } from "../../helpers/orders";
import { FIXED_DOCUMENTS, invoiceOf } from "./invoices";

const ROOT = path.resolve(__dirname, "../../..");

describe("render pool", function () {
  this.timeout(120_000);
  // Threads load a bundled entry, as in the image: through ts-node each would take seconds to start.
  // It sits under bin/ so the fonts still resolve from the project's node_modules.
  const entry = path.join(ROOT, "bin", `render-thread-${process.pid}.js`);
  let pool: RenderPool;
  before(() => {
    buildSync({
      entryPoints: [path.join(__dirname, "render-thread.ts")],
      outfile: entry,
      bundle: true,
      platform: "node",
      format: "cjs",
      logLevel: "error",
    });
    pool = createRenderPool({ size: 2, entry });
  });
  after(async () => {
    await pool.close();
    fs.rmSync(entry, { force: true });
  });

  it("renders on its threads the same bytes as rendering in-line", async () => {
    // Act
    const pooled = await Promise.all(FIXED_DOCUMENTS.map((f) => pool.render(f.doc)));

    // Assess
    pooled.forEach((pdf, i) => expect(Buffer.compare(pdf, renderInvoicePdf(FIXED_DOCUMENTS[i].doc)), FIXED_DOCUMENTS[i].file).to.equal(0));
  });

  it("keeps the event loop turning while a long invoice renders", async () => {
    // Prepare: 1,000 lines take the renderer far longer than one turn of the event loop.
    const lines = Array.from({ length: 1000 }, (_, i) => makePricedLine(i));
    const doc = invoiceOf({ ...makePricedOrder(), lines, ...totalsOf(lines, 2000) });
    let settled = false;

    // Act
    const rendering = pool.render(doc).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));

    // Assess: in-line rendering would have blocked until done; here the loop ran first.
    expect(settled).to.equal(false);
    expect((await rendering).byteLength).to.be.greaterThan(0);
  });

  it("fails the render of a document it cannot draw and keeps serving the next", async () => {
    // Prepare
    const broken = { ...FIXED_DOCUMENTS[0].doc, order: null } as unknown as InvoiceDocument;

    // Act
    const failure = await pool.render(broken).then(
      () => undefined,
      (e: Error) => e,
    );
    const next = await pool.render(FIXED_DOCUMENTS[0].doc);

    // Assess
    expect(failure?.message).to.match(/^rendering failed: /);
    expect(Buffer.compare(next, renderInvoicePdf(FIXED_DOCUMENTS[0].doc))).to.equal(0);
  });

  it("refuses renders after close", async () => {
    // Prepare
    const closing = createRenderPool({ size: 1, entry });

    // Act
    await closing.close();

    // Assess
    const error = await closing.render(FIXED_DOCUMENTS[0].doc).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.equal("render pool is closed");
  });
});

describe("renderThreadCount", () => {
  const cases: { value: string | undefined; threads: number | "refused" }[] = [
    { value: undefined, threads: os.availableParallelism() },
    { value: "", threads: os.availableParallelism() },
    { value: "1", threads: 1 },
    { value: " 4 ", threads: 4 },
    { value: "0", threads: "refused" },
    { value: "65", threads: "refused" },
    { value: "1.5", threads: "refused" },
    { value: "two", threads: "refused" },
  ];
  for (const { value, threads } of cases) {
    it(`reads WORKER_RENDER_THREADS=${JSON.stringify(value)} as ${threads}`, () => {
      const env = value === undefined ? {} : { WORKER_RENDER_THREADS: value };
      if (threads === "refused") expect(() => renderThreadCount(env)).to.throw(/WORKER_RENDER_THREADS must be a whole number from 1 to 64/);
      else expect(renderThreadCount(env)).to.equal(threads);
    });
  }
});
