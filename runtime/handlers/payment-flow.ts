import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { OrderMessage } from "../domain/order";
import { OrderStore, type OrderRecord } from "../domain/store";
import { WebhookSignatureInvalid, type PaymentState } from "../payments/provider";
import { NotFound, SignatureInvalid } from "../errors";
import { errorFields, type Logger } from "../log";
import { isOrderId } from "../domain/ids";
import { STATE_INDEX_KEYS } from "../contracts/table";
import { METRICS } from "../contracts/metrics";
import { header } from "./order-request";
import { creditProviderRefunds } from "./admin-corrections";
import { orderPaidEvent } from "../domain/events";
import { publishCommitted } from "../events";
import type { OrderApiDeps } from "./order-api";

/**
 * Payment confirmation and what follows from it: only a payment the provider confirmed, for the
 * order's exact amount and currency, makes an order PAID, and only a PAID order's message goes on the
 * queue, once. Three ways lead here: the checkout request itself (a payment that succeeds at once),
 * the provider's webhook (3-D Secure and other delayed outcomes), and the scheduled sweep (orders not
 * paid in time expire; PAID orders whose message could not be sent are sent).
 */

/** How long a claim to send an order's message blocks other senders (the sweep, a webhook redelivery). */
export const ENQUEUE_CLAIM_LEASE_MS = 60_000;
/** Orders one sweep handles per kind, so a run stays well inside the Lambda's timeout; the rest wait for the next run. */
const SWEEP_LIMIT = 25;
/** Provider calls a sweep makes at once. */
const SWEEP_PARALLELISM = 5;
/**
 * Time after which a sweep starts no new round: a round can take one 3 s provider call and its retry
 * (about 7 s), so a sweep ends within the function's 10 s plus that round only if it starts rounds
 * early; what is left waits for the next run, five minutes later.
 */
export const SWEEP_BUDGET_MS = 2_500;

/** Does the provider's payment belong to this order, for its exact amount and currency? The reason when not. */
export function paymentMismatch(rec: OrderRecord, p: PaymentState): string | undefined {
  if (p.orderId !== rec.order.orderId) return `payment ${p.paymentId} names order ${p.orderId ?? "(none)"}`;
  if (rec.paymentId && rec.paymentId !== p.paymentId) return `the order's payment is ${rec.paymentId}, not ${p.paymentId}`;
  if (p.amountMinor !== rec.order.totalMinor || p.currency !== rec.order.currency) {
    return `payment of ${p.amountMinor} ${p.currency} for an order of ${rec.order.totalMinor} ${rec.order.currency}`;
  }
  return undefined;
}

/**
 * Puts the PAID order's message on the queue and records it sent, when `claimId` holds (or wins)
 * the claim to send it. False when someone else holds the claim or it was sent already.
 */
export async function enqueuePaid(deps: OrderApiDeps, store: OrderStore, rec: OrderRecord, claimId: string): Promise<boolean> {
  const orderId = rec.order.orderId;
  if (!(await store.claimEnqueue(orderId, claimId, deps.now(), ENQUEUE_CLAIM_LEASE_MS))) return false;
  const msg: OrderMessage = { v: 1, order: rec.order };
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.settings.ordersQueueUrl,
      MessageBody: JSON.stringify(msg),
      MessageAttributes: { orderId: { DataType: "String", StringValue: orderId } },
    }),
  );
  await store.markEnqueued(orderId, deps.now());
  return true;
}

/** What applying a payment state to an order did. */
export type Settlement = "paid" | "already-paid" | "failed" | "pending" | "refused";

/**
 * Applies what the provider says about the order's payment: succeeded -> PAID and its message
 * queued (a queue failure is logged and left to the sweep: the payment stands); declined ->
 * PAYMENT_FAILED; anything else leaves the order waiting. "refused" when the payment is not this
 * order's (another order, amount or currency): nothing changes, and an alarm line is logged.
 */
