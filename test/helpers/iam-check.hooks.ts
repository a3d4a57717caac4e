import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Context, Suite } from "mocha";

/**
 * Mocha root hooks (required by .mocharc.json, so every mocha run has them): every moto_server a
 * test starts, directly or through the local pipeline, in this process or a child, logs the calls
 * it receives into one fresh folder (MOTO_CALL_LOG_DIR, inherited), and after the last test the IAM
 * check judges them all (test/helpers/iam-check.ts). A call no policy grants fails the run, naming
 * the part, the call and the action. A complete `npm test` also fails on a grant no call uses and
 * no reason explains.
 */

const CALL_LOG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "shop-iam-calls-"));
process.env.MOTO_CALL_LOG_DIR = CALL_LOG_DIR;
const TEST_DIR = path.resolve(__dirname, "..");

/** npm test's spec (package.json): the files whose run is complete enough to judge the unused grants. */
const NPM_TEST_FILES = /\.test\.ts$/;

/** When each test started, to name the one during which a refused call was first made. */
const started: { t: number; title: string }[] = [];

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? testFiles(path.join(dir, e.name)) : NPM_TEST_FILES.test(e.name) ? [path.join(dir, e.name)] : []));
}

/** Did this run load every file of npm test's spec and run each of their tests (no --grep, no .only, no hook that stopped a suite)? */
function isCompleteNpmTest(root: Suite): boolean {
  const files = new Set<string>();
  let allRan = true;
  const walk = (s: Suite) => {
    for (const t of s.tests) {
      if (t.file) files.add(path.resolve(t.file));
      if (t.state === undefined || t.isPending()) allRan = false;
    }
    s.suites.forEach(walk);
  };
  walk(root);
  return allRan && testFiles(TEST_DIR).every((f) => files.has(f));
}

export const mochaHooks = {
  beforeEach(this: Context) {
    started.push({ t: Date.now(), title: this.currentTest?.fullTitle() ?? "?" });
  },

  async afterAll(this: Context) {
    this.timeout(300_000);
    // Loaded only now: a run that made no AWS call does not pay for Pulumi and the simulator.
    const { readRecordedCalls } = await import("./iam-calls");
    const calls = readRecordedCalls(CALL_LOG_DIR);
    if (!calls.length) return fs.rmSync(CALL_LOG_DIR, { recursive: true, force: true });
    const { checkCalls, coverage, refusals, stackRoles, unusedGrants } = await import("./iam-check");
    const { programRun } = await import("./pulumi-mocks");
    const roles = stackRoles(await programRun("dev"));
    const check = await checkCalls(calls, roles);
    const during = (t: number) => [...started].reverse().find((s) => s.t <= t)?.title ?? "a hook before the first test";
    const problems = refusals(check, roles, during);
    const complete = this.test?.parent ? isCompleteNpmTest(this.test.parent) : false;
    if (complete) problems.push(...unusedGrants(check, roles).problems);

    const covered = Object.entries(coverage(check))
      .map(([part, c]) => `${part} ${c.requests} action/resource pairs (${c.actions.length} actions)`)
      .join(", ");
    const others = Object.entries(check.notByParts)
      .map(([key, n]) => `${key} ${n}`)
      .join(", ");
    process.stdout.write(
      `\n  IAM check (${roles.stack} stack's policies): ${calls.length} distinct calls logged; judged ${check.judged.length} requests: ${covered}; ` +
        `not by a part (not judged): ${others || "none"}; unused grants ${complete ? "checked (complete npm test)" : "not checked (partial run)"}\n`,
    );
    if (problems.length) {
      throw new Error(
        `IAM check: ${problems.length} problem(s) over the AWS calls this run made (call log kept in ${CALL_LOG_DIR}):\n  ${problems.join("\n  ")}`,
      );
    }
    fs.rmSync(CALL_LOG_DIR, { recursive: true, force: true });
  },
};
