import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../helpers/pulumi-mocks";

/** Loads the program in a fresh process (this one has loaded the SDK for other tests) and lists what it loaded. */
function programModules(stack: string): { resources: number; modules: string[] } {
  const out = execFileSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(ROOT, "test/helpers/module-graph-child.ts"), stack],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PULUMI_CONFIG: undefined } },
  );
  return JSON.parse(out);
}

describe("the Pulumi program's module graph", function () {
  this.timeout(120_000);
  let loaded: { resources: number; modules: string[] };
  before(() => {
    loaded = programModules("prod");
  });

  it("built the whole stack (the control: the program really ran)", () => {
    expect(loaded.resources).to.be.greaterThan(100);
    expect(loaded.modules).to.include("index.ts");
    expect(loaded.modules.some((m) => m.startsWith("node_modules/@pulumi/aws/"))).to.equal(true);
  });

  it("loads no AWS SDK and no Powertools", () => {
    const heavy = loaded.modules.filter((m) => /node_modules\/(@aws-sdk|@smithy|@aws-lambda-powertools)\//.test(m));
    expect(heavy).to.deep.equal([]);
  });

  it("reads runtime/ only through its contracts (no handler, store, client or entry module)", () => {
    const runtime = loaded.modules.filter((m) => m.startsWith("runtime/"));
    expect(runtime.filter((m) => !m.startsWith("runtime/contracts/"))).to.deep.equal([]);
    expect(runtime).to.include("runtime/contracts/routes.ts");
  });
});
