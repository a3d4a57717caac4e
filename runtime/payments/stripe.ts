/**
 * The payment provider port (./provider.ts) on Stripe PaymentIntents, through the official SDK.
 * Locally the SDK talks to the stand-in (local/stripe/standin.ts) through `apiBaseUrl`; nothing here knows.
 */
import Stripe from "stripe";
import {
  type CreatePaymentRequest,
  type PaymentEvent,
  type PaymentProvider,
  PaymentProviderUnavailable,
  PaymentRequestRefused,
  type PaymentState,
  type PaymentStatus,
  RefundRefused,
  type RefundRequest,
  type RefundState,
  type RefundStatus,
  WebhookSignatureInvalid,
} from "./provider";

/** The two Stripe secrets; fetched per call so that a rotation needs no restart (the caller caches them). */
export interface StripeKeys {
  readonly secretKey: string;
  readonly webhookSecret: string;
}

/** Settings of the Stripe provider. */
export interface StripeProviderOptions {
  /** Where the keys come from (Secrets Manager in AWS, the stand-in's keys locally). */
  readonly keys: () => Promise<StripeKeys>;
  /** Another API origin, e.g. `http://127.0.0.1:PORT` for the local stand-in. @default https://api.stripe.com */
  readonly apiBaseUrl?: string;
  /** Per request. @default the SDK's 80000 */
  readonly timeoutMs?: number;
  /** The SDK's own retries (with idempotency keys). @default the SDK's 1 */
  readonly maxNetworkRetries?: number;
  /** How old a webhook may be before it counts as a replay. @default the SDK's 300 */
  readonly webhookToleranceSeconds?: number;
  /** Where 3-D Secure sends the customer back; without it Stripe answers `use_stripe_sdk` instead of a redirect URL. */
  readonly returnUrl?: string;
}

/** Expanded so that the answer carries the card's brand and last 4 digits. */
const EXPAND = ["latest_charge"];

