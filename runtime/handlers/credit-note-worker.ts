import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { CreditNoteMessage } from "../domain/credit-note";
import { OrderStore } from "../domain/store";
import { creditNoteKey } from "../contracts/env";
import { METRICS } from "../contracts/metrics";
import { creditNoteIssuedEvent } from "../domain/events";
import { publishCommitted } from "../events";
import { renderCreditNotePdf } from "../invoices/pdf";
import type { WorkerDeps } from "./invoice-worker";

/** What processing a credit-note message did; "dropped": the credit note does not exist or is not of the message's order. */
export type CreditNoteOutcome = "issued" | "duplicate" | "dropped";

/**
 * Turns a reserved credit note (REQUESTED, its amounts already taken from the invoice by the API)
 * into a document: number (once, in the credit notes' own series), PDF at its deterministic key,
 * then ISSUED and `credit_note.issued`. Every step is safe to repeat: a redelivered message, or one
 * whose worker died half-way, keeps the number it got and overwrites the same object.
 */
export async function issueCreditNote(
  message: CreditNoteMessage,
  deps: WorkerDeps,
): Promise<{ orderId: string; creditNoteId: string; outcome: CreditNoteOutcome }> {
  const { orderId, creditNoteId } = message;
  const result = (outcome: CreditNoteOutcome) => ({ orderId, creditNoteId, outcome });
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const log = deps.log.child({ orderId, creditNoteId });

  const before = await store.getCreditNote(creditNoteId);
  if (!before) {
    log.warn("message for a credit note that does not exist; dropped");
    return result("dropped");
  }
  if (before.orderId !== orderId) {
    log.error("message names another order than its credit note's; dropped", { alarm: "credit-note-order-mismatch", of: before.orderId });
    return result("dropped");
  }
  if (before.status !== "REQUESTED") {
    log.info("duplicate delivery: credit note already issued", { status: before.status, creditNoteNumber: before.creditNoteNumber });
    return result("duplicate");
  }
  const order = (await store.get(orderId))?.order;
  if (!order) throw new Error(`credit note ${creditNoteId}: its order ${orderId} does not exist`);
  const numbered = await store.numberCreditNote(creditNoteId, deps.now());
  // Render from the stored records, in the order's language (the credit note carries it), never from the message.
  const renderStarted = performance.now();
  const render = deps.renderCreditNote ?? renderCreditNotePdf;
  const pdf = await render({
    creditNote: numbered.creditNote,
    order,
    creditNoteNumber: numbered.creditNoteNumber,
    issuedAt: new Date(numbered.issuedAt),
    invoiceNumber: numbered.invoiceNumber,
    invoiceIssuedAt: new Date(numbered.invoiceIssuedAt),
    seller: deps.settings.seller,
  });
  const renderMs = performance.now() - renderStarted;
  const key = creditNoteKey(creditNoteId);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.settings.invoicesBucket,
      Key: key,
      Body: pdf,
      ContentType: "application/pdf",
      Metadata: { "order-id": orderId, "credit-note-number": numbered.creditNoteNumber, "invoice-number": numbered.invoiceNumber },
      // Object Lock: S3 refuses a PutObject without a checksum (as for invoices).
      ChecksumAlgorithm: "CRC32",
    }),
  );
  const moved = await store.markCreditNoteIssued(creditNoteId, key, deps.now());
  log.info(moved ? "credit note stored" : "credit note re-stored, already issued", {
    creditNoteNumber: numbered.creditNoteNumber,
    invoiceNumber: numbered.invoiceNumber,
    key,
    bytes: pdf.byteLength,
  });
  if (moved) {
    const props = { orderId, creditNoteNumber: numbered.creditNoteNumber };
    deps.metrics.emit(METRICS.creditNotesIssued, 1, {}, props);
    deps.metrics.emit(METRICS.renderDuration, Math.round(renderMs), {}, props);
    deps.metrics.emit(METRICS.pdfBytes, pdf.byteLength, {}, props);
    // Like invoice.issued: a failure is logged for the alarm, never fails the committed credit note.
    await publishCommitted(deps.events, creditNoteIssuedEvent(numbered, order), log);
  }
  return result(moved ? "issued" : "duplicate");
}
