/**
 * The payment provider as the order API sees it: small enough that another provider can follow
 * Stripe (runtime/payments/stripe.ts). Amounts are integer minor units, currencies upper-case ISO 4217.
 * Card data never passes through here: the client sends a payment method id, or confirms with the
 * client secret itself.
 */

/** Where a payment stands, in the provider's words reduced to what the order needs. */
export type PaymentStatus =
  /** Money confirmed: the order may be invoiced. */
  | "succeeded"
  /** The customer must act (3-D Secure, a redirect); completes through the webhook. */
  | "requires_action"
  /** No (working) payment method yet: none given, or the last one was declined. */
  | "requires_payment_method"
  /** Accepted by the provider, outcome pending (delayed methods); completes through the webhook. */
  | "processing"
  | "canceled";

/** One payment (a Stripe PaymentIntent) as the provider reports it. */
export interface PaymentState {
  /** The provider's id of the payment (pi_...). */
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly amountMinor: number;
  /** Upper-case ISO 4217 (Stripe answers lower-case; the provider adapter converts). */
  readonly currency: string;
  /** The order id the payment was created for (its metadata), if any. */
  readonly orderId?: string;
  /** The shop (stack) that created the payment (its metadata), if it said. */
  readonly shop?: string;
  /** For the client to confirm or authenticate the payment itself; never logged, never stored. */
  readonly clientSecret?: string;
  /** Why the last attempt failed, in the provider's words for the customer (a decline). */
  readonly failure?: { readonly code?: string; readonly message: string };
  /** The card that paid, when the provider says (brand and last 4 digits only). */
  readonly card?: { readonly brand: string; readonly last4: string };
  /** Where the customer completes a required action (3-D Secure), when the provider gives a URL. */
  readonly actionUrl?: string;
}

/** What a verified webhook event means for an order. */
export interface PaymentEvent {
  /** The provider's event id (evt_...): the same event redelivered carries the same id. */
  readonly eventId: string;
  /** "refunded": money went back to the customer (Stripe `charge.refunded`); `payment` is the refunded payment. */
  readonly kind: "succeeded" | "failed" | "canceled" | "refunded" | "other";
  /** The provider's event type, e.g. "payment_intent.succeeded". */
  readonly type: string;
  /** When the provider created the event (epoch seconds). */
  readonly created: number;
  /** The payment the event is about; absent for kind "other". */
  readonly payment?: PaymentState;
}

/** The request to pay for one order. */
export interface CreatePaymentRequest {
  readonly orderId: string;
  /**
   * Which shop (stack) the payment belongs to, kept in its metadata: stacks sharing one provider account
   * (dev, staging) receive each other's events and must tell theirs apart.
   */
  readonly shop?: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** A payment method id (pm_...) to confirm with at once; without it the client confirms with the client secret. */
  readonly paymentMethod?: string;
  /** Shown on the customer's statement and receipts by the provider. */
  readonly description?: string;
}

/** The request to give money of a succeeded payment back, for one credit note (or cancellation). */
export interface RefundRequest {
  readonly paymentId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly orderId: string;
  /** The credit note (or cancellation) the refund is for: the provider-side idempotency key is derived from it. */
  readonly creditNoteId: string;
  readonly shop?: string;
}

/** Where a refund stands at the provider. */
export type RefundStatus = "succeeded" | "pending" | "failed" | "canceled";

/** One refund (a Stripe Refund) as the provider reports it. */
export interface RefundState {
  /** The provider's id of the refund (re_...). */
  readonly refundId: string;
  readonly paymentId: string;
  readonly status: RefundStatus;
  readonly amountMinor: number;
  /** Upper-case ISO 4217. */
  readonly currency: string;
  /** The credit note it was made for (its metadata); absent for a refund made elsewhere (the provider's dashboard). */
  readonly creditNoteId?: string;
  readonly orderId?: string;
  /** When the provider created it (epoch seconds). */
  readonly created: number;
}

/** The provider's port. Every call is idempotent per order (the order id is the provider-side idempotency key). */
export interface PaymentProvider {
  readonly id: string;
  /** Creates the order's payment (confirming it when a payment method is given); a repeat returns the same payment. */
  createPayment(req: CreatePaymentRequest): Promise<PaymentState>;
  /** Reads a payment as the provider holds it now. */
  getPayment(paymentId: string): Promise<PaymentState>;
  /** Cancels a payment that has not succeeded; answers the state it is in afterwards (e.g. "succeeded" if it won the race). */
  cancelPayment(paymentId: string): Promise<PaymentState>;
  /**
   * Gives `amountMinor` of a succeeded payment back; idempotent per credit note (a repeat returns the same
   * refund). RefundRefused when the payment has not succeeded or less than the amount is left to refund.
   */
  refundPayment(req: RefundRequest): Promise<RefundState>;
  /** Every refund of the payment, oldest first, whoever made it. */
  listRefunds(paymentId: string): Promise<RefundState[]>;
  /** Verifies a webhook's signature over the raw body (with the provider's tolerance for its age) and reads it. */
  parseWebhook(rawBody: string, signatureHeader: string | undefined): Promise<PaymentEvent>;
}

/** The provider could not be reached, timed out, throttled or failed on its side: retry later. */
export class PaymentProviderUnavailable extends Error {
  override name = "PaymentProviderUnavailable";
  constructor(
    message: string,
    options?: { cause?: unknown },
    /**
     * "not-sent": the request certainly never reached the provider (connection refused, no such host, the
     * keys unreadable) or was refused unprocessed (429); "unknown": it may have been processed (a timeout, a
     * reset, a 5xx, the same idempotency key still in use) - a payment may exist.
     */
    readonly outcome: "not-sent" | "unknown" = "unknown",
  ) {
    super(message, options);
  }
}

/**
 * The provider refused what the order asked of it before any payment existed: a payment method it
 * does not know (the client's input), or an amount above its limit. Not an outage and not ours to retry.
 */
export class PaymentRequestRefused extends Error {
  override name = "PaymentRequestRefused";
  constructor(
    message: string,
    readonly field: "paymentMethod" | "amount",
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The provider refused a refund: the amount is above what is left to refund, or the payment has not
 * succeeded (nothing to refund). Not an outage and not to retry as it is; `reason` is the provider's.
 */
export class RefundRefused extends Error {
  override name = "RefundRefused";
  constructor(
    message: string,
    /** Why, in the provider's machine words where it gave them (e.g. "amount_too_large", "charge_already_refunded"). */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A webhook whose signature does not verify, or that is older than the tolerance (a replay). */
export class WebhookSignatureInvalid extends Error {
  override name = "WebhookSignatureInvalid";
}
