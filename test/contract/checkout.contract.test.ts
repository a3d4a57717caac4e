import { expect } from "chai";
import { eventInbox, useLocalAws, type LocalAws } from "../helpers/aws";
import { receiveEvents } from "../../local/event-log";
import { drainQueue, tableItems } from "../helpers/deps";
import { orderBody } from "../helpers/events";
import { eventsOf, forgedEvent, signedWebhook, STRIPE_KEYS } from "../helpers/stripe";
import { productInput } from "../helpers/catalog";
import { apiTarget, contractTargets, type ApiRequest, type ApiResponse, type ApiTarget } from "./targets";
import { EXPIRE_PAYMENTS_TASK } from "../../runtime/contracts/payments";

/**
 * Issue 15's routes and checkout, on every target (handler from source, the deployed archive, the
 * gateway with real Cognito tokens): the public catalog, the admins' product routes, paying through
 * the Stripe stand-in, and the signed webhook. The archive must answer each named error class
 * (PaymentDeclined, PriceChangedError, Forbidden, SignatureInvalid) with its own status and code.
 */

const post = (body: unknown, o: Partial<ApiRequest> = {}): ApiRequest => ({ method: "POST", path: "/orders", body, ...o });
const webhook = (raw: string, signature?: string): ApiRequest => ({
  method: "POST",
  path: "/webhooks/stripe",
  body: raw,
  as: null,
  headers: { "Content-Type": "application/json; charset=utf-8", ...(signature === undefined ? {} : { "Stripe-Signature": signature }) },
});
const putProduct = (sku: string, body: unknown, as: ApiRequest["as"] = "admin"): ApiRequest => ({
  method: "PUT",
  path: `/admin/products/${encodeURIComponent(sku)}`,
  body,
  as,
});
const deleteProduct = (sku: string, as: ApiRequest["as"] = "admin"): ApiRequest => ({
  method: "DELETE",
  path: `/admin/products/${encodeURIComponent(sku)}`,
  as,
});

/** Every error answer has the one documented shape. */
function expectError(r: ApiResponse, status: number, code: string) {
  expect(r.status, r.text).to.equal(status);
  expect(r.headers["content-type"]).to.match(/^application\/json/);
  const b = r.json();
  expect(b.error.code, r.text).to.equal(code);
  expect(b.error.message).to.be.a("string").and.have.length.greaterThan(10);
  return b.error;
}

