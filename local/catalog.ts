import * as fs from "node:fs";
import * as path from "node:path";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { CatalogImportFailed, CatalogStore, type ImportReport, type ImportSection } from "../runtime/domain/catalog-store";
import { formatProblem, parseCatalogFile } from "../runtime/domain/catalog-file";

/**
 * `npm run catalog`: imports a catalog file into a stack's orders table, or lists the catalog.
 * The logic lives here (testable with any table); local/catalog-cli.ts only finds the table.
 */

/** The demo shop's catalog, which `npm start` loads into an empty local catalog. */
export const DEMO_CATALOG_FILE = path.resolve(__dirname, "..", "catalog", "demo.json");

const USAGE =
  "usage: npm run catalog -- import FILE.json|FILE.csv [--stack NAME | --local] [--dry-run] [--deactivate-missing]\n" +
  "       npm run catalog -- list [--stack NAME | --local]";

export type CatalogTarget = { readonly local: true } | { readonly stack: string };
export type CatalogArgs =
  | {
      readonly command: "import";
      readonly file: string;
      readonly target: CatalogTarget;
      readonly dryRun: boolean;
      readonly deactivateMissing: boolean;
    }
  | { readonly command: "list"; readonly target: CatalogTarget };

/** Reads the command line; throws with the usage on anything it does not understand. */
export function parseCatalogArgs(argv: readonly string[]): CatalogArgs {
  const [command, ...rest] = argv;
  if (command !== "import" && command !== "list") throw new Error(`give a command: import or list\n${USAGE}`);
  let stack: string | undefined;
  let local = false;
  let dryRun = false;
  let deactivateMissing = false;
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--stack") stack = rest[++i];
    else if (a === "--local") local = true;
    else if (a === "--dry-run" && command === "import") dryRun = true;
    else if (a === "--deactivate-missing" && command === "import") deactivateMissing = true;
    else if (!a.startsWith("--") && command === "import") files.push(a);
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  if (local && stack !== undefined) throw new Error(`give --stack or --local, not both\n${USAGE}`);
  if (stack !== undefined && !/^[A-Za-z0-9_-]+$/.test(stack)) throw new Error(`--stack needs a stack name\n${USAGE}`);
  const target: CatalogTarget = local ? { local: true } : { stack: stack ?? "dev" };
  if (command === "list") return { command, target };
  if (files.length !== 1) throw new Error(`give exactly one catalog file to import\n${USAGE}`);
  return { command, file: files[0], target, dryRun, deactivateMissing };
}

/** A report section as lines, e.g. "  changed  MUG-01 (prices, names)". */
function sectionLines(title: string, s: ImportSection): string[] {
  const lines = [
    `${title}: ${s.added.length} added, ${s.changed.length} changed, ${s.deactivated.length} deactivated, ${s.unchanged} unchanged`,
  ];
  for (const id of s.added) lines.push(`  added        ${id}`);
  for (const c of s.changed) lines.push(`  changed      ${c.id} (${c.fields.join(", ")})`);
  for (const id of s.deactivated) lines.push(`  deactivated  ${id}`);
  if (s.notInFile.length)
    lines.push(`  not in the file, left active (--deactivate-missing takes them off sale): ${s.notInFile.join(", ")}`);
  return lines;
}

/** The import report for people. */
export function formatImportReport(r: ImportReport): string {
  const lines = [
    r.dryRun ? "Dry run: nothing was written. The import would do this:" : `Imported: ${r.written} item(s) written.`,
    ...sectionLines("products", r.products),
    ...(r.shippingMethods ? sectionLines("shipping methods", r.shippingMethods) : ["shipping methods: not in this file, left as they are"]),
  ];
  return lines.join("\n") + "\n";
}

/** Runs a parsed command against the catalog of `table`; returns the exit code. Writes nothing on an invalid file. */
export async function runCatalogCommand(
  args: CatalogArgs,
  ddb: DynamoDBDocumentClient,
  table: string,
  io: { out: (s: string) => void; err: (s: string) => void; now?: () => Date },
): Promise<number> {
  const store = new CatalogStore(ddb, table);
  if (args.command === "list") {
    const { products, shippingMethods } = await store.listAll();
    for (const p of products)
      io.out(
        `${p.active ? "active  " : "inactive"}  ${p.sku}  ${Object.entries(p.prices)
          .map(([c, a]) => `${c} ${a}`)
          .join(", ")}  ${p.taxCategory}  v${p.version}  ${Object.values(p.names)[0]}\n`,
      );
    for (const m of shippingMethods)
      io.out(`${m.active ? "active  " : "inactive"}  shipping ${m.id}  zones ${m.zones.map((z) => z.zone).join(", ")}  v${m.version}\n`);
    io.out(`${products.length} product(s), ${shippingMethods.length} shipping method(s)\n`);
    return 0;
  }
  let text: string;
  try {
    text = fs.readFileSync(args.file, "utf8");
  } catch (e) {
    io.err(`cannot read ${args.file}: ${(e as Error).message}\n`);
    return 1;
  }
  const parsed = parseCatalogFile(args.file, text);
  if (!parsed.ok) {
    io.err(`${args.file} is not a valid catalog; nothing was written. ${parsed.problems.length} problem(s):\n`);
    for (const p of parsed.problems) io.err(`  ${formatProblem(p)}\n`);
    return 1;
  }
  try {
    const report = await store.importCatalog(parsed.file, (io.now ?? (() => new Date()))(), {
      dryRun: args.dryRun,
      deactivateMissing: args.deactivateMissing,
    });
    io.out(formatImportReport(report));
    return 0;
  } catch (e) {
    if (!(e instanceof CatalogImportFailed)) throw e;
    io.err(`${e.message}\n`);
    return 1;
  }
}

/** Loads the demo catalog into `table` unless the catalog has products already; says which. */
export async function loadDemoCatalog(
  ddb: DynamoDBDocumentClient,
  table: string,
  now: Date,
  file = DEMO_CATALOG_FILE,
): Promise<ImportReport | "kept"> {
  const store = new CatalogStore(ddb, table);
  if ((await store.listAll()).products.length) return "kept";
  const parsed = parseCatalogFile(file, fs.readFileSync(file, "utf8"));
  if (!parsed.ok) throw new Error(`${file} is not a valid catalog: ${parsed.problems.map(formatProblem).join("; ")}`);
  return store.importCatalog(parsed.file, now);
}
