import { type SQSClient } from "@aws-sdk/client-sqs";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import { orderMessageSchema, type OrderMessage, type OrderStatus } from "../domain/order";
import { MAX_NUMBERING_BATCH, OrderStore, type InvoicedRecord, type OrderRecord } from "../domain/store";
import type { WorkerSettings } from "../settings";
import type { CreditNoteDocument, InvoiceDocument } from "../invoices/document";
import type { Logger } from "../log";
import { type MetricsEmitter } from "../metrics";
import { METRICS } from "../contracts/metrics";
import { invoiceIssuedEvent } from "../domain/events";
import { publishCommitted, type EventPublisher } from "../events";

/** What the invoice worker needs from the outside world. */
export interface WorkerDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly settings: WorkerSettings;
  /** Renders the PDF: in-line (renderInvoicePdf) or on a thread pool (invoices/render-pool.ts). */
  readonly render: (doc: InvoiceDocument) => Uint8Array | Promise<Uint8Array>;
  /** Renders a credit note's PDF. @default renderCreditNotePdf, in-line (credit notes are rare) */
  readonly renderCreditNote?: (doc: CreditNoteDocument) => Uint8Array | Promise<Uint8Array>;
  readonly now: () => Date;
  readonly log: Logger;
  readonly metrics: MetricsEmitter;
  /**
   * Numbers an order (once). The loop sets a batcher (createNumberingBatcher), so one transaction
   * numbers every order waiting in this task. @default the store's assignInvoiceNumber, one by one
   */
  readonly numberInvoice?: (current: OrderRecord) => Promise<OrderRecord>;
  /** Publishes invoice.issued and credit_note.issued for other systems (runtime/events.ts). @default none: nothing is published */
  readonly events?: EventPublisher;
}

/**
 * Group commit for invoice numbers: orders asked for while a numbering transaction runs (or in the
 * same turn of the event loop) wait and are numbered together by the next one. Per task that is one
 * counter round-trip per batch; in-process requests never race each other for the counter.
 */
export function createNumberingBatcher(
  store: OrderStore,
  now: () => Date,
  maxBatch = MAX_NUMBERING_BATCH,
): (current: OrderRecord) => Promise<OrderRecord> {
  const pending: { current: OrderRecord; resolve: (r: OrderRecord) => void; reject: (e: unknown) => void }[] = [];
  let running = false;
  const run = async () => {
    while (pending.length > 0) {
      const batch = pending.splice(0, maxBatch);
      try {
        const numbered = await store.assignInvoiceNumbers(
          batch.map((b) => b.current),
          now(),
        );
        batch.forEach((b, i) => b.resolve(numbered[i]));
      } catch (e) {
        // One bad order must not fail its neighbours: number them one by one instead.
        if (batch.length === 1) batch[0].reject(e);
        else for (const b of batch) await store.assignInvoiceNumber(b.current, now()).then(b.resolve, b.reject);
      }
    }
    running = false;
  };
  return (current) =>
    new Promise<OrderRecord>((resolve, reject) => {
      pending.push({ current, resolve, reject });
      if (running) return;
      running = true;
      setImmediate(run);
    });
}

/** A queue message that can never succeed (bad JSON, wrong schema); left for the DLQ. */
export class PoisonMessage extends Error {
  override name = "PoisonMessage";
}

/** Processing a message took longer than its budget. */
export class MessageOverBudget extends Error {
  override name = "MessageOverBudget";
}

/** What processing one message did; "dropped": its order does not exist or was never paid (nothing is invoiced). */
export type MessageOutcome = "invoiced" | "duplicate" | "dropped";

/** The statuses of orders whose payment was confirmed: PAID (to invoice) and what follows it. */
const INVOICEABLE_OR_DONE: ReadonlySet<OrderStatus> = new Set(["PAID", "INVOICED", "NOTIFIED"]);

/**
 * Did an admin cancel the order after it was paid (runtime/handlers/admin-api.ts: being refunded, or done)?
 * Its message may still arrive. A CANCELLED order never paid has no message: that one still alarms.
 */
const cancelledAfterPayment = (rec: OrderRecord): boolean =>
  rec.status === "CANCELLING" || (rec.status === "CANCELLED" && rec.cancelRequestedAt !== undefined);

/** Parses a queue message body with `schema` (named `what` in the error); a body that is not JSON or does not match is poison. */
export function parseMessage<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessage("message body is not JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new PoisonMessage(`message does not match the ${what} schema: ${parsed.error.issues[0]?.path.join(".")}`);
  return parsed.data;
}

/** Parses an order message body and invoices it (invoiceOrder); the worker loop takes probes too (processQueueMessage). */
export async function processOrderMessage(body: string, deps: WorkerDeps): Promise<{ orderId: string; outcome: MessageOutcome }> {
  return invoiceOrder(parseMessage(orderMessageSchema(), body, "order"), deps);
}

