import { createHash } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { once } from "../memo";
import { LIST_LIMITS, ORDER_STATUSES, listOrdersQuerySchema } from "../domain/order";
import { OrderStore, hasInvoice, isIssued, type AdminOrderFilter, type CreditNoteRecord, type OrderRecord } from "../domain/store";
import { presignDocument, type PresignSettings } from "../invoices/presign";
import { monthPartition } from "../contracts/table";
import { isOrderId } from "../domain/ids";
import {
  NotFound,
  NotInvoiced,
  OrderInvoiced,
  OrderNotCancellable,
  RefundRefusedError,
  ResendTooSoon,
  ServiceUnavailable,
  ValidationFailed,
} from "../errors";
import { adminFromClaims } from "./catalog-api";
import { auditAdminAction } from "./admin-audit";
import type { Logger } from "../log";
import { RefundRefused, type RefundState } from "../payments/provider";
import { settlePayment } from "./payment-flow";
import { idempotencyKeyOf, issuesOf, parseJsonText, readJsonText } from "./order-request";
import { ADMIN_RESEND_POLICY, notifyThroughBucket, recipientOf, resendInvoice, ResendRefused } from "../invoices/resend";
import type { OrderApiDeps } from "./order-api";

/** The admins' read side of orders: GET /admin/orders (filtered listing) and GET /admin/orders/{orderId} (record and timeline). */

/** What the admin order routes need. */
export interface AdminApiDeps {
  readonly ddb: DynamoDBDocumentClient;
  /** Signs the documents' short-lived links (as GET /orders/{orderId} does for the customer). */
  readonly s3: S3Client;
  readonly settings: { readonly ordersTable: string } & PresignSettings;
  readonly now: () => Date;
  readonly log: Logger;
}

/** Bounds of the admin listing: without `from`, the last `defaultMonths`; one request reads at most `maxQueries` pages of the index. */
export const ADMIN_LIST_LIMITS = { defaultMonths: 24, maxMonths: 60, maxQueries: 40, readPerQuery: 100 } as const;

const WHAT = "read the shop's orders";
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const instant = (end: boolean) =>
  z
    .string()
    .max(40)
    .refine((s) => (DAY.test(s) || /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(s)) && !Number.isNaN(Date.parse(s)), {
      message: "must be a date (2026-12-01) or a UTC instant (2026-12-01T10:00:00Z)",
    })
    .transform((s) => (DAY.test(s) ? `${s}T${end ? "23:59:59.999" : "00:00:00.000"}Z` : new Date(s).toISOString()));

/** The query string of GET /admin/orders; an unknown parameter is refused (a misspelt filter must not list everything). */
export const adminListQuerySchema = once(() =>
  listOrdersQuerySchema()
    .extend({
      status: z.enum(ORDER_STATUSES).optional(),
      from: instant(false).optional(),
      to: instant(true).optional(),
      email: z.string().email().max(254).optional(),
      number: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,40}$/, "must be an invoice number such as INV-000042")
        .optional(),
    })
    .strict()
    .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "must not be after to", path: ["from"] }),
);

const queryFailed = (issues: { path: string; message: string }[]) =>
  new ValidationFailed("The query string is not valid; see details.", issues);

/** The months from `to`'s back to `from`'s, newest first, as month-index partitions. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let y = Number(to.slice(0, 4));
  let m = Number(to.slice(5, 7));
  const stop = from.slice(0, 7);
  for (;;) {
    const key = `${y}-${String(m).padStart(2, "0")}`;
    if (key < stop) return out;
    out.push(monthPartition(`${key}-01`));
    if (--m === 0) [y, m] = [y - 1, 12];
  }
}

/** Where a listing resumes: a month, and the last order read in it (absent: the month from its start). */
interface Position {
  readonly month: string;
  readonly after?: { createdAt: string; orderId: string };
}

const cursorDigest = (scope: string, p: Position) =>
  createHash("sha256")
    .update(`admin-orders|${scope}|${p.month}|${p.after?.createdAt ?? ""}|${p.after?.orderId ?? ""}`)
    .digest("base64url")
    .slice(0, 22);