export async function settlePayment(
  deps: OrderApiDeps,
  store: OrderStore,
  rec: OrderRecord,
  p: PaymentState,
  log: Logger,
): Promise<Settlement> {
  const mismatch = paymentMismatch(rec, p);
  if (mismatch) {
    log.error("payment does not match its order; nothing changed", { alarm: "payment-mismatch", paymentId: p.paymentId, reason: mismatch });
    return "refused";
  }
  const orderId = rec.order.orderId;
  if (p.status === "succeeded") {
    const claimId = randomUUID();
    const paidAt = deps.now();
    const paid = await store.markPaid(orderId, { paymentId: p.paymentId, card: p.card }, paidAt, claimId);
    // Only the caller whose write made the order PAID announces it (checkout, webhook or sweep): once per order,
    // and before anything else can fail (a store that stops answering now leaves the order PAID all the same).
    if (paid) await publishCommitted(deps.events, orderPaidEvent(rec, paidAt.toISOString()), log);
    const now = await store.get(orderId);
    if (!now) throw new Error(`order ${orderId} vanished while being paid`);
    if (!paid && !["PAID", "INVOICED", "NOTIFIED"].includes(now.status)) {
      // Expired or cancelled first, yet the provider took the money: a person must refund or accept it.
      log.error("payment succeeded for an order closed unpaid; refund or fulfil it by hand", {
        alarm: "paid-after-close",
        paymentId: p.paymentId,
        status: now.status,
      });
      return "refused";
    }
    if (paid) {
      log.info("payment confirmed: order PAID", { paymentId: p.paymentId });
      deps.metrics.emit(METRICS.ordersPaid, 1, {}, { orderId });
    }
    // Only the transition's winner (or, after its lease, a redelivery) sends the message.
    if (now.status === "PAID" && !now.enqueuedAt) {
      try {
        await enqueuePaid(deps, store, now, paid ? claimId : randomUUID());
      } catch (e) {
        log.warn("order PAID but its message could not be queued yet; the sweep will send it", errorFields(e));
      }
    }
    return paid ? "paid" : "already-paid";
  }
  if (p.status === "requires_payment_method" && p.failure) {
    const failed = await store.markPaymentFailed(orderId, p.paymentId, p.failure, deps.now());
    if (failed) log.info("payment declined: order PAYMENT_FAILED", { paymentId: p.paymentId, code: p.failure.code });
    return "failed";
  }
  if (!rec.paymentId) await store.recordPaymentId(orderId, p.paymentId);
  return "pending";
}

/** POST /webhooks/stripe: the provider's signed events; the signature over the raw body is the credential. */
export async function handlePaymentWebhook(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? "");
  let ev;
  try {
    ev = await deps.payments.parseWebhook(raw, header(event, "stripe-signature"));
  } catch (e) {
    if (!(e instanceof WebhookSignatureInvalid)) throw e;
    deps.log.warn("webhook refused: signature invalid or too old", { alarm: "webhook-signature-invalid", reason: e.message });
    throw new SignatureInvalid("The webhook's signature does not verify or is too old.");
  }
  const log = deps.log.child({ eventId: ev.eventId, eventType: ev.type });
  const ok = (outcome: string) => ({
    statusCode: 200,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify({ received: true, outcome }),
  });
  const p = ev.payment;
  if (ev.kind === "other" || !p) return ok("ignored");
  // Another stack on the same provider account (dev, staging): its events are not ours, and no alarm.
  if (p.shop !== undefined && p.shop !== deps.settings.ordersTable) {
    log.info("payment event of another shop on this provider account; ignored", { paymentId: p.paymentId });
    return ok("other-shop");
  }
  if (!p.orderId || !isOrderId(p.orderId)) {
    log.error("payment event for no order of this shop; nothing changed", { alarm: "payment-webhook-foreign", paymentId: p.paymentId });
    return ok("foreign");
  }
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const rec = await store.get(p.orderId);
  if (!rec) {
    // Not visible yet, or never ours: a non-2xx makes the provider deliver it again later.
    log.error("payment event for an unknown order; the provider will retry", {
      alarm: "payment-webhook-unknown-order",
      orderId: p.orderId,
    });
    throw new NotFound("No such order (yet).");
  }
  const olog = log.child({ orderId: p.orderId });
  if (ev.kind === "refunded") {
    // A refund changes no payment state: the order stays paid. Each refund of an invoiced order gets its credit note.
    if (rec.paymentId !== p.paymentId) {
      olog.error("refund of a payment that is not the order's; nothing credited", { alarm: "payment-mismatch", paymentId: p.paymentId });
      return ok("refused");
    }
    return ok(await creditProviderRefunds(deps, store, rec, p, olog));
  }
  if (ev.kind === "canceled") {
    if (paymentMismatch(rec, p)) return ok(await settlePayment(deps, store, rec, p, olog));
    const closed = await store.closeUnpaid(p.orderId, "CANCELLED", deps.now());
    if (closed) olog.info("payment cancelled at the provider: order CANCELLED", { paymentId: p.paymentId });
    return ok(closed ? "cancelled" : "unchanged");
  }
  // "failed" events carry the intent back in requires_payment_method with its last error.
  const state: PaymentState = ev.kind === "failed" && !p.failure ? { ...p, failure: { message: "The payment failed." } } : p;
  return ok(await settlePayment(deps, store, rec, state, olog));
}

