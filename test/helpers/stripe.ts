/**
 * Test helpers around the local Stripe stand-in: keys, a started stand-in per suite, and a webhook
 * endpoint that records what Stripe (the stand-in) sends it.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { signStripePayload, startStripeStandIn, type StripeStandIn, type StripeStandInOptions } from "../../local/stripe-standin";
import { createStripeProvider, type StripeProviderOptions } from "../../runtime/payments/stripe";
import type { PaymentProvider } from "../../runtime/payments/provider";

/** The error a promise rejects with, as `E` (fails the test if it resolves). */
export async function rejection<E = Error>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    return err as E;
  }
  throw new Error("expected a rejection");
}

/** Test-mode keys of the stand-in (made up: not Stripe's, not secrets). */
export const STRIPE_KEYS = {
  secretKey: "sk_test_standin_0123456789",
  publishableKey: "pk_test_standin_0123456789",
  webhookSecret: "whsec_standin_0123456789",
};

/** Starts a stand-in with the test keys and quick redeliveries. */
export function startTestStandIn(opts: Partial<StripeStandInOptions> = {}): Promise<StripeStandIn> {
  return startStripeStandIn({ ...STRIPE_KEYS, webhookBackoffMs: 20, ...opts });
}

/** The official SDK pointed at `standIn` with the test secret key, without retries (tests see each answer). */
export function sdkFor(standIn: { port: number }): Stripe {
  return new Stripe(STRIPE_KEYS.secretKey, { host: "127.0.0.1", port: standIn.port, protocol: "http", maxNetworkRetries: 0 });
}

/**
 * A stand-in whose webhooks go to a recording endpoint, and the SDK on it, started before the suite's
 * tests and closed after them (mocha hooks of the calling `describe`).
 */
export function useStandInWithEndpoint(): {
  readonly standIn: StripeStandIn;
  readonly endpoint: Awaited<ReturnType<typeof startWebhookEndpoint>>;
  readonly stripe: Stripe;
} {
  const ctx = {} as { standIn: StripeStandIn; endpoint: Awaited<ReturnType<typeof startWebhookEndpoint>>; stripe: Stripe };
  before(async () => {
    ctx.endpoint = await startWebhookEndpoint();
    ctx.standIn = await startTestStandIn({ webhookUrl: ctx.endpoint.url });
    ctx.stripe = sdkFor(ctx.standIn);
  });
  after(async () => {
    await ctx.standIn.close();
    await ctx.endpoint.close();
  });
  return ctx;
}

/** The Stripe provider pointed at `standIn`, without SDK retries (tests see each answer). */
export function providerFor(standIn: { url: string }, opts: Partial<StripeProviderOptions> = {}): PaymentProvider {
  return createStripeProvider({ keys: async () => STRIPE_KEYS, apiBaseUrl: standIn.url, maxNetworkRetries: 0, timeoutMs: 5000, ...opts });
}

/** One webhook request as the endpoint received it. */
export interface ReceivedWebhook {
  readonly body: string;
  readonly signature: string | undefined;
  readonly status: number;
}

/** A webhook endpoint on 127.0.0.1 that answers `statuses` in turn (then 200) and keeps every request. */
export async function startWebhookEndpoint(
  statuses: number[] = [],
): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = statuses.shift() ?? 200;
      const signature = req.headers["stripe-signature"];
      received.push({
        body: Buffer.concat(chunks).toString("utf8"),
        signature: Array.isArray(signature) ? signature[0] : signature,
        status,
      });
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ received: status < 300 }));
    });
  });
  const { origin, close } = await listenLocally(server);
  return { url: `${origin}/webhooks/stripe`, received, close };
}

/**
 * A server that answers every request as a failing Stripe would: `status` with Stripe's error body, or never
 * (`"hang"`, for timeouts). For faults the stand-in does not produce.
 */
export async function startFailingStripe(
  answer: { status: number; type: string } | "hang",
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    if (answer === "hang") return;
    res.writeHead(answer.status, { "content-type": "application/json", "request-id": "req_fault" });
    res.end(JSON.stringify({ error: { type: answer.type, message: "fault injected by the test" } }));
  });
  const { origin, close } = await listenLocally(server);
  return { url: origin, close };
}

/** Listens on a free port of 127.0.0.1; `close` also drops kept-alive connections. */
export async function listenLocally(server: http.Server): Promise<{ origin: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** An event the stand-in sent or may send (its JSON). */
export type StandInEvent = ReturnType<StripeStandIn["events"]>[number];

/** The stand-in's events about one payment, oldest first, of `type` if given. */
export function eventsOf(standIn: StripeStandIn, paymentId: string, type?: string): StandInEvent[] {
  return standIn.events().filter((e) => (e.data.object as { id?: string }).id === paymentId && (type === undefined || e.type === type));
}

/**
 * A new event about `paymentId`, as Stripe would send it, built from the stand-in's latest event
 * of that payment with `intent` fields replaced: what a forger or a foreign account would need
 * the webhook secret to sign.
 */
export function forgedEvent(standIn: StripeStandIn, paymentId: string, type: string, intent: Record<string, unknown>): StandInEvent {
  const last = eventsOf(standIn, paymentId).at(-1);
  if (!last) throw new Error(`the stand-in has no event of ${paymentId}`);
  return {
    ...last,
    id: `evt_forged_${Math.random().toString(36).slice(2, 12)}`,
    type,
    data: { object: { ...last.data.object, ...intent } },
  };
}

/** The raw body and Stripe-Signature header of `event`, signed with `secret` `ageSeconds` ago. */
export function signedWebhook(event: unknown, o: { secret?: string; ageSeconds?: number } = {}): { raw: string; signature: string } {
  const raw = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000) - (o.ageSeconds ?? 0);
  return { raw, signature: signStripePayload(raw, o.secret ?? STRIPE_KEYS.webhookSecret, t) };
}
