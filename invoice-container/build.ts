/**
 * Builds what the worker image ships: each entry bundled by esbuild into one file (AWS SDK, jsPDF,
 * zod included; no node_modules), plus the two font files the renderer embeds. The Dockerfile's
 * build stage runs this; local/worker-process.ts runs the same build, so tests spawn what ships.
 *
 *   ts-node --transpile-only invoice-container/build.ts [outDir]     (default dist)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { FONT_FACES } from "../runtime/invoices/pdf";

const ROOT = path.resolve(__dirname, "..");

/**
 * The Node version the image runs, from the Dockerfile beside this file (`ARG NODE_IMAGE=node:<version>-<variant>`):
 * the bundle is compiled for it, and the tests run the bundle on its major.
 */
export function imageNodeVersion(dockerfile = fs.readFileSync(path.join(__dirname, "Dockerfile"), "utf8")): string {
  const m = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-/m.exec(dockerfile);
  if (!m) throw new Error("invoice-container/Dockerfile names no image as ARG NODE_IMAGE=node:<major.minor.patch>-<variant>");
  return m[1];
}

/** Entries of the image, relative to the project root; each becomes `<outDir>/<same path>.js`. */
export const WORKER_ENTRIES = ["invoice-container/main.ts", "invoice-container/healthcheck.ts"] as const;

/**
 * jsPDF's optional browser features (HTML and SVG rendering, sanitizing) load these lazily; the
 * worker never calls them, so they are neither bundled nor shipped.
 */
const BROWSER_ONLY = ["html2canvas", "dompurify", "canvg", "core-js"];

/** Bundles the worker into `outDir` and copies its fonts to `<outDir>/fonts`; returns the files written. */
export function buildWorker(outDir: string): string[] {
  const out = path.resolve(ROOT, outDir);
  buildSync({
    entryPoints: WORKER_ENTRIES.map((e) => path.join(ROOT, e)),
    outbase: ROOT,
    outdir: out,
    bundle: true,
    platform: "node",
    target: `node${imageNodeVersion()}`,
    format: "cjs",
    minify: true,
    legalComments: "none",
    external: BROWSER_ONLY,
    logLevel: "error",
  });
  const fonts = path.join(out, "fonts");
  fs.mkdirSync(fonts, { recursive: true });
  for (const { file } of FONT_FACES) fs.copyFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`), path.join(fonts, file));
  return [...WORKER_ENTRIES.map((e) => path.join(out, e.replace(/\.ts$/, ".js"))), ...FONT_FACES.map((f) => path.join(fonts, f.file))];
}

if (require.main === module) {
  const files = buildWorker(process.argv[2] ?? "dist");
  for (const f of files) process.stdout.write(`${path.relative(ROOT, f)}\t${fs.statSync(f).size} bytes\n`);
}
