/**
 * Regenerates runtime/domain/country-codes.json, the ISO 3166-1 alpha-2 codes the API accepts, from
 * the maintained i18n-iso-countries package (a devDependency). A copy, not an import, so the order
 * Lambda carries 1 KB of codes instead of the package with every locale's country names;
 * test/runtime/domain/country-codes.test.ts fails when the package's list and the copy differ.
 *
 *   npx ts-node --transpile-only scripts/update-country-codes.ts
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The alpha-2 codes of the installed i18n-iso-countries, sorted. */
export function packageCountryCodes(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rows = require("i18n-iso-countries/codes.json") as string[][];
  return rows.map((r) => r[0]).sort();
}

export const COUNTRY_CODES_FILE = path.resolve(__dirname, "../runtime/domain/country-codes.json");

if (require.main === module) {
  const codes = packageCountryCodes();
  fs.writeFileSync(COUNTRY_CODES_FILE, JSON.stringify(codes) + "\n");
  console.log(`wrote ${codes.length} codes to ${path.relative(process.cwd(), COUNTRY_CODES_FILE)}`);
}