/** Builds the Stripe implementation of the payment provider port. */
export function createStripeProvider(opts: StripeProviderOptions): PaymentProvider {
  const tolerance = opts.webhookToleranceSeconds ?? Stripe.webhooks.DEFAULT_TOLERANCE;
  let cached: { secretKey: string; client: Stripe } | undefined;
  const client = async (): Promise<{ stripe: Stripe; webhookSecret: string }> => {
    const { secretKey, webhookSecret } = await opts.keys();
    if (cached?.secretKey !== secretKey) cached = { secretKey, client: new Stripe(secretKey, clientConfig(opts)) };
    return { stripe: cached.client, webhookSecret };
  };

  return {
    id: "stripe",

    async createPayment(req: CreatePaymentRequest): Promise<PaymentState> {
      const { stripe } = await client();
      const params: Stripe.PaymentIntentCreateParams = {
        amount: req.amountMinor,
        currency: req.currency.toLowerCase(),
        metadata: { orderId: req.orderId, ...(req.shop ? { shop: req.shop } : {}) },
        // API 2026-11-18 (the SDK's pin) names it allowed_payment_method_types; older versions payment_method_types.
        allowed_payment_method_types: ["card"],
        expand: EXPAND,
        ...(req.description ? { description: req.description } : {}),
        ...(req.paymentMethod ? { payment_method: req.paymentMethod, confirm: true } : {}),
        ...(req.paymentMethod && opts.returnUrl ? { return_url: opts.returnUrl } : {}),
      };
      try {
        return toPaymentState(await stripe.paymentIntents.create(params, { idempotencyKey: `order-${req.orderId}` }));
      } catch (err) {
        const declined = declinedIntent(err);
        if (declined) return declined;
        throw refusedRequest(err) ?? translate(err, "create a payment");
      }
    },

    async getPayment(paymentId: string): Promise<PaymentState> {
      return retrieve((await client()).stripe, paymentId);
    },

    async cancelPayment(paymentId: string): Promise<PaymentState> {
      const { stripe } = await client();
      try {
        return toPaymentState(await stripe.paymentIntents.cancel(paymentId, { expand: EXPAND }));
      } catch (err) {
        // Already succeeded (or canceled): the payment is what it is; say so instead of failing.
        if (stripeError(err)?.code !== "payment_intent_unexpected_state") throw translate(err, "cancel a payment");
      }
      return retrieve(stripe, paymentId);
    },

    async refundPayment(req: RefundRequest): Promise<RefundState> {
      const { stripe } = await client();
      const params: Stripe.RefundCreateParams = {
        payment_intent: req.paymentId,
        amount: req.amountMinor,
        metadata: { order_id: req.orderId, credit_note_id: req.creditNoteId, ...(req.shop ? { shop: req.shop } : {}) },
      };
      let refund: Stripe.Refund;
      try {
        refund = await stripe.refunds.create(params, { idempotencyKey: `refund-${req.creditNoteId}` });
      } catch (err) {
        throw refusedRefund(err) ?? translate(err, "refund a payment");
      }
      const state = toRefundState(refund);
      if (state.currency !== req.currency.toUpperCase()) {
        throw new Error(`Stripe refunded ${state.amountMinor} ${state.currency} of ${req.paymentId}, asked for ${req.currency}`);
      }
      return state;
    },

    async listRefunds(paymentId: string): Promise<RefundState[]> {
      const { stripe } = await client();
      const all: RefundState[] = [];
      try {
        // Auto-pagination walks every page (Stripe lists newest first).
        for await (const r of stripe.refunds.list({ payment_intent: paymentId, limit: 100 })) all.push(toRefundState(r));
      } catch (err) {
        throw translate(err, "list a payment's refunds");
      }
      // Newest first from Stripe: reversed, then a stable sort by time keeps same-second refunds in Stripe's order.
      return all.reverse().sort((a, b) => a.created - b.created);
    },

    async parseWebhook(rawBody: string, signatureHeader: string | undefined): Promise<PaymentEvent> {
      if (!signatureHeader) throw new WebhookSignatureInvalid("the webhook has no Stripe-Signature header");
      const { stripe, webhookSecret } = await client();
      let event: Stripe.Event;
      try {
        event = await stripe.webhooks.constructEventAsync(rawBody, signatureHeader, webhookSecret, tolerance);
      } catch (err) {
        if (stripeError(err)?.type === "StripeSignatureVerificationError") {
          throw new WebhookSignatureInvalid(`the webhook's signature does not verify: ${(err as Error).message}`, { cause: err });
        }
        throw err;
      }
      const parsed = toPaymentEvent(event);
      if (parsed !== NEEDS_INTENT) return parsed;
      // A charge without the order in its metadata: the PaymentIntent holds it.
      const charge = event.data.object as Stripe.Charge;
      const intentId = typeof charge.payment_intent === "string" ? charge.payment_intent : charge.payment_intent?.id;
      if (!intentId) throw new Error(`Stripe event ${event.id} (${event.type}) names no payment_intent`);
      return { eventId: event.id, kind: "refunded", type: event.type, created: event.created, payment: await retrieve(stripe, intentId) };
    },
  };
}

async function retrieve(stripe: Stripe, paymentId: string): Promise<PaymentState> {
  try {
    return toPaymentState(await stripe.paymentIntents.retrieve(paymentId, { expand: EXPAND }));
  } catch (err) {
    throw translate(err, "read a payment");
  }
}

function clientConfig(opts: StripeProviderOptions): Stripe.StripeConfig {
  const base = opts.apiBaseUrl ? new URL(opts.apiBaseUrl) : undefined;
  return {
    apiVersion: Stripe.API_VERSION,
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.maxNetworkRetries !== undefined ? { maxNetworkRetries: opts.maxNetworkRetries } : {}),
    ...(base
      ? {
          host: base.hostname,
          port: base.port ? Number(base.port) : base.protocol === "http:" ? 80 : 443,
          protocol: base.protocol === "http:" ? "http" : "https",
        }
      : {}),
  };
}

/** A PaymentIntent reduced to what the order needs. */
export function toPaymentState(pi: Stripe.PaymentIntent): PaymentState {
  const charge = typeof pi.latest_charge === "object" && pi.latest_charge !== null ? pi.latest_charge : undefined;
  const card = charge?.payment_method_details?.card;
  const lastError = pi.last_payment_error;
  const actionUrl = nextActionUrl(pi.next_action);
  return {
    paymentId: pi.id,
    status: toStatus(pi.status),
    amountMinor: pi.amount,
    currency: pi.currency.toUpperCase(),
    ...(pi.metadata?.orderId ? { orderId: pi.metadata.orderId } : {}),
    ...(pi.metadata?.shop ? { shop: pi.metadata.shop } : {}),
    ...(pi.client_secret ? { clientSecret: pi.client_secret } : {}),
    ...(lastError?.message ? { failure: { ...(lastError.code ? { code: lastError.code } : {}), message: lastError.message } } : {}),
    ...(card?.brand && card.last4 ? { card: { brand: card.brand, last4: card.last4 } } : {}),
    ...(actionUrl ? { actionUrl } : {}),
  };
}

