import { expect } from "chai";
import * as http from "node:http";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, drainQueue, tableItems, workerDeps } from "../../helpers/deps";
import { ADMIN, ALICE, apiEvent, orderBody, postOrder, type Claims } from "../../helpers/events";
import { listenLocally, providerFor, signedWebhook } from "../../helpers/stripe";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { processQueueMessage } from "../../../runtime/handlers/worker-loop";
import { OrderStore, type OrderRecord } from "../../../runtime/domain/store";
import { creditNoteIdOfRefund } from "../../../runtime/handlers/admin-corrections";

const creditEvent = (orderId: string, body: unknown, o: { key?: string | null; claims?: Claims } = {}) =>
  apiEvent({
    method: "POST",
    resource: "/admin/orders/{orderId}/credit-notes",
    path: `/admin/orders/${orderId}/credit-notes`,
    pathParameters: { orderId },
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...(o.key === null ? {} : { "Idempotency-Key": o.key ?? "credit-1" }) },
    claims: o.claims ?? ADMIN,
  });

describe("admin API: POST /admin/orders/{orderId}/credit-notes, and refunds made at the provider", function () {
  this.timeout(90000);
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const deps = () => apiDeps(ctx);
  const call = async (e: ReturnType<typeof apiEvent>) => {
    const r = await handleApiRequest(e, deps());
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const refundsOf = (paymentId: string) => providerFor(ctx.stripe).listRefunds(paymentId);
  const creditNotesOf = async (orderId: string) =>
    (await tableItems(ctx)).filter((i) => i.type === "creditNote" && i.orderId === orderId && i.status !== "VOID");

  /** Delivers the stand-in's webhooks to the order API in-process, as API Gateway would pass them. */
  let webhooks: { close(): Promise<void> } | undefined;
  async function deliverWebhooksToApi() {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const signature = String(req.headers["stripe-signature"] ?? "");
        const r = await handleApiRequest(
          apiEvent({
            method: "POST",
            resource: "/webhooks/stripe",
            path: "/webhooks/stripe",
            body: Buffer.concat(chunks).toString("utf8"),
            headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
            claims: null,
          }),
          deps(),
        );
        res.writeHead(r.statusCode, { "content-type": "application/json" }).end(r.body);
      });
    });
    const { origin, close } = await listenLocally(server);
    ctx.stripe.setWebhookUrl(`${origin}/webhooks/stripe`);
    webhooks = { close };
  }
  afterEach(async () => {
    ctx.stripe.setWebhookUrl(undefined);
    await webhooks?.close();
    webhooks = undefined;
  });

  /** An order paid through the API and invoiced by the worker. */
  async function invoicedOrder(): Promise<OrderRecord> {
    const r = await call(postOrder(orderBody()));
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    for (const m of await drainQueue(ctx)) await processOrderMessage(m.body, workerDeps(ctx));
    const rec = (await store().get(r.body.orderId))!;
    expect(rec.status).to.equal("INVOICED");
    return rec;
  }
  /** Runs the worker over whatever is queued (credit notes included). */
  async function work() {
    for (const m of await drainQueue(ctx)) await processQueueMessage(m.body, workerDeps(ctx));
  }

  it("a full credit note refunds the invoice's total once, and the worker numbers it CN-000001", async () => {
    const rec = await invoicedOrder();
    const r = await call(creditEvent(rec.order.orderId, { kind: "full", reason: "Returned" }));
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect(r.body).to.deep.include({ status: "REQUESTED", number: null, invoiceNumber: rec.invoiceNumber, kind: "full" });
    expect(r.body.total).to.deep.equal({ amount: rec.order.totalMinor, currency: "EUR" });
    expect(r.body.refund).to.deep.include({ status: "succeeded", amount: { amount: rec.order.totalMinor, currency: "EUR" } });
    expect(r.body.refund.refundId).to.match(/^re_/);
    expect((await refundsOf(rec.paymentId!)).map((x) => [x.amountMinor, x.creditNoteId])).to.deep.equal([
      [rec.order.totalMinor, r.body.creditNoteId],
    ]);

    await work();
    const cn = (await store().getCreditNote(r.body.creditNoteId))!;
    expect([cn.status, cn.creditNoteNumber, cn.documentKey]).to.deep.equal([
      "ISSUED",
      "CN-000001",
      `invoices/credit-notes/${r.body.creditNoteId}.pdf`,
    ]);
  });

  it("a retried request (same key) answers the same credit note and refunds nothing more; a new key for more than is left is 422 OVER_CREDIT", async () => {
    const rec = await invoicedOrder();
    const partial = { kind: "partial", reason: "One broken", lines: [{ line: 0, quantity: 1 }] };
    const first = await call(creditEvent(rec.order.orderId, partial, { key: "k1" }));
    const again = await call(creditEvent(rec.order.orderId, partial, { key: "k1" }));
    expect(first.status).to.equal(202);
    expect(again.body.creditNoteId).to.equal(first.body.creditNoteId);
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);

    const tooMuch = await call(creditEvent(rec.order.orderId, { kind: "full", reason: "all" }, { key: "k2" }));
    expect([tooMuch.status, tooMuch.body.error.code, tooMuch.body.error.problem]).to.deep.equal([
      422,
      "CREDIT_NOTE_REFUSED",
      "OVER_CREDIT",
    ]);
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);
    const otherBody = await call(creditEvent(rec.order.orderId, { ...partial, lines: [{ line: 1, quantity: 1 }] }, { key: "k1" }));
    expect([otherBody.status, otherBody.body.error.code]).to.deep.equal([409, "IDEMPOTENCY_KEY_REUSED"]);
  });

  it("refuses a customer (403) and bad bodies (400) with nothing reserved or refunded", async () => {
    const rec = await invoicedOrder();
    const customer = await call(creditEvent(rec.order.orderId, { kind: "full", reason: "x" }, { claims: ALICE }));
    expect(customer.status).to.equal(403);
    for (const [body, key] of [
      [{ kind: "full" }, "b1"],
      [{ kind: "partial", reason: "x", lines: [{ line: 0, quantity: 0 }] }, "b2"],
      [{ kind: "full", reason: "x", id: "cn_chosenbyclient" }, "b3"],
    ] as const) {
      const r = await call(creditEvent(rec.order.orderId, body, { key }));
      expect([r.status, r.body.error.code], JSON.stringify(body)).to.deep.equal([400, "VALIDATION_FAILED"]);
    }
    const noKey = await call(creditEvent(rec.order.orderId, { kind: "full", reason: "x" }, { key: null }));
    expect([noKey.status, noKey.body.error.details[0].path]).to.deep.equal([400, "headers.Idempotency-Key"]);
    expect(await creditNotesOf(rec.order.orderId)).to.deep.equal([]);
    expect(await refundsOf(rec.paymentId!)).to.deep.equal([]);
  });

  it("a refund started from both sides at once (the admin's request and its webhook, interleaved) makes one credit note", async () => {
    await deliverWebhooksToApi();
    const rec = await invoicedOrder();
    const r = await call(
      creditEvent(rec.order.orderId, { kind: "partial", reason: "late", lines: [{ line: 0, quantity: 1 }], shipping: true }),
    );
    expect(r.status).to.equal(202);
    await ctx.stripe.webhooksIdle();
    const cns = await creditNotesOf(rec.order.orderId);
    expect(cns.map((c) => c.pk)).to.deep.equal([`CREDITNOTE#${r.body.creditNoteId}`]);
    await work();
    expect((await store().getCreditNote(r.body.creditNoteId))!.creditNoteNumber).to.match(/^CN-\d{6}$/);
    expect(await creditNotesOf(rec.order.orderId)).to.have.length(1);
  });

  it("both sides at once, worst case: the refund's webhook is handled in full before the admin's request records its refund", async () => {
    await deliverWebhooksToApi();
    const rec = await invoicedOrder();
    const provider = providerFor(ctx.stripe);
    const slowed = {
      ...provider,
      refundPayment: async (req: Parameters<typeof provider.refundPayment>[0]) => {
        const refund = await provider.refundPayment(req);
        await ctx.stripe.webhooksIdle(); // the webhook has been answered before the request goes on
        return refund;
      },
    };
    const r = await handleApiRequest(
      creditEvent(rec.order.orderId, { kind: "full", reason: "Returned" }),
      apiDeps(ctx, { payments: slowed }),
    );
    expect(r.statusCode, r.body).to.equal(202);
    const refundEvents = new Set(
      ctx.stripe
        .events()
        .filter((e) => e.type === "charge.refunded" && e.data.object.payment_intent === rec.paymentId)
        .map((e) => e.id),
    );
    const delivered = ctx.stripe.deliveries().filter((d) => refundEvents.has(d.eventId) && d.status === 200);
    expect(delivered.length, "the refund's webhook was delivered and answered").to.be.at.least(1);
    expect((await creditNotesOf(rec.order.orderId)).map((c) => c.pk)).to.deep.equal([`CREDITNOTE#${JSON.parse(r.body).creditNoteId}`]);
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);
    const queued = (await drainQueue(ctx)).map((m) => JSON.parse(m.body).creditNoteId);
    expect(new Set(queued).size, "both sides may queue it; it is one credit note").to.equal(1);
  });

  it("a refund made in the provider's dashboard becomes its credit note: the money refunded exactly, once per refund", async () => {
    await deliverWebhooksToApi();
    const rec = await invoicedOrder();
    const refund = ctx.stripe.dashboardRefund(rec.paymentId!, 1234);
    await ctx.stripe.webhooksIdle();
    const id = creditNoteIdOfRefund(refund.id);
    const cn = (await store().getCreditNote(id))!;
    expect(cn, "credit note of the dashboard refund").to.not.equal(undefined);
    expect([cn.creditNote.kind, cn.creditNote.totalMinor, cn.origin]).to.deep.equal([
      "amount",
      1234,
      { by: "provider", refundId: refund.id },
    ]);
    // The rest, refunded at the provider too: what is left of every line and the shipping.
    const rest = ctx.stripe.dashboardRefund(rec.paymentId!);
    await ctx.stripe.webhooksIdle();
    const last = (await store().getCreditNote(creditNoteIdOfRefund(rest.id)))!;
    expect(last.creditNote.totalMinor).to.equal(rec.order.totalMinor - 1234);
    expect((await store().get(rec.order.orderId))!.creditedMinor).to.equal(rec.order.totalMinor);
    await work();
    const numbers = await Promise.all(
      [id, creditNoteIdOfRefund(rest.id)].map(async (x) => (await store().getCreditNote(x))!.creditNoteNumber),
    );
    expect(new Set(numbers).size).to.equal(2);
    expect(await creditNotesOf(rec.order.orderId)).to.have.length(2);
  });

  it("an admin's credit note whose refund the provider refuses (refunded in the dashboard first) is voided: 409, its reservation given back", async () => {
    const rec = await invoicedOrder();
    ctx.stripe.dashboardRefund(rec.paymentId!); // webhooks not delivered yet: the store does not know
    const r = await call(creditEvent(rec.order.orderId, { kind: "full", reason: "Returned" }));
    expect([r.status, r.body.error.code]).to.deep.equal([409, "REFUND_REFUSED"]);
    expect(await creditNotesOf(rec.order.orderId)).to.deep.equal([]);
    expect((await store().get(rec.order.orderId))!.creditedMinor ?? 0).to.equal(0);
    expect(await drainQueue(ctx)).to.deep.equal([]);
    // The dashboard's refund, once its webhook arrives, gets the credit note instead.
    const [event] = ctx.stripe.events().filter((e) => e.type === "charge.refunded" && e.data.object.payment_intent === rec.paymentId);
    const signed = signedWebhook(event);
    const w = await call(
      apiEvent({
        method: "POST",
        resource: "/webhooks/stripe",
        path: "/webhooks/stripe",
        body: signed.raw,
        headers: { "Content-Type": "application/json", "Stripe-Signature": signed.signature },
        claims: null,
      }),
    );
    expect([w.status, w.body.outcome], JSON.stringify(w.body)).to.deep.equal([200, "credited"]);
    const cns = await creditNotesOf(rec.order.orderId);
    expect(cns.map((c) => (c.creditNote as { totalMinor: number }).totalMinor)).to.deep.equal([rec.order.totalMinor]);
  });
});
