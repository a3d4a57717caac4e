import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

/** A workflow as far as its OIDC tokens go: its triggers and jobs. */
interface Workflow {
  readonly on: Record<string, { branches?: string[] } | null>;
  readonly jobs: Record<string, { environment?: string | { name: string }; steps?: { uses?: string; with?: Record<string, string> }[] }>;
}

/**
 * The `sub` claims of the OIDC tokens GitHub gives a job that assumes an AWS role, per role secret.
 * GitHub's rule: a job with an environment gets `environment:<name>`; otherwise a pull request gets
 * `pull_request` and a push `ref:refs/heads/<branch>`.
 */
function subjectsByRole(): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const file of fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f))) {
    const wf = parseYaml(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
    for (const job of Object.values(wf.jobs)) {
      const roles = (job.steps ?? [])
        .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))
        .flatMap((s) => [...(s.with?.["role-to-assume"] ?? "").matchAll(/secrets\.(AWS_ROLE_\w+)/g)].map((m) => m[1]));
      if (roles.length === 0) continue;
      const environment = typeof job.environment === "string" ? job.environment : job.environment?.name;
      const subjects = environment
        ? [`environment:${environment}`]
        : Object.entries(wf.on).flatMap(([event, filter]) =>
            event === "pull_request"
              ? ["pull_request"]
              : event === "push"
                ? (filter?.branches ?? []).map((b) => `ref:refs/heads/${b}`)
                : [],
          );
      for (const role of roles) for (const s of subjects) (out[role] ??= new Set()).add(`repo:<owner>/<repo>:${s}`);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([role, s]) => [role, [...s].sort()]));
}

/** The README's table of role secrets and the subjects each role's trust policy must allow. */
function readmeSubjects(): Record<string, string[]> {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const rows = [...readme.matchAll(/^\|\s*`(AWS_ROLE_\w+)`\s*\|(.*)\|\s*$/gm)];
  return Object.fromEntries(rows.map((m) => [m[1], [...m[2].matchAll(/`(repo:<owner>\/<repo>:[^`]+)`/g)].map((s) => s[1]).sort()]));
}

describe("the GitHub workflows' AWS roles (.github/workflows)", () => {
  it("assume the dev role from the dev environment and from pull requests, the prod role from the prod environment and pull requests", () => {
    expect(subjectsByRole()).to.deep.equal({
      AWS_ROLE_DEV: ["repo:<owner>/<repo>:environment:dev", "repo:<owner>/<repo>:pull_request"],
      AWS_ROLE_PROD: ["repo:<owner>/<repo>:environment:prod", "repo:<owner>/<repo>:pull_request"],
    });
  });

  it("are documented in the README with every OIDC subject each role's trust policy must allow", () => {
    expect(readmeSubjects()).to.deep.equal(subjectsByRole());
  });
});
