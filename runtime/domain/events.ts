/**
 * The details of the shop's business events (names in runtime/contracts/events.ts): one zod schema per
 * event type, version 1. Publishers build details with the `*Event` functions below and the port
 * (runtime/events.ts) checks them before they leave; consumers can parse with the same schemas.
 */
import { z } from "zod";
import { EVENT_VERSION, type EventType } from "../contracts/events";
import { VAT_CATEGORY_CODES } from "./tax/codes";
import type { EmailFailure, InvoicedRecord, NumberedCreditNoteRecord, OrderRecord } from "./store";
import type { OrderTax, PricedOrder } from "./order";

const minor = z.number().int().nonnegative();
const currency = z.string().regex(/^[A-Z]{3}$/);
const timestamp = z.string().datetime();
const orderId = z.string().regex(/^ord_[A-Za-z0-9]{10,40}$/);

/** What every detail carries: its schema version, a stable id for de-duplication, and when it happened. */
const base = { version: z.literal(EVENT_VERSION), eventId: z.string().min(1).max(200), occurredAt: timestamp };

/** One VAT group of an invoice or credit note (EN 16931 BG-23): category code, rate, net and VAT. */
const vatGroup = z.object({
  code: z.enum(VAT_CATEGORY_CODES),
  rateBps: z.number().int().min(0).max(10_000),
  netMinor: minor,
  taxMinor: minor,
});

/** The totals of a document: net, VAT and gross, in one currency. */
const totals = { currency, netMinor: minor, taxMinor: minor, totalMinor: minor, vatGroups: z.array(vatGroup).min(1) };

/** The schema of each event type's detail. */
export const EVENT_DETAIL_SCHEMAS = {
  "order.paid": z.object({ ...base, orderId, customerId: z.string().min(1), currency, totalMinor: minor }).strict(),
  "invoice.issued": z.object({ ...base, orderId, customerId: z.string().min(1), invoiceNumber: z.string().min(1), ...totals }).strict(),
  "credit_note.issued": z
    .object({
      ...base,
      orderId,
      customerId: z.string().min(1),
      creditNoteNumber: z.string().min(1),
      /** The invoice the credit note corrects. */
      invoiceNumber: z.string().min(1),
      ...totals,
    })
    .strict(),
  "email.sent": z.object({ ...base, orderId, kind: z.string().min(1), messageId: z.string().min(1) }).strict(),
  /** No address and no SMTP diagnostic (it quotes the address): the outcome, the order and the SES message. */
  "email.failed": z
    .object({ ...base, orderId, kind: z.string().min(1), messageId: z.string().min(1), reason: z.enum(["Bounce", "Complaint", "Reject"]) })
    .strict(),
} as const satisfies Record<EventType, z.ZodTypeAny>;

/** The detail of an event type. */
export type EventDetail<T extends EventType> = z.infer<(typeof EVENT_DETAIL_SCHEMAS)[T]>;

/** One event to publish: its type and detail. */
export type ShopEvent = { [T in EventType]: { readonly type: T; readonly detail: EventDetail<T> } }[EventType];

/** A document's VAT breakdown as the events carry it. */
const vatGroupsOf = (tax: OrderTax) =>
  tax.groups.map((g) => ({ code: g.code, rateBps: g.rateBps, netMinor: g.taxableMinor, taxMinor: g.taxMinor }));

/** `invoice.issued` of an invoiced order; its id is the invoice number's, so a re-publish is recognisably the same event. */
export function invoiceIssuedEvent(rec: InvoicedRecord): ShopEvent {
  const o = rec.order;
  return {
    type: "invoice.issued",
    detail: {
      version: EVENT_VERSION,
      eventId: `invoice.issued:${rec.invoiceNumber}`,
      occurredAt: rec.invoiceIssuedAt,
      orderId: o.orderId,
      customerId: o.customer.id,
      invoiceNumber: rec.invoiceNumber,
      currency: o.currency,
      netMinor: o.subtotalMinor,
      taxMinor: o.taxMinor,
      totalMinor: o.totalMinor,
      vatGroups: vatGroupsOf(o.tax),
    },
  };
}

/**
 * `credit_note.issued` of a numbered credit note of `order` (the event names the customer, which the
 * credit note does not hold); its id is the credit-note number's, so a re-publish is recognisably the same event.
 */
export function creditNoteIssuedEvent(rec: NumberedCreditNoteRecord, order: PricedOrder): ShopEvent {
  const c = rec.creditNote;
  return {
    type: "credit_note.issued",
    detail: {
      version: EVENT_VERSION,
      eventId: `credit_note.issued:${rec.creditNoteNumber}`,
      occurredAt: rec.issuedAt,
      orderId: rec.orderId,
      customerId: order.customer.id,
      creditNoteNumber: rec.creditNoteNumber,
      invoiceNumber: rec.invoiceNumber,
      currency: c.currency,
      netMinor: c.subtotalMinor,
      taxMinor: c.taxMinor,
      totalMinor: c.totalMinor,
      vatGroups: vatGroupsOf(c.tax),
    },
  };
}

/** `order.paid` of an order whose payment was confirmed; one per order (its id is the order's), at `paidAt`. */
export function orderPaidEvent(rec: OrderRecord, paidAt: string): ShopEvent {
  const o = rec.order;
  return {
    type: "order.paid",
    detail: {
      version: EVENT_VERSION,
      eventId: `order.paid:${o.orderId}`,
      occurredAt: paidAt,
      orderId: o.orderId,
      customerId: o.customer.id,
      currency: o.currency,
      totalMinor: o.totalMinor,
    },
  };
}

/** `email.sent` of an email SES accepted (`kind` is its EMAIL_KIND_TAG, "invoice"); one per SES message. */
export function emailSentEvent(orderId: string, kind: string, messageId: string, sentAt: string): ShopEvent {
  return {
    type: "email.sent",
    detail: { version: EVENT_VERSION, eventId: `email.sent:${messageId}`, occurredAt: sentAt, orderId, kind, messageId },
  };
}

/**
 * `email.failed` of an email SES reported bounced, complained about or rejected. Its id is the SES
 * event's (a bounce's or complaint's feedback id), so SNS's redelivery of one report is the same event.
 * The failure's reason text stays out: it quotes the address.
 */
export function emailFailedEvent(orderId: string, kind: string, failure: EmailFailure, eventKey: string): ShopEvent {
  return {
    type: "email.failed",
    detail: {
      version: EVENT_VERSION,
      eventId: `email.failed:${failure.messageId}:${eventKey}`,
      occurredAt: new Date(failure.at).toISOString(),
      orderId,
      kind,
      messageId: failure.messageId,
      reason: failure.event,
    },
  };
}
