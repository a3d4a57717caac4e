import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "chai";
import { decodeJwt } from "jose";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { localStackSettings } from "../../local/stack-settings";
import { sessionOf, writeSession } from "../../local/session";
import { userArg } from "../../local/token";
import { ORDER_STATUSES } from "../../runtime/domain/order";
import { ADMIN_GROUP } from "../../runtime/contracts/routes";
import { TEST_PAYMENT_METHODS } from "../../local/stripe/objects";
import { EVENT_DETAIL_SCHEMAS } from "../../runtime/domain/events";
import type { EventType } from "../../runtime/contracts/events";
import { orderBody } from "../helpers/events";
import { waitUntil } from "../helpers/wait";

const ROOT = path.resolve(__dirname, "..", "..");

describe("npm run token -- --user", () => {
  const cases: { argv: string[]; user: string | undefined }[] = [
    { argv: [], user: undefined },
    { argv: ["--user", "bob@example.com"], user: "bob@example.com" },
    { argv: ["--user=carol@example.com"], user: "carol@example.com" },
  ];
  for (const c of cases)
    it(`reads ${JSON.stringify(c.argv)} as ${c.user ?? "the demo user"}`, () => expect(userArg(c.argv)).to.equal(c.user));
  it("refuses --user without an address", () => expect(() => userArg(["--user"])).to.throw(/needs an email address/));
});

