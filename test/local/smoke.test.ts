import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { waitUntil } from "../helpers/wait";
import { ROOT } from "../helpers/pulumi-mocks";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { CognitoIdentityProviderClient, ListUsersCommand } from "@aws-sdk/client-cognito-identity-provider";
import "../helpers/aws"; // fake credentials: nothing here may reach a real account
import { parseSmokeArgs } from "../../local/smoke";
import { LOCAL_ADMIN_EMAIL } from "../../local/auth";
import type { LocalSession } from "../../local/session";

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
    { argv: ["--local"], ok: { target: { local: true }, timeoutSeconds: undefined, readOnly: false } },
    { argv: ["--stack", "dev", "--timeout", "900"], ok: { target: { stack: "dev" }, timeoutSeconds: 900, readOnly: false } },
    {
      argv: ["--stack", "prod", "--read-only", "--timeout", "900"],
      ok: { target: { stack: "prod" }, timeoutSeconds: 900, readOnly: true },
    },
    { argv: ["--local", "--read-only"], ok: { target: { local: true }, timeoutSeconds: undefined, readOnly: true } },
    // A test order in prod would take a number of the gap-free invoice series.
    { argv: ["--stack", "prod"], error: /against "prod" use --read-only/ },
    { argv: ["--stack", "prod-eu"], error: /against "prod-eu" use --read-only/ },
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

describe("npm run smoke -- --local --read-only against npm start", function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-smoke-ro-"));
  const env = { ...process.env, PORT: "0", SHOP_LOCAL_SESSION: path.join(dir, "session.json") };
  let start: ReturnType<typeof run>;
  let session: LocalSession;
  let aws: { ddb: DynamoDBDocumentClient; s3: S3Client; cognito: CognitoIdentityProviderClient };

  before(async () => {
    start = run("local/start.ts", [], env);
    expect(await waitUntil(() => fs.existsSync(env.SHOP_LOCAL_SESSION), 60000, 100), start.output()).to.equal(true);
    session = JSON.parse(fs.readFileSync(env.SHOP_LOCAL_SESSION, "utf8"));
    const config = { region: session.region, endpoint: session.endpoint };
    aws = {
      ddb: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
      s3: new S3Client({ ...config, forcePathStyle: true }),
      cognito: new CognitoIdentityProviderClient(config),
    };
  });
  after(async () => {
    start.child.kill("SIGINT");
    expect(await start.exited).to.equal(0);
    aws?.ddb.destroy();
    aws?.s3.destroy();
    aws?.cognito.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** What a customer or the invoice series could see: every item of the table, every object of every bucket, every email. */
  async function traces() {
    const items = (await aws.ddb.send(new ScanCommand({ TableName: session.table, ConsistentRead: true }))).Items ?? [];
    const buckets = (await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? [];
    let objects = 0;
    for (const b of buckets) objects += (await aws.s3.send(new ListObjectsV2Command({ Bucket: b.Name! }))).KeyCount ?? 0;
    const ses = ((await (await fetch(`${session.endpoint}/moto-api/data.json`)).json()) as { ses?: Record<string, unknown[]> }).ses ?? {};
    const users = (await aws.cognito.send(new ListUsersCommand({ UserPoolId: session.poolId }))).Users ?? [];
    return {
      items,
      objects,
      emails: (ses.Message?.length ?? 0) + (ses.RawMessage?.length ?? 0),
      users: users.map((u) => u.Attributes?.find((a) => a.Name === "email")?.Value).sort(),
    };
  }

  it("proves the authorizer, the API, the link check, the queue and the worker, leaving no order, invoice number, PDF or email", async () => {
    // Act
    const smoke = run("local/smoke-cli.ts", ["--local", "--read-only"], env);
    const code = await smoke.exited;
    // Assess: it passed, step by step ...
    expect(code, smoke.output()).to.equal(0);
    const out = smoke.output();
    expect(out).to.match(/smoke: probe smoke-[0-9a-f]{12} sent to the orders queue/);
    expect(out).to.match(/smoke: created smoke-[0-9a-f]+@shop\.example/);
    expect(out).to.contain("smoke: GET /orders without a token: 401 UNAUTHENTICATED (the authorizer)");
    expect(out).to.contain("smoke: GET /orders with the user's token: 200, no orders");
    expect(out).to.contain("smoke: GET /invoices/{id} with a forged signature: 403 LINK_INVALID (checked with KMS)");
    expect(out).to.match(/smoke: deleted smoke-[0-9a-f]+@shop\.example/);
    expect(out).to.contain(`smoke: probe answered by worker release ${session.workerRelease}, the one deployed`);
    expect(out).to.match(/smoke: OK read-only \(probe smoke-[0-9a-f]{12} recorded after \d+ s/);
    // ... and left nothing but the probe's receipt, which expires within the hour.
    const probeId = /probe (smoke-[0-9a-f]{12}) sent/.exec(out)![1];
    const t = await traces();
    const written = t.items.filter((i) => i.type !== "product" && i.type !== "shipping"); // the demo catalog npm start loaded
    expect(written.map((i) => i.pk)).to.deep.equal([`PROBE#${probeId}`]); // no order, no idempotency key, no invoice counter
    expect(written[0].expiresAt as number).to.be.within(Date.now() / 1000, Date.now() / 1000 + 3600);
    expect(t.objects, "objects in the buckets").to.equal(0);
    expect(t.emails, "emails SES accepted").to.equal(0);
    expect(t.users, "the throwaway user is deleted").to.deep.equal([LOCAL_ADMIN_EMAIL, session.demoUser.email].sort());
  });

  it("fails when the worker that answered is not the release just deployed (a rolled-back deploy answers from the old tasks)", async () => {
    // Prepare: a session that expects another release than the running worker's, as a stack whose new tasks never took over.
    const file = path.join(dir, "newer-release.json");
    fs.writeFileSync(file, JSON.stringify({ ...session, workerRelease: "0123456789ab" }));
    // Act
    const smoke = run("local/smoke-cli.ts", ["--local", "--read-only"], { ...env, SHOP_LOCAL_SESSION: file });
    const code = await smoke.exited;
    // Assess
    expect(code, smoke.output()).to.equal(1);
    expect(smoke.output()).to.contain(
      `smoke: FAILED: smoke step "check which worker answered" failed: the probe was answered by worker release ${session.workerRelease}, ` +
        "but this deploy's worker is 0123456789ab",
    );
  });

  it("fails at the probe step, naming it, when the worker is not running", async () => {
    // Prepare: stop the pipeline's worker (a child of the npm start this test started).
    process.kill(session.children.worker, "SIGTERM");
    const gone = await waitUntil(() => {
      try {
        process.kill(session.children.worker, 0);
        return false;
      } catch {
        return true;
      }
    }, 30000);
    expect(gone, "the worker exited").to.equal(true);
    // Act
    const smoke = run("local/smoke-cli.ts", ["--local", "--read-only", "--timeout", "5"], env);
    const code = await smoke.exited;
    // Assess: the API checks passed, the probe step failed and said so; the user is gone all the same.
    expect(code, smoke.output()).to.equal(1);
    expect(smoke.output()).to.contain("smoke: GET /invoices/{id} with a forged signature: 403 LINK_INVALID");
    expect(smoke.output()).to.match(
      /smoke: FAILED: smoke step "wait for the worker to record the probe" failed: no worker recorded probe smoke-[0-9a-f]{12} within 5 s/,
    );
    expect((await traces()).users).to.deep.equal([LOCAL_ADMIN_EMAIL, session.demoUser.email].sort());
  });
});
