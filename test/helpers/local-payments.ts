/**
 * The local pipeline as `npm start` runs it with payments: the Stripe stand-in it starts with the run's
 * keys delivers its signed webhooks to the gateway's POST /webhooks/stripe.
 */
import { LOCAL_PUBLISHABLE_KEY, startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from "../../local/pipeline";
import type { StripeStandIn } from "../../local/stripe-standin";

/** The stand-in's publishable key in these runs (a browser may confirm with it and the client secret). */
export const TEST_PUBLISHABLE_KEY = LOCAL_PUBLISHABLE_KEY;

/** A running pipeline and its payment provider stand-in. */
export interface PayingPipeline {
  readonly p: LocalPipeline;
  readonly stripe: StripeStandIn;
}

/** Starts the local pipeline, which wires the Stripe stand-in in both directions (API calls in, webhooks out). */
export async function startPayingPipeline(o: LocalPipelineOptions): Promise<PayingPipeline> {
  const p = await startLocalPipeline(o);
  return { p, stripe: p.stripe };
}