/**
 * Stripe's seven statuses on the port's five: `requires_confirmation` waits for the customer (the client
 * confirms with the client secret), `requires_capture` is accepted but not final (this shop captures at once).
 */
function toStatus(status: Stripe.PaymentIntent.Status): PaymentStatus {
  switch (status) {
    case "succeeded":
      return "succeeded";
    case "requires_action":
      return "requires_action";
    case "requires_payment_method":
      return "requires_payment_method";
    case "processing":
      return "processing";
    case "canceled":
      return "canceled";
    case "requires_confirmation":
      return "requires_action";
    case "requires_capture":
      return "processing";
    default:
      // A status newer than this code: not final, so wait for the webhook.
      return "processing";
  }
}

function nextActionUrl(action: Stripe.PaymentIntent.NextAction | null): string | undefined {
  if (!action) return undefined;
  if (action.redirect_to_url?.url) return action.redirect_to_url.url;
  const sdk = action.use_stripe_sdk as { stripe_js?: unknown } | undefined;
  return typeof sdk?.stripe_js === "string" ? sdk.stripe_js : undefined;
}

/** A decline is an answer, not an outage: Stripe sends it as a 402 card error carrying the intent. */
function declinedIntent(err: unknown): PaymentState | undefined {
  const e = stripeError(err);
  if (e?.type !== "StripeCardError" || !e.payment_intent) return undefined;
  const state = toPaymentState(e.payment_intent);
  if (state.failure) return state;
  return { ...state, failure: { ...(e.code ? { code: e.code } : {}), message: e.message } };
}

const UNAVAILABLE = new Set(["StripeConnectionError", "StripeAPIError", "StripeRateLimitError", "StripeIdempotencyError"]);
/** Network errors that mean the request never reached Stripe: nothing can have been processed. */
const NEVER_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * Did the request certainly not reach Stripe, or Stripe refuse it unprocessed (429)? A timeout, a reset
 * connection, a 5xx or an idempotency key still in use (409) may mean it was processed. The SDK reports
 * its last attempt only: with a retry, an earlier attempt's timeout is not seen (accepted: rare, and the
 * payment's webhook then names an order the store no longer has, which alarms).
 */
function notSent(e: Stripe.errors.StripeError): boolean {
  if (e.type === "StripeRateLimitError") return true;
  const code = (e.detail as { code?: unknown } | undefined)?.code;
  return e.type === "StripeConnectionError" && typeof code === "string" && NEVER_SENT_CODES.has(code);
}

/** A Stripe Refund reduced to what a credit note needs. */
export function toRefundState(r: Stripe.Refund): RefundState {
  const paymentId = typeof r.payment_intent === "string" ? r.payment_intent : r.payment_intent?.id;
  if (!paymentId) throw new Error(`Stripe refund ${r.id} names no payment_intent`);
  return {
    refundId: r.id,
    paymentId,
    status: toRefundStatus(r.status),
    amountMinor: r.amount,
    currency: r.currency.toUpperCase(),
    ...(r.metadata?.credit_note_id ? { creditNoteId: r.metadata.credit_note_id } : {}),
    ...(r.metadata?.order_id ? { orderId: r.metadata.order_id } : {}),
    created: r.created,
  };
}

/** Stripe's refund statuses on the port's four: `requires_action` (a customer must act) is not final, so pending. */
function toRefundStatus(status: string | null): RefundStatus {
  switch (status) {
    case "succeeded":
    case "failed":
    case "canceled":
      return status;
    default:
      return "pending";
  }
}

/**
 * Stripe's 400s for a refund it will not make: more than is left (`amount_too_large`), nothing left
 * (`charge_already_refunded`), or a payment with no successful charge.
 */
const REFUND_REFUSALS = new Set(["amount_too_large", "charge_already_refunded", "charge_disputed", "charge_not_refundable"]);
function refusedRefund(err: unknown): RefundRefused | undefined {
  const e = stripeError(err);
  if (e?.type !== "StripeInvalidRequestError") return undefined;
  const reason =
    e.code && REFUND_REFUSALS.has(e.code) ? e.code : e.param === "payment_intent" && !e.code ? "payment_not_succeeded" : undefined;
  return reason ? new RefundRefused(`Stripe refused the refund: ${e.message}`, reason, { cause: e }) : undefined;
}

