/**
 * The worker task: invoices/s when rendering runs on a worker_threads pool of 1, 2 and 4 threads
 * (vCPU-equivalents; this machine has os.availableParallelism() of them), against rendering in-line
 * on the event loop as before; and the image's size: what the Dockerfile copies now (the esbuild
 * bundle and two fonts) against what it copied before (production node_modules and tsc output).
 * The pool runs the entry the image ships, built by invoice-container/build.ts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildWorker } from "../invoice-container/build";
import { renderInvoicePdf } from "../runtime/invoices/pdf";
import { createRenderPool } from "../runtime/invoices/render-pool";
import { invoiceWithLines } from "./render";
import { median, round, type BenchRow, type BenchSection } from "./types";

const ROOT = path.resolve(__dirname, "..");
/**
 * node:22-bookworm-slim unpacked, assumed (Debian bookworm-slim about 75 MB plus Node 22 and npm
 * about 135 MB): no Docker here to measure it. Both images share it.
 */
const BASE_IMAGE_MB = 210;

/** Bytes of every file below `dir`. */
function bytesBelow(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += bytesBelow(p);
    else if (entry.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

/** What the previous Dockerfile copied: `npm ci --omit=dev`'s node_modules (measured from this tree) plus tsc's dist. */
function previousImageCopyBytes(): number {
  const listed = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 })
    .split("\n")
    .filter((p) => p.includes(`${path.sep}node_modules${path.sep}`));
  // Count each package directory once, without the nested node_modules of another listed one.
  const top = [
    ...new Set(
      listed.map(
        (p) =>
          p.slice(0, p.indexOf("node_modules") + "node_modules".length) +
          p
            .slice(p.indexOf("node_modules") + 12)
            .split(path.sep)
            .slice(0, p.slice(p.indexOf("node_modules") + 13).startsWith("@") ? 3 : 2)
            .join(path.sep),
      ),
    ),
  ];
  const sources = ["runtime", "invoice-container"].map((d) => bytesBelow(path.join(ROOT, d)));
  return top.reduce((sum, dir) => sum + bytesBelow(dir), 0) + sources.reduce((a, b) => a + b, 0);
}

/** Invoices/s rendering `count` one-line invoices at once on a pool of `threads`. */
async function poolRate(entry: string, threads: number, count: number): Promise<number> {
  const pool = createRenderPool({ size: threads, entry });
  try {
    const doc = invoiceWithLines(1);
    await Promise.all(Array.from({ length: threads * 4 }, () => pool.render(doc))); // threads started and warm
    const t0 = performance.now();
    await Promise.all(Array.from({ length: count }, () => pool.render(doc)));
    return (count / (performance.now() - t0)) * 1000;
  } finally {
    await pool.close();
  }
}

const section: BenchSection = async ({ quick }) => {
  const rows: BenchRow[] = [];
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-image-"));
  try {
    buildWorker(out);
    const entry = path.join(out, "invoice-container/main.js");
    const count = quick ? 60 : 600;
    const runs = quick ? 1 : 3;
    const doc = invoiceWithLines(1);
    const inline: number[] = [];
    for (let r = 0; r < runs; r++) {
      for (let i = 0; i < 20; i++) renderInvoicePdf(doc);
      const t0 = performance.now();
      for (let i = 0; i < count; i++) renderInvoicePdf(doc);
      inline.push((count / (performance.now() - t0)) * 1000);
    }
    const baseline = { label: "in-line on the event loop", value: round(median(inline), 0) };
    for (const threads of [1, 2, 4]) {
      const rates: number[] = [];
      for (let r = 0; r < runs; r++) rates.push(await poolRate(entry, threads, count));
      rows.push({
        section: "worker",
        figure: `invoices/s, ${threads} render thread${threads > 1 ? "s" : ""} (${os.availableParallelism()} cores here)`,
        value: round(median(rates), 0),
        unit: "invoices/s",
        baseline,
      });
    }
    // Wall-clock rates share the cores with whatever else runs: show how busy the machine was.
    rows.push({
      section: "worker",
      figure: "1-min load average during the runs",
      value: round(os.loadavg()[0], 1),
      unit: `(${os.availableParallelism()} cores)`,
    });
    const shipped = bytesBelow(out);
    const before = previousImageCopyBytes();
    const mb = (b: number) => round(b / 1e6, 1);
    rows.push({
      section: "worker image",
      figure: "copied into the image",
      value: mb(shipped),
      unit: "MB",
      baseline: { label: "production node_modules + tsc output", value: mb(before) },
    });
    rows.push({
      section: "worker image",
      figure: `estimated image (assumed base ${BASE_IMAGE_MB} MB + copied)`,
      value: round(BASE_IMAGE_MB + shipped / 1e6, 0),
      unit: "MB",
      baseline: { label: "previous Dockerfile", value: round(BASE_IMAGE_MB + before / 1e6, 0) },
    });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return rows;
};

export default section;
