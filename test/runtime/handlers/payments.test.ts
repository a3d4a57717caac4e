import { expect } from "chai";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { CatalogStore } from "../../../runtime/domain/catalog-store";
import { readPdf } from "../invoices/invoices";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, tableItems, workerDeps } from "../../helpers/deps";
import { ALICE, apiEvent, orderBody, postOrder, webhookEvent } from "../../helpers/events";
import { composeInvoiceEmail } from "../../../runtime/handlers/email-notifier";
import { useFaultProxy } from "../../helpers/faulty-aws";
import { eventsOf, forgedEvent, providerFor, signedWebhook, startFailingStripe } from "../../helpers/stripe";
import { handleApiRequest, handleOrderApiEvent } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { sweepPayments } from "../../../runtime/handlers/payment-flow";
import { API_CLIENT_OPTIONS } from "../../../runtime/clients";
import { EXPIRE_PAYMENTS_TASK } from "../../../runtime/contracts/payments";

/**
 * Payment before invoice, through the official Stripe SDK against the local stand-in that speaks
 * Stripe's HTTP API: only a payment the provider confirmed, for the order's exact amount, makes an
 * order PAID, and only a PAID order's message reaches the queue, once.
 */
describe("checkout: payment confirmed by the provider before anything is invoiced", () => {
  const ctx = useLocalAws();
  const f = useFaultProxy(ctx, "order-api", API_CLIENT_OPTIONS);
  const api = (o: Parameters<typeof apiDeps>[1] = {}) => apiDeps(ctx, o);
  const post = async (body: unknown = orderBody(), headers: Record<string, string> = {}, deps = api()) => {
    const r = await handleApiRequest(postOrder(body, { headers }), deps);
    return { status: r.statusCode, body: JSON.parse(r.body), headers: r.headers ?? {} };
  };
  const deliver = async (raw: string, signature: string | undefined, deps = api()) => {
    const r = await handleApiRequest(webhookEvent(raw, signature), deps);
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const record = async (orderId: string) => (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`);
  const orders = async () => (await tableItems(ctx)).filter((i) => i.type === "order");
  const getOrder = async (orderId: string) => {
    const r = await handleApiRequest(
      apiEvent({ method: "GET", resource: "/orders/{orderId}", path: `/orders/${orderId}`, pathParameters: { orderId } }),
      api(),
    );
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const listOrders = async () => {
    const r = await handleApiRequest(apiEvent({ method: "GET", resource: "/orders", path: "/orders" }), api());
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const messages = async () => (await drainQueue(ctx)).map((m) => JSON.parse(m.body).order.orderId as string);
  const sweep = (afterMs: number, deps = api()) =>
    handleOrderApiEvent({ action: EXPIRE_PAYMENTS_TASK.action }, { ...deps, now: () => new Date(Date.now() + afterMs) });

  it("a card that succeeds at once: 202 PAID, the provider charged the server's total, one message on the queue", async () => {
    const r = await post();
    expect([r.status, r.body.status]).to.deep.equal([202, "PAID"]);
    const rec = (await record(r.body.orderId))!;
    expect(rec.status).to.equal("PAID");
    expect(rec.paymentCard).to.deep.equal({ brand: "visa", last4: "4242" });
    const intent = await providerFor(ctx.stripe).getPayment(rec.paymentId as string);
    // The demo catalog's prices: 2 x 19.99 + 12.50 + 4.90 shipping = 57.38 net, + 19 % German VAT (10.9022 -> 10.90) = 68.28
    expect(r.body.total).to.deep.equal({ amount: 6828, currency: "EUR" });
    expect([intent.amountMinor, intent.currency, intent.orderId, intent.status]).to.deep.equal([6828, "EUR", r.body.orderId, "succeeded"]);
    expect(await messages()).to.deep.equal([r.body.orderId]);
    expect(JSON.stringify(await tableItems(ctx))).not.to.match(/secret|pm_card/);
  });

  it("a declined card: 402 PAYMENT_DECLINED naming the order, PAYMENT_FAILED, no message, no invoice number", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe", paymentMethod: "pm_card_chargeDeclined" } }));
    expect([r.status, r.body.error.code]).to.deep.equal([402, "PAYMENT_DECLINED"]);
    expect(r.body.error.message).to.match(/declined/i);
    expect(r.body.error.clientSecret).to.match(/^pi_.+_secret_/); // to pay with another card before the deadline
    const rec = (await record(r.body.error.orderId))!;
    expect([rec.status, rec.invoiceNumber, (rec.paymentFailure as { code?: string }).code]).to.deep.equal([
      "PAYMENT_FAILED",
      undefined,
      "card_declined",
    ]);
    expect(await messages()).to.deep.equal([]);
  });

  it("3-D Secure: 202 AWAITING_PAYMENT with the client secret; the signed webhook after authentication makes it PAID and queues it once", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe", paymentMethod: "pm_card_threeDSecure2Required" } }));
    expect([r.status, r.body.status, r.body.payment.status]).to.deep.equal([202, "AWAITING_PAYMENT", "requires_action"]);
    expect(r.body.payment.clientSecret).to.match(/^pi_.+_secret_/);
    expect(r.body.payment.actionUrl).to.be.a("string");
    expect(await messages()).to.deep.equal([]);
    const rec = (await record(r.body.orderId))!;
    await ctx.stripe.authenticate(rec.paymentId as string, "succeed");
    const [ev] = eventsOf(ctx.stripe, rec.paymentId as string, "payment_intent.succeeded");
    const signed = signedWebhook(ev);
    expect((await deliver(signed.raw, signed.signature)).status).to.equal(200);
    expect((await record(r.body.orderId))!.status).to.equal("PAID");
    // The same event again (Stripe redelivers) changes nothing and sends nothing.
    expect((await deliver(signed.raw, signed.signature)).body.outcome).to.equal("already-paid");
    expect(await messages()).to.deep.equal([r.body.orderId]);
  });

  it("refuses forged webhooks of every kind with 400 and changes nothing", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe" } }));
    const rec = (await record(r.body.orderId))!;
    const ev = forgedEvent(ctx.stripe, rec.paymentId as string, "payment_intent.succeeded", { status: "succeeded" });
    const good = signedWebhook(ev);
    const cases: [string, string, string | undefined][] = [
      ["no signature", good.raw, undefined],
      ["another secret", good.raw, signedWebhook(ev, { secret: "whsec_forged0123456789" }).signature],
      ["a tampered body", good.raw.replace(`"amount":${r.body.total.amount}`, `"amount":1`), good.signature],
      ["a replay older than the tolerance", signedWebhook(ev, { ageSeconds: 3600 }).raw, signedWebhook(ev, { ageSeconds: 3600 }).signature],
      ["a garbage header", good.raw, "t=1,v1=abc"],
    ];
    for (const [what, raw, sig] of cases) {
      const d = await deliver(raw, sig);
      expect([what, d.status, d.body.error?.code]).to.deep.equal([what, 400, "SIGNATURE_INVALID"]);
    }
    expect((await record(r.body.orderId))!.status).to.equal("AWAITING_PAYMENT");
    expect(await messages()).to.deep.equal([]);
  });

  it("ignores foreign events (another order's payment, a wrong amount or currency, no order): logged with an alarm, nothing changes", async () => {
    const a = await post(orderBody({ payment: { provider: "stripe" } }));
    const b = await post(orderBody({ payment: { provider: "stripe" } }));
    const recA = (await record(a.body.orderId))!;
    const { log, lines } = capturingLogger("order-api");
    const foreign: [string, Record<string, unknown>][] = [
      ["order B's metadata on order A's intent", { metadata: { orderId: b.body.orderId } }],
      ["an amount one cent short", { amount: a.body.total.amount - 1 }],
      ["another currency", { currency: "usd" }],
      ["no order at all", { metadata: {} }],
    ];
    for (const [what, patch] of foreign) {
      const ev = forgedEvent(ctx.stripe, recA.paymentId as string, "payment_intent.succeeded", { status: "succeeded", ...patch });
      const s = signedWebhook(ev);
      const d = await deliver(s.raw, s.signature, api({ log }));
      expect([what, d.status]).to.deep.equal([what, 200]);
    }
    expect(lines.filter((l) => /"alarm":"payment-(mismatch|webhook-foreign)"/.test(l))).to.have.length(4);
    expect((await orders()).map((o) => o.status).sort()).to.deep.equal(["AWAITING_PAYMENT", "AWAITING_PAYMENT"]);
    expect(await messages()).to.deep.equal([]);
  });

  it("names its shop on each payment; another shop's events on a shared provider account are ignored without an alarm", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe" } }));
    const rec = (await record(r.body.orderId))!;
    expect((await providerFor(ctx.stripe).getPayment(rec.paymentId as string)).shop).to.equal(ctx.resources.table);
    const { log, lines } = capturingLogger("order-api");
    const theirs = forgedEvent(ctx.stripe, rec.paymentId as string, "payment_intent.succeeded", {
      status: "succeeded",
      metadata: { orderId: "ord_OtherShopsOrder000001", shop: "shop-staging-orders" },
    });
    const s = signedWebhook(theirs);
    const d = await deliver(s.raw, s.signature, api({ log }));
    expect([d.status, d.body.outcome]).to.deep.equal([200, "other-shop"]);
    expect(lines.filter((l) => l.includes('"alarm"'))).to.deep.equal([]);
    expect((await record(r.body.orderId))!.status).to.equal("AWAITING_PAYMENT");
  });

  it("an event out of order (failed after succeeded) leaves the order PAID", async () => {
    const r = await post();
    const rec = (await record(r.body.orderId))!;
    const failed = signedWebhook(
      forgedEvent(ctx.stripe, rec.paymentId as string, "payment_intent.payment_failed", { status: "requires_payment_method" }),
    );
    expect((await deliver(failed.raw, failed.signature)).status).to.equal(200);
    expect((await record(r.body.orderId))!.status).to.equal("PAID");
    expect(await messages()).to.deep.equal([r.body.orderId]);
  });

  it("two webhooks racing each other: one PAID transition, one message", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe", paymentMethod: "pm_card_threeDSecure2Required" } }));
    const rec = (await record(r.body.orderId))!;
    await ctx.stripe.authenticate(rec.paymentId as string, "succeed");
    const [ev] = eventsOf(ctx.stripe, rec.paymentId as string, "payment_intent.succeeded");
    const s = signedWebhook(ev);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => deliver(s.raw, s.signature).then((d) => d.body.outcome)));
    expect(outcomes.filter((o) => o === "paid")).to.have.length(1);
    expect(await messages()).to.deep.equal([r.body.orderId]);
  });

  it("an order not paid in time expires: its payment is cancelled, no number is used, a late webhook cannot revive it", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe" } }));
    expect(await sweep(0)).to.deep.include({ swept: { expired: 0, paid: 0, sent: 0 } });
    const expiry = api().settings.paymentExpiryMinutes * 60_000;
    expect(await sweep(expiry + 1000)).to.deep.equal({ swept: { expired: 1, paid: 0, sent: 0 } });
    const rec = (await record(r.body.orderId))!;
    expect([rec.status, rec.invoiceNumber]).to.deep.equal(["EXPIRED", undefined]);
    expect((await providerFor(ctx.stripe).getPayment(rec.paymentId as string)).status).to.equal("canceled");
    const late = signedWebhook(forgedEvent(ctx.stripe, rec.paymentId as string, "payment_intent.succeeded", { status: "succeeded" }));
    const { log, lines } = capturingLogger("order-api");
    expect((await deliver(late.raw, late.signature, api({ log }))).status).to.equal(200);
    expect((await record(r.body.orderId))!.status).to.equal("EXPIRED");
    expect(lines.some((l) => l.includes('"alarm":"paid-after-close"'))).to.equal(true);
    expect(await messages()).to.deep.equal([]);
  });

  it("the webhook racing the expiry: a payment that succeeded first wins, the order is PAID and queued once", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe", paymentMethod: "pm_card_threeDSecure2Required" } }));
    const rec = (await record(r.body.orderId))!;
    await ctx.stripe.authenticate(rec.paymentId as string, "succeed"); // its webhook is not delivered yet
    const expiry = api().settings.paymentExpiryMinutes * 60_000;
    expect(await sweep(expiry + 1000)).to.deep.equal({ swept: { expired: 0, paid: 1, sent: 0 } });
    const [ev] = eventsOf(ctx.stripe, rec.paymentId as string, "payment_intent.succeeded");
    const s = signedWebhook(ev);
    expect((await deliver(s.raw, s.signature)).body.outcome).to.equal("already-paid");
    expect((await record(r.body.orderId))!.status).to.equal("PAID");
    expect(await messages()).to.deep.equal([r.body.orderId]);
  });

  it("the provider down at checkout: 503 with Retry-After, no key, no message, the order closed and hidden (never deleted); the key's retry then succeeds", async () => {
    const down = api({ payments: providerFor({ url: "http://127.0.0.1:9" }) });
    const r = await post(orderBody(), { "Idempotency-Key": "provider-down-1" }, down);
    expect([r.status, r.body.error.code, r.headers["retry-after"]]).to.deep.equal([503, "SERVICE_UNAVAILABLE", "2"]);
    const items = (await tableItems(ctx)) as Record<string, unknown>[];
    expect(items.filter((i) => i.type === "idempotency")).to.deep.equal([]);
    const orders = items.filter((i) => i.type === "order");
    expect(orders.map((o) => [o.status, o.closeReason, o.gsi1pk, o.gsi2pk])).to.deep.equal([
      ["CANCELLED", "payment-not-created", undefined, undefined],
    ]);
    const orderId = (orders[0].order as { orderId: string }).orderId;
    expect((await getOrder(orderId)).status, "the customer's GET of the discarded order").to.equal(404);
    expect((await listOrders()).body.orders, "the customer's list").to.deep.equal([]);
    expect(await messages()).to.deep.equal([]);
    const retry = await post(orderBody(), { "Idempotency-Key": "provider-down-1" });
    expect([retry.status, retry.body.status]).to.deep.equal([202, "PAID"]);
    expect(await messages()).to.deep.equal([retry.body.orderId]);
  });

  it("the provider failing after the payment may have been sent (a 5xx): 503 PAYMENT_OUTCOME_UNKNOWN, the order and key kept, the key's retry pays it once", async () => {
    const failing = await startFailingStripe({ status: 503, type: "api_error" });
    try {
      const key = { "Idempotency-Key": "outcome-unknown-1" };
      const r = await post(orderBody(), key, api({ payments: providerFor({ url: failing.url }) }));
      expect([r.status, r.body.error.code, r.headers["retry-after"]]).to.deep.equal([503, "PAYMENT_OUTCOME_UNKNOWN", "5"]);
      const rec = (await record(r.body.error.orderId))!;
      expect([rec.status, rec.paymentId]).to.deep.equal(["AWAITING_PAYMENT", undefined]);
      expect((await tableItems(ctx)).some((i) => i.type === "idempotency")).to.equal(true);
      const retry = await post(orderBody(), key);
      expect([retry.status, retry.body.orderId, retry.body.status]).to.deep.equal([202, r.body.error.orderId, "PAID"]);
      expect(await messages()).to.deep.equal([r.body.error.orderId]);
    } finally {
      await failing.close();
    }
  });

  it("the sweep leaves an overdue order whose payment cannot be cancelled (processing) due, and asks again next time", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe" } }));
    const real = providerFor(ctx.stripe);
    const processing = {
      ...real,
      cancelPayment: async (id: string) => ({ ...(await real.getPayment(id)), status: "processing" as const }),
    };
    const expiry = api().settings.paymentExpiryMinutes * 60_000;
    expect(await sweep(expiry + 1000, api({ payments: processing }))).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 0 } });
    expect((await record(r.body.orderId))!.status).to.equal("AWAITING_PAYMENT");
    expect(await sweep(expiry + 1000)).to.deep.equal({ swept: { expired: 1, paid: 0, sent: 0 } });
  });

  it("a sweep starts no new round once its time budget is spent, and the next run takes the rest", async () => {
    for (let i = 0; i < 7; i++) await post(orderBody({ payment: { provider: "stripe" } }));
    const real = providerFor(ctx.stripe);
    // Each cancel takes 1.5 s, so one round of 5 outlasts the 1 s budget; the queries before it have a whole second
    // (a loaded machine once took more than a 100 ms budget for them, and the sweep rightly started no round).
    const slow = { ...real, cancelPayment: async (id: string) => (await new Promise((r) => setTimeout(r, 1500)), real.cancelPayment(id)) };
    const later = api({ payments: slow, now: () => new Date(Date.now() + api().settings.paymentExpiryMinutes * 60_000 + 1000) });
    expect(await sweepPayments(later, 1000)).to.deep.equal({ expired: 5, paid: 0, sent: 0 }); // one round of 5, then out of time
    expect(await sweepPayments(later, 1000)).to.deep.equal({ expired: 2, paid: 0, sent: 0 });
  });

  it("the webhook arriving before the order record is visible: retried (404), then applied once", async () => {
    // The provider already holds a payment for an order id the table does not show yet.
    const orderId = `ord_EarlyWebhook${Date.now()}`; // the stand-in outlives a test: a fresh id per run
    const state = await providerFor(ctx.stripe).createPayment({
      orderId,
      shop: ctx.resources.table, // as the API names it, so the provider's idempotency key replays it
      amountMinor: 6828, // the default order body's total, as the API asks the provider for it
      currency: "EUR",
      paymentMethod: "pm_card_visa",
      description: `Order ${orderId}`, // as the API asks for it, so the provider's idempotency key replays it
    });
    const [ev] = eventsOf(ctx.stripe, state.paymentId, "payment_intent.succeeded");
    const s = signedWebhook(ev);
    expect((await deliver(s.raw, s.signature)).status).to.equal(404);
    const r = await post(orderBody(), {}, api({ newOrderId: () => orderId }));
    expect([r.status, r.body.orderId, r.body.status]).to.deep.equal([202, orderId, "PAID"]);
    expect((await deliver(s.raw, s.signature)).body.outcome).to.equal("already-paid");
    expect(await messages()).to.deep.equal([orderId]);
  });

  it("the queue down at the PAID transition: the answer is still PAID, and the sweep sends the message exactly once", async () => {
    f.proxy.arm({ service: "sqs", action: "SendMessage", fault: { kind: "fail", status: 500, code: "InternalError" } });
    const r = await post(orderBody(), {}, api({ sqs: f.clients.sqs }));
    f.proxy.clear();
    expect([r.status, r.body.status]).to.deep.equal([202, "PAID"]);
    expect(await messages()).to.deep.equal([]);
    expect(await sweep(0)).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 0 } }); // within the claim's lease
    expect(await sweep(61_000)).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 1 } });
    expect(await sweep(122_000)).to.deep.equal({ swept: { expired: 0, paid: 0, sent: 0 } });
    const sent = await drainQueue(ctx);
    expect(sent.map((m) => JSON.parse(m.body).order.orderId)).to.deep.equal([r.body.orderId]);
    expect((await processOrderMessage(sent[0].body, workerDeps(ctx))).outcome).to.equal("invoiced");
  });

  it("invoices the prices and names of order time, whatever the catalog says later", async () => {
    const r = await post(orderBody({ items: [{ sku: "MUG-01", quantity: 1 }] }));
    const catalog = new CatalogStore(ctx.clients.ddb, ctx.resources.table);
    const mug = (await catalog.getProduct("MUG-01"))!;
    await catalog.putProduct("MUG-01", { names: { en: "Renamed mug" }, prices: { EUR: 9900 }, taxCategory: mug.taxCategory }, new Date());
    const [m] = await drainQueue(ctx);
    expect((await processOrderMessage(m.body, workerDeps(ctx))).outcome).to.equal("invoiced");
    const key = (await record(r.body.orderId))!.invoiceKey as string;
    const pdf = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: key }));
    const { text } = await readPdf(await pdf.Body!.transformToByteArray());
    expect(text).to.contain("€12.50").and.contain("Coffee mug");
    expect(text).not.to.contain("€99.00");
    expect(text).not.to.contain("Renamed mug");
  });

  it("the store failing after the provider took the money: 202 with the payment succeeded (not a 'retry' that pays twice), the webhook completes it", async () => {
    f.proxy.arm({ service: "dynamodb", action: "UpdateItem", fault: { kind: "fail", status: 500, code: "InternalServerError" } });
    const { log, lines } = capturingLogger("order-api");
    const r = await post(orderBody(), {}, api({ ddb: f.clients.ddb, log }));
    f.proxy.clear();
    expect([r.status, r.body.status, r.body.payment.status]).to.deep.equal([202, "AWAITING_PAYMENT", "succeeded"]);
    expect(lines.some((l) => l.includes('"alarm":"paid-not-recorded"'))).to.equal(true);
    expect(await messages()).to.deep.equal([]);
    const rec = (await record(r.body.orderId))!;
    const [ev] = eventsOf(
      ctx.stripe,
      (
        await providerFor(ctx.stripe).createPayment({
          orderId: r.body.orderId,
          shop: ctx.resources.table,
          amountMinor: r.body.total.amount,
          currency: "EUR",
          paymentMethod: "pm_card_visa",
          description: `Order ${r.body.orderId}`,
        })
      ).paymentId,
      "payment_intent.succeeded",
    );
    expect(rec.status).to.equal("AWAITING_PAYMENT");
    const s = signedWebhook(ev);
    expect((await deliver(s.raw, s.signature)).body.outcome).to.equal("paid");
    expect(await messages()).to.deep.equal([r.body.orderId]);
  });

  it("writes the invoice in the order's language: the body's locale, else the token's, else the shop's", async () => {
    const langOf = async (body: Record<string, unknown>, claims?: Record<string, string>) => {
      const r = await handleApiRequest(postOrder(orderBody(body), claims ? { claims: { ...ALICE, ...claims } } : {}), api());
      return (await record(JSON.parse(r.body).orderId))!.order as { lang: string; lines: { name: string }[] };
    };
    expect((await langOf({ locale: "de-DE" })).lang).to.equal("de");
    expect((await langOf({}, { locale: "fr-FR" })).lang).to.equal("fr");
    expect((await langOf({ locale: "pt-BR" }, { locale: "fr" })).lang).to.equal("fr"); // pt unsupported: the token's
    const de = await langOf({ locale: "de" });
    expect(de.lines[0].name).to.equal("T-Shirt, rot, M"); // the catalog's German name
    await drainQueue(ctx);
    const r = await post(orderBody({ locale: "de-AT" }));
    const [m] = await drainQueue(ctx);
    expect((await processOrderMessage(m.body, workerDeps(ctx))).outcome).to.equal("invoiced");
    const key = (await record(r.body.orderId))!.invoiceKey as string;
    const pdf = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: key }));
    const { text } = await readPdf(await pdf.Body!.transformToByteArray());
    expect(text).to.contain("Rechnung").and.not.contain("Invoice number");
    const rec = (await record(r.body.orderId))! as never;
    const mail = composeInvoiceEmail(rec, "https://x.example/i", "Acme Shop GmbH", 30);
    expect(mail.subject).to.match(/Rechnung/);
  });

  it("the worker never invoices an order that is not PAID (a forged or stray message)", async () => {
    const r = await post(orderBody({ payment: { provider: "stripe" } }));
    const rec = (await record(r.body.orderId))!;
    const { log, lines } = capturingLogger();
    const out = await processOrderMessage(JSON.stringify({ v: 1, order: rec.order }), workerDeps(ctx, { log }));
    expect(out.outcome).to.equal("dropped");
    expect((await record(r.body.orderId))!.invoiceNumber).to.equal(undefined);
    expect(lines.some((l) => l.includes('"alarm":"unpaid-order-message"'))).to.equal(true);
    const pdfs = await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucket }));
    expect(pdfs.KeyCount ?? 0).to.equal(0);
  });
});
