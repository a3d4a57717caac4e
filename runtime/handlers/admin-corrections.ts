import { createHash } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { z } from "zod";
import { once } from "../memo";
import { creditNoteOf, creditNoteRequestSchema, CreditNoteRefused, type PricedCreditNote } from "../domain/credit-note";
import { creditNoteForRefund } from "../domain/refund-credit";
import { creditedQuantity, hasInvoice, isDiscarded, OrderStore, type CreditNoteRecord, type OrderRecord } from "../domain/store";
import { PaymentProviderUnavailable, RefundRefused, type PaymentState, type RefundState } from "../payments/provider";
import {
  CreditNoteNotPossible,
  IdempotencyKeyReused,
  NotFound,
  NotInvoiced,
  RefundRefusedError,
  ServiceUnavailable,
  ValidationFailed,
} from "../errors";
import { isOrderId } from "../domain/ids";
import { auditAdminAction } from "./admin-audit";
import { t } from "../i18n";
import { errorFields, type Logger } from "../log";
import { adminFromClaims } from "./catalog-api";
import { cancellationRefundId, refundView } from "./admin-api";
import { enqueueCreditNote } from "./credit-note-queue";
import { header, issuesOf, parseJsonText, readJsonText } from "./order-request";
import type { OrderApiDeps } from "./order-api";

/**
 * Corrections of invoiced orders: credit notes, whichever side starts them. An admin's request
 * (POST /admin/orders/{orderId}/credit-notes) reserves the credit note, has the payment provider
 * refund its total and queues it for the worker, which numbers, renders and stores it (the notifier
 * then emails it). A refund made at the provider (its dashboard) arrives by webhook and becomes the
 * matching credit note through the same steps. The refund carries the credit note's id, so when both
 * sides act on one refund they meet on that id and make one credit note.
 */

/** The body of POST /admin/orders/{orderId}/credit-notes: the credit-note request without its id (the Idempotency-Key names it). */
export const creditNoteBodySchema = once(() => {
  const [full, partial] = creditNoteRequestSchema().options;
  return z.discriminatedUnion("kind", [full.omit({ id: true }), partial.omit({ id: true })]);
});

/** The credit note an admin's request makes: one per order and Idempotency-Key, so a retried request finds its credit note. */
export function creditNoteIdFor(orderId: string, idempotencyKey: string): string {
  return `cn_${createHash("sha256").update(`${orderId}|${idempotencyKey}`).digest("base64url").slice(0, 24)}`;
}

/** The credit note a refund made at the provider (no credit note named in it) becomes. */
export const creditNoteIdOfRefund = (refundId: string): string => `cn_${refundId}`;

/** The Idempotency-Key an admin write must carry: a retry must never correct twice. */
export function requiredIdempotencyKey(event: APIGatewayProxyEvent): string {
  const key = header(event, "idempotency-key");
  if (key === undefined || !/^[\x21-\x7e]{1,128}$/.test(key)) {
    throw new ValidationFailed("Send an Idempotency-Key header (1 to 128 visible ASCII characters) so a retry does not correct twice.", [
      { path: "headers.Idempotency-Key", message: key === undefined ? "is required" : "must be 1 to 128 visible ASCII characters" },
    ]);
  }
  return key;
}

/** A credit note refused by the domain or the store, as the API answers it. */
function refusal(e: CreditNoteRefused): Error {
  if (e.problem === "NOT_INVOICED") return new NotInvoiced(e.message);
  if (e.problem === "CREDIT_NOTE_ID_REUSED")
    return new IdempotencyKeyReused("This Idempotency-Key made another credit note of this order; use a new key for a new credit note.");
  return new CreditNoteNotPossible(`The credit note does not fit the invoice: ${e.message}.`, { problem: e.problem });
}

/** What the credit note's invoice has had credited so far, as the order item counts it. */
const creditedSoFar = (rec: OrderRecord) => ({
  creditedMinor: rec.creditedMinor ?? 0,
  quantity: (line: number) => creditedQuantity(rec, line),
  shippingCredited: rec.shippingCredited === true,
});

/** Is the refund one the provider accepted (a card refund may stay pending for days, and almost never fails)? */
const accepted = (r: { readonly status: string }) => r.status === "succeeded" || r.status === "pending";

