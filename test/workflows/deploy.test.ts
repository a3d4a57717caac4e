import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/pulumi-mocks";
import { isProductionStack } from "../../components/config";

/** The GitHub workflows as data: every path to AWS runs the policy pack, and every deploy is followed by its smoke. */

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly environment?: string;
  readonly steps: Step[];
}
const DIR = path.join(ROOT, ".github", "workflows");
const workflows = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith(".yml"))
  .map((f) => ({ file: f, jobs: (parse(fs.readFileSync(path.join(DIR, f), "utf8")) as { jobs: Record<string, Job> }).jobs }));
const pulumiSteps = workflows.flatMap((w) =>
  Object.entries(w.jobs).flatMap(([job, j]) =>
    j.steps
      .map((s, i) => ({ where: `${w.file} ${job}`, job: j, step: s, after: j.steps.slice(i + 1) }))
      .filter((x) => x.step.uses?.startsWith("pulumi/actions@")),
  ),
);

describe("the deploy workflows", () => {
  it("run pulumi in preview, in dev's up and in prod's up", () => {
    expect(pulumiSteps.map((p) => `${p.where}: ${p.step.with?.command} ${p.step.with?.["stack-name"]}`).sort()).to.deep.equal([
      "deploy-dev.yml up: up dev",
      "deploy-prod.yml up: up prod",
      "preview.yml preview: preview ${{ matrix.stack }}",
    ]);
  });

  it("run the repository's policy pack on every pulumi step that reaches AWS", () => {
    expect(fs.existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml"))).to.equal(true);
    for (const p of pulumiSteps) expect(p.step.with?.policyPacks, p.where).to.equal("policy");
  });

  it("smoke-test every stack they update, a production stack read-only", () => {
    for (const p of pulumiSteps.filter((x) => x.step.with?.command === "up")) {
      const stack = String(p.step.with?.["stack-name"]);
      const smokes = p.after.map((s) => s.run ?? "").filter((r) => r.startsWith(`npm run smoke -- --stack ${stack}`));
      expect(
        smokes.some((r) => r.includes("--read-only")),
        `${p.where}: a read-only smoke after up`,
      ).to.equal(true);
      if (isProductionStack(stack))
        expect(
          smokes.every((r) => r.includes("--read-only")),
          `${p.where}: only read-only`,
        ).to.equal(true);
    }
  });

  it("deploy prod only in the GitHub environment prod (its reviewers approve each run)", () => {
    const prod = pulumiSteps.find((p) => p.step.with?.["stack-name"] === "prod");
    expect(prod?.job.environment).to.equal("prod");
  });
});
