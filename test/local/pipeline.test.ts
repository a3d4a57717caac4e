import { expect } from "chai";
import { sleep, waitUntil } from "../helpers/wait";
import { spawn } from "node:child_process";
import { motoSigningKeyPem } from "../helpers/tokens";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { importPKCS8, SignJWT, decodeJwt, generateKeyPair } from "jose";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { localStackSettings } from "../../local/stack-settings";
import { createLocalUser, signIn } from "../../local/auth";
import { runDemo } from "../../local/demo";
import { orderBody } from "../helpers/events";
import { formatMoney, taxOf } from "../../runtime/domain/money";
import { loadNotifierSettings } from "../../runtime/settings";
import { NOTIFIER_RETRY_DELAYS_SECONDS } from "../../components/scaling";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ numpages: number; text: string }> = require("pdf-parse/lib/pdf-parse.js");

const ROOT = path.resolve(__dirname, "../..");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("local pipeline (npm start)", function () {
  this.timeout(90000);
  let p: LocalPipeline;
  let cognito: CognitoIdentityProviderClient;
  let token: string;
  const lines: string[] = [];

  before(async () => {
    p = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), print: (l) => lines.push(l) });
    cognito = new CognitoIdentityProviderClient({
      region: p.region,
      endpoint: p.endpoint,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    token = await signIn(cognito, p.pool, p.demoUser.email, p.demoUser.password);
  });
  after(async () => {
    cognito?.destroy();
    await p?.stop();
  });

  const post = (body: unknown, auth: string | null = `Bearer ${token}`) =>
    fetch(`${p.apiUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });

  it("takes an order over HTTP through to an email whose link opens the invoice PDF", async () => {
    // Act: place the order
    const r = await post(orderBody());
    expect(r.status).to.equal(202);
    const { orderId } = (await r.json()) as { orderId: string };
    // Wait for the email in the local inbox
    type Mail = { subject: string; to: string[]; invoiceLink?: string };
    const mail = await waitUntil(
      async () => {
        const inbox = (await (await fetch(p.inboxUrl, { headers: { accept: "application/json" } })).json()) as { emails: Mail[] };
        return inbox.emails.find((m) => m.invoiceLink?.includes(orderId));
      },
      30000,
      200,
    );
    expect(mail, "email in the inbox").to.not.equal(undefined);
    expect(mail!.to).to.deep.equal([p.demoUser.email]);
    // Follow the link: gateway -> signed-link route -> redirect -> moto S3 -> PDF
    const pdfRes = await fetch(mail!.invoiceLink!);
    expect(pdfRes.status).to.equal(200);
    const pdf = await pdfParse(Buffer.from(await pdfRes.arrayBuffer()));
    // The demo catalog's prices: 2 x 19.99 + 12.50, standard shipping 4.90 within Germany, all at Germany's 19 %
    const net = 2 * 1999 + 1250 + 490;
    const total = formatMoney(net + taxOf(net, 1900), "EUR");
    expect(pdf.text).to.contain("TSHIRT-RED-M").and.contain("MUG-01").and.contain("Shipping: Standard shipping").and.contain(total);
    expect(pdf.text).to.match(/Paid on \d{4}-\d{2}-\d{2} by Visa •••• 4242 \(stripe\)/);
    // The order reports NOTIFIED
    const view = (await (await fetch(`${p.apiUrl}/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      status: string;
      invoice: { number: string };
    };
    expect(view.status).to.equal("NOTIFIED");
    expect(view.invoice.number).to.match(/^INV-\d{6}$/);
    // Every part logged, one line per event, with the order id
    for (const part of ["api", "worker", "notifier"]) {
      expect(
        lines.some((l) => l.includes(` ${part}`) && l.includes(orderId)),
        `${part} logged the order`,
      ).to.equal(true);
    }
  });

  it("marks the order's email FAILED with the reason when the customer's address bounces (SES's bounce simulator), end to end", async () => {
    // Prepare: a customer whose mail server refuses the invoice
    const customer = { email: "bounce@simulator.amazonses.com", name: "Bounce", password: "Bounce-Customer-1a" };
    await createLocalUser(cognito, p.pool, customer);
    const bounceToken = await signIn(cognito, p.pool, customer.email, customer.password);
    // Act: the order goes through the gateway, the worker, the notifier (SES accepts the email), SES's events, the events handler
    const r = await post(orderBody(), `Bearer ${bounceToken}`);
    expect(r.status).to.equal(202);
    const { orderId } = (await r.json()) as { orderId: string };
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: p.region, endpoint: p.endpoint }));
    const order = () =>
      ddb.send(new GetCommand({ TableName: p.resources.table, Key: { pk: `ORDER#${orderId}` }, ConsistentRead: true })).then((x) => x.Item);
    try {
      const failed = await waitUntil(async () => ((await order())?.emailStatus === "FAILED" ? await order() : undefined), 60000, 250);
      // Assess: the order was emailed (NOTIFIED) and knows its email bounced, and why
      expect(failed, "the bounce reached the order").to.not.equal(undefined);
      expect(failed!.status).to.equal("NOTIFIED");
      expect(failed!.emailFailure).to.deep.include({
        event: "Bounce",
        reason: "Permanent/General: smtp; 550 5.1.1 user unknown",
        messageId: failed!.emailMessageId,
      });
      expect(lines.some((l) => l.includes(" mail ") && l.includes("invoice email failed") && l.includes(orderId))).to.equal(true);
    } finally {
      ddb.destroy();
    }
  });

  it("answers 401 before the handler runs to no token, a forged token and an expired token", async () => {
    const claims = decodeJwt(token);
    const { privateKey: forgedKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "RS256", kid: "dummy" }).sign(forgedKey);
    const motoKey = await importPKCS8(motoSigningKeyPem(), "RS256");
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims, iat: now - 7200, exp: now - 3600 })
      .setProtectedHeader({ alg: "RS256", kid: "dummy" })
      .sign(motoKey);
    const fresh = await new SignJWT({ ...claims, iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: "RS256", kid: "dummy" })
      .sign(motoKey);
    const before = lines.filter((l) => l.includes("order recorded")).length;
    for (const [what, auth] of [
      ["no token", null],
      ["a forged token", `Bearer ${forged}`],
      ["an expired token", `Bearer ${expired}`],
      ["garbage", "Bearer abc"],
    ] as const) {
      const r = await post(orderBody(), auth);
      expect(r.status, what).to.equal(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).to.equal("UNAUTHENTICATED");
    }
    expect(lines.filter((l) => l.includes("order recorded")).length).to.equal(before);
    // Control: the same claims signed by the pool's key and not expired pass.
    expect((await post(orderBody(), `Bearer ${fresh}`)).status).to.equal(202);
  });

  it("answers an unknown route and a method a route does not define with 404, as the deployed API Gateway does", async () => {
    for (const [method, route] of [
      ["GET", "/admin"],
      ["DELETE", "/orders"],
      ["PUT", "/orders/ord_ZZZZZZZZZZZZZZZZZZZZ"],
    ]) {
      const r = await fetch(`${p.apiUrl}${route}`, { method, headers: { authorization: `Bearer ${token}` } });
      expect(r.status, `${method} ${route}`).to.equal(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).to.equal("NOT_FOUND");
    }
  });

  it("answers 404 to another customer's order", async () => {
    const { orderId } = (await (await post(orderBody())).json()) as { orderId: string };
    const other = { email: "eve@example.com", name: "Eve", password: "Eve-Password-123" };
    await createLocalUser(cognito, p.pool, other);
    const eve = await signIn(cognito, p.pool, other.email, other.password);
    const r = await fetch(`${p.apiUrl}/orders/${orderId}`, { headers: { authorization: `Bearer ${eve}` } });
    expect(r.status).to.equal(404);
    const mine = await fetch(`${p.apiUrl}/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(mine.status).to.equal(200);
  });

  it("runs the demo: every order accepted, invoiced and emailed", async () => {
    const s = await runDemo({ apiUrl: p.apiUrl, token, count: 5, timeoutMs: 60000 });
    expect(s.errors).to.deep.equal([]);
    expect(s).to.include({ requested: 5, accepted: 5, invoiced: 5, emailed: 5, failed: 0 });
    expect(s.latencyMs!.max).to.be.greaterThan(0);
  });

  it("delivers email events on Lambda's own schedule, with the claim lease the notifier reads ending before the last retry", () => {
    const lease = loadNotifierSettings(p.env).claimLeaseSeconds;
    expect({ retries: p.notifierSchedule.retryDelaysSeconds, lease }).to.deep.equal({ retries: NOTIFIER_RETRY_DELAYS_SECONDS, lease: 120 });
    expect(lease).to.be.below(NOTIFIER_RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0));
  });

  it("refuses a claim lease of its own: the lease derives from the notifier's schedule", async () => {
    const env = { NOTIFY_CLAIM_LEASE_SECONDS: "5" };
    const error = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), env, print: () => undefined }).catch(
      (e: Error) => e,
    );
    expect(error)
      .to.be.instanceOf(Error)
      .with.property("message")
      .that.matches(/NOTIFY_CLAIM_LEASE_SECONDS.*notifierSpeedup/);
  });

  it("stops every process it started", async () => {
    const { moto, worker } = p.pids;
    expect(alive(moto!)).to.equal(true);
    expect(alive(worker)).to.equal(true);
    await p.stop();
    await sleep(200);
    expect(alive(moto!), "moto_server").to.equal(false);
    expect(alive(worker), "worker").to.equal(false);
  });
});

describe("npm start as a process", function () {
  this.timeout(90000);

  it("prints the banner, serves the banner's curl order with a token from `npm run token`, and leaves nothing behind on Ctrl-C", async () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-start-"));
    const env = { ...process.env, PORT: "0", SHOP_LOCAL_SESSION: path.join(dir, "session.json") };
    const run = (file: string) =>
      spawn(process.execPath, ["-r", "ts-node/register/transpile-only", file], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const start = run("local/start.ts");
    let out = "";
    start.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => start.on("exit", (code) => r(code)));
    await waitUntil(() => fs.existsSync(env.SHOP_LOCAL_SESSION), 60000, 100);
    const session = JSON.parse(fs.readFileSync(env.SHOP_LOCAL_SESSION, "utf8"));
    expect(out).to.contain(session.apiUrl).and.contain(session.inboxUrl).and.contain("npm run --silent token").and.contain("curl");
    // Act: the banner's steps
    const tokenProc = run("local/token.ts");
    let token = "";
    tokenProc.stdout!.on("data", (b: Buffer) => (token += b.toString()));
    expect(await new Promise((r) => tokenProc.on("exit", r))).to.equal(0);
    const curlBody = /-d '([^']+)'/.exec(out)![1];
    const r = await fetch(`${session.apiUrl}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.trim()}`, "content-type": "application/json" },
      body: curlBody,
    });
    expect(r.status).to.equal(202);
    // Ctrl-C
    start.kill("SIGINT");
    // Assess
    expect(await exited).to.equal(0);
    await sleep(200);
    for (const pid of [session.pid, session.children.moto, session.children.worker]) expect(alive(pid), `pid ${pid}`).to.equal(false);
    expect(fs.existsSync(env.SHOP_LOCAL_SESSION), "session file removed").to.equal(false);
  });
});