/**
 * Has the credit note's total refunded (once: the provider's idempotency key is the credit note's id),
 * records the refund and queues the credit note. A provider that does not answer leaves it reserved:
 * the same request again completes it. A refused refund is recorded and answered 409.
 */
async function refundAndQueue(deps: OrderApiDeps, store: OrderStore, rec: OrderRecord, cn: CreditNoteRecord, log: Logger) {
  let refund = cn.refund;
  if (!refund || !accepted(refund)) {
    if (!rec.paymentId) throw new Error(`invoiced order ${rec.order.orderId} has no payment to refund`);
    let state: RefundState;
    try {
      state = await deps.payments.refundPayment({
        paymentId: rec.paymentId,
        amountMinor: cn.creditNote.totalMinor,
        currency: cn.creditNote.currency,
        orderId: rec.order.orderId,
        creditNoteId: cn.creditNote.id,
        shop: deps.settings.ordersTable,
      });
    } catch (e) {
      if (e instanceof PaymentProviderUnavailable) {
        log.warn("refund not answered; the credit note stays reserved for the same request's retry", errorFields(e));
        throw new ServiceUnavailable(
          "The payment provider did not answer. The credit note is reserved but not refunded: send the same request again with the same Idempotency-Key.",
        );
      }
      if (e instanceof RefundRefused) {
        // Nothing was refunded: the reservation is given back, so the invoice can still be credited otherwise.
        await store.voidCreditNote(cn.creditNote.id, deps.now());
        throw new RefundRefusedError(
          `The payment provider refused the refund (${e.reason}): nothing was refunded and no credit note issued.`,
        );
      }
      throw e;
    }
    refund = { refundId: state.refundId, status: state.status === "canceled" ? "failed" : state.status, amountMinor: state.amountMinor };
    await store.recordCreditNoteRefund(cn.creditNote.id, refund);
    if (!accepted(refund)) {
      await store.voidCreditNote(cn.creditNote.id, deps.now());
      throw new RefundRefusedError(`The payment provider did not make the refund (${state.status}): no credit note issued.`);
    }
  }
  if (cn.status === "REQUESTED") await enqueueCreditNote(deps.sqs, deps.settings.ordersQueueUrl, rec.order.orderId, cn.creditNote.id);
  return { ...cn, refund };
}

/** A credit note as the admin API answers it. */
export function creditNoteView(cn: CreditNoteRecord) {
  const c = cn.creditNote;
  return {
    creditNoteId: c.id,
    orderId: c.orderId,
    status: cn.status,
    number: cn.creditNoteNumber ?? null,
    invoiceNumber: cn.invoiceNumber,
    kind: c.kind,
    reason: c.reason,
    total: { amount: c.totalMinor, currency: c.currency },
    refund: cn.refund ? refundView(cn.refund, c.currency) : null,
    origin: cn.origin,
    links: { order: `/admin/orders/${c.orderId}` },
  };
}

/**
 * POST /admin/orders/{orderId}/credit-notes: a full or partial credit note of the order's invoice, its
 * total refunded to the customer. 202 while the worker numbers and renders it; the same Idempotency-Key
 * answers the same credit note (completing it if the provider did not answer before).
 */
