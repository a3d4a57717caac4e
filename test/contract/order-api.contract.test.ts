import { expect } from "chai";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { useLocalAws, LINK_BASE, type LocalAws } from "../helpers/aws";
import { drainQueue, queueDepth, tableItems, workerDeps } from "../helpers/deps";
import { orderBody } from "../helpers/events";
import { apiTarget, contractTargets, type ApiTarget, type ApiResponse, type ApiRequest } from "./targets";
import { orderMessageSchema } from "../../runtime/domain/order";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { invoiceLink, kmsLinkSigner } from "../../runtime/invoices/link";
import { TABLE_DESIGN } from "../../runtime/contracts/table";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy";
import { EXPIRE_PAYMENTS_TASK } from "../../runtime/contracts/payments";

/**
 * The order API's contract as the README states it, run against every target: the handler from
 * source, the archive the stack deploys (in its own process, nothing but the archive and Node),
 * and the local gateway over HTTP with real Cognito tokens. Same cases, same assertions.
 */

const post = (body: unknown, o: Partial<ApiRequest> = {}): ApiRequest => ({ method: "POST", path: "/orders", body, ...o });
const get = (orderId: string, o: Partial<ApiRequest> = {}): ApiRequest => ({
  method: "GET",
  path: `/orders/${encodeURIComponent(orderId)}`,
  ...o,
});
const orders = async (ctx: LocalAws) => (await tableItems(ctx)).filter((i) => i.type === "order");
/** What requests write: orders and idempotency records (the catalog every test stack loads is not theirs). */
const written = async (ctx: LocalAws) => (await tableItems(ctx)).filter((i) => i.type === "order" || i.type === "idempotency");

/** Every error answer has the one documented shape. */
function expectError(
  r: ApiResponse,
  status: number,
  code: string,
): { code: string; message: string; details?: { path: string; message: string }[] } {
  expect(r.status, r.text).to.equal(status);
  expect(r.headers["content-type"]).to.match(/^application\/json/);
  const b = r.json();
  expect(Object.keys(b)).to.deep.equal(["error"]);
  expect(b.error.code).to.equal(code);
  expect(b.error.message).to.be.a("string").and.have.length.greaterThan(10);
  return b.error;
}

/** Places an order, runs the worker on its message (from source) and returns its id. */
async function invoicedOrder(t: ApiTarget, ctx: LocalAws): Promise<string> {
  const r = await t.request(post(orderBody()));
  expect(r.status).to.equal(202);
  const [msg] = await drainQueue(ctx);
  await processOrderMessage(msg.body, workerDeps(ctx));
  return r.json().orderId;
}

/** The path (with query) of a link signed by the stack's KMS key, as the notifier would mail it. */
async function signedLinkPath(ctx: LocalAws, orderId: string, expires: number): Promise<string> {
  const link = await invoiceLink(kmsLinkSigner(ctx.clients.kms, ctx.resources.linkKeyId), LINK_BASE, orderId, expires);
  return link.slice(LINK_BASE.length);
}

const inDays = (d: number) => Math.floor(Date.now() / 1000) + d * 86400;

