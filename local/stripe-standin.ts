/** The local Stripe stand-in (local/stripe/): start it with startStripeStandIn and point the provider's apiBaseUrl at its url. */
export { startStripeStandIn, signStripePayload } from "./stripe/standin";
export type { StripeStandIn, StripeStandInOptions, RecordedRequest, StripeEvent, WebhookDelivery } from "./stripe/standin";