describe("the local pipeline's own routes (/openapi.json, /_local/ console API)", function () {
  this.timeout(90000);
  let p: LocalPipeline;
  let sqs: SQSClient;
  before(async () => {
    p = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), print: () => undefined });
    sqs = new SQSClient({ region: p.region, endpoint: p.endpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  });
  after(async () => {
    sqs?.destroy();
    await p?.stop();
  });
  const post = (url: string, body?: unknown) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("serves the checked-in OpenAPI document at /openapi.json and the console page at /_local/", async () => {
    const doc = await fetch(`${p.apiUrl}/openapi.json`);
    expect(doc.status).to.equal(200);
    expect(await doc.text()).to.equal(fs.readFileSync(path.join(ROOT, "openapi", "openapi.json"), "utf8"));
    const page = await fetch(p.consoleUrl);
    expect(page.headers.get("content-type")).to.match(/^text\/html/);
    expect(await page.text()).to.contain('<script src="/_local/console.js">');
  });

  it("offers one of the stand-in's test cards for each outcome (paid, 3-D Secure, declined) and no typed-in name or price", async () => {
    const html = await (await fetch(p.consoleUrl)).text();
    const offered = [...html.matchAll(/<option value="(pm_[A-Za-z0-9_]+)">/g)].map((m) => m[1]);
    expect(offered.map((pm) => TEST_PAYMENT_METHODS[pm]?.outcome).sort()).to.deep.equal(["authenticate", "decline", "succeed"]);
    expect(html).to.not.match(/name="(name|amount|currency)"/);
    // The product list is filled from the public catalog route, which answers without a token.
    expect(fs.readFileSync(path.join(ROOT, "local", "console", "console.js"), "utf8")).to.contain('"/products?currency=EUR&lang=en"');
    expect((await fetch(`${p.apiUrl}/products?currency=EUR&lang=en`)).status).to.equal(200);
  });

  it("signs in a second local user, created on first use, whose token the API accepts", async () => {
    const r = await post(`${p.apiUrl}/_local/api/sign-in`, { email: "bob@example.com" });
    expect(r.status).to.equal(200);
    const { token } = (await r.json()) as { token: string };
    expect(decodeJwt(token)).to.include({ email: "bob@example.com", token_use: "id" });
    const again = (await (await post(`${p.apiUrl}/_local/api/sign-in`, { email: "bob@example.com" })).json()) as { token: string };
    expect(decodeJwt(again.token).sub).to.equal(decodeJwt(token).sub);
    const list = await fetch(`${p.apiUrl}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).to.equal(200);
    expect(await list.json()).to.deep.equal({ orders: [], nextCursor: null });
    const bad = await post(`${p.apiUrl}/_local/api/sign-in`, { email: "not an address" });
    expect(bad.status).to.equal(400);
  });

  it("names the shop admin in its config and signs them in with the shop-admins group, whose token reads GET /admin/orders and a customer's does not", async () => {
    const config = (await (await fetch(`${p.apiUrl}/_local/api/config`)).json()) as { demoEmail: string; adminEmail: string };
    expect(config).to.deep.equal({ demoEmail: p.demoUser.email, adminEmail: p.adminUser.email });
    const asAdmin = (await (await post(`${p.apiUrl}/_local/api/sign-in`, { email: config.adminEmail })).json()) as { token: string };
    expect(decodeJwt(asAdmin.token)["cognito:groups"]).to.deep.equal([ADMIN_GROUP]);
    const list = await fetch(`${p.apiUrl}/admin/orders`, { headers: { authorization: `Bearer ${asAdmin.token}` } });
    expect(list.status).to.equal(200);
    const asDemo = (await (await post(`${p.apiUrl}/_local/api/sign-in`, { email: config.demoEmail })).json()) as { token: string };
    const refused = await fetch(`${p.apiUrl}/admin/orders`, { headers: { authorization: `Bearer ${asDemo.token}` } });
    expect(refused.status).to.equal(403);
  });

  it("gives the same user's token through `npm run token -- --user` (the session file of npm start)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-session-"));
    const file = path.join(dir, "session.json");
    writeSession(sessionOf(p), file);
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "local/token.ts", "--user", "carol@example.com"],
        {
          cwd: ROOT,
          env: { ...process.env, SHOP_LOCAL_SESSION: file },
        },
      );
      expect(decodeJwt(stdout.trim())).to.include({ email: "carol@example.com" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports queue depths and counts, and redrives every DLQ message back to the orders queue", async () => {
    for (const i of [1, 2]) await sqs.send(new SendMessageCommand({ QueueUrl: p.resources.dlqUrl, MessageBody: `{"poison":${i}}` }));
    const state = (await (await fetch(`${p.apiUrl}/_local/api/state`)).json()) as {
      queues: { dlq: { waiting: number } };
      orders: Record<string, number>;
      emailsSent: number;
    };
    expect(state.queues.dlq.waiting).to.equal(2);
    expect(state.orders).to.deep.equal(Object.fromEntries(ORDER_STATUSES.map((st) => [st, 0])));
    expect(state.emailsSent).to.equal(0);
    expect(await (await post(`${p.apiUrl}/_local/api/redrive`)).json()).to.deep.equal({ moved: 2 });
    const after = (await (await fetch(`${p.apiUrl}/_local/api/state`)).json()) as {
      queues: { dlq: { waiting: number; inFlight: number } };
    };
    expect(after.queues.dlq).to.deep.equal({ waiting: 0, inFlight: 0 });
  });

  // Last: it places an order, which the counts above must not see.
  it("serves the business events the parts published on the local bus at /_local/api/events, newest first, each detail valid", async () => {
    const { token } = (await (await post(`${p.apiUrl}/_local/api/sign-in`, { email: "erin@example.com" })).json()) as { token: string };
    const placed = await fetch(`${p.apiUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(orderBody()),
    });
    expect(placed.status).to.equal(202);
    const { orderId } = (await placed.json()) as { orderId: string };

    type Listed = { source: string; detailType: string; detail: Record<string, unknown> };
    let ofOrder: Listed[] = [];
    await waitUntil(
      async () => {
        const r = await fetch(`${p.apiUrl}/_local/api/events`);
        expect(r.headers.get("content-type")).to.match(/^application\/json/);
        const { events } = (await r.json()) as { events: Listed[] };
        ofOrder = events.filter((e) => e.detail.orderId === orderId);
        return ofOrder.length >= 3;
      },
      60_000,
      250,
    );

    expect(ofOrder.map((e) => e.detailType).sort()).to.deep.equal(["email.sent", "invoice.issued", "order.paid"]);
    // order.paid goes out before the order is even queued: the oldest of the three, so the last of the list.
    expect(ofOrder[ofOrder.length - 1].detailType).to.equal("order.paid");
    for (const e of ofOrder) {
      expect(e.source).to.equal("shop-backend.local");
      EVENT_DETAIL_SCHEMAS[e.detailType as EventType].parse(e.detail);
    }
    expect(p.events.list().filter((e) => e.detail.orderId === orderId)).to.deep.equal(ofOrder);
  });
});
