/**
 * The Stripe objects the stand-in holds and how they look on the wire (PaymentIntent, Charge, PaymentMethod,
 * errors), shaped after Stripe's API reference and checked against its OpenAPI description in the tests.
 */
import { randomBytes } from "node:crypto";

/** What a documented test payment method does when an intent is confirmed with it. */
export interface TestCard {
  readonly brand: string;
  readonly last4: string;
  readonly outcome: "succeed" | "decline" | "authenticate";
}

/** Stripe's documented test payment methods (docs.stripe.com/testing) that the stand-in knows. */
export const TEST_PAYMENT_METHODS: Readonly<Record<string, TestCard>> = {
  pm_card_visa: { brand: "visa", last4: "4242", outcome: "succeed" },
  pm_card_mastercard: { brand: "mastercard", last4: "4444", outcome: "succeed" },
  pm_card_chargeDeclined: { brand: "visa", last4: "0002", outcome: "decline" },
  pm_card_threeDSecure2Required: { brand: "visa", last4: "3220", outcome: "authenticate" },
};

/** The statuses a PaymentIntent moves through here. */
export type IntentStatus = "requires_payment_method" | "requires_confirmation" | "requires_action" | "succeeded" | "canceled";

/** Stripe's error body (`{ error: {...} }`) with its HTTP status. */
export interface StripeErrorAnswer {
  readonly status: number;
  readonly body: { error: Record<string, unknown> };
}

/** A PaymentIntent as the stand-in keeps it. */
export interface IntentRecord {
  readonly id: string;
  readonly clientSecret: string;
  readonly amount: number;
  readonly currency: string;
  readonly description: string | null;
  readonly metadata: Record<string, string>;
  readonly created: number;
  status: IntentStatus;
  paymentMethod: string | null;
  returnUrl: string | null;
  latestCharge: string | null;
  lastPaymentError: Record<string, unknown> | null;
  nextAction: Record<string, unknown> | null;
  canceledAt: number | null;
  cancellationReason: string | null;
}

/** A Charge as the stand-in keeps it. */
export interface ChargeRecord {
  readonly id: string;
  readonly intent: IntentRecord;
  readonly paymentMethod: string;
  readonly card: TestCard;
  readonly succeeded: boolean;
  readonly created: number;
  /** The sum of its refunds so far. */
  amountRefunded: number;
}

/** A Refund as the stand-in keeps it (card refunds succeed at once). */
export interface RefundRecord {
  readonly id: string;
  readonly charge: ChargeRecord;
  readonly amount: number;
  readonly metadata: Record<string, string>;
  readonly reason: string | null;
  readonly created: number;
}

/** A Stripe-style id: prefix, underscore, 24 random characters. */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString("base64url").replace(/[-_]/g, "0").slice(0, 24)}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The PaymentIntent's JSON; `charge` is given when `latest_charge` is expanded. */
export function intentJson(pi: IntentRecord, charge?: ChargeRecord): Record<string, unknown> {
  return {
    id: pi.id,
    object: "payment_intent",
    amount: pi.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: pi.status === "succeeded" ? pi.amount : 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: pi.canceledAt,
    cancellation_reason: pi.cancellationReason,
    capture_method: "automatic",
    client_secret: pi.clientSecret,
    confirmation_method: "automatic",
    created: pi.created,
    currency: pi.currency,
    customer: null,
    description: pi.description,
    last_payment_error: pi.lastPaymentError,
    latest_charge: charge ? chargeJson(charge) : pi.latestCharge,
    livemode: false,
    metadata: pi.metadata,
    next_action: pi.nextAction,
    on_behalf_of: null,
    payment_method: pi.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: "automatic" } },
    payment_method_types: ["card"],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: pi.status,
    transfer_data: null,
    transfer_group: null,
  };
}

