import { expect } from "chai";
import Stripe from "stripe";
import { rejection as rejectionOf, startTestStandIn, startWebhookEndpoint, STRIPE_KEYS, useStandInWithEndpoint } from "../helpers/stripe";
import { requestSchema, responseValidator, STRIPE_SPEC_SOURCE } from "../helpers/stripe-openapi";
import { waitUntil } from "../helpers/wait";

/**
 * Parameters the SDK sends that the checked-in spec does not declare, each with why. The subset comes from the
 * newest complete spec the project's mirror holds (2023-09, API 2023-08-16), older than the SDK's pinned API
 * (2026-11-18.endive). Refreshing the subset from a newer spec must empty this list; the test fails on any name
 * that is not listed here, and on a listed name that the spec has come to declare.
 */
const KNOWN_NEWER_THAN_SPEC: Readonly<Record<string, string>> = {
  "PostPaymentIntents allowed_payment_method_types":
    "replaced payment_method_types in later API versions (the SDK's types have only this one)",
};

const rejection = (p: Promise<unknown>) => rejectionOf<Stripe.errors.StripeError>(p);

describe("Stripe stand-in (local/stripe-standin.ts)", () => {
  const ctx = useStandInWithEndpoint();
  const api = (path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(`${ctx.standIn.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${init.key ?? STRIPE_KEYS.secretKey}`,
        "content-type": "application/x-www-form-urlencoded",
        ...init.headers,
      },
    });
  const create = (params: Partial<Stripe.PaymentIntentCreateParams> = {}, options?: Stripe.RequestOptions) =>
    ctx.stripe.paymentIntents.create(
      { amount: 1250, currency: "eur", allowed_payment_method_types: ["card"], metadata: { orderId: "o-1" }, ...params },
      options,
    );

  it("refuses a request without the secret key with Stripe's 401 error", async () => {
    const r = await api("/v1/payment_intents", { method: "POST", body: "amount=100&currency=eur", key: "sk_test_wrong" });

    expect(r.status).to.equal(401);
    expect(((await r.json()) as { error: { type: string } }).error.type).to.equal("invalid_request_error");
    const err = await rejection(
      new Stripe("sk_test_wrong", { host: "127.0.0.1", port: ctx.standIn.port, protocol: "http" }).paymentIntents.retrieve("pi_1"),
    );
    expect(err.type).to.equal("StripeAuthenticationError");
  });

  it("reads the SDK's form encoding: nested metadata, expand arrays, booleans and integers", async () => {
    const pi = await create({
      metadata: { orderId: "o-form", note: "a&b=c" },
      payment_method: "pm_card_visa",
      confirm: true,
      expand: ["latest_charge"],
    });

    expect(pi.metadata).to.deep.equal({ orderId: "o-form", note: "a&b=c" });
    expect(pi.amount).to.equal(1250);
    expect((pi.latest_charge as Stripe.Charge).payment_method_details?.card?.last4).to.equal("4242");
    expect(ctx.standIn.requests().at(-1)?.params).to.deep.include({ expand: ["latest_charge"], confirm: "true" });
  });

  it("answers with a Request-Id and, for the same Idempotency-Key and params, replays the first answer", async () => {
    const body = "amount=990&currency=eur&metadata[orderId]=o-idem";
    const headers = { "idempotency-key": "idem-1" };

    const first = await api("/v1/payment_intents", { method: "POST", body, headers });
    const again = await api("/v1/payment_intents", { method: "POST", body, headers });

    expect(first.headers.get("request-id")).to.match(/^req_/);
    expect(first.headers.get("idempotent-replayed")).to.equal(null);
    expect(again.headers.get("idempotent-replayed")).to.equal("true");
    expect(((await again.json()) as { id: string }).id).to.equal(((await first.json()) as { id: string }).id);
  });

  it("refuses the same Idempotency-Key with other params as Stripe does (idempotency_error)", async () => {
    await create({ amount: 100 }, { idempotencyKey: "idem-2" });

    const err = await rejection(create({ amount: 200 }, { idempotencyKey: "idem-2" }));

    expect(err.type).to.equal("StripeIdempotencyError");
    expect(err.statusCode).to.equal(400);
  });

  it("declines pm_card_chargeDeclined with 402 card_error carrying the intent back in requires_payment_method", async () => {
    const err = await rejection(create({ payment_method: "pm_card_chargeDeclined", confirm: true }));

    expect(err.type).to.equal("StripeCardError");
    expect(err).to.include({ statusCode: 402, code: "card_declined", decline_code: "generic_decline" });
    expect(err.payment_intent?.status).to.equal("requires_payment_method");
    expect(err.payment_intent?.last_payment_error?.message).to.equal("Your card was declined.");
  });

  it("confirms a declined intent again with another card (the client's retry)", async () => {
    const declined = (await rejection(create({ payment_method: "pm_card_chargeDeclined", confirm: true }))).payment_intent!;

    const paid = await ctx.stripe.paymentIntents.confirm(declined.id, { payment_method: "pm_card_mastercard", expand: ["latest_charge"] });

    expect(paid.status).to.equal("succeeded");
    expect(paid.last_payment_error).to.equal(null);
    expect((paid.latest_charge as Stripe.Charge).payment_method_details?.card?.brand).to.equal("mastercard");
  });

  it("lets a browser confirm with the publishable key and the client secret, and nothing more", async () => {
    const pi = await create();
    const confirm = (body: string) =>
      api(`/v1/payment_intents/${pi.id}/confirm`, { method: "POST", body, key: STRIPE_KEYS.publishableKey });

    const withoutSecret = await confirm("payment_method=pm_card_visa");
    const cancel = await api(`/v1/payment_intents/${pi.id}/cancel`, { method: "POST", key: STRIPE_KEYS.publishableKey });
    const ok = await confirm(`payment_method=pm_card_visa&client_secret=${pi.client_secret}`);

    expect(withoutSecret.status).to.equal(404);
    expect(cancel.status).to.equal(401);
    expect(ok.status).to.equal(200);
    expect(((await ok.json()) as { status: string }).status).to.equal("succeeded");
  });

  it("3-D Secure: the page's Complete button succeeds the intent and sends the customer back to return_url", async () => {
    const pi = await create({ payment_method: "pm_card_threeDSecure2Required", confirm: true, return_url: "https://shop.example/paid" });
    expect(pi.status).to.equal("requires_action");
    expect(pi.next_action?.redirect_to_url?.url).to.equal(`${ctx.standIn.url}/_standin/3ds/${pi.id}`);

    const r = await fetch(`${pi.next_action!.redirect_to_url!.url}?outcome=succeed`, { method: "POST", redirect: "manual" });

    expect(r.status).to.equal(303);
    const back = new URL(r.headers.get("location")!);
    expect(back.origin + back.pathname).to.equal("https://shop.example/paid");
    expect(back.searchParams.get("redirect_status")).to.equal("succeeded");
    expect((await ctx.stripe.paymentIntents.retrieve(pi.id)).status).to.equal("succeeded");
  });

  it("cancels an open intent and refuses to cancel a succeeded one (payment_intent_unexpected_state)", async () => {
    const open = await create();
    const paid = await create({ payment_method: "pm_card_visa", confirm: true });

    const canceled = await ctx.stripe.paymentIntents.cancel(open.id, { cancellation_reason: "abandoned" });
    const err = await rejection(ctx.stripe.paymentIntents.cancel(paid.id));

    expect(canceled).to.include({ status: "canceled", cancellation_reason: "abandoned" });
    expect(canceled.canceled_at).to.be.a("number");
    expect(err.code).to.equal("payment_intent_unexpected_state");
  });

  it("signs every webhook as Stripe does: the SDK's constructEvent accepts it", async () => {
    const pi = await create({ payment_method: "pm_card_visa", confirm: true, metadata: { orderId: "o-hook" } });

    const hooks = await waitUntil(() => {
      const mine = ctx.endpoint.received.filter((w) => w.body.includes(pi.id));
      return mine.length >= 2 ? mine : undefined;
    }, 5000);

    const events = hooks!.map((h) => ctx.stripe.webhooks.constructEvent(h.body, h.signature!, STRIPE_KEYS.webhookSecret));
    expect(events.map((e) => e.type)).to.have.members(["payment_intent.created", "payment_intent.succeeded"]);
    for (const e of events) {
      expect(e).to.include({ object: "event", livemode: false, api_version: Stripe.API_VERSION });
      expect((e.data.object as Stripe.PaymentIntent).id).to.equal(pi.id);
    }
    expect(() => ctx.stripe.webhooks.constructEvent(hooks![0]!.body, hooks![0]!.signature!, "whsec_other")).to.throw(/signature/i);
  });

  it("redelivers a webhook the ctx.endpoint refused, recording each attempt, with the same event id", async () => {
    const flaky = await startWebhookEndpoint([500, 503]);
    ctx.standIn.setWebhookUrl(flaky.url);
    try {
      const pi = await create();

      await ctx.standIn.webhooksIdle();

      const attempts = ctx.standIn.deliveries().filter((d) => d.url === flaky.url);
      expect(attempts.map((d) => [d.attempt, d.status])).to.deep.equal([
        [1, 500],
        [2, 503],
        [3, 200],
      ]);
      expect(new Set(attempts.map((d) => d.eventId)).size).to.equal(1);
      expect(flaky.received.every((w) => w.body.includes(pi.id))).to.equal(true);
    } finally {
      ctx.standIn.setWebhookUrl(ctx.endpoint.url);
      await flaky.close();
    }
  });

  it("gives up after the configured attempts when the ctx.endpoint is down", async () => {
    const down = await startWebhookEndpoint();
    await down.close();
    const quick = await startTestStandIn({ webhookUrl: down.url, webhookAttempts: 3, webhookBackoffMs: 5 });
    try {
      await new Stripe(STRIPE_KEYS.secretKey, { host: "127.0.0.1", port: quick.port, protocol: "http" }).paymentIntents.create({
        amount: 100,
        currency: "eur",
      });

      await quick.webhooksIdle();

      expect(quick.deliveries().map((d) => [d.attempt, d.status, typeof d.error])).to.deep.equal([
        [1, undefined, "string"],
        [2, undefined, "string"],
        [3, undefined, "string"],
      ]);
    } finally {
      await quick.close();
    }
  });

  describe(`every answer given above matches Stripe's OpenAPI description (${STRIPE_SPEC_SOURCE})`, () => {
    it("covers success, decline, 3DS, confirm, cancel (both ways), retrieve and replay", () => {
      const seen = new Set(ctx.standIn.requests().map((r) => `${r.operation} ${r.status}${r.replayed ? " replayed" : ""}`));

      for (const want of [
        "PostPaymentIntents 200",
        "PostPaymentIntents 402",
        "PostPaymentIntents 200 replayed",
        "PostPaymentIntentsIntentConfirm 200",
        "PostPaymentIntentsIntentCancel 200",
        "PostPaymentIntentsIntentCancel 400",
        "GetPaymentIntentsIntent 200",
      ]) {
        expect(seen, want).to.include(want);
      }
      expect(ctx.standIn.requests().some((r) => (r.body as { next_action?: unknown }).next_action)).to.equal(true);
    });

    it("validates each answer against the operation's schema for its status", () => {
      const failures = ctx.standIn
        .requests()
        .filter((r) => r.operation)
        .flatMap((r) => {
          const validate = responseValidator(r.operation!, r.status);
          return validate(r.body) ? [] : [`${r.operation} ${r.status}: ${JSON.stringify(validate.errors?.slice(0, 3))}`];
        });

      expect(failures).to.deep.equal([]);
    });

    it("the SDK sends only parameters the spec declares for the operation, of the declared types", () => {
      const undeclared = new Set<string>();
      const invalid: string[] = [];
      for (const r of ctx.standIn.requests().filter((x) => x.operation)) {
        const { names, validate } = requestSchema(r.operation!);
        const params = structuredClone(r.params) as Record<string, unknown>;
        for (const name of Object.keys(params)) {
          if (names.has(name)) continue;
          undeclared.add(`${r.operation} ${name}`);
          delete params[name];
        }
        // Browser calls carry the publishable key and client secret as params; the spec lists client_secret only.
        delete params.key;
        if (!validate(params)) invalid.push(`${r.operation}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      }

      expect(invalid).to.deep.equal([]);
      expect([...undeclared].filter((n) => !n.endsWith(" key")).sort()).to.deep.equal(Object.keys(KNOWN_NEWER_THAN_SPEC).sort());
    });

    it("the check can fail: an intent with a status Stripe does not have is refused", () => {
      const good = ctx.standIn.requests().find((r) => r.operation === "GetPaymentIntentsIntent" && r.status === 200)!.body as Record<
        string,
        unknown
      >;
      const validate = responseValidator("GetPaymentIntentsIntent", 200);

      expect(validate(good)).to.equal(true);
      expect(validate({ ...good, status: "paid" })).to.equal(false);
      expect(validate({ ...good, amount: "12.50" })).to.equal(false);
    });
  });
});
