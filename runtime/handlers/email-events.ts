import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { once } from "../memo";
import { OrderStore, type EmailEventEntry, type EmailFailure } from "../domain/store";
import type { EmailEventsSettings } from "../settings";
import { EMAIL_EVENT_TYPES, EMAIL_KIND_TAG, ORDER_ID_TAG, type EmailEventType } from "../contracts/email-events";
import { METRICS, type MetricKey } from "../contracts/metrics";
import { errorFields, type Logger } from "../log";
import type { MetricsEmitter } from "../metrics";
import { isOrderId } from "../domain/ids";
import { emailFailedEvent } from "../domain/events";
import { publishCommitted, type EventPublisher } from "../events";

/**
 * What SES reports after it accepted an invoice email (the stack's configuration set publishes it
 * to SNS, which invokes this handler): each event is kept on its message's record, and the order
 * whose current email it is learns the outcome: delivered, or failed with the reason (a bounce,
 * a complaint, a reject), which the back office answers with `npm run resend`.
 */

/** What the email events handler needs from the outside world. */
export interface EmailEventsDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly settings: EmailEventsSettings;
  readonly now: () => Date;
  readonly log: Logger;
  readonly metrics: MetricsEmitter;
  /** Publishes email.failed for other systems (runtime/events.ts). @default none: nothing is published */
  readonly events?: EventPublisher;
}

/** The parts of an SES event record (event publishing, `eventType`) this handler reads. */
export const sesEventSchema = once(() =>
  z.object({
    eventType: z.string(),
    mail: z.object({
      messageId: z.string().min(1),
      timestamp: z.string(),
      destination: z.array(z.string()),
      tags: z.record(z.array(z.string())).optional(),
    }),
    bounce: z
      .object({
        bounceType: z.string(),
        bounceSubType: z.string(),
        bouncedRecipients: z.array(
          z.object({ emailAddress: z.string(), status: z.string().optional(), diagnosticCode: z.string().optional() }),
        ),
        timestamp: z.string(),
        feedbackId: z.string(),
      })
      .optional(),
    complaint: z
      .object({
        complainedRecipients: z.array(z.object({ emailAddress: z.string() })),
        complaintFeedbackType: z.string().optional(),
        timestamp: z.string(),
        feedbackId: z.string(),
      })
      .optional(),
    delivery: z.object({ timestamp: z.string(), recipients: z.array(z.string()), smtpResponse: z.string().optional() }).optional(),
    reject: z.object({ reason: z.string() }).optional(),
  }),
);
export type SesEvent = z.infer<ReturnType<typeof sesEventSchema>>;

/** An SNS notification as Lambda receives it: each record's Message is one SES event, as JSON text. */
export const snsEventSchema = once(() =>
  z.object({ Records: z.array(z.object({ Sns: z.object({ MessageId: z.string(), Message: z.string() }) })) }),
);

/** The order's current email is not recorded yet (the notifier is between SES's answer and NOTIFIED): retry later. */
export class EmailNotYetRecorded extends Error {
  override name = "EmailNotYetRecorded";
}

/** Some records failed; thrown after every record was tried, so the event is retried. */
export class EmailEventFailures extends Error {
  override name = "EmailEventFailures";
  constructor(readonly failures: { messageId: string; error: string }[]) {
    super(`${failures.length} email event(s) failed: ${failures.map((f) => `${f.messageId} (${f.error})`).join(", ")}`);
  }
}

/** What one event did. */
export type EmailEventOutcome =
  /** The order's current email was delivered, or failed: the order now says so. */
  | "delivered"
  | "failed"
  /** A delivery of an email whose failure is already recorded (a complaint came first): the failure stands. */
  | "kept-failed"
  /** An event of an earlier email of the order (re-sent since, or a duplicate send): kept on its message only. */
  | "superseded"
  /** An event of a credit note's email: kept on its message; the order's own (invoice) email outcome is not about it. */
  | "credit-note"
  /** No order claims the message (no orderId tag, or the order is gone). */
  | "no-order"
  /** An event type this handler does not act on. */
  | "ignored";

const METRIC_OF: Record<EmailEventType, MetricKey> = {
  Delivery: "emailsDelivered",
  Bounce: "emailsBounced",
  Complaint: "emailsComplained",
  Reject: "emailsRejected",
};

const isHandled = (t: string): t is EmailEventType => (EMAIL_EVENT_TYPES as readonly string[]).includes(t);

