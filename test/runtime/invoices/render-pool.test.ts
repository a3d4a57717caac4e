import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { buildSync } from "esbuild";
import type { InvoiceDocument } from "../../../runtime/invoices/document";
import { renderInvoicePdf } from "../../../runtime/invoices/pdf";
import { createRenderPool, renderThreadCount, type RenderPool } from "../../../runtime/invoices/render-pool";
import { makePricedLine, makePricedOrder, taxedOf, TEST_SHIPPING } from "../../helpers/orders";
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
    // Prepare: 1,000 lines take the renderer far longer than one turn of the event loop (above the API's limit, so the schema is bypassed).
    const lines = Array.from({ length: 1000 }, (_, i) => makePricedLine(i));
    const doc = invoiceOf({ ...makePricedOrder(), ...taxedOf(lines, TEST_SHIPPING, "DE", "2025-03-14") });
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
  // ECS sets no CPU count: a Fargate task of 0.25 vCPU sees the host's 2 CPUs. The stack passes the task's
  // CPU units (WORKER_TASK_CPU_UNITS); one thread per whole vCPU, at least one.
  const cases: { env: Record<string, string>; threads: number | RegExp }[] = [
    { env: {}, threads: os.availableParallelism() },
    { env: { WORKER_RENDER_THREADS: "" }, threads: os.availableParallelism() },
    { env: { WORKER_RENDER_THREADS: "1" }, threads: 1 },
    { env: { WORKER_RENDER_THREADS: " 4 " }, threads: 4 },
    { env: { WORKER_RENDER_THREADS: "0" }, threads: /WORKER_RENDER_THREADS must be a whole number from 1 to 64/ },
    { env: { WORKER_RENDER_THREADS: "65" }, threads: /WORKER_RENDER_THREADS must be a whole number from 1 to 64/ },
    { env: { WORKER_RENDER_THREADS: "1.5" }, threads: /WORKER_RENDER_THREADS must be a whole number from 1 to 64/ },
    { env: { WORKER_RENDER_THREADS: "two" }, threads: /WORKER_RENDER_THREADS must be a whole number from 1 to 64/ },
    { env: { WORKER_TASK_CPU_UNITS: "256" }, threads: 1 },
    { env: { WORKER_TASK_CPU_UNITS: "512" }, threads: 1 },
    { env: { WORKER_TASK_CPU_UNITS: "1024" }, threads: 1 },
    { env: { WORKER_TASK_CPU_UNITS: "2048" }, threads: 2 },
    { env: { WORKER_TASK_CPU_UNITS: "4096" }, threads: 4 },
    { env: { WORKER_TASK_CPU_UNITS: "16384" }, threads: 16 },
    { env: { WORKER_TASK_CPU_UNITS: "4096", WORKER_RENDER_THREADS: "2" }, threads: 2 },
    { env: { WORKER_TASK_CPU_UNITS: "" }, threads: os.availableParallelism() },
    { env: { WORKER_TASK_CPU_UNITS: "0" }, threads: /WORKER_TASK_CPU_UNITS must be a whole number of CPU units from 128 to 65536/ },
    { env: { WORKER_TASK_CPU_UNITS: "0.5" }, threads: /WORKER_TASK_CPU_UNITS must be a whole number of CPU units from 128 to 65536/ },
    { env: { WORKER_TASK_CPU_UNITS: "1 vCPU" }, threads: /WORKER_TASK_CPU_UNITS must be a whole number of CPU units from 128 to 65536/ },
  ];
  for (const { env, threads } of cases) {
    it(`reads ${JSON.stringify(env)} as ${threads instanceof RegExp ? "refused" : `${threads} thread(s)`}`, () => {
      if (threads instanceof RegExp) expect(() => renderThreadCount(env)).to.throw(threads);
      else expect(renderThreadCount(env)).to.equal(threads);
    });
  }
});
