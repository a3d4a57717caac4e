/**
 * The port other systems hear the shop through: publishes business events (runtime/domain/events.ts)
 * on the stack's EventBridge bus with PutEvents, ten entries a call, retrying the entries EventBridge
 * refused (FailedEntryCount) and naming the ones it still refuses in an EventPublishError.
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { eventSource, MAX_PUT_EVENTS_ENTRIES } from "./contracts/events";
import { ENV } from "./contracts/env";
import { EVENT_DETAIL_SCHEMAS, type ShopEvent } from "./domain/events";
import { eventBridgeClient, type ClientConfig } from "./clients";
import { metricsStack } from "./metrics";
import type { Logger } from "./log";

/** Publishes events; handlers take it as a dependency. */
export interface EventPublisher {
  /** Resolves once EventBridge took every event; rejects with an EventPublishError naming the ones it did not. */
  publish(events: readonly ShopEvent[]): Promise<void>;
}

/** One event EventBridge did not take. */
export interface FailedEvent {
  readonly type: string;
  readonly eventId: string;
  readonly errorCode: string;
  readonly errorMessage?: string;
}

/**
 * Some events were not published after every attempt. Fields are set in the constructor, and the
 * check is by name (`isEventPublishError`): class fields did not survive the closure serializer here.
 */
export class EventPublishError extends Error {
  readonly failed: readonly FailedEvent[];
  constructor(failed: readonly FailedEvent[], options?: { cause?: unknown }) {
    super(`${failed.length} event(s) not published: ${failed.map((f) => `${f.type} ${f.eventId} (${f.errorCode})`).join(", ")}`, options);
    this.name = "EventPublishError";
    this.failed = failed;
  }
}

/** Is `e` an EventPublishError (by name, so it holds in serialized code too)? */
export const isEventPublishError = (e: unknown): e is EventPublishError => e instanceof Error && e.name === "EventPublishError";

/** Settings of the EventBridge publisher. */
export interface EventBridgePublisherOptions {
  readonly client: EventBridgeClient;
  /** The stack's bus (contracts' `eventBusName`). */
  readonly busName: string;
  /** The events' Source (contracts' `eventSource`). */
  readonly source: string;
  /** Attempts per entry EventBridge refuses (the SDK retries whole calls on its own). @default 3 */
  readonly maxAttempts?: number;
  /** Waits between attempts. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A publisher on an EventBridge bus. Each detail is checked by its schema first: an invalid event is a bug, thrown before anything is sent. */
export function eventBridgePublisher(opts: EventBridgePublisherOptions): EventPublisher {
  const maxAttempts = opts.maxAttempts ?? 3;
  const sleep = opts.sleep ?? defaultSleep;
  const entryOf = (e: ShopEvent): PutEventsRequestEntry => ({
    EventBusName: opts.busName,
    Source: opts.source,
    DetailType: e.type,
    Detail: JSON.stringify(EVENT_DETAIL_SCHEMAS[e.type].parse(e.detail)),
    Time: new Date(e.detail.occurredAt),
  });

  /** Sends one batch; returns the events still refused after the last attempt. */
  async function sendBatch(batch: readonly ShopEvent[]): Promise<FailedEvent[]> {
    let pending = batch.map((event) => ({ event, entry: entryOf(event) }));
    let failed: FailedEvent[] = [];
    for (let attempt = 1; pending.length > 0 && attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(100 * 2 ** (attempt - 2));
      let out;
      try {
        out = await opts.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
      } catch (cause) {
        const failures = pending.map((p) => ({ type: p.event.type, eventId: p.event.detail.eventId, errorCode: "RequestFailed" }));
        throw new EventPublishError(failures, { cause });
      }
      if (!out.FailedEntryCount) return [];
      // Results are positional: the i-th result answers the i-th entry; a failed one has an ErrorCode.
      const results = out.Entries ?? [];
      const refused = pending.map((p, i) => ({ ...p, result: results[i] })).filter((p) => !p.result || p.result.ErrorCode);
      failed = refused.map((p) => ({
        type: p.event.type,
        eventId: p.event.detail.eventId,
        errorCode: p.result?.ErrorCode ?? "NoResult",
        ...(p.result?.ErrorMessage ? { errorMessage: p.result.ErrorMessage } : {}),
      }));
      pending = refused.map(({ event, entry }) => ({ event, entry }));
    }
    return pending.length ? failed : [];
  }

  return {
    async publish(events) {
      const failed: FailedEvent[] = [];
      for (let i = 0; i < events.length; i += MAX_PUT_EVENTS_ENTRIES) {
        failed.push(...(await sendBatch(events.slice(i, i + MAX_PUT_EVENTS_ENTRIES))));
      }
      if (failed.length) throw new EventPublishError(failed);
    },
  };
}

/**
 * The publisher of a part's entry: on the bus ENV.eventBusName names, with the stack's source
 * (`shop-backend.<stack>`, the stack as METRICS_STACK names it); undefined when no bus is set, and
 * the part publishes nothing.
 */
export function eventPublisherFromEnv(c: ClientConfig, env: NodeJS.ProcessEnv = process.env): EventPublisher | undefined {
  const busName = env[ENV.eventBusName]?.trim();
  if (!busName) return undefined;
  return eventBridgePublisher({ client: eventBridgeClient(c), busName, source: eventSource(metricsStack(env)) });
}

/**
 * Publishes one event of something already committed (a payment, an invoice, an email): a failure
 * must not undo or fail it (a retry would find it done and publish nothing), so it is logged with
 * `alarm: "event-not-published"` instead of thrown. False when it was not published.
 */
export async function publishCommitted(events: EventPublisher | undefined, event: ShopEvent, log: Logger): Promise<boolean> {
  if (!events) return false;
  try {
    await events.publish([event]);
    return true;
  } catch (e) {
    log.error(`${event.type} not published`, {
      alarm: "event-not-published",
      event: event.type,
      eventId: event.detail.eventId,
      error: (e as Error).message,
    });
    return false;
  }
}
