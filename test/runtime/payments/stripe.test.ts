import { expect } from "chai";
import {
  PaymentProviderUnavailable,
  PaymentRequestRefused,
  type PaymentProvider,
  RefundRefused,
  WebhookSignatureInvalid,
} from "../../../runtime/payments/provider";
import { signStripePayload, type StripeStandIn } from "../../../local/stripe-standin";
import { providerFor, rejection, startFailingStripe, startTestStandIn, startWebhookEndpoint, STRIPE_KEYS } from "../../helpers/stripe";
import { waitUntil } from "../../helpers/wait";

/** A Stripe event's body and the Stripe-Signature header for it, signed now with the test webhook secret. */
function signedEvent(id: string, type: string, object: Record<string, unknown>, created = 1): { body: string; header: string } {
  const body = JSON.stringify({ id, object: "event", type, created, data: { object } });
  return { body, header: signStripePayload(body, STRIPE_KEYS.webhookSecret, Math.floor(Date.now() / 1000)) };
}

let orderSeq = 0;
const newOrderId = (): string => `ord-${Date.now().toString(36)}-${++orderSeq}`;

describe("createStripeProvider (through the official SDK against the local stand-in)", () => {
  let standIn: StripeStandIn;
  let endpoint: Awaited<ReturnType<typeof startWebhookEndpoint>>;
  let provider: PaymentProvider;

  before(async () => {
    endpoint = await startWebhookEndpoint();
    standIn = await startTestStandIn({ webhookUrl: endpoint.url });
    provider = providerFor(standIn);
  });
  after(async () => {
    await standIn.close();
    await endpoint.close();
  });

  /** The first webhook of `type` about `paymentId` the endpoint received. */
  const webhookFor = (paymentId: string, type: string) =>
    waitUntil(() => endpoint.received.find((w) => w.body.includes(`"type": "${type}"`) && w.body.includes(paymentId)), 5000);

  /** A new order's payment in EUR, confirmed with `paymentMethod` when given. */
  const pay = (paymentMethod?: string, amountMinor = 1000) =>
    provider.createPayment({ orderId: newOrderId(), amountMinor, currency: "EUR", ...(paymentMethod ? { paymentMethod } : {}) });

  const paid = [
    { paymentMethod: "pm_card_visa", brand: "visa", last4: "4242" },
    { paymentMethod: "pm_card_mastercard", brand: "mastercard", last4: "4444" },
  ];
  for (const c of paid) {
    it(`a payment with ${c.paymentMethod} succeeds and reports the card as ${c.brand} ${c.last4}`, async () => {
      const orderId = newOrderId();

      const state = await provider.createPayment({
        orderId,
        amountMinor: 2499,
        currency: "EUR",
        paymentMethod: c.paymentMethod,
        description: "Order",
      });

      expect(state).to.include({ status: "succeeded", amountMinor: 2499, currency: "EUR", orderId });
      expect(state.paymentId).to.match(/^pi_/);
      expect(state.card).to.deep.equal({ brand: c.brand, last4: c.last4 });
      expect(state.failure).to.equal(undefined);
    });
  }

  it("a declined card is a state with the decline, not an exception", async () => {
    const state = await pay("pm_card_chargeDeclined");

    expect(state.status).to.equal("requires_payment_method");
    expect(state.failure).to.deep.equal({ code: "card_declined", message: "Your card was declined." });
    expect(state.currency).to.equal("EUR");
  });

  it("a payment method Stripe does not know, or an amount above its 8 digits, is PaymentRequestRefused naming the field", async () => {
    const unknown = await rejection(pay("pm_does_not_exist"));
    expect([unknown instanceof PaymentRequestRefused, (unknown as PaymentRequestRefused).field]).to.deep.equal([true, "paymentMethod"]);
    const huge = await rejection(pay("pm_card_visa", 100_000_000));
    expect([huge instanceof PaymentRequestRefused, (huge as PaymentRequestRefused).field]).to.deep.equal([true, "amount"]);
  });

  it("without a payment method the payment waits for one and carries the client secret for the browser", async () => {
    const state = await pay(undefined, 500);

    expect(state.status).to.equal("requires_payment_method");
    expect(state.clientSecret).to.match(new RegExp(`^${state.paymentId}_secret_`));
    expect(state.failure).to.equal(undefined);
  });

  it("3-D Secure: requires_action with the stand-in's page, then a signed webhook that parseWebhook reads as succeeded", async () => {
    const created = await pay("pm_card_threeDSecure2Required", 7000);
    expect(created.status).to.equal("requires_action");
    expect(created.actionUrl).to.equal(`${standIn.url}/_standin/3ds/${created.paymentId}`);
    const page = await (await fetch(created.actionUrl!)).text();
    expect(page).to.contain(">Complete<").and.contain(">Fail<");

    standIn.authenticate(created.paymentId, "succeed");
    const hook = await webhookFor(created.paymentId, "payment_intent.succeeded");
    expect(hook, "payment_intent.succeeded delivered").to.not.equal(undefined);
    const event = await provider.parseWebhook(hook!.body, hook!.signature);

    expect(event).to.include({ kind: "succeeded", type: "payment_intent.succeeded" });
    expect(event.eventId).to.match(/^evt_/);
    expect(event.payment).to.include({ paymentId: created.paymentId, status: "succeeded", amountMinor: 7000, currency: "EUR" });
    expect((await provider.getPayment(created.paymentId)).card).to.deep.equal({ brand: "visa", last4: "3220" });
  });

  it("3-D Secure failed on the page: the webhook reads as failed with the authentication failure", async () => {
    const created = await pay("pm_card_threeDSecure2Required", 7000);

    const answer = await fetch(`${created.actionUrl}?outcome=fail`, { method: "POST" });
    const hook = await webhookFor(created.paymentId, "payment_intent.payment_failed");
    const event = await provider.parseWebhook(hook!.body, hook!.signature);

    expect(answer.status).to.equal(200);
    expect(event.kind).to.equal("failed");
    expect(event.payment?.status).to.equal("requires_payment_method");
    expect(event.payment?.failure?.code).to.equal("payment_intent_authentication_failure");
  });

  it("creating the same order's payment twice returns the same payment and makes one intent", async () => {
    const orderId = newOrderId();
    const req = { orderId, amountMinor: 1500, currency: "EUR", paymentMethod: "pm_card_visa" };

    const first = await provider.createPayment(req);
    const second = await provider.createPayment(req);

    expect(second.paymentId).to.equal(first.paymentId);
    const created = standIn
      .events()
      .filter((e) => e.type === "payment_intent.created" && (e.data.object.metadata as Record<string, string>).orderId === orderId);
    expect(created).to.have.length(1);
    expect(standIn.requests().at(-1)).to.include({ operation: "PostPaymentIntents", replayed: true });
  });

  it("cancels a payment that has not succeeded", async () => {
    const created = await pay(undefined, 800);

    const canceled = await provider.cancelPayment(created.paymentId);

    expect(canceled).to.include({ paymentId: created.paymentId, status: "canceled" });
    expect((await provider.getPayment(created.paymentId)).status).to.equal("canceled");
  });

  it("cancelling a payment that already succeeded answers succeeded instead of failing", async () => {
    const created = await pay("pm_card_visa", 800);

    const after = await provider.cancelPayment(created.paymentId);

    expect(after).to.include({ paymentId: created.paymentId, status: "succeeded" });
    expect(after.card).to.deep.equal({ brand: "visa", last4: "4242" });
  });

  it("reading an unknown payment is a plain error naming Stripe's code, not an outage", async () => {
    const err = await rejection(provider.getPayment("pi_doesnotexist"));

    expect(err).to.not.be.instanceOf(PaymentProviderUnavailable);
    expect(err.message).to.contain("resource_missing");
  });

  it("a wrong secret key is a configuration error whose message does not quote the key", async () => {
    const wrong = providerFor(standIn, { keys: async () => ({ ...STRIPE_KEYS, secretKey: "sk_test_wrong_key_987654321" }) });

    const err = await rejection(wrong.getPayment("pi_x"));

    expect(err).to.not.be.instanceOf(PaymentProviderUnavailable);
    expect(err.message).to.contain("StripeAuthenticationError").and.not.contain("987654321");
  });

  it("reads the keys on every call and uses a rotated secret key at once", async () => {
    let secretKey = "sk_test_old_revoked";
    const rotating = providerFor(standIn, { keys: async () => ({ ...STRIPE_KEYS, secretKey }) });
    await rejection(rotating.getPayment("pi_x"));

    secretKey = STRIPE_KEYS.secretKey;
    const state = await rotating.createPayment({ orderId: newOrderId(), amountMinor: 100, currency: "EUR" });

    expect(state.status).to.equal("requires_payment_method");
  });

  it("reads an event it does not act on as kind other, without a payment", async () => {
    const { body, header } = signedEvent("evt_other", "charge.captured", { id: "ch_1" }, 1700000000);

    const event = await provider.parseWebhook(body, header);

    expect(event).to.deep.equal({ eventId: "evt_other", kind: "other", type: "charge.captured", created: 1700000000 });
  });

  describe("refunds", () => {
    /** A succeeded payment of a new order. */
    const paidOrder = async (amountMinor = 3000) => {
      const orderId = newOrderId();
      const state = await provider.createPayment({ orderId, amountMinor, currency: "EUR", paymentMethod: "pm_card_visa", shop: "shop-t" });
      return { orderId, paymentId: state.paymentId };
    };

    it("refunds part of a payment with idempotency key refund-<creditNoteId> and the order, credit note and shop as metadata", async () => {
      const { orderId, paymentId } = await paidOrder();

      const r = await provider.refundPayment({
        paymentId,
        amountMinor: 1200,
        currency: "EUR",
        orderId,
        creditNoteId: "cn_a1",
        shop: "shop-t",
      });

      expect(r).to.include({ paymentId, status: "succeeded", amountMinor: 1200, currency: "EUR", creditNoteId: "cn_a1", orderId });
      expect(r.refundId).to.match(/^re_/);
      const sent = standIn
        .requests()
        .filter((x) => x.operation === "PostRefunds")
        .at(-1)!;
      expect(sent.params).to.deep.equal({
        payment_intent: paymentId,
        amount: "1200",
        metadata: { order_id: orderId, credit_note_id: "cn_a1", shop: "shop-t" },
      });
    });

    it("a retried refund for the same credit note is the same refund, not a second one", async () => {
      const { orderId, paymentId } = await paidOrder();
      const req = { paymentId, amountMinor: 3000, currency: "EUR", orderId, creditNoteId: "cn_again" };

      const first = await provider.refundPayment(req);
      const again = await provider.refundPayment(req);

      expect(again.refundId).to.equal(first.refundId);
      expect((await provider.listRefunds(paymentId)).map((x) => x.refundId)).to.deep.equal([first.refundId]);
    });

    const refusals = [
      { name: "more than is left", amountMinor: 3001, reason: "amount_too_large" },
      { name: "after a full refund", amountMinor: 1, reason: "charge_already_refunded", fullFirst: true },
    ];
    for (const c of refusals) {
      it(`refusing a refund of ${c.name} is RefundRefused with reason ${c.reason}, not an outage`, async () => {
        const { orderId, paymentId } = await paidOrder();
        if (c.fullFirst)
          await provider.refundPayment({ paymentId, amountMinor: 3000, currency: "EUR", orderId, creditNoteId: `cn_full_${orderId}` });

        const err = await rejection(
          provider.refundPayment({ paymentId, amountMinor: c.amountMinor, currency: "EUR", orderId, creditNoteId: `cn_x_${orderId}` }),
        );

        expect(err).to.be.instanceOf(RefundRefused);
        expect((err as RefundRefused).reason).to.equal(c.reason);
      });
    }

    it("refunding a payment that has not succeeded is RefundRefused (payment_not_succeeded)", async () => {
      const open = await pay(undefined, 500);

      const err = await rejection(
        provider.refundPayment({
          paymentId: open.paymentId,
          amountMinor: 500,
          currency: "EUR",
          orderId: open.orderId!,
          creditNoteId: "cn_open",
        }),
      );

      expect(err).to.be.instanceOf(RefundRefused);
      expect((err as RefundRefused).reason).to.equal("payment_not_succeeded");
    });

    it("lists every refund of a payment, oldest first, across pages, with the dashboard's (no credit note) among them", async () => {
      const { orderId, paymentId } = await paidOrder(12000);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push(
          (await provider.refundPayment({ paymentId, amountMinor: 100, currency: "EUR", orderId, creditNoteId: `cn_l${i}_${orderId}` }))
            .refundId,
        );
      ids.push(standIn.dashboardRefund(paymentId, 200).id);
      // More than one page of the SDK's auto-pagination (100 per page): 101 more refunds of 1 cent.
      for (let i = 0; i < 101; i++) ids.push(standIn.dashboardRefund(paymentId, 1).id);

      const listed = await provider.listRefunds(paymentId);

      expect(listed.map((r) => r.refundId)).to.deep.equal(ids);
      expect(listed[3]).to.include({ amountMinor: 200, status: "succeeded" });
      expect(listed[3]!.creditNoteId).to.equal(undefined);
      expect(listed[0]!.creditNoteId).to.equal(`cn_l0_${orderId}`);
      expect(standIn.requests().filter((x) => x.operation === "GetRefunds" && x.params.payment_intent === paymentId)).to.have.length(2);
    });

    it("a refund's charge.refunded webhook reads as kind refunded with the order's payment", async () => {
      const { orderId, paymentId } = await paidOrder(2200);
      standIn.dashboardRefund(paymentId, 700);
      const hook = await waitUntil(
        () => endpoint.received.find((w) => w.body.includes('"type": "charge.refunded"') && w.body.includes(paymentId)),
        5000,
      );

      const event = await provider.parseWebhook(hook!.body, hook!.signature);

      expect(event).to.include({ kind: "refunded", type: "charge.refunded" });
      expect(event.payment).to.deep.include({
        paymentId,
        status: "succeeded",
        amountMinor: 2200,
        currency: "EUR",
        orderId,
        shop: "shop-t",
      });
    });

    it("a charge.refunded whose charge lacks the order's metadata reads the PaymentIntent for it", async () => {
      const { orderId, paymentId } = await paidOrder(900);
      const { body, header } = signedEvent("evt_bare", "charge.refunded", {
        id: "ch_bare",
        object: "charge",
        amount: 900,
        currency: "eur",
        payment_intent: paymentId,
        metadata: {},
      });

      const event = await provider.parseWebhook(body, header);

      expect(event).to.include({ kind: "refunded", eventId: "evt_bare" });
      expect(event.payment).to.include({ paymentId, orderId, amountMinor: 900 });
    });

    it("Stripe failing while refunding: PaymentProviderUnavailable", async () => {
      const failing = await startFailingStripe({ status: 500, type: "api_error" });
      try {
        const err = await rejection(
          providerFor(failing).refundPayment({ paymentId: "pi_1", amountMinor: 1, currency: "EUR", orderId: "o", creditNoteId: "cn_f" }),
        );

        expect(err).to.be.instanceOf(PaymentProviderUnavailable);
      } finally {
        await failing.close();
      }
    });
  });

  describe("parseWebhook refuses what Stripe did not sign (WebhookSignatureInvalid)", () => {
    const intent = {
      id: "pi_1",
      object: "payment_intent",
      amount: 100,
      currency: "eur",
      status: "succeeded",
      metadata: { orderId: "o-1" },
    };
    const payload = JSON.stringify({
      id: "evt_1",
      object: "event",
      type: "payment_intent.succeeded",
      created: 1,
      data: { object: intent },
    });
    const now = () => Math.floor(Date.now() / 1000);
    const cases: Array<{ name: string; body: () => string; header: () => string | undefined }> = [
      { name: "signed with another secret", body: () => payload, header: () => signStripePayload(payload, "whsec_someone_else", now()) },
      {
        name: "a body changed after signing",
        body: () => payload.replace("evt_1", "evt_2"),
        header: () => signStripePayload(payload, STRIPE_KEYS.webhookSecret, now()),
      },
      { name: "no Stripe-Signature header", body: () => payload, header: () => undefined },
      { name: "a garbled header", body: () => payload, header: () => "v1=deadbeef" },
      {
        name: "a replay older than the tolerance",
        body: () => payload,
        header: () => signStripePayload(payload, STRIPE_KEYS.webhookSecret, now() - 301),
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name}`, async () => {
        const err = await rejection(provider.parseWebhook(c.body(), c.header()));

        expect(err).to.be.instanceOf(WebhookSignatureInvalid);
      });
    }

    it("accepts the same event correctly signed just now (the control for the cases above)", async () => {
      const event = await provider.parseWebhook(payload, signStripePayload(payload, STRIPE_KEYS.webhookSecret, now()));

      expect(event.eventId).to.equal("evt_1");
      expect(event.payment).to.deep.include({ paymentId: "pi_1", status: "succeeded", amountMinor: 100, currency: "EUR", orderId: "o-1" });
    });

    it("a signed payment event without a PaymentIntent inside is an error, not a payment", async () => {
      const odd = signedEvent("evt_odd", "payment_intent.succeeded", { id: "x" });

      const err = await rejection(provider.parseWebhook(odd.body, odd.header));

      expect(err).to.not.be.instanceOf(WebhookSignatureInvalid);
      expect(err.message).to.contain("evt_odd");
    });

    it("honours a shorter tolerance", async () => {
      const strict = providerFor(standIn, { webhookToleranceSeconds: 10 });

      const err = await rejection(strict.parseWebhook(payload, signStripePayload(payload, STRIPE_KEYS.webhookSecret, now() - 60)));

      expect(err).to.be.instanceOf(WebhookSignatureInvalid);
    });
  });

  it("Stripe unreachable (the stand-in stopped): PaymentProviderUnavailable, without the secret key in the message", async () => {
    const gone = await startTestStandIn();
    await gone.close();
    const offline = providerFor(gone, { maxNetworkRetries: 0, timeoutMs: 2000 });

    const err = await rejection(
      offline.createPayment({ orderId: newOrderId(), amountMinor: 100, currency: "EUR", paymentMethod: "pm_card_visa" }),
    );

    expect(err).to.be.instanceOf(PaymentProviderUnavailable);
    expect((err as PaymentProviderUnavailable).outcome, "connection refused: never sent").to.equal("not-sent");
    expect(err.message).to.contain("StripeConnectionError").and.not.contain(STRIPE_KEYS.secretKey);
    expect((err as Error & { cause?: unknown }).cause).to.be.an("error");
  });

  const faults = [
    // A 5xx or a timeout may have been processed ("unknown"); a 429 was refused unprocessed ("not-sent").
    { name: "a 500 api_error", answer: { status: 500, type: "api_error" }, sdkError: "StripeAPIError", outcome: "unknown" },
    { name: "a 503", answer: { status: 503, type: "api_error" }, sdkError: "StripeAPIError", outcome: "unknown" },
    {
      name: "a 409 idempotency key in use",
      answer: { status: 409, type: "idempotency_error" },
      sdkError: "StripeAPIError",
      outcome: "unknown",
    },
    {
      name: "a 429 rate limit",
      answer: { status: 429, type: "invalid_request_error" },
      sdkError: "StripeRateLimitError",
      outcome: "not-sent",
    },
    { name: "no answer within the timeout", answer: "hang" as const, sdkError: "StripeConnectionError", outcome: "unknown" },
  ];
  for (const f of faults) {
    it(`Stripe failing with ${f.name}: PaymentProviderUnavailable (${f.sdkError})`, async () => {
      const failing = await startFailingStripe(f.answer);
      try {
        const err = await rejection(providerFor(failing, { timeoutMs: 300 }).getPayment("pi_1"));

        expect(err).to.be.instanceOf(PaymentProviderUnavailable);
        expect(err.message).to.contain(f.sdkError);
        expect((err as PaymentProviderUnavailable).outcome).to.equal(f.outcome);
      } finally {
        await failing.close();
      }
    });
  }
});