/** The Charge's JSON (a succeeded or a failed card charge). */
export function chargeJson(ch: ChargeRecord): Record<string, unknown> {
  const { intent, card, succeeded } = ch;
  return {
    id: ch.id,
    object: "charge",
    amount: intent.amount,
    amount_captured: succeeded ? intent.amount : 0,
    amount_refunded: ch.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: noBillingDetails(),
    calculated_statement_descriptor: "SHOP",
    captured: succeeded,
    created: ch.created,
    currency: intent.currency,
    customer: null,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: succeeded ? null : "card_declined",
    failure_message: succeeded ? null : "Your card was declined.",
    fraud_details: {},
    invoice: null,
    livemode: false,
    // Stripe copies the PaymentIntent's metadata onto its charges.
    metadata: intent.metadata,
    on_behalf_of: null,
    outcome: succeeded
      ? {
          network_status: "approved_by_network",
          reason: null,
          risk_level: "normal",
          risk_score: 20,
          seller_message: "Payment complete.",
          type: "authorized",
        }
      : {
          network_status: "declined_by_network",
          reason: "generic_decline",
          risk_level: "normal",
          risk_score: 20,
          seller_message: "The bank did not return any further details with this decline.",
          type: "issuer_declined",
        },
    paid: succeeded,
    payment_intent: intent.id,
    payment_method: ch.paymentMethod,
    payment_method_details: {
      card: {
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "pass" },
        country: "US",
        exp_month: 12,
        exp_year: 2034,
        fingerprint: fingerprint(card),
        funding: "credit",
        installments: null,
        last4: card.last4,
        mandate: null,
        network: card.brand,
        three_d_secure:
          card.outcome === "authenticate"
            ? { authentication_flow: "challenge", result: "authenticated", result_reason: null, version: "2.2.0" }
            : null,
        wallet: null,
      },
      type: "card",
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: ch.amountRefunded > 0 && ch.amountRefunded === intent.amount,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: succeeded ? "succeeded" : "failed",
    transfer_data: null,
    transfer_group: null,
  };
}

/** The Refund's JSON (Stripe's `refund` object for a card refund). */
export function refundJson(r: RefundRecord): Record<string, unknown> {
  return {
    id: r.id,
    object: "refund",
    amount: r.amount,
    balance_transaction: null,
    charge: r.charge.id,
    created: r.created,
    currency: r.charge.intent.currency,
    destination_details: {
      card: { reference_status: "pending", reference_type: "acquirer_reference_number", type: "refund" },
      type: "card",
    },
    metadata: r.metadata,
    payment_intent: r.charge.intent.id,
    reason: r.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: "succeeded",
    transfer_reversal: null,
  };
}

/** The PaymentMethod's JSON, as Stripe embeds it in `last_payment_error`. */
export function paymentMethodJson(id: string, card: TestCard, created: number): Record<string, unknown> {
  return {
    id,
    object: "payment_method",
    billing_details: noBillingDetails(),
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "unchecked" },
      country: "US",
      exp_month: 12,
      exp_year: 2034,
      fingerprint: fingerprint(card),
      funding: "credit",
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created,
    customer: null,
    livemode: false,
    metadata: {},
    type: "card",
  };
}

function noBillingDetails(): Record<string, unknown> {
  return {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    email: null,
    name: null,
    phone: null,
  };
}

function fingerprint(card: TestCard): string {
  return `fp${card.brand.slice(0, 4)}${card.last4}`.padEnd(16, "0");
}

