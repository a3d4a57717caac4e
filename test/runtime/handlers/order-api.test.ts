import { expect } from "chai";
import type { APIGatewayProxyResult } from "aws-lambda";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, queueDepth, tableItems } from "../../helpers/deps";
import { ALICE, BOB, apiEvent, getOrder, orderBody, postOrder } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { orderMessageSchema } from "../../../runtime/domain/order";

const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body);

/** An SQS client whose SendMessage fails the first `n` times: a fault moto cannot produce. */
function failingSends(real: SQSClient, n: number): SQSClient {
  let left = n;
  return new Proxy(real, {
    get(target, prop, recv) {
      if (prop !== "send") return Reflect.get(target, prop, recv);
      return (cmd: { constructor: { name: string } }, ...rest: unknown[]) => {
        if (cmd.constructor.name === "SendMessageCommand" && left-- > 0) {
          return Promise.reject(Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailable" }));
        }
        return (target.send as (...a: unknown[]) => unknown)(cmd, ...rest);
      };
    },
  });
}

describe("order API handler", () => {
  const ctx = useLocalAws();

  describe("POST /orders", () => {
    it("answers 202, records the order as PENDING and enqueues exactly one message", async () => {
      // Act
      const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      // Assess
      expect(r.statusCode).to.equal(202);
      const b = bodyOf(r);
      expect(b).to.include({ status: "PENDING", currency: "EUR" });
      expect(b.orderId).to.match(/^ord_[A-Za-z0-9]{20}$/);
      expect(b.total).to.deep.equal({ amount: 5818, currency: "EUR" }); // 48.48 + 20 % (9.70)
      const items = await tableItems(ctx);
      expect(items).to.have.length(1);
      expect(items[0]).to.include({ pk: `ORDER#${b.orderId}`, status: "PENDING", gsi1pk: `CUSTOMER#${ALICE.sub}` });
      expect(items[0].enqueuedAt).to.be.a("string");
      const msgs = await drainQueue(ctx);
      expect(msgs).to.have.length(1);
      const msg = orderMessageSchema().parse(JSON.parse(msgs[0].body));
      expect(msg.order.orderId).to.equal(b.orderId);
      expect(msg.order.customer).to.deep.equal({ id: ALICE.sub, email: ALICE.email, name: ALICE.name });
    });

    it("keeps the payment token out of the table and the queue", async () => {
      await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      const stored = JSON.stringify(await tableItems(ctx)) + JSON.stringify(await drainQueue(ctx));
      expect(stored).not.to.contain("tok_1NXa2bCdEfGh");
      expect(stored).to.contain('"last4":"4242"');
    });

    it("takes the customer from the token's claims, never from the body", async () => {
      const r = await handleApiRequest(postOrder(orderBody(), { claims: BOB }), apiDeps(ctx));
      const [msg] = await drainQueue(ctx);
      expect(JSON.parse(msg.body).order.customer.email).to.equal(BOB.email);
      expect(r.statusCode).to.equal(202);
    });

    it("returns the first response for a repeated Idempotency-Key and creates nothing new", async () => {
      // Prepare
      const headers = { "Idempotency-Key": "checkout-7f3a" };
      const first = await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx));
      // Act: same body, other key order and spacing
      const again = await handleApiRequest(postOrder(JSON.stringify(orderBody(), null, 2), { headers }), apiDeps(ctx));
      // Assess
      expect(first.statusCode).to.equal(202);
      expect(again.statusCode).to.equal(202);
      expect(again.body).to.equal(first.body);
      expect(again.headers).to.include({ "idempotent-replayed": "true" });
      expect((await tableItems(ctx)).filter((i) => i.type === "order")).to.have.length(1);
      expect(await queueDepth(ctx)).to.equal(1);
    });

    it("answers 409 when the same key comes with a different body, and writes nothing", async () => {
      const headers = { "idempotency-key": "checkout-1" };
      await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx));
      const other = orderBody({ items: [{ sku: "X", name: "Other", quantity: 1, unitPrice: { amount: 100, currency: "EUR" } }] });
      const r = await handleApiRequest(postOrder(other, { headers }), apiDeps(ctx));
      expect(r.statusCode).to.equal(409);
      expect(bodyOf(r).error.code).to.equal("IDEMPOTENCY_KEY_REUSED");
      expect((await tableItems(ctx)).filter((i) => i.type === "order")).to.have.length(1);
      expect(await queueDepth(ctx)).to.equal(1);
    });

    it("forgets an Idempotency-Key after 24 hours, even before TTL has removed it", async () => {
      const headers = { "Idempotency-Key": "old-key" };
      const first = JSON.parse((await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx))).body);
      const tomorrow = () => new Date(Date.now() + 24 * 3600 * 1000 + 60_000);
      const later = await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx, { now: tomorrow }));
      expect(later.statusCode).to.equal(202);
      expect(JSON.parse(later.body).orderId).not.to.equal(first.orderId);
      expect(await queueDepth(ctx)).to.equal(2);
    });

    it("scopes an Idempotency-Key to its customer", async () => {
      const headers = { "Idempotency-Key": "same-key" };
      const a = bodyOf(await handleApiRequest(postOrder(orderBody(), { headers, claims: ALICE }), apiDeps(ctx)));
      const b = bodyOf(await handleApiRequest(postOrder(orderBody(), { headers, claims: BOB }), apiDeps(ctx)));
      expect(a.orderId).not.to.equal(b.orderId);
      expect(await queueDepth(ctx)).to.equal(2);
    });

    it("completes the order on a retry after the queue send failed, without duplicating it", async () => {
      // Prepare: the first attempt records the order but cannot enqueue it.
      const headers = { "Idempotency-Key": "retry-me" };
      const failing = apiDeps(ctx, { sqs: failingSends(ctx.clients.sqs, 1) });
      const first = await handleApiRequest(postOrder(orderBody(), { headers }), failing);
      expect(first.statusCode).to.equal(500);
      expect(await queueDepth(ctx)).to.equal(0);
      // Act
      const retry = await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx));
      // Assess
      expect(retry.statusCode).to.equal(202);
      const orders = (await tableItems(ctx)).filter((i) => i.type === "order");
      expect(orders).to.have.length(1);
      expect(orders[0].enqueuedAt).to.be.a("string");
      const msgs = await drainQueue(ctx);
      expect(msgs).to.have.length(1);
      expect(JSON.parse(msgs[0].body).order.orderId).to.equal(bodyOf(retry).orderId);
    });

    it("leaves no order behind when the send fails and there is no key to retry with", async () => {
      const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx, { sqs: failingSends(ctx.clients.sqs, 1) }));
      expect(r.statusCode).to.equal(500);
      expect(bodyOf(r).error.code).to.equal("INTERNAL");
      expect(await tableItems(ctx)).to.deep.equal([]);
    });

    it("answers 500 without internals when the table is gone, and keeps serving", async () => {
      const deps = apiDeps(ctx);
      await ctx.ddbRaw.send(new DeleteTableCommand({ TableName: ctx.resources.table }));
      const r = await handleApiRequest(postOrder(orderBody()), deps);
      expect(r.statusCode).to.equal(500);
      expect(r.body).not.to.match(/ResourceNotFound|table|dynamo/i);
      expect(await queueDepth(ctx)).to.equal(0);
      const again = await handleApiRequest(postOrder("{"), deps);
      expect(again.statusCode).to.equal(400);
    });
  });

  describe("refusing bad requests", () => {
    const big = JSON.stringify(orderBody({ items: [{ sku: "A", name: "x".repeat(200), quantity: 1, unitPrice: { amount: 1, currency: "EUR" } }] })).padEnd(65 * 1024, " ");
    const cases: { what: string; event: () => ReturnType<typeof postOrder>; status: number; code: string; path?: string }[] = [
      { what: "no identity", event: () => postOrder(orderBody(), { claims: null }), status: 401, code: "UNAUTHENTICATED" },
      { what: "claims without an email", event: () => postOrder(orderBody(), { claims: { sub: "x", email: "" } }), status: 401, code: "UNAUTHENTICATED" },
      { what: "a text/plain body", event: () => postOrder(orderBody(), { headers: { "Content-Type": "text/plain" } }), status: 415, code: "UNSUPPORTED_MEDIA_TYPE" },
      { what: "a form body", event: () => postOrder("a=1", { headers: { "content-type": "application/x-www-form-urlencoded" } }), status: 415, code: "UNSUPPORTED_MEDIA_TYPE" },
      { what: "a body over 64 KB", event: () => postOrder(big), status: 413, code: "PAYLOAD_TOO_LARGE" },
      { what: "malformed JSON", event: () => postOrder('{"items": ['), status: 400, code: "INVALID_JSON" },
      { what: "an empty body", event: () => postOrder(""), status: 400, code: "INVALID_JSON" },
      { what: "a JSON array", event: () => postOrder("[]"), status: 400, code: "VALIDATION_FAILED", path: "(body)" },
      { what: "a zero quantity", event: () => postOrder(orderBody({ items: [{ sku: "A", name: "a", quantity: 0, unitPrice: { amount: 1, currency: "EUR" } }] })), status: 400, code: "VALIDATION_FAILED", path: "items.0.quantity" },
      { what: "a card number in the payment", event: () => postOrder(orderBody({ payment: { provider: "stripe", token: "4111111111111111" } })), status: 400, code: "PAYMENT_DATA_NOT_ALLOWED" },
      { what: "a spaced card number in an address line", event: () => postOrder(orderBody({ shippingAddress: { name: "A", line1: "4111 1111 1111 1111", city: "B", postalCode: "1", country: "DE" } })), status: 400, code: "PAYMENT_DATA_NOT_ALLOWED" },
      { what: "a card number inside malformed JSON", event: () => postOrder('{"card": "5500-0000-0000-0004"'), status: 400, code: "PAYMENT_DATA_NOT_ALLOWED" },
      { what: "mixed currencies", event: () => postOrder(orderBody({ items: [{ sku: "A", name: "a", quantity: 1, unitPrice: { amount: 1, currency: "EUR" } }, { sku: "B", name: "b", quantity: 1, unitPrice: { amount: 1, currency: "USD" } }] })), status: 422, code: "ORDER_REJECTED", path: "items.1.unitPrice.currency" },
      { what: "a bad Idempotency-Key", event: () => postOrder(orderBody(), { headers: { "Idempotency-Key": "has space" } }), status: 400, code: "VALIDATION_FAILED", path: "headers.Idempotency-Key" },
      { what: "an unknown route", event: () => apiEvent({ method: "GET", resource: "/admin", path: "/admin" }), status: 404, code: "NOT_FOUND" },
      { what: "a wrong method", event: () => apiEvent({ method: "DELETE", resource: "/orders", path: "/orders" }), status: 405, code: "METHOD_NOT_ALLOWED" },
    ];
    for (const c of cases) {
      it(`answers ${c.status} ${c.code} to ${c.what}, writing nothing`, async () => {
        // Prepare
        const { log, lines } = capturingLogger();
        // Act
        const r = await handleApiRequest(c.event(), apiDeps(ctx, { log }));
        // Assess
        expect(r.statusCode).to.equal(c.status);
        const b = bodyOf(r);
        expect(b.error.code).to.equal(c.code);
        expect(b.error.message).to.be.a("string").and.have.length.greaterThan(10);
        if (c.path) expect(b.error.details.map((d: { path: string }) => d.path)).to.include(c.path);
        expect(await tableItems(ctx)).to.deep.equal([]);
        expect(await queueDepth(ctx)).to.equal(0);
        expect(lines.join("\n")).not.to.match(/4111|5500-0000/);
      });
    }
  });

  describe("GET /orders/{orderId}", () => {
    it("shows the owner the order with totals and no invoice yet", async () => {
      const { orderId } = bodyOf(await handleApiRequest(postOrder(orderBody()), apiDeps(ctx)));
      const r = await handleApiRequest(getOrder(orderId, ALICE), apiDeps(ctx));
      expect(r.statusCode).to.equal(200);
      const b = bodyOf(r);
      expect(b).to.include({ orderId, status: "PENDING", invoice: null });
      expect(b.lines).to.have.length(2);
      expect(b.total).to.deep.equal({ amount: 5818, currency: "EUR" });
    });

    const notFound: [string, () => ReturnType<typeof getOrder>][] = [
      ["another customer", () => getOrder("PLACEHOLDER", BOB)],
      ["an unknown id", () => getOrder("ord_ZZZZZZZZZZZZZZZZZZZZ", ALICE)],
      ["a malformed id", () => getOrder("../../etc/passwd", ALICE)],
    ];
    for (const [who, ev] of notFound) {
      it(`answers 404 to ${who}, revealing nothing`, async () => {
        const { orderId } = bodyOf(await handleApiRequest(postOrder(orderBody()), apiDeps(ctx)));
        const e = ev();
        if (e.pathParameters?.orderId === "PLACEHOLDER") e.pathParameters = { orderId };
        const r = await handleApiRequest(e, apiDeps(ctx));
        expect(r.statusCode).to.equal(404);
        expect(bodyOf(r)).to.deep.equal({ error: { code: "NOT_FOUND", message: "No such order." } });
      });
    }

    it("answers 401 without identity", async () => {
      const r = await handleApiRequest(getOrder("ord_ZZZZZZZZZZZZZZZZZZZZ", null), apiDeps(ctx));
      expect(r.statusCode).to.equal(401);
    });
  });
});
