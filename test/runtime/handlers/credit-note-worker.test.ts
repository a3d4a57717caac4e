import { expect } from "chai";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { useLocalAws, type LocalAws } from "../../helpers/aws";
import { capturingLogger, capturingMetrics, drainQueue, workerDeps } from "../../helpers/deps";
import { failingCommands } from "../../helpers/fail-commands";
import { makePricedOrder, recordPaidOrder } from "../../helpers/orders";
import { readPdf } from "../invoices/invoices";
import { creditNoteOf, creditNoteRequestSchema } from "../../../runtime/domain/credit-note";
import type { PricedOrder } from "../../../runtime/domain/order";
import { OrderStore } from "../../../runtime/domain/store";
import { EVENT_DETAIL_SCHEMAS, type ShopEvent } from "../../../runtime/domain/events";
import { enqueueCreditNote } from "../../../runtime/handlers/credit-note-queue";
import { processQueueMessage } from "../../../runtime/handlers/worker-loop";
import { PoisonMessage } from "../../../runtime/handlers/invoice-worker";
import { METRICS } from "../../../runtime/contracts/metrics";

const ADMIN = { by: "admin", adminSub: "admin-sub-1" } as const;

/** An invoiced order (numbered and INVOICED through the store) with a reserved credit note of one unit of its first line. */
async function reservedCreditNote(ctx: LocalAws, creditNoteId: string, o: Partial<PricedOrder> = {}): Promise<PricedOrder> {
  const store = new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const order = makePricedOrder({ lineCount: 2, ...o });
  await store.assignInvoiceNumber(await recordPaidOrder(store, order), new Date());
  expect(await store.markInvoiced(order.orderId, new Date())).to.equal(true);
  const request = creditNoteRequestSchema().parse({
    id: creditNoteId,
    kind: "partial",
    reason: "Returned",
    lines: [{ line: 0, quantity: 1 }],
  });
  await store.reserveCreditNote(order.orderId, creditNoteOf(order, request), new Date(), ADMIN);
  return order;
}

/** The credit note's message as the API puts it on the queue (with the API's role), received back. */
async function queued(ctx: LocalAws, orderId: string, creditNoteId: string): Promise<string> {
  await enqueueCreditNote(ctx.as["order-api"].sqs, ctx.resources.queueUrl, orderId, creditNoteId);
  const [m, ...more] = await drainQueue(ctx);
  expect(more).to.have.length(0);
  return m.body;
}

const creditNoteItem = async (ctx: LocalAws, id: string) =>
  (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk: `CREDITNOTE#${id}` } }))).Item!;
const counter = async (ctx: LocalAws) =>
  (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk: "COUNTER#creditNote" } }))).Item?.value;
const pdfKeys = async (ctx: LocalAws) =>
  (
    (await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucket, Prefix: "invoices/credit-notes/" }))).Contents ?? []
  ).map((o) => o.Key);