/** Stripe's 400 for a payment method it does not know or an amount above its 8-digit limit: the order's, not an outage. */
function refusedRequest(err: unknown): PaymentRequestRefused | undefined {
  const e = stripeError(err);
  if (e?.type !== "StripeInvalidRequestError") return undefined;
  const field = e.param === "payment_method" ? "paymentMethod" : e.param === "amount" ? "amount" : undefined;
  return field && new PaymentRequestRefused(`Stripe refused the payment's ${e.param}: ${e.code ?? e.type}`, field, { cause: e });
}

/** Outages become PaymentProviderUnavailable (retry later); anything else is a defect of ours, told plainly. */
function translate(err: unknown, what: string): Error {
  const e = stripeError(err);
  if (!e) return err instanceof Error ? err : new Error(String(err));
  const status = e.statusCode ? ` (HTTP ${e.statusCode})` : "";
  if (UNAVAILABLE.has(e.type)) {
    return new PaymentProviderUnavailable(
      `Stripe could not ${what}: ${e.type}${status}`,
      { cause: e },
      notSent(e) ? "not-sent" : "unknown",
    );
  }
  if (e.type === "StripeAuthenticationError" || e.type === "StripePermissionError") {
    // Stripe's own message quotes part of the key: leave it out.
    return new Error(`Stripe refused the secret key while trying to ${what}: ${e.type}${status}; check the configured key`, { cause: e });
  }
  const detail = [e.code, e.param && `param ${e.param}`].filter(Boolean).join(", ");
  return new Error(`Stripe rejected the request to ${what}: ${e.type}${status}${detail ? ` [${detail}]` : ""}: ${e.message}`, { cause: e });
}

function stripeError(err: unknown): Stripe.errors.StripeError | undefined {
  return err instanceof Stripe.errors.StripeError ? err : undefined;
}

const EVENT_KINDS: Readonly<Record<string, PaymentEvent["kind"]>> = {
  "payment_intent.succeeded": "succeeded",
  "payment_intent.payment_failed": "failed",
  "payment_intent.canceled": "canceled",
  "charge.refunded": "refunded",
};

/** toPaymentEvent's answer for a `charge.refunded` whose charge lacks the order: its PaymentIntent must be read. */
export const NEEDS_INTENT = Symbol("needs the PaymentIntent");

/** A verified Stripe event as the order sees it (NEEDS_INTENT: read the charge's PaymentIntent first). */
export function toPaymentEvent(event: Stripe.Event): PaymentEvent | typeof NEEDS_INTENT {
  const kind = EVENT_KINDS[event.type] ?? "other";
  const base = { eventId: event.id, kind, type: event.type, created: event.created };
  if (kind === "other") return base;
  if (kind === "refunded") return refundedEvent(event, base);
  const pi = event.data.object as Partial<Stripe.PaymentIntent>;
  // Signed by Stripe, but still read at the edge: a payment event must carry a PaymentIntent.
  if (pi.object !== "payment_intent" || typeof pi.id !== "string" || typeof pi.amount !== "number" || typeof pi.currency !== "string") {
    throw new Error(`Stripe event ${event.id} (${event.type}) does not carry a payment_intent`);
  }
  return { ...base, payment: toPaymentState(pi as Stripe.PaymentIntent) };
}

/**
 * `charge.refunded` carries the Charge: its PaymentIntent, amount and currency, and (Stripe copies them
 * from the intent) the intent's metadata with the order. The payment stays "succeeded": money was taken.
 */
function refundedEvent(event: Stripe.Event, base: Omit<PaymentEvent, "payment">): PaymentEvent | typeof NEEDS_INTENT {
  const ch = event.data.object as Partial<Stripe.Charge>;
  if (ch.object !== "charge" || typeof ch.amount !== "number" || typeof ch.currency !== "string") {
    throw new Error(`Stripe event ${event.id} (${event.type}) does not carry a charge`);
  }
  const intentId = typeof ch.payment_intent === "string" ? ch.payment_intent : ch.payment_intent?.id;
  const orderId = ch.metadata?.orderId;
  if (!intentId || !orderId) return NEEDS_INTENT;
  const payment: PaymentState = {
    paymentId: intentId,
    status: "succeeded",
    amountMinor: ch.amount,
    currency: ch.currency.toUpperCase(),
    orderId,
    ...(ch.metadata?.shop ? { shop: ch.metadata.shop } : {}),
  };
  return { ...base, payment };
}
