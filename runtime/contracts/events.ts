/**
 * The business events the shop publishes on its own EventBridge bus for other systems (an ERP, a
 * warehouse, an accounting tool): names agreed between the publishers (runtime/events.ts), the bus
 * and its IAM (components/event-bus.ts) and the README's schemas. The detail schemas (zod) are in
 * runtime/domain/events.ts; this module stays free of imports so `pulumi up` never loads zod.
 *
 * Every detail carries `version` (bumped on a breaking change, never reused), a stable `eventId`
 * (the same for a re-publish, so a consumer can drop duplicates: EventBridge's own `id` differs per
 * PutEvents) and amounts as integer minor units plus an ISO 4217 currency. Personal data stops at the
 * customer's id: no names, no addresses, no email addresses (an ERP looks the customer up by id).
 */

/** The event types, as EventBridge's `DetailType`. */
export const EVENT_TYPES = ["order.paid", "invoice.issued", "credit_note.issued", "email.sent", "email.failed"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The current version of every detail schema. */
export const EVENT_VERSION = 1;

/** The `Source` of every event a stack publishes: `shop-backend.<stack>` (never `aws.`, which EventBridge reserves). */
export const eventSource = (stack: string): string => `shop-backend.${stack}`;

/** The bus's name for a stack (one custom bus per stack). */
export const eventBusName = (stack: string): string => `shop-backend-${stack}`;

/** PutEvents takes at most this many entries per call. */
export const MAX_PUT_EVENTS_ENTRIES = 10;
