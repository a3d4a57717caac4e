import { expect } from "chai";
import Stripe from "stripe";
import { rejection as rejectionOf, STRIPE_KEYS, useStandInWithEndpoint } from "../helpers/stripe";
import { waitUntil } from "../helpers/wait";

/**
 * Refunds on the stand-in, through the official SDK. The checked-in OpenAPI subset has no refund
 * operations (it must not be regenerated from fetched code), so the SDK's `Stripe.Refund` type and
 * these assertions on Stripe's documented shape and errors are the drift check here.
 */

const rejection = (p: Promise<unknown>) => rejectionOf<Stripe.errors.StripeError>(p);

describe("Stripe stand-in: refunds (POST/GET /v1/refunds, charge.refunded)", () => {
  const ctx = useStandInWithEndpoint();
  const paidIntent = (amount = 5000, metadata: Record<string, string> = { orderId: "o-refund" }) =>
    ctx.stripe.paymentIntents.create({
      amount,
      currency: "eur",
      allowed_payment_method_types: ["card"],
      metadata,
      payment_method: "pm_card_visa",
      confirm: true,
    });
  /** The charge.refunded webhooks the ctx.endpoint received about `intentId`, as parsed events. */
  const refundedHooks = (intentId: string) =>
    ctx.endpoint.received
      .map((w) => JSON.parse(w.body) as Stripe.Event)
      .filter((e) => e.type === "charge.refunded" && (e.data.object as Stripe.Charge).payment_intent === intentId);

  it("refunds part of a succeeded intent: Stripe's refund object with the metadata, charge and intent", async () => {
    const pi = await paidIntent();

    const r = await ctx.stripe.refunds.create({
      payment_intent: pi.id,
      amount: 1200,
      metadata: { credit_note_id: "cn_1", order_id: "o-refund" },
    });

    expect(r).to.include({ object: "refund", amount: 1200, currency: "eur", payment_intent: pi.id, status: "succeeded" });
    expect(r.id).to.match(/^re_/);
    expect(r.charge).to.equal(pi.latest_charge);
    expect(r.metadata).to.deep.equal({ credit_note_id: "cn_1", order_id: "o-refund" });
    expect(r.created).to.be.a("number");
  });

  it("without an amount refunds what is left, and then refuses a further refund (charge_already_refunded)", async () => {
    const pi = await paidIntent(3000);
    await ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 1000 });

    const rest = await ctx.stripe.refunds.create({ payment_intent: pi.id });
    const err = await rejection(ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 1 }));

    expect(rest.amount).to.equal(2000);
    expect(err).to.include({ type: "StripeInvalidRequestError", statusCode: 400, code: "charge_already_refunded" });
  });

  it("refuses an amount above what is left with 400 amount_too_large on param amount", async () => {
    const pi = await paidIntent(3000);
    await ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 2500 });

    const err = await rejection(ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 501 }));

    expect(err).to.include({ type: "StripeInvalidRequestError", statusCode: 400, code: "amount_too_large", param: "amount" });
    expect(err.message).to.match(/Refund amount \(5\.01 EUR\) is greater than unrefunded amount on charge \(5\.00 EUR\)$/);
  });

  it("refuses to refund an intent that has not succeeded (400 invalid_request_error), and an unknown intent (404)", async () => {
    const open = await ctx.stripe.paymentIntents.create({ amount: 700, currency: "eur", allowed_payment_method_types: ["card"] });

    const err = await rejection(ctx.stripe.refunds.create({ payment_intent: open.id }));
    const missing = await rejection(ctx.stripe.refunds.create({ payment_intent: "pi_nope" }));

    expect(err).to.include({ type: "StripeInvalidRequestError", statusCode: 400, param: "payment_intent" });
    expect(err.message).to.include("does not have a successful charge to refund");
    expect(missing).to.include({ statusCode: 404, code: "resource_missing" });
  });

  it("the same Idempotency-Key and params replay the first refund; other params under it are an idempotency_error", async () => {
    const pi = await paidIntent(4000);
    const params = { payment_intent: pi.id, amount: 1500, metadata: { credit_note_id: "cn_idem" } };

    const first = await ctx.stripe.refunds.create(params, { idempotencyKey: "refund-cn_idem" });
    const again = await ctx.stripe.refunds.create(params, { idempotencyKey: "refund-cn_idem" });
    const other = await rejection(ctx.stripe.refunds.create({ ...params, amount: 1600 }, { idempotencyKey: "refund-cn_idem" }));
    const list = await ctx.stripe.refunds.list({ payment_intent: pi.id });

    expect(again.id).to.equal(first.id);
    expect(again.lastResponse.headers["idempotent-replayed"]).to.equal("true");
    expect(other.type).to.equal("StripeIdempotencyError");
    expect(list.data.map((r) => r.id)).to.deep.equal([first.id]);
  });

  it("lists an intent's refunds newest first and pages with starting_after (the SDK's auto-pagination reads them all)", async () => {
    const pi = await paidIntent(900);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 100 })).id);

    const firstPage = await ctx.stripe.refunds.list({ payment_intent: pi.id, limit: 2 });
    const all = await ctx.stripe.refunds.list({ payment_intent: pi.id, limit: 2 }).autoPagingToArray({ limit: 100 });
    const one = await ctx.stripe.refunds.retrieve(made[2]!);

    expect(firstPage.data.map((r) => r.id)).to.deep.equal([made[4], made[3]]);
    expect(firstPage.has_more).to.equal(true);
    expect(all.map((r) => r.id)).to.deep.equal([...made].reverse());
    expect(one).to.include({ id: made[2], amount: 100, payment_intent: pi.id });
    expect((await rejection(ctx.stripe.refunds.retrieve("re_nope"))).statusCode).to.equal(404);
  });

  it("a refund sends a signed charge.refunded webhook carrying the charge with amount_refunded, refunded and the intent's metadata", async () => {
    const pi = await paidIntent(2000, { orderId: "o-hook", shop: "shop-a" });

    await ctx.stripe.refunds.create({ payment_intent: pi.id, amount: 500 });
    await ctx.stripe.refunds.create({ payment_intent: pi.id });
    const hooks = await waitUntil(() => (refundedHooks(pi.id).length === 2 ? refundedHooks(pi.id) : undefined), 5000);

    const charges = hooks!.map((e) => e.data.object as Stripe.Charge).sort((a, b) => a.amount_refunded - b.amount_refunded);
    expect(charges.map((c) => [c.amount_refunded, c.refunded])).to.deep.equal([
      [500, false],
      [2000, true],
    ]);
    expect(charges[0]).to.include({ object: "charge", payment_intent: pi.id, amount: 2000, currency: "eur" });
    expect(charges[0]!.metadata).to.deep.equal({ orderId: "o-hook", shop: "shop-a" });
    const w = ctx.endpoint.received.find((x) => x.body.includes(hooks![0]!.id))!;
    expect(() => ctx.stripe.webhooks.constructEvent(w.body, w.signature!, STRIPE_KEYS.webhookSecret)).not.to.throw();
  });

  it("dashboardRefund refunds as the dashboard would (no credit note metadata) and sends the same webhook", async () => {
    const pi = await paidIntent(1800, { orderId: "o-dash" });

    const r = ctx.standIn.dashboardRefund(pi.id, 800);
    const rest = ctx.standIn.dashboardRefund(pi.id);
    const hooks = await waitUntil(() => (refundedHooks(pi.id).length === 2 ? refundedHooks(pi.id) : undefined), 5000);

    expect(r).to.include({ object: "refund", amount: 800, payment_intent: pi.id, status: "succeeded" });
    expect(r.metadata).to.deep.equal({});
    expect(rest.amount).to.equal(1000);
    expect(hooks).to.have.length(2);
    expect(() => ctx.standIn.dashboardRefund(pi.id, 1)).to.throw(/already been refunded/);
  });

  it("a publishable key may not refund", async () => {
    const pi = await paidIntent(600);

    const r = await fetch(`${ctx.standIn.url}/v1/refunds`, {
      method: "POST",
      headers: { authorization: `Bearer ${STRIPE_KEYS.publishableKey}`, "content-type": "application/x-www-form-urlencoded" },
      body: `payment_intent=${pi.id}`,
    });

    expect(r.status).to.equal(401);
    expect((await ctx.stripe.refunds.list({ payment_intent: pi.id })).data).to.deep.equal([]);
  });
});