describe("credit-note worker: issueCreditNote through processQueueMessage", () => {
  const ctx = useLocalAws();

  it("numbers the reserved credit note, stores its PDF at invoices/credit-notes/<id>.pdf, and moves it to ISSUED", async () => {
    // Prepare
    const order = await reservedCreditNote(ctx, "cn_worker001");
    const body = await queued(ctx, order.orderId, "cn_worker001");
    const metrics = capturingMetrics();
    // Act
    const r = await processQueueMessage(body, workerDeps(ctx, { metrics: metrics.metrics }));
    // Assess
    expect(r).to.deep.equal({ orderId: order.orderId, creditNoteId: "cn_worker001", outcome: "issued" });
    const key = "invoices/credit-notes/cn_worker001.pdf";
    expect(await creditNoteItem(ctx, "cn_worker001")).to.include({
      status: "ISSUED",
      creditNoteNumber: "CN-000001",
      creditNoteSeq: 1,
      documentKey: key,
      invoiceNumber: "INV-000001",
    });
    const head = await ctx.clients.s3.send(new HeadObjectCommand({ Bucket: ctx.resources.bucket, Key: key }));
    expect(head.ContentType).to.equal("application/pdf");
    expect(head.Metadata).to.include({ "order-id": order.orderId, "credit-note-number": "CN-000001", "invoice-number": "INV-000001" });
    const o = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: key }));
    const { text } = await readPdf(await o.Body!.transformToByteArray());
    expect(text).to.contain("CN-000001").and.contain("INV-000001").and.contain(order.orderId).and.contain(order.lines[0].sku);
    expect(metrics.points().map((p) => p.name)).to.include(METRICS.creditNotesIssued.name);
  });

  it("makes one number and one PDF when the message is delivered twice, also at once", async () => {
    // Prepare
    const order = await reservedCreditNote(ctx, "cn_twice0001");
    const body = await queued(ctx, order.orderId, "cn_twice0001");
    // Act
    const results = await Promise.all([1, 2, 3].map(() => processQueueMessage(body, workerDeps(ctx))));
    const later = await processQueueMessage(body, workerDeps(ctx));
    // Assess
    expect(results.map((r) => r.outcome).filter((o) => o === "issued")).to.have.length.at.most(1);
    expect(later.outcome).to.equal("duplicate");
    expect(await counter(ctx)).to.equal(1);
    expect(await creditNoteItem(ctx, "cn_twice0001")).to.include({ status: "ISSUED", creditNoteNumber: "CN-000001" });
    expect(await pdfKeys(ctx)).to.deep.equal(["invoices/credit-notes/cn_twice0001.pdf"]);
  });

  it("keeps the number after the worker failed between numbering and storing the PDF: the redelivery stores it, no gap", async () => {
    // Prepare: S3 fails the first PutObject (the worker died or the store was down after numbering)
    const order = await reservedCreditNote(ctx, "cn_halfway01");
    const body = await queued(ctx, order.orderId, "cn_halfway01");
    const broken = workerDeps(ctx);
    const s3 = failingCommands(broken.s3, "PutObjectCommand", 1, () => Object.assign(new Error("S3 down"), { name: "ServiceUnavailable" }));
    // Act
    const failed = await processQueueMessage(body, { ...broken, s3 }).catch((e: unknown) => e);
    const midway = await creditNoteItem(ctx, "cn_halfway01");
    const retried = await processQueueMessage(body, workerDeps(ctx));
    // Assess
    expect(failed).to.be.instanceOf(Error).with.property("message", "S3 down");
    expect(midway).to.include({ status: "REQUESTED", creditNoteNumber: "CN-000001" });
    expect(retried.outcome).to.equal("issued");
    expect(await creditNoteItem(ctx, "cn_halfway01")).to.include({ status: "ISSUED", creditNoteNumber: "CN-000001" });
    expect(await counter(ctx)).to.equal(1);
  });

  it("publishes credit_note.issued once, with the number, the invoice it corrects and its totals", async () => {
    // Prepare
    const order = await reservedCreditNote(ctx, "cn_events01");
    const body = await queued(ctx, order.orderId, "cn_events01");
    const published: ShopEvent[] = [];
    const events = { publish: async (e: readonly ShopEvent[]) => void published.push(...e) };
    // Act
    await processQueueMessage(body, workerDeps(ctx, { events }));
    await processQueueMessage(body, workerDeps(ctx, { events }));
    // Assess
    expect(published.map((e) => e.type)).to.deep.equal(["credit_note.issued"]);
    const detail = EVENT_DETAIL_SCHEMAS["credit_note.issued"].parse(published[0].detail);
    const stored = (await creditNoteItem(ctx, "cn_events01")).creditNote;
    expect(detail).to.deep.include({
      eventId: "credit_note.issued:CN-000001",
      orderId: order.orderId,
      customerId: order.customer.id,
      creditNoteNumber: "CN-000001",
      invoiceNumber: "INV-000001",
      currency: "EUR",
      totalMinor: stored.totalMinor,
      netMinor: stored.subtotalMinor,
      taxMinor: stored.taxMinor,
    });
  });

  it("drops, with a log line, a message whose credit note does not exist or is of another order; numbers nothing", async () => {
    // Prepare
    const order = await reservedCreditNote(ctx, "cn_realone01");
    const other = makePricedOrder();
    const { log, lines } = capturingLogger("invoice-worker");
    // Act
    const missing = await processQueueMessage(await queued(ctx, order.orderId, "cn_notthere1"), workerDeps(ctx, { log }));
    const mismatch = await processQueueMessage(await queued(ctx, other.orderId, "cn_realone01"), workerDeps(ctx, { log }));
    // Assess
    expect([missing.outcome, mismatch.outcome]).to.deep.equal(["dropped", "dropped"]);
    expect(lines.join("\n")).to.contain("credit note that does not exist").and.contain(`"alarm":"credit-note-order-mismatch"`);
    expect(await counter(ctx)).to.equal(undefined);
    expect(await pdfKeys(ctx)).to.deep.equal([]);
  });

  it("treats a credit-note message with a bad id or extra fields as poison", async () => {
    for (const body of [
      { v: 1, kind: "credit-note", orderId: "ord_AAAAAAAAAAAAAAAAAAAA", creditNoteId: "cn_../../x" },
      { v: 1, kind: "credit-note", orderId: "ord_AAAAAAAAAAAAAAAAAAAA", creditNoteId: "cn_abcdef01", extra: 1 },
      { v: 2, kind: "credit-note", orderId: "ord_AAAAAAAAAAAAAAAAAAAA", creditNoteId: "cn_abcdef01" },
    ]) {
      const err = await processQueueMessage(JSON.stringify(body), workerDeps(ctx)).catch((e: unknown) => e);
      expect(err, JSON.stringify(body)).to.be.instanceOf(PoisonMessage);
    }
  });
});