/**
 * Turns one order message into an invoice: number (once), PDF at its deterministic key, then
 * INVOICED. Every step is safe to repeat, so a redelivered message makes no second invoice.
 */
export async function invoiceOrder(message: OrderMessage, deps: WorkerDeps): Promise<{ orderId: string; outcome: MessageOutcome }> {
  const { order } = message;
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const log = deps.log.child({ orderId: order.orderId });

  const before = await store.get(order.orderId);
  if (!before) {
    log.warn("message for an order that does not exist; dropped");
    return { orderId: order.orderId, outcome: "dropped" };
  }
  // An admin cancelled it after it was paid: its message may still arrive; it never takes a number.
  if (cancelledAfterPayment(before)) {
    log.info("message for a cancelled order; dropped, nothing invoiced", { status: before.status });
    return { orderId: order.orderId, outcome: "dropped" };
  }
  // Only a PAID order is invoiced: its message is sent only after the provider confirmed the payment.
  if (!INVOICEABLE_OR_DONE.has(before.status)) {
    log.error("message for an order that is not paid; dropped, nothing invoiced", { alarm: "unpaid-order-message", status: before.status });
    return { orderId: order.orderId, outcome: "dropped" };
  }
  if (before.status !== "PAID") {
    log.info("duplicate delivery: order already invoiced", { status: before.status });
    return { orderId: order.orderId, outcome: "duplicate" };
  }
  let numbered: OrderRecord;
  try {
    numbered = await (deps.numberInvoice ? deps.numberInvoice(before) : store.assignInvoiceNumber(before, deps.now()));
  } catch (e) {
    // The numbering takes PAID orders only: one cancelled since it was read is dropped, not retried.
    const now = await store.get(order.orderId);
    if (!now || !cancelledAfterPayment(now)) throw e;
    log.info("order cancelled while being numbered; dropped, nothing invoiced", { status: now.status });
    return { orderId: order.orderId, outcome: "dropped" };
  }
  if (!numbered.invoiceNumber || !numbered.invoiceKey || !numbered.invoiceIssuedAt) {
    throw new Error(`order ${order.orderId} came back with an incomplete invoice assignment`);
  }
  // Render from the stored order, the source of truth, not from the message copy.
  const renderStarted = performance.now();
  const pdf = await deps.render({
    order: numbered.order,
    invoiceNumber: numbered.invoiceNumber,
    issuedAt: new Date(numbered.invoiceIssuedAt),
    seller: deps.settings.seller,
    ...(numbered.paidAt
      ? {
          payment: {
            provider: numbered.order.payment.provider,
            paidAt: new Date(numbered.paidAt),
            ...(numbered.paymentCard ? { card: numbered.paymentCard } : {}),
          },
        }
      : {}),
  });
  const renderMs = performance.now() - renderStarted; // on a pool, includes the wait for a free thread
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.settings.invoicesBucket,
      Key: numbered.invoiceKey,
      Body: pdf,
      ContentType: "application/pdf",
      Metadata: { "order-id": order.orderId, "invoice-number": numbered.invoiceNumber },
      // The bucket is under Object Lock: S3 refuses a PutObject without Content-MD5 or a checksum. The SDK
      // sends CRC32 by default, but not when a client is configured to checksum only "when required".
      ChecksumAlgorithm: "CRC32",
    }),
  );
  const moved = await store.markInvoiced(order.orderId, deps.now());
  log.info(moved ? "invoice stored" : "invoice re-stored for an order already invoiced", {
    invoiceNumber: numbered.invoiceNumber,
    key: numbered.invoiceKey,
    bytes: pdf.byteLength,
  });
  if (moved) {
    const props = { orderId: order.orderId, invoiceNumber: numbered.invoiceNumber };
    deps.metrics.emit(METRICS.invoicesRendered, 1, {}, props);
    deps.metrics.emit(METRICS.renderDuration, Math.round(renderMs), {}, props);
    deps.metrics.emit(METRICS.pdfBytes, pdf.byteLength, {}, props);
    const { invoiceNumber, invoiceKey, invoiceIssuedAt } = numbered;
    await publishInvoiceIssued({ ...numbered, invoiceNumber, invoiceKey, invoiceIssuedAt }, deps, log);
  }
  return { orderId: order.orderId, outcome: moved ? "invoiced" : "duplicate" };
}

/**
 * Tells other systems the invoice exists. The invoice is already committed: a failure here must not
 * fail it (a redelivery would find it INVOICED and publish nothing), so it is logged for the alarm.
 */
async function publishInvoiceIssued(rec: InvoicedRecord, deps: WorkerDeps, log: Logger): Promise<void> {
  await publishCommitted(deps.events, invoiceIssuedEvent(rec), log);
}
