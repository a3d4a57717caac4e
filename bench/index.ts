/**
 * `npm run bench [-- --quick] [-- --only <section>]`: every speed, size and cost figure of the
 * project, each beside its baseline from the same run. Prints a table (and writes
 * bench/latest.md); asserts nothing. BENCHMARKS.md explains each figure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BenchRow, BenchSection } from "./types";

/**
 * Sections in the order they print; each lives in its own file under bench/ and exports one
 * BenchSection. This list is the only place that names them.
 */
const SECTIONS: [name: string, load: () => Promise<BenchSection>][] = [
  ["lambda", async () => (await import("./lambda")).benchLambda],
  ["cost", async () => (await import("./cost")).benchCost],
  ["intake", async () => (await import("./intake")).default],
  ["render", async () => (await import("./render")).default],
  ["worker", async () => (await import("./worker")).default],
  ["numbering", async () => (await import("./numbering")).default],
  ["e2e", async () => (await import("./e2e")).default],
];

function table(rows: readonly BenchRow[]): string {
  const head = ["section", "figure", "value", "baseline", "baseline value"];
  const body = rows.map((r) => [
    r.section,
    r.figure,
    `${r.value} ${r.unit}`.trim(),
    r.baseline?.label ?? "",
    r.baseline ? `${r.baseline.value} ${r.unit}`.trim() : "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const onlyAt = args.indexOf("--only");
  const only = onlyAt >= 0 ? args[onlyAt + 1]?.split(",") : undefined;
  const rows: BenchRow[] = [];
  const t0 = Date.now();
  for (const [name, load] of SECTIONS) {
    if (only && !only.includes(name)) continue;
    process.stderr.write(`bench: ${name}...\n`);
    const started = Date.now();
    const got = await (await load())({ quick });
    rows.push(...got);
    process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const out = table(rows);
  process.stdout.write(out + "\n");
  const header = `Run ${new Date().toISOString()}${quick ? " (--quick)" : ""} on ${process.platform}/${process.arch}, Node ${process.version}, ${require("node:os").cpus().length} cores, ${((Date.now() - t0) / 1000).toFixed(0)} s\n\n`;
  fs.writeFileSync(path.join(__dirname, "latest.md"), header + out + "\n");
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
