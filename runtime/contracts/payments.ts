/**
 * What the stack and the order API agree on about payments: the scheduled task that expires orders
 * nobody paid, and the shape of the secret holding the provider's keys.
 */

/**
 * The order API Lambda is also invoked by an EventBridge schedule with this constant input; it then
 * expires orders whose payment deadline passed (cancelling their payment at the provider).
 */
export const EXPIRE_PAYMENTS_TASK = { action: "expire-overdue-payments", schedule: "rate(5 minutes)" } as const;

/** The JSON the payment secret (Secrets Manager, ENV.paymentSecretId) holds. */
export interface PaymentSecret {
  /** The provider's API secret key (Stripe: sk_live_... / sk_test_...). */
  readonly secretKey: string;
  /** The webhook endpoint's signing secret (Stripe: whsec_...). */
  readonly webhookSecret: string;
}