export async function handleAdminCreateCreditNote(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const who = adminFromClaims(event, "correct invoices");
  const orderId = event.pathParameters?.orderId ?? "";
  if (!isOrderId(orderId)) throw new NotFound("No such order.");
  const key = requiredIdempotencyKey(event);
  const body = creditNoteBodySchema().safeParse(parseJsonText(readJsonText(event, "credit note"), "credit note"));
  if (!body.success) throw new ValidationFailed("The credit note is not valid; see details.", issuesOf(body.error));
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const rec = await store.get(orderId);
  if (!rec || isDiscarded(rec)) throw new NotFound("No such order.");
  if (!hasInvoice(rec)) throw new NotInvoiced(`Order ${orderId} is ${rec.status} and has no invoice to correct; cancel it instead.`);
  const log = deps.log.child({ orderId });
  let reserved: CreditNoteRecord;
  try {
    const creditNote = creditNoteOf(rec.order, { ...body.data, id: creditNoteIdFor(orderId, key) });
    reserved = await store.reserveCreditNote(orderId, creditNote, deps.now(), { by: "admin", adminSub: who.sub });
  } catch (e) {
    throw e instanceof CreditNoteRefused ? refusal(e) : e;
  }
  if (reserved.status === "VOID")
    throw new RefundRefusedError(
      "The payment provider refused this credit note's refund, so it was voided. Send a new request (a new Idempotency-Key).",
    );
  await auditAdminAction(deps, event, who, "credit_note.requested", `order:${orderId}`, {
    creditNoteId: reserved.creditNote.id,
    kind: reserved.creditNote.kind,
    totalMinor: reserved.creditNote.totalMinor,
  });
  const done = await refundAndQueue(deps, store, rec, reserved, log);
  log.info("credit note requested", {
    creditNoteId: done.creditNote.id,
    totalMinor: done.creditNote.totalMinor,
    refundId: done.refund.refundId,
    refundStatus: done.refund.status,
  });
  return {
    statusCode: 202,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify(creditNoteView(done)),
  };
}

/**
 * A refund the provider reports (charge.refunded) for the order of `rec`: every accepted refund of the
 * payment gets its credit note, made here for one made in the provider's dashboard (its amount, at what
 * the invoice has left), or already reserved by the admin request that asked for it. Safe to repeat.
 */
export async function creditProviderRefunds(deps: OrderApiDeps, store: OrderStore, rec: OrderRecord, p: PaymentState, log: Logger) {
  const refunds = (await deps.payments.listRefunds(p.paymentId)).filter(accepted);
  // A cancellation's refund is the cancellation's: the order has no invoice to credit.
  const ours = refunds.filter((r) => r.creditNoteId !== cancellationRefundId(rec.order.orderId));
  if (ours.length === 0) return "nothing-to-credit";
  if (!hasInvoice(rec)) {
    // Refunded before its invoice exists: a 503 makes the provider deliver the event again once it does.
    log.warn("refund of an order not invoiced yet; the provider will deliver the event again", { status: rec.status });
    throw new ServiceUnavailable(`Order ${rec.order.orderId} is not invoiced yet; its refund's credit note is made once it is.`);
  }
  const lang = rec.order.lang;
  let made = 0;
  for (const r of ours) {
    const id = r.creditNoteId ?? creditNoteIdOfRefund(r.refundId);
    let cn = await store.getCreditNote(id);
    if (!cn && r.creditNoteId) {
      log.error("refund names a credit note that does not exist; nothing credited", {
        alarm: "refund-without-credit-note",
        refundId: r.refundId,
        creditNoteId: id,
      });
      continue;
    }
    if (!cn) {
      try {
        const latest = (await store.get(rec.order.orderId)) ?? rec;
        const creditNote: PricedCreditNote = creditNoteForRefund(latest.order, creditedSoFar(latest), {
          creditNoteId: id,
          amountMinor: r.amountMinor,
          reason: t(lang, "creditRefundReason"),
          lineName: t(lang, "creditRefundLine"),
        });
        cn = await store.reserveCreditNote(rec.order.orderId, creditNote, deps.now(), { by: "provider", refundId: r.refundId });
        made++;
      } catch (e) {
        // A parallel delivery of the same event reserved it first: its credit note is this refund's.
        cn = await store.getCreditNote(id);
        if (!cn) {
          if (!(e instanceof CreditNoteRefused)) throw e;
          log.error("refund is more than the invoice has left to credit; no credit note made", {
            alarm: "refund-exceeds-invoice",
            refundId: r.refundId,
            amountMinor: r.amountMinor,
            problem: e.problem,
          });
          continue;
        }
      }
    }
    if (!cn) continue;
    if (!cn.refund || !accepted(cn.refund))
      await store.recordCreditNoteRefund(id, {
        refundId: r.refundId,
        status: r.status === "succeeded" ? "succeeded" : "pending",
        amountMinor: r.amountMinor,
      });
    if (cn.status === "REQUESTED") await enqueueCreditNote(deps.sqs, deps.settings.ordersQueueUrl, rec.order.orderId, id);
  }
  return made > 0 ? "credited" : "already-credited";
}
