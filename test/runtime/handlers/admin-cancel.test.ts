import { expect } from "chai";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, tableItems, workerDeps } from "../../helpers/deps";
import { ADMIN, ALICE, apiEvent, orderBody, postOrder, webhookEvent, type Claims } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { OrderStore } from "../../../runtime/domain/store";
import { cancellationRefundId } from "../../../runtime/handlers/admin-api";
import { providerFor, sdkFor, signedWebhook } from "../../helpers/stripe";

const cancelEvent = (orderId: string, o: { key?: string | null; claims?: Claims } = {}) =>
  apiEvent({
    method: "POST",
    resource: "/admin/orders/{orderId}/cancel",
    path: `/admin/orders/${orderId}/cancel`,
    pathParameters: { orderId },
    headers: o.key === null ? {} : { "Idempotency-Key": o.key ?? `cancel-${orderId}-1` },
    claims: o.claims ?? ADMIN,
  });

describe("admin API: POST /admin/orders/{orderId}/cancel", function () {
  this.timeout(60000);
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const call = async (e: ReturnType<typeof apiEvent>, log = capturingLogger("order-api")) => {
    const r = await handleApiRequest(e, apiDeps(ctx, { log: log.log }));
    return { status: r.statusCode, body: JSON.parse(r.body), headers: r.headers ?? {} };
  };
  /** An order placed through the API: PAID at once with the stand-in's test card, or left awaiting payment without one. */
  const placeOrder = async (paymentMethod: string | null = "pm_card_visa") => {
    const body = orderBody(paymentMethod ? {} : { payment: { provider: "stripe" } });
    const r = await call(postOrder(body));
    expect(r.status).to.equal(202);
    return (await store().get(r.body.orderId))!;
  };
  const refundsOf = (paymentId: string) => providerFor(ctx.stripe).listRefunds(paymentId);
  const audits = async () => (await tableItems(ctx)).filter((i) => i.type === "audit");

  it("cancels a PAID order not numbered yet: refunds the whole amount once and answers CANCELLED with the refund", async () => {
    const rec = await placeOrder();
    expect(rec.status).to.equal("PAID");

    const r = await call(cancelEvent(rec.order.orderId));

    expect(r.status).to.equal(200);
    expect(r.body).to.deep.include({ orderId: rec.order.orderId, status: "CANCELLED" });
    expect(r.body.refund).to.deep.include({ status: "succeeded", amount: { amount: rec.order.totalMinor, currency: "EUR" } });
    const refunds = await refundsOf(rec.paymentId!);
    expect(refunds.map((x) => [x.amountMinor, x.creditNoteId])).to.deep.equal([
      [rec.order.totalMinor, cancellationRefundId(rec.order.orderId)],
    ]);
    const after = (await store().get(rec.order.orderId))!;
    expect(after).to.deep.include({ status: "CANCELLED" });
    expect(after.invoiceNumber).to.equal(undefined);
    expect(after.cancelRefund?.refundId).to.equal(refunds[0]!.refundId);
  });

  it("the admin's view of the order shows the cancellation and its refund in the timeline", async () => {
    const rec = await placeOrder();
    const r = await call(cancelEvent(rec.order.orderId));
    const id = rec.order.orderId;

    const view = await call(
      apiEvent({
        method: "GET",
        resource: "/admin/orders/{orderId}",
        path: `/admin/orders/${id}`,
        pathParameters: { orderId: id },
        claims: ADMIN,
      }),
    );

    const events = (view.body.timeline as { event: string; detail?: string }[]).map((t) => t.event);
    expect(view.body.status).to.equal("CANCELLED");
    expect(events.slice(-3)).to.deep.equal(["cancel-requested", "refunded", "closed"]);
    expect(view.body.timeline.find((t: { event: string }) => t.event === "refunded").detail).to.include(r.body.refund.refundId);
  });

  it("a retried cancellation (same key, another key, and two at once) refunds exactly once and answers the same", async () => {
    const rec = await placeOrder();
    const id = rec.order.orderId;

    const [a, b] = await Promise.all([call(cancelEvent(id, { key: "k-1" })), call(cancelEvent(id, { key: "k-2" }))]);
    const again = await call(cancelEvent(id, { key: "k-1" }));

    expect([a.status, b.status, again.status]).to.deep.equal([200, 200, 200]);
    expect(again.body).to.deep.equal(a.body);
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);
    expect(
      ctx.stripe.events().filter((e) => e.type === "charge.refunded" && e.data.object.payment_intent === rec.paymentId),
    ).to.have.length(1);
  });

  it("the refund's charge.refunded webhook changes nothing: the order stays CANCELLED, with no paid-after-close alarm", async () => {
    const rec = await placeOrder();
    await call(cancelEvent(rec.order.orderId));
    const event = ctx.stripe.events().find((e) => e.type === "charge.refunded" && e.data.object.payment_intent === rec.paymentId);
    const { raw, signature } = signedWebhook(event);
    const log = capturingLogger("order-api");

    const r = await call(webhookEvent(raw, signature), log);

    expect(r.status).to.equal(200);
    expect(r.body.outcome).to.equal("nothing-to-credit"); // the cancellation's own refund: no invoice, no credit note
    expect((await store().get(rec.order.orderId))!.status).to.equal("CANCELLED");
    expect(log.lines.join("\n")).to.not.include("alarm");
  });

  it("a crash between the refund and CANCELLED is finished by the retry with the same refund (CANCELLING -> CANCELLED)", async () => {
    const rec = await placeOrder();
    const id = rec.order.orderId;
    // What the first request did before it died: CANCELLING and the refund made, CANCELLED not written.
    expect(await store().beginCancellation(id, new Date(), "k-crash")).to.equal(true);
    const made = await providerFor(ctx.stripe).refundPayment({
      paymentId: rec.paymentId!,
      amountMinor: rec.order.totalMinor,
      currency: "EUR",
      orderId: id,
      creditNoteId: cancellationRefundId(id),
      shop: ctx.resources.table,
    });

    const r = await call(cancelEvent(id, { key: "k-crash" }));

    expect(r.status).to.equal(200);
    expect(r.body.refund.refundId).to.equal(made.refundId);
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);
  });

  it("a payment refunded in full in the dashboard before the cancellation: no second refund, the order CANCELLED with the dashboard's refund", async () => {
    const rec = await placeOrder();
    const dashboard = ctx.stripe.dashboardRefund(rec.paymentId!);

    const r = await call(cancelEvent(rec.order.orderId));

    expect(r.status).to.equal(200);
    expect(r.body.refund).to.deep.include({ refundId: dashboard.id, amount: { amount: rec.order.totalMinor, currency: "EUR" } });
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);
  });

  it("a payment refunded in part in the dashboard: 409 REFUND_REFUSED, the order stays CANCELLING and is never invoiced", async () => {
    const rec = await placeOrder();
    ctx.stripe.dashboardRefund(rec.paymentId!, 100);
    const log = capturingLogger("order-api");

    const r = await call(cancelEvent(rec.order.orderId), log);

    expect(r.status).to.equal(409);
    expect(r.body.error.code).to.equal("REFUND_REFUSED");
    expect((await store().get(rec.order.orderId))!.status).to.equal("CANCELLING");
    expect(log.lines.join("\n")).to.include("cancel-refund-refused");
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);
  });

  it("a cancelled order never gets an invoice number, even when its queue message arrives afterwards, and no alarm is raised", async () => {
    const rec = await placeOrder();
    const messages = await drainQueue(ctx);
    const mine = messages.filter((m) => m.body.includes(rec.order.orderId));
    expect(mine).to.have.length(1);
    expect((await call(cancelEvent(rec.order.orderId))).status).to.equal(200);
    const worker = capturingLogger("invoice-worker");

    const out = await processOrderMessage(mine[0]!.body, workerDeps(ctx, { log: worker.log }));

    expect(out.outcome).to.equal("dropped");
    const after = (await store().get(rec.order.orderId))!;
    expect(after.status).to.equal("CANCELLED");
    expect(after.invoiceNumber).to.equal(undefined);
    expect((await tableItems(ctx)).find((i) => i.pk === "COUNTER#invoice")).to.equal(undefined);
    expect(worker.lines.join("\n")).to.not.include("unpaid-order-message");
  });

  it("an order cancelled while the worker was numbering it is dropped without a number (the numbering takes PAID orders only)", async () => {
    const rec = await placeOrder();
    const [msg] = (await drainQueue(ctx)).filter((m) => m.body.includes(rec.order.orderId));
    const worker = capturingLogger("invoice-worker");
    // The cancellation lands between the worker's read of the order and its numbering transaction.
    const numberInvoice = async (current: typeof rec) => {
      expect(await store().beginCancellation(current.order.orderId, new Date(), "k-race")).to.equal(true);
      return store().assignInvoiceNumber(current, new Date());
    };

    const out = await processOrderMessage(msg!.body, workerDeps(ctx, { log: worker.log, numberInvoice }));

    expect(out.outcome).to.equal("dropped");
    const after = (await store().get(rec.order.orderId))!;
    expect([after.status, after.invoiceNumber]).to.deep.equal(["CANCELLING", undefined]);
    expect(worker.lines.join("\n")).to.not.include("alarm");
  });

  it("an order the worker numbered first is refused with 409 ORDER_INVOICED and is not refunded", async () => {
    const rec = await placeOrder();
    const [msg] = (await drainQueue(ctx)).filter((m) => m.body.includes(rec.order.orderId));
    await processOrderMessage(msg!.body, workerDeps(ctx));

    const r = await call(cancelEvent(rec.order.orderId));

    expect(r.status).to.equal(409);
    expect(r.body.error.code).to.equal("ORDER_INVOICED");
    expect(r.body.error.message).to.include("credit note");
    expect(await refundsOf(rec.paymentId!)).to.deep.equal([]);
    expect((await store().get(rec.order.orderId))!.status).to.equal("INVOICED");
  });

  it("a PAID order that has its number (the worker got there first, not yet INVOICED) is refused and keeps it", async () => {
    const rec = await placeOrder();
    await store().assignInvoiceNumber(rec, new Date());

    const r = await call(cancelEvent(rec.order.orderId));

    expect(r.status).to.equal(409);
    expect(r.body.error.code).to.equal("ORDER_INVOICED");
    expect(await refundsOf(rec.paymentId!)).to.deep.equal([]);
  });

  it("cancels an order awaiting payment: its payment is cancelled at the provider, nothing refunded", async () => {
    const rec = await placeOrder(null);
    expect(rec.status).to.equal("AWAITING_PAYMENT");

    const r = await call(cancelEvent(rec.order.orderId));

    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({ orderId: rec.order.orderId, status: "CANCELLED" });
    expect((await providerFor(ctx.stripe).getPayment(rec.paymentId!)).status).to.equal("canceled");
    expect((await store().get(rec.order.orderId))!.status).to.equal("CANCELLED");
  });

  it("an unpaid order whose payment succeeded meanwhile is treated as PAID: refunded, then CANCELLED", async () => {
    const rec = await placeOrder(null);
    // The customer pays at the provider; its webhook has not reached the shop.
    const paid = await sdkFor(ctx.stripe).paymentIntents.confirm(rec.paymentId!, { payment_method: "pm_card_visa" });
    expect(paid.status).to.equal("succeeded");

    const r = await call(cancelEvent(rec.order.orderId));

    expect(r.status).to.equal(200);
    expect(r.body.refund.amount.amount).to.equal(rec.order.totalMinor);
    expect(await refundsOf(rec.paymentId!)).to.have.length(1);
  });

  it("records who cancelled, with the request id and key, in the audit trail", async () => {
    const rec = await placeOrder();
    const e = cancelEvent(rec.order.orderId, { key: "audit-key" });

    await call(e);

    const [a] = await audits();
    expect(a).to.deep.include({
      action: "order.cancelled",
      target: `order:${rec.order.orderId}`,
      adminSub: ADMIN.sub,
      adminEmail: ADMIN.email,
      route: "POST /admin/orders/{orderId}/cancel",
      requestId: e.requestContext.requestId,
    });
    expect(a!.detail).to.deep.include({ from: "PAID", idempotencyKey: "audit-key" });
  });

  const refusals: { name: string; claims: Claims | null; key?: string | null; status: number; code: string }[] = [
    { name: "a customer's token", claims: ALICE, status: 403, code: "FORBIDDEN" },
    { name: "no identity", claims: null, status: 401, code: "UNAUTHENTICATED" },
    { name: "an admin without an Idempotency-Key", claims: ADMIN, key: null, status: 400, code: "VALIDATION_FAILED" },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} with ${c.status} ${c.code} and changes nothing`, async () => {
      const rec = await placeOrder();
      const e = cancelEvent(rec.order.orderId, { key: c.key });
      if (c.claims === null) e.requestContext.authorizer = null;
      else e.requestContext.authorizer = { claims: { ...c.claims, "cognito:username": c.claims.sub } };

      const r = await call(e);

      expect(r.status).to.equal(c.status);
      expect(r.body.error.code).to.equal(c.code);
      expect((await store().get(rec.order.orderId))!.status).to.equal("PAID");
      expect(await refundsOf(rec.paymentId!)).to.deep.equal([]);
    });
  }

  it("an unknown order is 404", async () => {
    const r = await call(cancelEvent("ord_00000000000000000000000000"));

    expect(r.status).to.equal(404);
  });
});
