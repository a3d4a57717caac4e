/**
 * What SES tells the stack about each invoice email, agreed between the notifier (which tags its
 * sends), the configuration set's event destination (components/email-events.ts), the handler that
 * records the events (runtime/handlers/email-events.ts) and the local stand-in for SES's publishing.
 */

/** The events the configuration set publishes, as SES v2 names them in an event destination's MatchingEventTypes. */
export const PUBLISHED_EMAIL_EVENTS = ["BOUNCE", "COMPLAINT", "DELIVERY", "REJECT"] as const;

/** The same events as SES writes them in an event record's `eventType`. */
export const EMAIL_EVENT_TYPES = ["Bounce", "Complaint", "Delivery", "Reject"] as const;
export type EmailEventType = (typeof EMAIL_EVENT_TYPES)[number];

/** The message tag that names the email's order: SES returns every tag of a send in each of its events (`mail.tags`). */
export const ORDER_ID_TAG = "orderId";
/** The message tag that names what kind of email it is. */
export const EMAIL_KIND_TAG = "kind";
