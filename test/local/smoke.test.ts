import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { waitUntil } from "../helpers/wait";
import { ROOT } from "../helpers/pulumi-mocks";
import { parseSmokeArgs } from "../../local/smoke";

/** Runs a project script as its own process; resolves with its exit code and output. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", file, ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exited, output: () => out };
}

describe("npm run smoke -- --local against npm start", function () {
  this.timeout(120000);

  it("signs up a throwaway user, places an order, sees it NOTIFIED and follows the emailed link to the PDF", async () => {
    // Prepare: npm start, as a user runs it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-smoke-"));
    const env = { ...process.env, PORT: "0", SHOP_LOCAL_SESSION: path.join(dir, "session.json") };
    const start = run("local/start.ts", [], env);
    try {
      expect(await waitUntil(() => fs.existsSync(env.SHOP_LOCAL_SESSION), 60000, 100), start.output()).to.equal(true);
      // Act
      const smoke = run("local/smoke-cli.ts", ["--local"], env);
      const code = await smoke.exited;
      // Assess
      expect(code, smoke.output()).to.equal(0);
      expect(smoke.output()).to.match(/smoke: signed up smoke-[0-9a-f]+@shop\.example/);
      expect(smoke.output()).to.match(/smoke: invoice PDF \d+ bytes via the emailed link/);
      expect(smoke.output()).to.match(/smoke: OK \(ord_/);
    } finally {
      start.child.kill("SIGINT");
      expect(await start.exited).to.equal(0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails naming the step when no pipeline is running", async () => {
    const smoke = run("local/smoke-cli.ts", ["--local"], {
      ...process.env,
      SHOP_LOCAL_SESSION: path.join(os.tmpdir(), `no-session-${process.pid}.json`),
    });
    expect(await smoke.exited).to.equal(1);
    expect(smoke.output()).to.contain("smoke: FAILED: The local pipeline is not running");
  });

  const cases: { argv: string[]; ok?: unknown; error?: RegExp }[] = [
    { argv: ["--local"], ok: { target: { local: true }, timeoutSeconds: undefined } },
    { argv: ["--stack", "prod", "--timeout", "900"], ok: { target: { stack: "prod" }, timeoutSeconds: 900 } },
    { argv: ["--stack", "dev", "--local"], error: /not both/ },
    { argv: ["--timeout", "soon"], error: /--timeout needs a whole number/ },
  ];
  for (const c of cases) {
    it(`parses ${c.argv.join(" ")}`, () => {
      if (c.error) expect(() => parseSmokeArgs(c.argv)).to.throw(c.error);
      else expect(parseSmokeArgs(c.argv)).to.deep.equal(c.ok);
    });
  }
});