const orderItems = async (ctx: LocalAws) => (await tableItems(ctx)).filter((i) => i.type === "order" || i.type === "idempotency");
const record = async (ctx: LocalAws, orderId: string) => (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`);
const product = async (ctx: LocalAws, sku: string) => (await tableItems(ctx)).find((i) => i.pk === `PRODUCT#${sku}`);
const queued = async (ctx: LocalAws) => (await drainQueue(ctx)).map((m) => JSON.parse(m.body).order.orderId as string);

for (const target of contractTargets(["source", "artifact", "gateway"])) {
  describe(`checkout and catalog contract [${target}]`, function () {
    this.timeout(60000);
    const ctx = useLocalAws();
    let t: ApiTarget;
    beforeEach(() => (t = apiTarget(target, ctx)));
    afterEach(() => t.stop());

    /** An order the client confirms itself (3-D Secure): recorded AWAITING_PAYMENT with its PaymentIntent. */
    async function awaitingOrder(paymentMethod?: string) {
      const r = await t.request(post(orderBody({ payment: { provider: "stripe", ...(paymentMethod ? { paymentMethod } : {}) } })));
      expect([r.status, r.json().status], r.text).to.deep.equal([202, "AWAITING_PAYMENT"]);
      const orderId = r.json().orderId as string;
      return { orderId, paymentId: (await record(ctx, orderId))!.paymentId as string, total: r.json().total };
    }

    describe("GET /products", () => {
      it("answers anyone, without a token, 200 with the active catalog, cacheable, with an ETag", async () => {
        const r = await t.request({ method: "GET", path: "/products", as: null });
        expect(r.status, r.text).to.equal(200);
        expect(r.headers["content-type"]).to.match(/^application\/json/);
        expect(r.headers["cache-control"]).to.equal("public, max-age=60");
        expect(r.headers.etag).to.match(/^"[A-Za-z0-9_-]+"$/);
        const b = r.json();
        expect(b.products.map((p: { sku: string }) => p.sku)).to.include.members(["TSHIRT-RED-M", "MUG-01"]);
        expect(b.shippingMethods.map((m: { id: string }) => m.id)).to.include("standard");
      });

      it("answers 304 with no body to a client whose copy is current, and 200 again once the catalog changed", async () => {
        const first = await t.request({ method: "GET", path: "/products", as: null });
        const again = await t.request({ method: "GET", path: "/products", as: null, headers: { "If-None-Match": first.headers.etag } });
        expect([again.status, again.text, again.headers.etag]).to.deep.equal([304, "", first.headers.etag]);
        expect((await t.request(putProduct("NEW-1", productInput("NEW-1")))).status).to.equal(201);
        const changed = await t.request({ method: "GET", path: "/products", as: null, headers: { "If-None-Match": first.headers.etag } });
        expect(changed.status).to.equal(200);
        expect(changed.headers.etag).not.to.equal(first.headers.etag);
      });

      it("shows only what can be bought in ?currency and answers 400 to an unknown one", async () => {
        const usd = (await t.request({ method: "GET", path: "/products?currency=USD&lang=de", as: null })).json();
        expect(usd.products.every((p: { prices: { currency: string }[] }) => p.prices.every((x) => x.currency === "USD"))).to.equal(true);
        expect(usd.products.find((p: { sku: string }) => p.sku === "MUG-01").name).to.equal("Kaffeebecher");
        expectError(await t.request({ method: "GET", path: "/products?currency=XYZ", as: null }), 400, "VALIDATION_FAILED");
      });
    });

    describe("PUT and DELETE /admin/products/{sku}", () => {
      it("lets an admin create (201), replace (200) and take a product off sale (200), which orders then cannot buy", async () => {
        const created = await t.request(putProduct("SCARF-01", productInput("SCARF-01", { prices: { EUR: 2900 } })));
        expect(created.status, created.text).to.equal(201);
        const replaced = await t.request(putProduct("SCARF-01", productInput("SCARF-01", { prices: { EUR: 3100 } })));
        expect(replaced.status, replaced.text).to.equal(200);
        expect((await product(ctx, "SCARF-01"))!.prices).to.deep.equal({ EUR: 3100 });
        const deleted = await t.request(deleteProduct("SCARF-01"));
        expect(deleted.status, deleted.text).to.equal(200);
        expect((await product(ctx, "SCARF-01"))!.active).to.equal(false);
        expectError(await t.request(post(orderBody({ items: [{ sku: "SCARF-01", quantity: 1 }] }))), 422, "PRODUCT_UNAVAILABLE");
      });

      it("answers a customer 403 FORBIDDEN, the same for a product that exists and one that does not, and changes nothing", async () => {
        const before = JSON.stringify(await product(ctx, "MUG-01"));
        const answers = [
          await t.request(putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 1 } }), "alice")),
          await t.request(putProduct("NO-SUCH-SKU", productInput("NO-SUCH-SKU"), "alice")),
          await t.request(deleteProduct("MUG-01", "alice")),
          await t.request(deleteProduct("NO-SUCH-SKU", "bob")),
        ];
        for (const r of answers) expectError(r, 403, "FORBIDDEN");
        // It learns nothing: one answer whatever the SKU, naming no product and no price.
        expect(new Set(answers.map((r) => r.text)).size).to.equal(1);
        expect(answers[0].text).not.to.match(/MUG-01|1250|Coffee/);
        expect(JSON.stringify(await product(ctx, "MUG-01"))).to.equal(before);
        expect(await product(ctx, "NO-SUCH-SKU")).to.equal(undefined);
      });

      it("answers 401 without a token and changes nothing", async () => {
        expectError(await t.request(putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 1 } }), null)), 401, "UNAUTHENTICATED");
        expectError(await t.request(deleteProduct("MUG-01", null)), 401, "UNAUTHENTICATED");
        expect((await product(ctx, "MUG-01"))!.prices).to.deep.include({ EUR: 1250 });
      });
    });

    describe("POST /orders, paid through the provider", () => {
      it("a card that succeeds at once: 202 PAID, one message on the queue, order.paid on the stack's bus", async () => {
        const inbox = await eventInbox(ctx);
        const r = await t.request(post(orderBody()));
        expect([r.status, r.json().status], r.text).to.deep.equal([202, "PAID"]);
        expect(r.json().total).to.deep.equal({ amount: 6828, currency: "EUR" });
        expect((await record(ctx, r.json().orderId))!.status).to.equal("PAID");
        expect(await queued(ctx)).to.deep.equal([r.json().orderId]);
        const events = await receiveEvents(ctx.clients.sqs, inbox, 1);
        expect(events.map((e) => [e.detailType, e.detail.orderId, e.detail.totalMinor])).to.deep.equal([
          ["order.paid", r.json().orderId, 6828],
        ]);
      });

      it("a declined card: 402 PAYMENT_DECLINED naming the order, which is PAYMENT_FAILED and not queued", async () => {
        const r = await t.request(post(orderBody({ payment: { provider: "stripe", paymentMethod: "pm_card_chargeDeclined" } })));
        const err = expectError(r, 402, "PAYMENT_DECLINED");
        expect(err.orderId).to.match(/^ord_/);
        expect((await record(ctx, err.orderId))!.status).to.equal("PAYMENT_FAILED");
        expect(await queued(ctx)).to.deep.equal([]);
      });

      it("3-D Secure: 202 AWAITING_PAYMENT with the client secret, nothing queued", async () => {
        const r = await t.request(post(orderBody({ payment: { provider: "stripe", paymentMethod: "pm_card_threeDSecure2Required" } })));
        expect([r.status, r.json().status], r.text).to.deep.equal([202, "AWAITING_PAYMENT"]);
        expect(r.json().payment.clientSecret).to.match(/^pi_.+_secret_/);
        expect(await queued(ctx)).to.deep.equal([]);
      });

      it("a price the client showed that is no longer the catalog's: 409 PRICE_CHANGED with the current prices, nothing recorded", async () => {
        const body = orderBody({ items: [{ sku: "MUG-01", quantity: 1, expectedUnitPrice: { amount: 999, currency: "EUR" } }] });
        const err = expectError(await t.request(post(body)), 409, "PRICE_CHANGED");
        expect(err.currentPrices).to.deep.equal([{ line: 0, sku: "MUG-01", unitPrice: { amount: 1250, currency: "EUR" } }]);
        expect(err.details.map((d: { path: string }) => d.path)).to.deep.equal(["items.0.expectedUnitPrice"]);
        expect(await orderItems(ctx)).to.deep.equal([]);
        expect(await queued(ctx)).to.deep.equal([]);
      });

      it("a price or name sent by the client: 400 CLIENT_PRICING_REFUSED, nothing recorded", async () => {
        const body = orderBody({ items: [{ sku: "MUG-01", name: "Mug", quantity: 1, unitPrice: { amount: 1, currency: "EUR" } }] });
        expectError(await t.request(post(body)), 400, "CLIENT_PRICING_REFUSED");
        expect(await orderItems(ctx)).to.deep.equal([]);
      });

      it("the schedule's event answers with the sweep's summary (EventBridge invokes the function directly)", async () => {
        expect(await t.scheduled({ action: EXPIRE_PAYMENTS_TASK.action })).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 0 } });
      });
    });

    describe("POST /webhooks/stripe", () => {
      it("a valid signed event after 3-D Secure: 200, the order PAID and queued once; its redelivery changes nothing", async () => {
        const o = await awaitingOrder("pm_card_threeDSecure2Required");
        await ctx.stripe.authenticate(o.paymentId, "succeed");
        const [ev] = eventsOf(ctx.stripe, o.paymentId, "payment_intent.succeeded");
        const s = signedWebhook(ev);
        const r = await t.request(webhook(s.raw, s.signature));
        expect([r.status, r.json().outcome], r.text).to.deep.equal([200, "paid"]);
        expect((await record(ctx, o.orderId))!.status).to.equal("PAID");
        const again = await t.request(webhook(s.raw, s.signature));
        expect([again.status, again.json().outcome]).to.deep.equal([200, "already-paid"]);
        expect(await queued(ctx)).to.deep.equal([o.orderId]);
      });

      it("refuses every forgery with 400 SIGNATURE_INVALID and changes nothing", async () => {
        const o = await awaitingOrder();
        const ev = forgedEvent(ctx.stripe, o.paymentId, "payment_intent.succeeded", { status: "succeeded" });
        const good = signedWebhook(ev);
        const old = signedWebhook(ev, { ageSeconds: 3600 });
        const forgeries: [string, string, string | undefined][] = [
          ["no signature", good.raw, undefined],
          ["an empty signature", good.raw, ""],
          ["another secret", good.raw, signedWebhook(ev, { secret: "whsec_forged0123456789" }).signature],
          ["the publishable key as the secret", good.raw, signedWebhook(ev, { secret: STRIPE_KEYS.publishableKey }).signature],
          ["a tampered amount", good.raw.replace(`"amount":${o.total.amount}`, `"amount":1`), good.signature],
          ["a tampered status", good.raw.replace(`"status":"succeeded"`, `"status":"canceled"`), good.signature],
          ["a body with a trailing space", `${good.raw} `, good.signature],
          ["a replay an hour old", old.raw, old.signature],
          ["a garbage header", good.raw, "t=1,v1=abc"],
          ["a v0 signature only", good.raw, good.signature.replace("v1=", "v0=")],
        ];
        for (const [what, raw, sig] of forgeries) {
          const r = await t.request(webhook(raw, sig));
          expect([what, r.status, r.json().error?.code]).to.deep.equal([what, 400, "SIGNATURE_INVALID"]);
        }
        expect((await record(ctx, o.orderId))!.status).to.equal("AWAITING_PAYMENT");
        expect(await queued(ctx)).to.deep.equal([]);
      });

      it("ignores a signed event about another order, another amount or another currency (200, nothing changes)", async () => {
        const a = await awaitingOrder();
        const b = await awaitingOrder();
        const foreign: [string, Record<string, unknown>][] = [
          ["order B's id on A's payment", { metadata: { orderId: b.orderId } }],
          ["a cent less", { amount: a.total.amount - 1 }],
          ["another currency", { currency: "usd" }],
        ];
        for (const [what, patch] of foreign) {
          const s = signedWebhook(forgedEvent(ctx.stripe, a.paymentId, "payment_intent.succeeded", { status: "succeeded", ...patch }));
          const r = await t.request(webhook(s.raw, s.signature));
          expect([what, r.status]).to.deep.equal([what, 200]);
        }
        expect((await record(ctx, a.orderId))!.status).to.equal("AWAITING_PAYMENT");
        expect((await record(ctx, b.orderId))!.status).to.equal("AWAITING_PAYMENT");
        expect(await queued(ctx)).to.deep.equal([]);
      });

      it("answers 404 to a signed event for an order it does not know, so the provider retries", async () => {
        const o = await awaitingOrder();
        const unknown = `ord_Unknown${Date.now()}Zz`;
        const s = signedWebhook(
          forgedEvent(ctx.stripe, o.paymentId, "payment_intent.succeeded", { status: "succeeded", metadata: { orderId: unknown } }),
        );
        expectError(await t.request(webhook(s.raw, s.signature)), 404, "NOT_FOUND");
        expect((await tableItems(ctx)).some((i) => i.pk === `ORDER#${unknown}`)).to.equal(false);
      });
    });
  });
}