for (const target of contractTargets(["source", "artifact", "gateway"])) {
  describe(`order API contract [${target}]`, function () {
    this.timeout(60000);
    const ctx = useLocalAws();
    let t: ApiTarget;
    beforeEach(() => (t = apiTarget(target, ctx)));
    afterEach(() => t.stop());

    describe("POST /orders", () => {
      it("answers 202 with the order priced from the catalog and paid, records it as PAID and enqueues exactly one message", async () => {
        const r = await t.request(post(orderBody()));
        expect(r.status, r.text).to.equal(202);
        const b = r.json();
        expect(b).to.include({ status: "PAID", currency: "EUR" });
        expect(b.orderId).to.match(/^ord_[A-Za-z0-9]{20}$/);
        expect(r.headers.location).to.equal(`/orders/${b.orderId}`);
        expect(b.total).to.deep.equal({ amount: 6828, currency: "EUR" }); // 2 x 19.99 + 12.50 + 4.90 shipping = 57.38, + 19 % (10.90)
        const alice = await t.identity("alice");
        const items = await written(ctx);
        expect(items).to.have.length(1);
        expect(items[0]).to.include({ pk: `ORDER#${b.orderId}`, status: "PAID", gsi1pk: `CUSTOMER#${alice.sub}` });
        const msgs = await drainQueue(ctx);
        expect(msgs).to.have.length(1);
        const msg = orderMessageSchema().parse(JSON.parse(msgs[0].body));
        expect(msg.order.orderId).to.equal(b.orderId);
        expect(msg.order.customer).to.deep.equal({ id: alice.sub, email: alice.email, name: alice.name });
      });

      it("keeps the payment method and the client secret out of the table, the queue and the logs; keeps the card's last4", async () => {
        expect((await t.request(post(orderBody()))).status).to.equal(202);
        const secret = (await t.request(post(orderBody({ payment: { provider: "stripe" } })))).json().payment.clientSecret;
        expect(secret).to.match(/_secret_/);
        const stored = JSON.stringify(await written(ctx)) + JSON.stringify(await drainQueue(ctx));
        expect(stored).not.to.contain("pm_card_visa").and.not.to.contain(secret);
        expect(stored).to.contain('"last4":"4242"');
        expect(t.logs().join("\n")).not.to.contain(secret);
      });

      it("takes the customer from the token, never from the body", async () => {
        const r = await t.request(post({ ...orderBody(), customer: { email: "victim@example.com" } }, { as: "bob" }));
        expectError(r, 400, "VALIDATION_FAILED");
        expect((await t.request(post(orderBody(), { as: "bob" }))).status).to.equal(202);
        const [msg] = await drainQueue(ctx);
        expect(JSON.parse(msg.body).order.customer.email).to.equal((await t.identity("bob")).email);
      });

      it("returns the first response for a repeated Idempotency-Key and creates nothing new", async () => {
        const headers = { "Idempotency-Key": "checkout-7f3a" };
        const first = await t.request(post(orderBody(), { headers }));
        // The same body with other key order and spacing.
        const again = await t.request(post(JSON.stringify(orderBody(), null, 2), { headers }));
        expect(first.status).to.equal(202);
        expect(again.status).to.equal(202);
        expect(again.text).to.equal(first.text);
        expect(again.headers["idempotent-replayed"]).to.equal("true");
        expect(await orders(ctx)).to.have.length(1);
        expect(await queueDepth(ctx)).to.equal(1);
      });

      it("answers 409 IDEMPOTENCY_KEY_REUSED when the same key comes with a different body, and writes nothing", async () => {
        const headers = { "idempotency-key": "checkout-1" };
        expect((await t.request(post(orderBody(), { headers }))).status).to.equal(202);
        const other = orderBody({ items: [{ sku: "MUG-01", quantity: 3 }] });
        expectError(await t.request(post(other, { headers })), 409, "IDEMPOTENCY_KEY_REUSED");
        expect(await orders(ctx)).to.have.length(1);
        expect(await queueDepth(ctx)).to.equal(1);
      });

      it("forgets an Idempotency-Key after 24 hours, even before TTL has removed its record", async () => {
        const headers = { "Idempotency-Key": "old-key" };
        const first = (await t.request(post(orderBody(), { headers }))).json();
        // A day passes: the key record's expiry is behind us, but TTL deletes lazily.
        for (const rec of (await tableItems(ctx)).filter((i) => i.type === "idempotency")) {
          await ctx.clients.ddb.send(
            new UpdateCommand({
              TableName: ctx.resources.table,
              Key: { pk: rec.pk },
              UpdateExpression: "SET #ttl = :past",
              ExpressionAttributeNames: { "#ttl": TABLE_DESIGN.ttlAttribute },
              ExpressionAttributeValues: { ":past": Math.floor(Date.now() / 1000) - 60 },
            }),
          );
        }
        const later = await t.request(post(orderBody(), { headers }));
        expect(later.status).to.equal(202);
        expect(later.json().orderId).not.to.equal(first.orderId);
        expect(await queueDepth(ctx)).to.equal(2);
      });

      it("scopes an Idempotency-Key to its customer", async () => {
        const headers = { "Idempotency-Key": "same-key" };
        const a = (await t.request(post(orderBody(), { headers, as: "alice" }))).json();
        const b = (await t.request(post(orderBody(), { headers, as: "bob" }))).json();
        expect(a.orderId).not.to.equal(b.orderId);
        expect(await queueDepth(ctx)).to.equal(2);
      });

      it("answers 500 INTERNAL without internals when the table is gone, and keeps serving", async () => {
        await ctx.ddbRaw.send(new DeleteTableCommand({ TableName: ctx.resources.table }));
        const r = await t.request(post(orderBody()));
        const err = expectError(r, 500, "INTERNAL");
        expect(r.text).not.to.match(/ResourceNotFound|table|dynamo/i);
        expect(err.message).to.match(/retry/i);
        expect(await queueDepth(ctx)).to.equal(0);
        expectError(await t.request(post("{")), 400, "INVALID_JSON");
      });
    });

    describe("when a dependency fails (faults injected by a proxy in front of the local AWS)", () => {
      let proxy: FaultProxy;
      before(async () => (proxy = await startFaultProxy(ctx.moto.endpoint)));
      beforeEach(() => t.useEndpoint(proxy.url));
      afterEach(() => proxy.clear());
      after(() => proxy.close());
      const queueDown = { service: "sqs", action: "SendMessage", fault: { kind: "fail", status: 500, code: "InternalError" } } as const;

      it("answers 202 PAID while the queue is down (the payment stands); the sweep sends the message once after the claim's lease", async () => {
        proxy.arm(queueDown);
        const r = await t.request(post(orderBody()));
        expect([r.status, r.json().status], r.text).to.deep.equal([202, "PAID"]);
        proxy.clear();
        expect(await queueDepth(ctx)).to.equal(0);
        const [rec] = await orders(ctx);
        expect([rec.status, rec.enqueuedAt]).to.deep.equal(["PAID", undefined]);
        expect(await t.scheduled({ action: EXPIRE_PAYMENTS_TASK.action })).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 0 } });
        // The failed send's claim and its place in the outbox age past the lease (as a minute would).
        await ctx.clients.ddb.send(
          new UpdateCommand({
            TableName: ctx.resources.table,
            Key: { pk: rec.pk },
            UpdateExpression: "SET enqueueClaimedAt = :old, #outboxSince = :old",
            ExpressionAttributeNames: { "#outboxSince": TABLE_DESIGN.stateIndex.sortKey },
            ExpressionAttributeValues: { ":old": new Date(Date.now() - 3_600_000).toISOString() },
          }),
        );
        expect(await t.scheduled({ action: EXPIRE_PAYMENTS_TASK.action })).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 1 } });
        expect(await t.scheduled({ action: EXPIRE_PAYMENTS_TASK.action })).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 0 } });
        const msgs = await drainQueue(ctx);
        expect(msgs.map((m) => JSON.parse(m.body).order.orderId)).to.deep.equal([r.json().orderId]);
      });

      it("answers 503 while the table does not answer at all, accepts nothing, and serves again after", async () => {
        const frozen = proxy.arm({ service: "dynamodb", fault: { kind: "freeze" } });
        expectError(await t.request(post(orderBody())), 503, "SERVICE_UNAVAILABLE");
        // Released now, the write the client gave up on may still land (as it may on real DynamoDB when a
        // request times out): it stays an unconfirmed record with an expiry, which no reader shows.
        proxy.clear(frozen);
        expect(await queueDepth(ctx)).to.equal(0);
        const ok = await t.request(post(orderBody()));
        expect(ok.status).to.equal(202);
        // The catalog lookup is the first call: nothing was written before the table stopped answering.
        const all = await orders(ctx);
        expect(all.map((o) => (o.order as { orderId: string }).orderId)).to.deep.equal([ok.json().orderId]);
        const history = (await t.request({ method: "GET", path: "/orders" })).json();
        expect(history.orders.map((o: { orderId: string }) => o.orderId)).to.deep.equal([ok.json().orderId]);
        expect(await queueDepth(ctx)).to.equal(1);
      });
    });

    describe("refusing bad requests", () => {
      const big = JSON.stringify(orderBody()).padEnd(65 * 1024, " ");
      const line = (o: Record<string, unknown>) => ({ sku: "MUG-01", quantity: 1, ...o });
      const cases: { what: string; req: ApiRequest; status: number; code: string; path?: string }[] = [
        { what: "no token", req: post(orderBody(), { as: null }), status: 401, code: "UNAUTHENTICATED" },
        { what: "no token on GET", req: get("ord_ZZZZZZZZZZZZZZZZZZZZ", { as: null }), status: 401, code: "UNAUTHENTICATED" },
        {
          what: "a text/plain body",
          req: post(orderBody(), { headers: { "Content-Type": "text/plain" } }),
          status: 415,
          code: "UNSUPPORTED_MEDIA_TYPE",
        },
        {
          what: "a form body",
          req: post("a=1", { headers: { "Content-Type": "application/x-www-form-urlencoded" } }),
          status: 415,
          code: "UNSUPPORTED_MEDIA_TYPE",
        },
        { what: "a body over 64 KB", req: post(big), status: 413, code: "PAYLOAD_TOO_LARGE" },
        { what: "malformed JSON", req: post('{"items": ['), status: 400, code: "INVALID_JSON" },
        { what: "an empty body", req: post(""), status: 400, code: "INVALID_JSON" },
        { what: "a JSON array", req: post("[]"), status: 400, code: "VALIDATION_FAILED", path: "(body)" },
        {
          what: "a zero quantity",
          req: post(orderBody({ items: [line({ quantity: 0 })] })),
          status: 400,
          code: "VALIDATION_FAILED",
          path: "items.0.quantity",
        },
        { what: "an unknown field", req: post({ ...orderBody(), discount: 100 }), status: 400, code: "VALIDATION_FAILED" },
        {
          what: "a card number as the token",
          req: post(orderBody({ payment: { provider: "stripe", token: "4111111111111111" } })),
          status: 400,
          code: "PAYMENT_DATA_NOT_ALLOWED",
        },
        {
          what: "a spaced card number in an address line",
          req: post(orderBody({ shippingAddress: { name: "A", line1: "4111 1111 1111 1111", city: "B", postalCode: "1", country: "DE" } })),
          status: 400,
          code: "PAYMENT_DATA_NOT_ALLOWED",
        },
        {
          what: "a card number inside malformed JSON",
          req: post('{"card": "5500-0000-0000-0004"'),
          status: 400,
          code: "PAYMENT_DATA_NOT_ALLOWED",
        },
        {
          what: "a unit price sent by the client",
          req: post(orderBody({ items: [line({ unitPrice: { amount: 1, currency: "EUR" } })] })),
          status: 400,
          code: "CLIENT_PRICING_REFUSED",
          path: "items.0.unitPrice",
        },
        {
          what: "a payment token (the old contract)",
          req: post(orderBody({ payment: { provider: "stripe", token: "tok_1NXa2bCdEfGh" } })),
          status: 400,
          code: "VALIDATION_FAILED",
          path: "payment.token",
        },
        {
          what: "an unknown SKU",
          req: post(orderBody({ items: [line({ sku: "NO-SUCH-SKU" })] })),
          status: 422,
          code: "PRODUCT_UNAVAILABLE",
          path: "items.0.sku",
        },
        {
          what: "a currency the catalog has no price in",
          req: post(orderBody({ currency: "JPY" })),
          status: 422,
          code: "PRICE_UNAVAILABLE",
        },
        {
          what: "an expected unit price in another currency",
          req: post(orderBody({ items: [line({ expectedUnitPrice: { amount: 1250, currency: "USD" } })] })),
          status: 409,
          code: "PRICE_CHANGED",
        },
        {
          what: "a bad Idempotency-Key",
          req: post(orderBody(), { headers: { "Idempotency-Key": "has space" } }),
          status: 400,
          code: "VALIDATION_FAILED",
          path: "headers.Idempotency-Key",
        },
        { what: "an unknown route", req: { method: "GET", path: "/admin" }, status: 404, code: "NOT_FOUND" },
        { what: "a method the route does not have", req: { method: "DELETE", path: "/orders" }, status: 404, code: "NOT_FOUND" },
      ];
      for (const c of cases) {
        it(`answers ${c.status} ${c.code} to ${c.what}, writing nothing and logging no card data`, async () => {
          const r = await t.request(c.req);
          const err = expectError(r, c.status, c.code);
          if (c.path) expect((err.details ?? []).map((d) => d.path)).to.include(c.path);
          expect(await written(ctx)).to.deep.equal([]);
          expect(await queueDepth(ctx)).to.equal(0);
          expect(t.logs().join("\n")).not.to.match(/4111|5500-0000/);
        });
      }
    });

    describe("GET /orders/{orderId}", () => {
      it("shows the owner the order with totals and no invoice yet", async () => {
        const { orderId } = (await t.request(post(orderBody()))).json();
        const r = await t.request(get(orderId));
        expect(r.status).to.equal(200);
        const b = r.json();
        expect(b).to.include({ orderId, status: "PAID", invoice: null });
        expect(b.lines).to.have.length(2);
        expect(b.total).to.deep.equal({ amount: 6828, currency: "EUR" });
      });

      it("shows an invoiced order's number and a URL that serves its PDF", async () => {
        const orderId = await invoicedOrder(t, ctx);
        const b = (await t.request(get(orderId))).json();
        expect(b.status).to.equal("INVOICED");
        expect(b.invoice.number).to.equal("INV-000001");
        const pdf = await fetch(b.invoice.url);
        expect(pdf.status).to.equal(200);
        expect(
          Buffer.from(await pdf.arrayBuffer())
            .subarray(0, 5)
            .toString(),
        ).to.equal("%PDF-");
      });

      it("answers another customer, an unknown id and a malformed id with the same 404", async () => {
        const { orderId } = (await t.request(post(orderBody()))).json();
        const answers = [
          await t.request(get(orderId, { as: "bob" })),
          await t.request(get("ord_ZZZZZZZZZZZZZZZZZZZZ")),
          await t.request(get("not-an-order")),
        ];
        for (const r of answers) {
          expect(r.status).to.equal(404);
          expect(r.json()).to.deep.equal({ error: { code: "NOT_FOUND", message: "No such order." } });
        }
      });
    });

    describe("GET /orders (order history)", () => {
      const list = (query: string, o: Partial<ApiRequest> = {}): ApiRequest => ({ method: "GET", path: `/orders${query}`, ...o });
      /** Places `n` orders as `as`, one after the other, and returns their ids in the order placed. */
      const place = async (n: number, as: "alice" | "bob" = "alice") => {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const r = await t.request(post(orderBody(), { as }));
          expect(r.status, r.text).to.equal(202);
          ids.push(r.json().orderId);
        }
        return ids;
      };

      it("pages through the customer's own orders, newest first, until nextCursor is null", async () => {
        const mine = await place(3);
        const [bobs] = await place(1, "bob");
        const first = await t.request(list("?limit=2"));
        expect(first.status, first.text).to.equal(200);
        expect(first.headers["cache-control"]).to.equal("no-store");
        const p1 = first.json();
        expect(p1.orders).to.have.length(2);
        expect(p1.nextCursor)
          .to.be.a("string")
          .and.match(/^[A-Za-z0-9_-]+$/);
        const p2 = (await t.request(list(`?limit=2&cursor=${p1.nextCursor}`))).json();
        expect(p2.orders).to.have.length(1);
        expect(p2.nextCursor).to.equal(null);
        const seen = [...p1.orders, ...p2.orders];
        expect(seen.map((o: { orderId: string }) => o.orderId).sort()).to.deep.equal([...mine].sort());
        expect(seen.map((o: { orderId: string }) => o.orderId)).not.to.include(bobs);
        const times = seen.map((o: { createdAt: string }) => o.createdAt);
        expect(times).to.deep.equal([...times].sort().reverse());
        expect(seen[0]).to.deep.equal({
          orderId: seen[0].orderId,
          status: "PAID",
          createdAt: seen[0].createdAt,
          currency: "EUR",
          total: { amount: 6828, currency: "EUR" },
          invoiceNumber: null,
          links: { self: `/orders/${seen[0].orderId}` },
        });
      });

      it("lists up to 20 orders by default and shows an invoiced order's number", async () => {
        const orderId = await invoicedOrder(t, ctx);
        const b = (await t.request(list(""))).json();
        expect(b).to.deep.include({ nextCursor: null });
        expect(b.orders).to.have.length(1);
        expect(b.orders[0]).to.include({ orderId, status: "INVOICED", invoiceNumber: "INV-000001" });
      });

      it("answers a customer without orders with an empty page", async () => {
        await place(1, "alice");
        const r = await t.request(list("?limit=5", { as: "bob" }));
        expect(r.status).to.equal(200);
        expect(r.json()).to.deep.equal({ orders: [], nextCursor: null });
      });

      it("answers 400 VALIDATION_FAILED to another customer's cursor, an altered one and a malformed one, showing nothing", async () => {
        const mine = await place(2);
        const cursor = (await t.request(list("?limit=1"))).json().nextCursor as string;
        const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString());
        const altered = Buffer.from(JSON.stringify({ ...decoded, o: mine.find((id) => id !== decoded.o) })).toString("base64url");
        for (const [query, as] of [
          [`?cursor=${cursor}`, "bob"],
          [`?cursor=${altered}`, "alice"],
          ["?cursor=bm90LWpzb24", "alice"],
          ["?cursor=%7B%7D", "alice"],
        ] as const) {
          const err = expectError(await t.request(list(query, { as })), 400, "VALIDATION_FAILED");
          expect(
            (err.details ?? []).map((d) => d.path),
            query,
          ).to.deep.equal(["query.cursor"]);
        }
      });

      it("answers 400 VALIDATION_FAILED to a limit that is not a whole number from 1 to 100", async () => {
        // One test for the table: each case would otherwise pay a cold start on the artifact and gateway targets.
        for (const limit of ["0", "101", "two", "-1", "1.5", ""]) {
          const err = expectError(await t.request(list(`?limit=${limit}`)), 400, "VALIDATION_FAILED");
          expect(
            (err.details ?? []).map((d) => d.path),
            `limit=${limit}`,
          ).to.deep.equal(["query.limit"]);
        }
      });

      it("answers 401 UNAUTHENTICATED without a token", async () => {
        expectError(await t.request(list("?limit=2", { as: null })), 401, "UNAUTHENTICATED");
      });
    });

    describe("GET /invoices/{orderId} (the emailed link)", () => {
      it("redirects a valid link, without sign-in, to a short-lived URL of the stored PDF", async () => {
        const orderId = await invoicedOrder(t, ctx);
        const r = await t.request({ method: "GET", path: await signedLinkPath(ctx, orderId, inDays(30)), as: null });
        expect(r.status, r.text).to.equal(302);
        expect(r.headers["cache-control"]).to.equal("no-store");
        const served = Buffer.from(await (await fetch(r.headers.location)).arrayBuffer());
        const stored = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: `invoices/${orderId}.pdf` }));
        expect(served.equals(Buffer.from(await stored.Body!.transformToByteArray()))).to.equal(true);
      });

      it("answers 403 LINK_INVALID to a tampered expiry, another order's id and a missing signature", async () => {
        const orderId = await invoicedOrder(t, ctx);
        const good = new URL(await signedLinkPath(ctx, orderId, inDays(30)), "http://x");
        const tampered = new URL(good);
        tampered.searchParams.set("expires", String(inDays(60)));
        const other = new URL(good);
        other.pathname = other.pathname.replace(orderId, "ord_ZZZZZZZZZZZZZZZZZZZZ");
        const unsigned = new URL(good);
        unsigned.searchParams.delete("sig");
        for (const u of [tampered, other, unsigned]) {
          expectError(await t.request({ method: "GET", path: u.pathname + u.search, as: null }), 403, "LINK_INVALID");
        }
      });

      it("answers 410 LINK_EXPIRED to a genuine link past its expiry", async () => {
        const orderId = await invoicedOrder(t, ctx);
        const r = await t.request({ method: "GET", path: await signedLinkPath(ctx, orderId, inDays(-1)), as: null });
        expectError(r, 410, "LINK_EXPIRED");
      });

      it("answers 404 NOT_FOUND to a genuine link of an order not invoiced yet", async () => {
        const { orderId } = (await t.request(post(orderBody()))).json();
        expectError(await t.request({ method: "GET", path: await signedLinkPath(ctx, orderId, inDays(30)), as: null }), 404, "NOT_FOUND");
      });
    });
  });
}