/** The opaque cursor of a position, bound to the filters it was made for. */
export function encodeAdminCursor(scope: string, p: Position): string {
  return Buffer.from(JSON.stringify({ m: p.month, t: p.after?.createdAt, o: p.after?.orderId, h: cursorDigest(scope, p) })).toString(
    "base64url",
  );
}

/** Reads a cursor back: one made for other filters, altered or malformed is a 400. */
export function decodeAdminCursor(scope: string, cursor: string): Position {
  const invalid = () => queryFailed([{ path: "query.cursor", message: "must be a nextCursor this API returned for these filters" }]);
  let v: { m?: unknown; t?: unknown; o?: unknown; h?: unknown };
  try {
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!v || typeof v.m !== "string" || !/^ORDERS#\d{4}-\d{2}$/.test(v.m) || typeof v.h !== "string") throw invalid();
  let p: Position = { month: v.m };
  if (v.t !== undefined || v.o !== undefined) {
    if (typeof v.t !== "string" || !isOrderId(v.o) || Number.isNaN(Date.parse(v.t))) throw invalid();
    p = { month: v.m, after: { createdAt: v.t, orderId: v.o } };
  }
  if (v.h !== cursorDigest(scope, p)) throw invalid();
  return p;
}

/** One order as the admin listing shows it. */
export function adminOrderSummary(rec: OrderRecord) {
  const o = rec.order;
  return {
    orderId: o.orderId,
    status: rec.status,
    createdAt: o.createdAt,
    customer: { id: o.customer.id, email: o.customer.email },
    total: { amount: o.totalMinor, currency: o.currency },
    invoiceNumber: rec.invoiceNumber ?? null,
    links: { self: `/admin/orders/${o.orderId}` },
  };
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const json = (status: number, body: unknown): APIGatewayProxyResult => ({
  statusCode: status,
  headers: JSON_HEADERS,
  body: JSON.stringify(body),
});

/**
 * GET /admin/orders?status&from&to&email&number&limit&cursor: every customer's orders, newest first,
 * from the byMonth index (month by month, filters applied by DynamoDB as it reads). A page may be
 * short with a nextCursor when a request's read budget ran out before the page filled.
 */
export async function handleAdminListOrders(event: APIGatewayProxyEvent, deps: AdminApiDeps): Promise<APIGatewayProxyResult> {
  adminFromClaims(event, WHAT);
  const q = adminListQuerySchema().safeParse(event.queryStringParameters ?? {});
  if (!q.success) throw queryFailed(q.error.issues.map((i) => ({ path: `query.${i.path.join(".")}`, message: i.message })));
  const now = deps.now();
  const to = q.data.to ?? now.toISOString();
  const from =
    q.data.from ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - ADMIN_LIST_LIMITS.defaultMonths + 1, 1)).toISOString();
  const months = monthsBetween(from, to);
  if (months.length > ADMIN_LIST_LIMITS.maxMonths)
    throw queryFailed([{ path: "query.from", message: `the range spans more than ${ADMIN_LIST_LIMITS.maxMonths} months` }]);
  const filter: AdminOrderFilter = { status: q.data.status, email: q.data.email, invoiceNumber: q.data.number };
  // The filters as given, not their defaults: a default `to` is "now", and would void the cursor a moment later.
  const scope = JSON.stringify([q.data.status, q.data.email?.toLowerCase(), q.data.number, q.data.from, q.data.to]);
  const start = q.data.cursor === undefined ? { month: months[0] } : decodeAdminCursor(scope, q.data.cursor);
  const limit = q.data.limit ?? LIST_LIMITS.defaultLimit;
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);

  const found: OrderRecord[] = [];
  let queries = 0;
  let resume: Position | undefined;
  outer: for (const month of months.filter((m) => m <= start.month)) {
    let after = month === start.month ? start.after : undefined;
    do {
      if (queries++ >= ADMIN_LIST_LIMITS.maxQueries) {
        resume = { month, ...(after ? { after } : {}) };
        break outer;
      }
      const page = await store.listMonth(month, { from, to }, filter, ADMIN_LIST_LIMITS.readPerQuery, after);
      for (const rec of page.records) {
        if (found.length === limit) {
          const last = found[limit - 1].order;
          resume = { month: monthPartition(last.createdAt), after: { createdAt: last.createdAt, orderId: last.orderId } };
          break outer;
        }
        found.push(rec);
      }
      after = page.next;
    } while (after);
  }
  return json(200, { orders: found.map(adminOrderSummary), nextCursor: resume ? encodeAdminCursor(scope, resume) : null });
}