/**
 * The scheduled sweep: orders whose payment deadline passed are expired (their payment cancelled at
 * the provider first: if it succeeded meanwhile, the order is PAID instead), and PAID orders whose
 * message is still unsent a minute later are sent.
 */
export async function sweepPayments(
  deps: OrderApiDeps,
  budgetMs = SWEEP_BUDGET_MS,
): Promise<{ expired: number; paid: number; sent: number }> {
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const out = { expired: 0, paid: 0, sent: 0 };
  const started = Date.now();
  const inTime = () => Date.now() - started < budgetMs;
  // Paid orders' messages first: they are money taken, and need no provider call.
  const sentBefore = new Date(deps.now().getTime() - ENQUEUE_CLAIM_LEASE_MS);
  await inParallel(await store.listDue(STATE_INDEX_KEYS.outbox, sentBefore, SWEEP_LIMIT), inTime, async (rec) => {
    try {
      if (await enqueuePaid(deps, store, rec, randomUUID())) {
        out.sent++;
        deps.log.warn("sent the message of a PAID order its payment step could not queue", { orderId: rec.order.orderId });
      }
    } catch (e) {
      deps.log.error("could not queue a PAID order's message; the next sweep tries again", {
        orderId: rec.order.orderId,
        ...errorFields(e),
      });
    }
  });
  if (!inTime()) return out;
  await inParallel(await store.listDue(STATE_INDEX_KEYS.paymentDue, deps.now(), SWEEP_LIMIT), inTime, async (rec) => {
    const log = deps.log.child({ orderId: rec.order.orderId });
    try {
      if (rec.paymentId) {
        const state = await deps.payments.cancelPayment(rec.paymentId);
        if (state.status === "succeeded") {
          if ((await settlePayment(deps, store, rec, state, log)) === "paid") out.paid++;
          return;
        }
        if (state.status !== "canceled") {
          // Stripe does not cancel a payment that is processing: it may still succeed, so the order waits.
          log.warn("overdue order's payment could not be cancelled; left due", { paymentId: rec.paymentId, paymentStatus: state.status });
          return;
        }
      }
      if (await store.closeUnpaid(rec.order.orderId, "EXPIRED", deps.now())) {
        out.expired++;
        log.info("order not paid in time: EXPIRED", { paymentId: rec.paymentId, dueBy: rec.paymentDueBy });
      }
    } catch (e) {
      log.error("could not expire an overdue order; the next sweep tries again", errorFields(e));
    }
  });
  return out;
}

/** Runs `fn` over `items`, SWEEP_PARALLELISM at a time, starting no round once `inTime` says the budget is spent. */
async function inParallel<T>(items: readonly T[], inTime: () => boolean, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length && inTime(); i += SWEEP_PARALLELISM) await Promise.all(items.slice(i, i + SWEEP_PARALLELISM).map(fn));
}
