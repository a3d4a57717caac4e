/**
 * The local pipeline as `npm start` runs it with payments: the Stripe stand-in started with the run's
 * keys, delivering its signed webhooks to the gateway's POST /webhooks/stripe.
 *
 * The one place that knows how the pipeline gets its stand-in: today through startLocalPipeline's
 * startPaymentStandIn hook; once local/pipeline.ts starts the stand-in itself (and exposes it as
 * `p.stripe`), this becomes `startLocalPipeline(o)` and `p.stripe`.
 */
import { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from "../../local/pipeline";
import { startStripeStandIn, type StripeStandIn } from "../../local/stripe-standin";

/** The stand-in's publishable key in these runs (a browser may confirm with it and the client secret). */
export const TEST_PUBLISHABLE_KEY = "pk_test_local_console";

/** A running pipeline and its payment provider stand-in. */
export interface PayingPipeline {
  readonly p: LocalPipeline;
  readonly stripe: StripeStandIn;
}

/** Starts the local pipeline with the Stripe stand-in wired in both directions (API calls in, webhooks out). */
export async function startPayingPipeline(o: Omit<LocalPipelineOptions, "startPaymentStandIn">): Promise<PayingPipeline> {
  let webhookUrl: string | undefined;
  let stripe: StripeStandIn | undefined;
  const p = await startLocalPipeline({
    ...o,
    startPaymentStandIn: async (keys) => {
      stripe = await startStripeStandIn({ ...keys, publishableKey: TEST_PUBLISHABLE_KEY, webhookUrl: () => webhookUrl });
      return { baseUrl: stripe.url, stop: () => stripe!.close() };
    },
  });
  webhookUrl = `${p.apiUrl}/webhooks/stripe`;
  return { p, stripe: stripe! };
}