/** Stripe's error answers, by the situations the stand-in meets. */
export const stripeErrors = {
  unauthenticated(): StripeErrorAnswer {
    return {
      status: 401,
      body: {
        error: {
          type: "invalid_request_error",
          message: "Invalid API Key provided. You did not provide a valid secret key (Authorization: Bearer sk_...).",
        },
      },
    };
  },
  missingParam(param: string): StripeErrorAnswer {
    return invalid(`Missing required param: ${param}.`, { code: "parameter_missing", param });
  },
  invalidParam(param: string, message: string): StripeErrorAnswer {
    return invalid(message, { code: "parameter_invalid_empty", param });
  },
  unknownParam(param: string): StripeErrorAnswer {
    return invalid(`Received unknown parameter: ${param}`, { code: "parameter_unknown", param });
  },
  noSuchIntent(id: string): StripeErrorAnswer {
    return {
      status: 404,
      body: {
        error: { type: "invalid_request_error", code: "resource_missing", param: "intent", message: `No such payment_intent: '${id}'` },
      },
    };
  },
  noSuchPaymentMethod(id: string): StripeErrorAnswer {
    return invalid(`No such PaymentMethod: '${id}'`, { code: "resource_missing", param: "payment_method" });
  },
  notExpandable(field: string): StripeErrorAnswer {
    return invalid(`This property cannot be expanded (${field}).`, { param: "expand" });
  },
  unexpectedState(pi: Record<string, unknown>, action: "cancel" | "confirm", allowed: readonly string[]): StripeErrorAnswer {
    return invalid(
      `You cannot ${action} this PaymentIntent because it has a status of ${pi.status as string}. Only a PaymentIntent with one of the following statuses may be ${action === "cancel" ? "canceled" : "confirmed"}: ${allowed.join(", ")}.`,
      { code: "payment_intent_unexpected_state", payment_intent: pi },
    );
  },
  /** A refund above what is left of the charge (Stripe names the amounts in the currency). */
  amountTooLarge(requested: number, left: number, currency: string): StripeErrorAnswer {
    const fmt = (n: number) => `${(n / 100).toFixed(2)} ${currency.toUpperCase()}`;
    return invalid(`Refund amount (${fmt(requested)}) is greater than unrefunded amount on charge (${fmt(left)})`, {
      code: "amount_too_large",
      param: "amount",
      doc_url: "https://stripe.com/docs/error-codes/amount-too-large",
    });
  },
  chargeAlreadyRefunded(chargeId: string): StripeErrorAnswer {
    return invalid(`Charge ${chargeId} has already been refunded.`, {
      code: "charge_already_refunded",
      doc_url: "https://stripe.com/docs/error-codes/charge-already-refunded",
    });
  },
  /** A refund of an intent that has no successful charge (not paid, declined, canceled). */
  nothingToRefund(intentId: string): StripeErrorAnswer {
    return invalid(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, { param: "payment_intent" });
  },
  noSuchRefund(id: string): StripeErrorAnswer {
    return {
      status: 404,
      body: { error: { type: "invalid_request_error", code: "resource_missing", param: "id", message: `No such refund: '${id}'` } },
    };
  },
  idempotencyReused(key: string): StripeErrorAnswer {
    return {
      status: 400,
      body: {
        error: {
          type: "idempotency_error",
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        },
      },
    };
  },
  notFound(path: string): StripeErrorAnswer {
    return { status: 404, body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (${path}).` } } };
  },
};

function invalid(message: string, extra: Record<string, unknown>): StripeErrorAnswer {
  return { status: 400, body: { error: { type: "invalid_request_error", message, ...extra } } };
}

/** The decline Stripe answers with 402 for `pm_card_chargeDeclined`. */
export function declineError(chargeId: string, pm: Record<string, unknown>): Record<string, unknown> {
  return {
    type: "card_error",
    code: "card_declined",
    decline_code: "generic_decline",
    message: "Your card was declined.",
    charge: chargeId,
    doc_url: "https://stripe.com/docs/error-codes/card-declined",
    payment_method: pm,
  };
}

/** What a failed 3-D Secure authentication leaves in `last_payment_error`. */
export function authenticationFailure(pm: Record<string, unknown>): Record<string, unknown> {
  return {
    type: "invalid_request_error",
    code: "payment_intent_authentication_failure",
    message: "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
    doc_url: "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
    payment_method: pm,
  };
}
