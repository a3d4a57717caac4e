import { execFileSync } from "node:child_process";
import * as path from "node:path";

/**
 * The Node that deployed code runs on, stood in for locally: the devDependency `node`, pinned to
 * an exact version in package.json, installs the official build of that version at
 * node_modules/node/bin/node (through its install script, allowed in package.json `allowScripts`).
 * The Lambda stand-in and the worker's tests run on it whatever Node runs npm or mocha.
 */

/** Where the devDependency `node` puts its binary. */
export const PINNED_NODE = path.resolve(__dirname, "../node_modules/node/bin/node");

/** The major of a Node version: "v22.23.3" or "22.14.0" -> 22. */
export function nodeMajor(version: string): number {
  const m = /^v?(\d+)\.\d+\.\d+/.exec(version);
  if (!m) throw new Error(`not a Node version: ${JSON.stringify(version)}`);
  return Number(m[1]);
}

/** The Node major of a Lambda runtime identifier: "nodejs22.x" -> 22. */
export function lambdaRuntimeMajor(runtime: string): number {
  const m = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!m) throw new Error(`not a Node.js Lambda runtime: ${JSON.stringify(runtime)}`);
  return Number(m[1]);
}

const versions = new Map<string, string>();
/** The version a Node binary reports (`v22.23.3`); asked once per binary and process. */
export function binaryVersion(binary: string): string {
  let v = versions.get(binary);
  if (v === undefined) {
    v = execFileSync(binary, ["-p", "process.version"], { encoding: "utf8", env: {} }).trim();
    versions.set(binary, v);
  }
  return v;
}

/**
 * The pinned binary, checked to be Node `major` (what `user` names, e.g. a function's runtime);
 * throws naming both versions otherwise, so a runtime or image moved to another major fails loudly
 * until package.json pins that major too.
 */
export function pinnedNode(major: number, user: string): string {
  let version: string;
  try {
    version = binaryVersion(PINNED_NODE);
  } catch (e) {
    throw new Error(
      `${user} runs on Node ${major}, but ${PINNED_NODE} does not run (${(e as Error).message.split("\n")[0]}): ` +
        `"npm ci" installs it through the install script of the devDependency "node"`,
    );
  }
  if (nodeMajor(version) !== major) {
    throw new Error(
      `${user} runs on Node ${major}, but the pinned binary is ${version}: pin the devDependency "node" to a ${major}.x version`,
    );
  }
  return PINNED_NODE;
}
