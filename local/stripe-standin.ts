/**
 * The local Stripe stand-in (local/stripe/): start it with startStripeStandIn and point the provider's
 * apiBaseUrl at its url. Run alone: `npx ts-node --transpile-only local/stripe-standin.ts`
 * (STRIPE_STANDIN_PORT, STRIPE_WEBHOOK_URL; keys from STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET,
 * local test keys by default).
 */
import { startStripeStandIn } from "./stripe/standin";

export { startStripeStandIn, signStripePayload } from "./stripe/standin";
export type { StripeStandIn, StripeStandInOptions, RecordedRequest, RefundJson, StripeEvent, WebhookDelivery } from "./stripe/standin";

async function main(): Promise<void> {
  const env = process.env;
  const standIn = await startStripeStandIn({
    secretKey: env.STRIPE_SECRET_KEY ?? "sk_test_local_standin",
    publishableKey: env.STRIPE_PUBLISHABLE_KEY ?? "pk_test_local_standin",
    webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? "whsec_local_standin",
    webhookUrl: env.STRIPE_WEBHOOK_URL,
    port: Number(env.STRIPE_STANDIN_PORT ?? 0),
  });
  const stop = (): void => void standIn.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  console.log(`Stripe stand-in at ${standIn.url} (webhooks to ${env.STRIPE_WEBHOOK_URL ?? "nowhere"})`);
}

if (require.main === module) void main();
