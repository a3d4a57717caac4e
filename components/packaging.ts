import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What goes into each Lambda archive. CallbackFunction packs every package of `dependencies`
 * (and what they depend on) unless told otherwise; these pure functions say what to leave out.
 */

/** Packages the Lambda nodejs22.x runtime already provides: the AWS SDK for JavaScript v3 and its Smithy core. */
export const PROVIDED_BY_LAMBDA_RUNTIME = /^@(aws-sdk|smithy|aws-crypto)\//;
/** Packages only the Fargate worker uses (PDF rendering and its fonts). */
export const WORKER_ONLY_PACKAGES = ["jspdf", "dejavu-fonts-ttf"] as const;

/** The package names installed per a package-lock.json (v2/v3 `packages` map). */
export function installedPackageNames(lockfile: { packages?: Record<string, unknown> }): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(lockfile.packages ?? {})) {
    const i = key.lastIndexOf("node_modules/");
    if (i >= 0) names.add(key.slice(i + "node_modules/".length));
  }
  return [...names].sort();
}

/**
 * `codePathOptions` for a handler Lambda: every runtime-provided SDK package and every
 * worker-only package is excluded by exact name (CallbackFunction matches names, not patterns),
 * which also stops the walk into their dependencies. What remains is the handlers' own
 * dependencies, zod today.
 */
export function lambdaCodePathOptions(installed: readonly string[]): { extraExcludePackages: string[] } {
  const sdk = installed.filter((n) => PROVIDED_BY_LAMBDA_RUNTIME.test(n));
  return { extraExcludePackages: [...new Set([...sdk, ...WORKER_ONLY_PACKAGES])].sort() };
}

/** Reads the project's lockfile (the one CallbackFunction resolves packages from). */
export function readInstalledPackages(projectRoot = path.resolve(__dirname, "..")): string[] {
  return installedPackageNames(JSON.parse(fs.readFileSync(path.join(projectRoot, "package-lock.json"), "utf8")));
}
