/**
 * Stripe's webhook delivery as the stand-in does it: an Event per state change, POSTed as JSON with a
 * `Stripe-Signature` header (`t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">`), retried on failure.
 */
import { createHmac } from "node:crypto";

/** The `Stripe-Signature` header Stripe would send for `payload` signed with `secret` at `timestamp` (seconds). */
export function signStripePayload(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${payload}`, "utf8").digest("hex");
  return `t=${timestamp},v1=${v1}`;
}

/** A Stripe Event as sent (`object: "event"`). */
export interface StripeEvent {
  readonly id: string;
  readonly object: "event";
  readonly api_version: string;
  readonly created: number;
  readonly data: { readonly object: Record<string, unknown> };
  readonly livemode: false;
  readonly pending_webhooks: number;
  readonly request: { readonly id: string | null; readonly idempotency_key: string | null };
  readonly type: string;
}

/** One delivery attempt of one event. */
export interface WebhookDelivery {
  readonly eventId: string;
  readonly type: string;
  /** 1 for the first try. */
  readonly attempt: number;
  readonly url: string;
  /** The endpoint's HTTP status; absent when the request itself failed. */
  readonly status?: number;
  /** The endpoint's answer (first 2,000 characters). */
  readonly response?: string;
  /** Why the request failed (connection refused, timeout). */
  readonly error?: string;
  readonly at: string;
}

/** How deliveries are retried. */
export interface DeliveryOptions {
  /** Where to deliver now; undefined: keep the event, send nothing. */
  readonly url: () => string | undefined;
  readonly webhookSecret: string;
  /** Attempts per event, the first included. @default 4 */
  readonly attempts?: number;
  /** Wait before the first retry, doubled for each further one. @default 100 */
  readonly backoffMs?: number;
  /** Per attempt. @default 5000 */
  readonly timeoutMs?: number;
}

/** Sends events in the background, one independent retry chain each (Stripe does not promise order). */
export class WebhookSender {
  private readonly log: WebhookDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(private readonly opts: DeliveryOptions) {}

  /** Queues the event; returns at once. */
  send(event: StripeEvent): void {
    const url = this.opts.url();
    if (!url || this.closed) return;
    const run = this.deliver(event, url).finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  /** Every attempt so far, oldest first. */
  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  /** Resolves when no delivery is under way or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** Stops retries; attempts in flight finish. */
  close(): void {
    this.closed = true;
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
  }

  private async deliver(event: StripeEvent, url: string): Promise<void> {
    const attempts = this.opts.attempts ?? 4;
    const payload = JSON.stringify(event, null, 2);
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      if (attempt > 1) await this.sleep((this.opts.backoffMs ?? 100) * 2 ** (attempt - 2));
      if (this.closed) return;
      const at = new Date().toISOString();
      try {
        const r = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "stripe-signature": signStripePayload(payload, this.opts.webhookSecret, Math.floor(Date.now() / 1000)),
          },
          body: payload,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
        });
        const response = (await r.text()).slice(0, 2000);
        this.log.push({ eventId: event.id, type: event.type, attempt, url, status: r.status, response, at });
        if (r.ok) return;
      } catch (err) {
        this.log.push({ eventId: event.id, type: event.type, attempt, url, error: (err as Error).message, at });
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.set(t, resolve);
    });
  }
}