/** The event as its message's record keeps it: when, what, and a key that is the same on every redelivery. */
export function eventEntry(type: EmailEventType, e: SesEvent): EmailEventEntry {
  switch (type) {
    case "Bounce": {
      const b = e.bounce!;
      const r = b.bouncedRecipients[0];
      const why = r?.diagnosticCode ?? r?.status ?? "no diagnostic";
      return { type, at: b.timestamp, detail: `${b.bounceType}/${b.bounceSubType}: ${why}`, key: `Bounce#${b.feedbackId}` };
    }
    case "Complaint": {
      const c = e.complaint!;
      return { type, at: c.timestamp, detail: `complaint: ${c.complaintFeedbackType ?? "unspecified"}`, key: `Complaint#${c.feedbackId}` };
    }
    case "Delivery": {
      const d = e.delivery!;
      return { type, at: d.timestamp, detail: d.smtpResponse ?? "delivered", key: `Delivery#${d.timestamp}` };
    }
    case "Reject":
      return { type, at: e.mail.timestamp, detail: `rejected: ${e.reject!.reason}`, key: `Reject#${e.mail.messageId}` };
  }
}

/** Records one SES event on its message and, when it is about the order's current email, on the order. */
export async function recordEmailEvent(e: SesEvent, deps: EmailEventsDeps): Promise<EmailEventOutcome> {
  const messageId = e.mail.messageId;
  const orderId = e.mail.tags?.[ORDER_ID_TAG]?.[0];
  const log = deps.log.child({ orderId, messageId });
  if (!isHandled(e.eventType)) return "ignored";
  if (!isOrderId(orderId)) {
    log.warn("email event of a message no order claims", { eventType: e.eventType });
    return "no-order";
  }
  if (!e[e.eventType.toLowerCase() as "bounce" | "complaint" | "delivery" | "reject"])
    throw new Error(`${e.eventType} event of message ${messageId} lacks its ${e.eventType.toLowerCase()} object`);
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const entry = eventEntry(e.eventType, e);
  // Per message first: every event is kept, whatever the order's state. Counted once, however often SNS delivers it.
  if ((await store.recordEmailEvent(messageId, orderId, entry)) === "recorded")
    deps.metrics.emit(METRICS[METRIC_OF[entry.type]], 1, {}, { orderId, messageId });
  const failure: EmailFailure | undefined =
    entry.type === "Delivery" ? undefined : { event: entry.type, reason: entry.detail, messageId, at: entry.at };
  if (e.mail.tags?.[EMAIL_KIND_TAG]?.[0] === "credit-note") {
    if (failure) log.error("credit note email failed", { alarm: "credit-note-email-failed", event: failure.event, reason: failure.reason });
    else log.info("credit note email delivered");
    return "credit-note";
  }
  if (await store.markEmailOutcome(orderId, messageId, deps.now(), failure)) {
    if (failure) {
      log.error("invoice email failed", { alarm: "invoice-email-failed", event: failure.event, reason: failure.reason });
      // SNS may deliver the report again: the event's id is the report's, so a consumer sees one failure.
      const kind = e.mail.tags?.[EMAIL_KIND_TAG]?.[0] ?? "invoice";
      await publishCommitted(deps.events, emailFailedEvent(orderId, kind, failure, entry.key), log);
    } else log.info("invoice email delivered");
    return failure ? "failed" : "delivered";
  }
  const rec = await store.get(orderId);
  if (!rec) {
    log.warn("email event for an unknown order", { eventType: entry.type });
    return "no-order";
  }
  if (rec.emailMessageId === messageId) return "kept-failed";
  if (rec.emailMessageId === undefined && !rec.previousEmailMessageIds?.includes(messageId))
    throw new EmailNotYetRecorded(`order ${orderId} has not recorded email ${messageId} yet`);
  log.info("event of an earlier email of the order; the order keeps its current email's outcome", { eventType: entry.type });
  return "superseded";
}

/**
 * The SNS handler: every record, not only the first (SNS sends one, but the contract allows more).
 * Failures are collected and thrown at the end, so Lambda retries the event; recorded events are not
 * recorded twice.
 */
export async function handleEmailEvents(event: unknown, deps: EmailEventsDeps): Promise<Record<EmailEventOutcome, number>> {
  const parsed = snsEventSchema().parse(event);
  const counts: Record<EmailEventOutcome, number> = {
    delivered: 0,
    failed: 0,
    "kept-failed": 0,
    superseded: 0,
    "credit-note": 0,
    "no-order": 0,
    ignored: 0,
  };
  const failures: { messageId: string; error: string }[] = [];
  for (const r of parsed.Records) {
    try {
      counts[await recordEmailEvent(sesEventSchema().parse(JSON.parse(r.Sns.Message)), deps)]++;
    } catch (e) {
      deps.log.error("email event failed", { snsMessageId: r.Sns.MessageId, ...errorFields(e) });
      failures.push({ messageId: r.Sns.MessageId, error: e instanceof Error ? e.name : "Error" });
    }
  }
  if (failures.length) throw new EmailEventFailures(failures);
  return counts;
}