/** One credit note of an order as the admin record shows it (in the order they were requested). */
export async function adminCreditNoteSummary(cn: CreditNoteRecord, deps: Pick<AdminApiDeps, "s3" | "settings">) {
  const c = cn.creditNote;
  return {
    creditNoteId: c.id,
    number: cn.creditNoteNumber ?? null,
    issuedAt: cn.issuedAt ?? null,
    status: cn.status,
    kind: c.kind,
    reason: c.reason,
    total: { amount: c.totalMinor, currency: c.currency },
    refund: cn.refund ? refundView(cn.refund, c.currency) : null,
    origin: cn.origin,
    url: isIssued(cn) ? await presignDocument(deps.s3, deps.settings, cn.documentKey, cn.creditNoteNumber) : null,
  };
}

/** One event of an order's life, for the admin timeline. */
interface TimelineEntry {
  readonly at: string;
  readonly event: string;
  readonly detail?: string;
}

/** The order's timeline, oldest first: its own timestamps, its credit notes' numbering and the SES events of each of its emails. */
export function timelineOf(
  rec: OrderRecord,
  emails: { messageId: string; events: { type: string; at: string; detail: string }[] }[],
  creditNotes: readonly CreditNoteRecord[] = [],
) {
  const entries: TimelineEntry[] = [];
  const add = (at: string | undefined, event: string, detail?: string) => {
    if (at) entries.push({ at, event, ...(detail ? { detail } : {}) });
  };
  add(rec.order.createdAt, "created");
  add(rec.paymentFailure?.at, "payment-failed", rec.paymentFailure?.message);
  add(rec.paidAt, "paid");
  add(rec.cancelRequestedAt, "cancel-requested");
  const refund = rec.cancelRefund;
  if (refund) add(rec.closedAt, "refunded", `${refund.refundId}: ${refund.amountMinor} ${refund.currency} (${refund.status})`);
  add(rec.closedAt, rec.status === "EXPIRED" ? "expired" : "closed", rec.closeReason);
  add(rec.enqueuedAt, "enqueued");
  add(rec.invoiceIssuedAt, "invoice-numbered", rec.invoiceNumber);
  add(rec.invoicedAt, "invoiced");
  add(rec.resendRequestedAt, "resend-requested", rec.emailTo);
  add(rec.notifiedAt, "notified", rec.emailMessageId);
  for (const cn of creditNotes) {
    const by = cn.origin.by === "admin" ? "by an admin" : `refund ${cn.origin.refundId} at the provider`;
    add(cn.requestedAt, "credit-note-requested", `${cn.creditNote.id} (${cn.creditNote.kind}, ${cn.creditNote.totalMinor}, ${by})`);
    add(cn.issuedAt, "credit-note-numbered", cn.creditNoteNumber);
    add(cn.notifiedAt, "credit-note-emailed", cn.emailMessageId);
  }
  for (const e of emails) for (const ev of e.events) add(ev.at, `email-${ev.type.toLowerCase()}`, `${e.messageId}: ${ev.detail}`);
  return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** GET /admin/orders/{orderId}: the whole record (discarded orders included) and its timeline; 404 for an unknown order. */
export async function handleAdminGetOrder(event: APIGatewayProxyEvent, deps: AdminApiDeps): Promise<APIGatewayProxyResult> {
  adminFromClaims(event, WHAT);
  const orderId = event.pathParameters?.orderId ?? "";
  if (!isOrderId(orderId)) throw new NotFound("No such order.");
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const rec = await store.get(orderId);
  if (!rec) throw new NotFound("No such order.");
  const messageIds = [...(rec.previousEmailMessageIds ?? []), ...(rec.emailMessageId ? [rec.emailMessageId] : [])].filter(
    (m) => m !== "unknown",
  );
  const emails = [];
  for (const messageId of messageIds) {
    const e = await store.emailEvents(messageId);
    emails.push({ messageId, events: e?.events ?? [] });
  }
  const creditNotes = await store.listCreditNotes(rec);
  return json(200, {
    order: rec.order,
    status: rec.status,
    payment: {
      provider: rec.order.payment.provider,
      paymentId: rec.paymentId ?? null,
      dueBy: rec.paymentDueBy ?? null,
      paidAt: rec.paidAt ?? null,
      card: rec.paymentCard ?? null,
      lastFailure: rec.paymentFailure ?? null,
      closedAt: rec.closedAt ?? null,
      closeReason: rec.closeReason ?? null,
    },
    invoice: rec.invoiceNumber
      ? {
          number: rec.invoiceNumber,
          issuedAt: rec.invoiceIssuedAt ?? null,
          key: rec.invoiceKey ?? null,
          invoicedAt: rec.invoicedAt ?? null,
          url: hasInvoice(rec) ? await presignDocument(deps.s3, deps.settings, rec.invoiceKey, rec.invoiceNumber) : null,
        }
      : null,
    creditNotes: await Promise.all(creditNotes.map((cn) => adminCreditNoteSummary(cn, deps))),
    email: {
      to: rec.emailTo ?? rec.order.customer.email,
      messageId: rec.emailMessageId ?? null,
      status: rec.emailStatus ?? null,
      failure: rec.emailFailure ?? null,
      outcomeAt: rec.emailOutcomeAt ?? null,
      notifiedAt: rec.notifiedAt ?? null,
      previousMessageIds: rec.previousEmailMessageIds ?? [],
    },
    timeline: timelineOf(rec, emails, creditNotes),
  });
}

/** The provider-side id of a cancellation's refund (its idempotency key is `refund-cancel-<orderId>`): one per order, whoever retries. */
export const cancellationRefundId = (orderId: string): string => `cancel-${orderId}`;

const INVOICED_MESSAGE = "This order is invoiced: an invoiced order is corrected with a credit note, not cancelled.";

/** A refund as every admin answer shows it (a cancellation's, a credit note's): the provider's id, its status, the money. */
export function refundView(r: { readonly refundId: string; readonly status: string; readonly amountMinor: number }, currency: string) {
  return { refundId: r.refundId, status: r.status, amount: { amount: r.amountMinor, currency } };
}

/** The body of a cancellation's answer. */
function cancelledBody(rec: OrderRecord) {
  const r = rec.cancelRefund;
  return {
    orderId: rec.order.orderId,
    status: "CANCELLED" as const,
    ...(r ? { refund: refundView(r, r.currency) } : {}),
  };
}

/**
 * POST /admin/orders/{orderId}/cancel (Idempotency-Key required): an unpaid order's payment is cancelled
 * at the provider and the order CANCELLED; a PAID order not numbered yet is first moved to CANCELLING
 * (from then no worker numbers it), then refunded in full, then CANCELLED, so money and status never
 * disagree: a crash in between leaves it CANCELLING, and any retry (whatever its key) refunds under the
 * same provider idempotency key and finishes. An invoiced order is refused (409 ORDER_INVOICED); a
 * cancelled one answers as before (200).
 */
export async function handleAdminCancelOrder(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const who = adminFromClaims(event, "cancel orders");
  const orderId = event.pathParameters?.orderId ?? "";
  if (!isOrderId(orderId)) throw new NotFound("No such order.");
  const key = idempotencyKeyOf(event, true);
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const log = deps.log.child({ orderId, adminSub: who.sub });
  let rec = await store.get(orderId);
  if (!rec) throw new NotFound("No such order.");
  const from = rec.status;
  // Each pass moves the order one step or answers; a state changed by someone else is read again.
  for (let pass = 0; pass < 5; pass++) {
    switch (rec.status) {
      case "CANCELLED":
        if (pass === 0) return json(200, cancelledBody(rec));
        await auditCancel(event, deps, who, rec, from, key);
        return json(200, cancelledBody(rec));
      case "INVOICED":
      case "NOTIFIED":
        throw new OrderInvoiced(INVOICED_MESSAGE);
      case "EXPIRED":
        throw new OrderNotCancellable("This order expired unpaid: it is closed already and nothing was charged.");
      case "AWAITING_PAYMENT":
      case "PAYMENT_FAILED":
        rec = await cancelUnpaid(deps, store, rec, log);
        break;
      case "PAID":
        if (rec.invoiceNumber) throw new OrderInvoiced(INVOICED_MESSAGE);
        if (!(await store.beginCancellation(orderId, deps.now(), key))) log.info("order changed before it could be cancelled; read again");
        break;
      case "CANCELLING":
        await refundAndFinish(deps, store, rec, log);
        break;
    }
    const next = await store.get(orderId);
    if (!next) throw new Error(`order ${orderId} vanished while being cancelled`);
    if (next.status === "PAID" && next.invoiceNumber) throw new OrderInvoiced(INVOICED_MESSAGE);
    rec = next;
  }
  throw new Error(`order ${orderId} kept changing while being cancelled`);
}

/**
 * Cancels the unpaid order's payment at the provider, then closes the order. A payment that won the
 * race (the provider answers "succeeded") makes the order PAID instead, and the caller goes on as for a
 * PAID order. Answers the order as it is afterwards.
 */
async function cancelUnpaid(deps: OrderApiDeps, store: OrderStore, rec: OrderRecord, log: Logger): Promise<OrderRecord> {
  const orderId = rec.order.orderId;
  if (rec.paymentId) {
    const state = await deps.payments.cancelPayment(rec.paymentId);
    if (state.status === "succeeded") {
      log.info("the payment succeeded before it could be cancelled: the order is PAID, and is refunded instead", {
        paymentId: state.paymentId,
      });
      await settlePayment(deps, store, rec, state, log);
      return rec;
    }
    if (state.status !== "canceled") {
      throw new OrderNotCancellable(
        `The order's payment is ${state.status} at the payment provider and cannot be cancelled now: try again in a few minutes.`,
      );
    }
  }
  if (await store.closeUnpaid(orderId, "CANCELLED", deps.now()))
    log.info("unpaid order cancelled by an admin", { paymentId: rec.paymentId });
  return rec;
}

/** Refunds the CANCELLING order's whole payment (once, whoever retries) and makes it CANCELLED. */
async function refundAndFinish(deps: OrderApiDeps, store: OrderStore, rec: OrderRecord, log: Logger): Promise<void> {
  const { order } = rec;
  if (!rec.paymentId) throw new Error(`order ${order.orderId} is CANCELLING without a payment`);
  const creditNoteId = cancellationRefundId(order.orderId);
  let refund: RefundState;
  try {
    refund = await deps.payments.refundPayment({
      paymentId: rec.paymentId,
      amountMinor: order.totalMinor,
      currency: order.currency,
      orderId: order.orderId,
      creditNoteId,
      shop: deps.settings.ordersTable,
    });
  } catch (e) {
    if (!(e instanceof RefundRefused)) throw e;
    // Refunded in full elsewhere already (the provider's dashboard): the money is back, so the order may close.
    const elsewhere = await refundedInFull(deps, rec.paymentId, order.totalMinor);
    if (!elsewhere) {
      // The order stays CANCELLING: never invoiced, and a person sees why.
      log.error("refund of a cancelled order refused by the provider", { alarm: "cancel-refund-refused", reason: e.reason });
      throw new RefundRefusedError(
        `The payment provider refused to refund the order (${e.reason}); it stays cancelled-pending (CANCELLING) and is never invoiced. Check the payment at the provider.`,
      );
    }
    log.warn("the cancelled order's payment was refunded in full elsewhere already; closing it", { refundId: elsewhere.refundId });
    refund = elsewhere;
  }
  const done = await store.finishCancellation(order.orderId, deps.now(), {
    refundId: refund.refundId,
    status: refund.status,
    amountMinor: refund.amountMinor,
    currency: refund.currency,
  });
  if (done) log.info("paid order cancelled and refunded", { refundId: refund.refundId, amountMinor: refund.amountMinor });
}

/**
 * The payment's succeeded refunds when they add up to `totalMinor` (summed into one state, named by the
 * latest refund), else undefined.
 */
async function refundedInFull(deps: OrderApiDeps, paymentId: string, totalMinor: number): Promise<RefundState | undefined> {
  const done = (await deps.payments.listRefunds(paymentId)).filter((r) => r.status === "succeeded");
  const sum = done.reduce((n, r) => n + r.amountMinor, 0);
  const last = done.at(-1);
  return last && sum >= totalMinor ? { ...last, amountMinor: sum } : undefined;
}

/** The audit entry of a cancellation this request completed. */
function auditCancel(
  event: APIGatewayProxyEvent,
  deps: OrderApiDeps,
  who: { sub: string; email?: string },
  rec: OrderRecord,
  from: string,
  idempotencyKey: string,
): Promise<void> {
  return auditOrderAction(event, deps, who, "order.cancelled", rec.order.orderId, {
    from,
    idempotencyKey,
    ...(rec.cancelRefund ? { refundId: rec.cancelRefund.refundId, refundMinor: rec.cancelRefund.amountMinor } : {}),
  });
}

/** Records an admin's action on an order: who, which route and request, a small summary. */
function auditOrderAction(
  event: APIGatewayProxyEvent,
  deps: OrderApiDeps,
  who: { sub: string; email?: string },
  action: string,
  orderId: string,
  detail: Record<string, unknown>,
): Promise<void> {
  return auditAdminAction(deps, event, who, action, `order:${orderId}`, detail);
}

/** The optional body of POST /admin/orders/{orderId}/resend: another address to send to. */
export const resendBodySchema = once(() => z.object({ email: z.string().email().max(254).optional() }).strict());

/**
 * POST /admin/orders/{orderId}/resend (body optional: {"email": "..."}): hands an invoiced order back to
 * the notifier, which mails the invoice again with a fresh signed link, to `email` or the last recipient.
 * One re-send per order per 10 minutes (a conditional write on the order: 429 RESEND_TOO_SOON with
 * Retry-After); 409 NOT_INVOICED before the invoice exists. 202: the email is on its way.
 */
export async function handleAdminResendInvoice(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const who = adminFromClaims(event, "re-send invoices");
  const orderId = event.pathParameters?.orderId ?? "";
  if (!isOrderId(orderId)) throw new NotFound("No such order.");
  const hasBody = Boolean(event.body && event.body.trim());
  const body = resendBodySchema().safeParse(hasBody ? parseJsonText(readJsonText(event, "re-send request"), "re-send request") : {});
  if (!body.success) throw new ValidationFailed("The re-send request is not valid; see details.", issuesOf(body.error));
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const rec = await store.get(orderId);
  if (!rec) throw new NotFound("No such order.");
  if (rec.status !== "INVOICED" && rec.status !== "NOTIFIED")
    throw new NotInvoiced(`This order is ${rec.status}: it has no invoice to send yet.`);
  const to = body.data.email ?? recipientOf(rec);
  let result;
  try {
    const notify = deps.notifyInvoice ?? notifyThroughBucket(deps.s3, deps.settings.invoicesBucket, deps.now);
    result = await resendInvoice(store, orderId, to, deps.now(), notify, ADMIN_RESEND_POLICY);
  } catch (e) {
    if (!(e instanceof ResendRefused)) throw e;
    if (e.reason === "no-order") throw new NotFound("No such order.");
    if (e.reason === "not-invoiced") throw new NotInvoiced(`This order is ${rec.status}: it has no invoice to send yet.`);
    if (e.reason === "too-soon")
      throw new ResendTooSoon("This order's invoice was re-sent less than 10 minutes ago; try again later.", e.retryAfterSeconds ?? 600);
    if (e.reason === "complained")
      throw new ValidationFailed("The recipient marked this invoice email as spam: send it to another address.", [
        { path: "email", message: "marked the invoice email as spam; give another address" },
      ]);
    throw new ServiceUnavailable("The order changed while its invoice was being re-sent; try again.");
  }
  deps.log.info("invoice re-sent by an admin", { orderId, adminSub: who.sub });
  await auditOrderAction(event, deps, who, "order.invoice-resent", orderId, {
    to: result.to,
    previousTo: result.previous.to,
    ...(result.previous.messageId ? { previousMessageId: result.previous.messageId } : {}),
  });
  return json(202, { orderId, status: "INVOICED", to: result.to });
}
