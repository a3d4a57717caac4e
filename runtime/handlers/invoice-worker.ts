import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { orderMessageSchema } from "../domain/order";
import { MAX_NUMBERING_BATCH, OrderStore, type OrderRecord } from "../domain/store";
import type { WorkerSettings } from "../settings";
import type { InvoiceDocument } from "../invoices/document";
import { errorFields, type Logger } from "../log";
import { longPollTimeoutMs } from "../clients";
import { type MetricsEmitter } from "../metrics";
import { METRICS } from "../contracts/metrics";

/** What the invoice worker needs from the outside world. */
export interface WorkerDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly settings: WorkerSettings;
  /** Renders the PDF: in-line (renderInvoicePdf) or on a thread pool (invoices/render-pool.ts). */
  readonly render: (doc: InvoiceDocument) => Uint8Array | Promise<Uint8Array>;
  readonly now: () => Date;
  readonly log: Logger;
  readonly metrics: MetricsEmitter;
  /**
   * Numbers an order (once). The loop sets a batcher (createNumberingBatcher), so one transaction
   * numbers every order waiting in this task. @default the store's assignInvoiceNumber, one by one
   */
  readonly numberInvoice?: (current: OrderRecord) => Promise<OrderRecord>;
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

/** The message's order is recorded but its intake is not confirmed yet: look again after `retryAfterSeconds`. */
export class OrderNotConfirmed extends Error {
  override name = "OrderNotConfirmed";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** What processing one message did; "dropped": its order was never committed (the client was told it failed). */
export type MessageOutcome = "invoiced" | "duplicate" | "dropped";

/** How often and how long to re-read an order whose message arrived a moment before the API confirmed it. */
const CONFIRM_WAIT_STEPS = 10;
const CONFIRM_WAIT_MS = 200;

/**
 * Turns one order message into an invoice: number (once), PDF at its deterministic key, then
 * INVOICED. Every step is safe to repeat, so a redelivered message makes no second invoice.
 */
export async function processOrderMessage(body: string, deps: WorkerDeps): Promise<{ orderId: string; outcome: MessageOutcome }> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessage("message body is not JSON");
  }
  const parsed = orderMessageSchema().safeParse(json);
  if (!parsed.success) throw new PoisonMessage(`message does not match the order schema: ${parsed.error.issues[0]?.path.join(".")}`);
  const { order } = parsed.data;
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const log = deps.log.child({ orderId: order.orderId });

  let before = await store.get(order.orderId);
  // The API sends the message, then confirms the order: wait briefly for a confirmation on its way.
  for (let i = 0; before && !before.enqueuedAt && before.status === "PENDING" && i < CONFIRM_WAIT_STEPS; i++) {
    await new Promise((r) => setTimeout(r, CONFIRM_WAIT_MS));
    before = await store.get(order.orderId);
  }
  if (!before) {
    log.warn("message for an order that was never committed (its request failed); dropped");
    return { orderId: order.orderId, outcome: "dropped" };
  }
  if (!before.enqueuedAt && before.status === "PENDING") {
    const since = Date.parse(before.intakeAt ?? before.order.createdAt);
    const waitMs = since + deps.settings.intakeGraceSeconds * 1000 - deps.now().getTime();
    if (waitMs > 0) throw new OrderNotConfirmed(`order ${order.orderId} is not confirmed yet`, Math.ceil(waitMs / 1000) + 1);
    if (await store.abandonIntake(before, deps.now())) {
      log.warn("message for an order whose intake never completed (its request failed); dropped", { keyed: Boolean(before.keyed) });
      return { orderId: order.orderId, outcome: "dropped" };
    }
    throw new OrderNotConfirmed(`order ${order.orderId} changed while being dropped`, 1);
  }
  if (before.status !== "PENDING") {
    log.info("duplicate delivery: order already invoiced", { status: before.status });
    return { orderId: order.orderId, outcome: "duplicate" };
  }
  const numbered = await (deps.numberInvoice ? deps.numberInvoice(before) : store.assignInvoiceNumber(before, deps.now()));
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
  });
  const renderMs = performance.now() - renderStarted; // on a pool, includes the wait for a free thread
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.settings.invoicesBucket,
      Key: numbered.invoiceKey,
      Body: pdf,
      ContentType: "application/pdf",
      Metadata: { "order-id": order.orderId, "invoice-number": numbered.invoiceNumber },
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
  }
  return { orderId: order.orderId, outcome: moved ? "invoiced" : "duplicate" };
}

/** Backoff before a failed message is seen again: 10 s, 20 s, 40 s ... at most 5 min. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(300, 10 * 2 ** Math.max(0, receiveCount - 1));
}

/** A running worker loop. */
export interface WorkerLoop {
  /**
   * Stops polling, lets in-flight messages finish, resolves when drained. The poll in progress is
   * not aborted: SQS (and moto) would still hand it messages the process never sees, hidden until
   * their visibility timeout. It ends within waitSeconds and what it got is made visible again.
   */
  stop(): Promise<void>;
  /** Resolves when the loop has ended (after stop, or on a fatal error). */
  readonly done: Promise<void>;
  /** Count of messages finished and failed so far. */
  stats(): { processed: number; failed: number; inFlight: number };
}

/**
 * Long-polls the orders queue and processes messages with bounded concurrency. A message is
 * deleted only after its work is done; a failure leaves it to SQS (and finally the DLQ).
 */
export function startWorkerLoop(loopDeps: WorkerDeps, hooks: { onPoll?: () => void } = {}): WorkerLoop {
  const deps: WorkerDeps = {
    ...loopDeps,
    numberInvoice:
      loopDeps.numberInvoice ?? createNumberingBatcher(new OrderStore(loopDeps.ddb, loopDeps.settings.ordersTable), loopDeps.now),
  };
  const s = deps.settings;
  let stopping = false;
  let processed = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;

  const handle = async (m: Message) => {
    const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? "1");
    let budgetTimer: NodeJS.Timeout | undefined;
    try {
      // Past its budget a message may become visible again (the visibility timeout derives from
      // the budget), so it is not deleted then; the late work itself is safe to repeat.
      const overBudget = new Promise<never>((_, reject) => {
        budgetTimer = setTimeout(
          () => reject(new MessageOverBudget(`message took longer than ${s.messageBudgetSeconds} s`)),
          s.messageBudgetSeconds * 1000,
        );
      });
      const r = await Promise.race([processOrderMessage(m.Body ?? "", deps), overBudget]);
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: s.ordersQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
      processed++;
      deps.log.debug("message done", { orderId: r.orderId, outcome: r.outcome });
    } catch (e) {
      failed++;
      const notConfirmed = e instanceof OrderNotConfirmed;
      // The API names the order in a message attribute: a failed message is found by its order id too.
      const orderId = m.MessageAttributes?.orderId?.StringValue;
      deps.log[notConfirmed ? "info" : "error"]("message failed; left for retry", {
        orderId,
        messageId: m.MessageId,
        receiveCount,
        ...errorFields(e),
      });
      await deps.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: s.ordersQueueUrl,
            ReceiptHandle: m.ReceiptHandle!,
            // A poison message can never succeed: back after a second, so it reaches the DLQ after its receives without delay.
            VisibilityTimeout: notConfirmed
              ? Math.min(e.retryAfterSeconds, 43_200)
              : e instanceof PoisonMessage
                ? 1
                : retryDelaySeconds(receiveCount),
          }),
        )
        .catch(() => undefined);
    } finally {
      clearTimeout(budgetTimer);
    }
  };

  // What the last poll got after stop() is handed back at once, so another task takes it now
  // rather than after the visibility timeout.
  const release = async (messages: Message[]) => {
    await Promise.all(
      messages.map((m) =>
        deps.sqs
          .send(new ChangeMessageVisibilityCommand({ QueueUrl: s.ordersQueueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }))
          .catch((e) =>
            deps.log.warn("could not release a message received while stopping", { messageId: m.MessageId, ...errorFields(e) }),
          ),
      ),
    );
    if (messages.length) deps.log.info("released messages received while stopping", { count: messages.length });
  };

  const loop = async () => {
    while (!stopping) {
      if (inFlight.size >= s.concurrency) {
        await new Promise<void>((r) => (slotFreed = r));
        continue;
      }
      hooks.onPoll?.();
      let messages: Message[] = [];
      try {
        const r = await deps.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: s.ordersQueueUrl,
            MaxNumberOfMessages: Math.min(s.batchSize, s.concurrency - inFlight.size),
            WaitTimeSeconds: s.waitSeconds,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
            MessageAttributeNames: ["orderId"],
          }),
          { requestTimeout: longPollTimeoutMs(s.waitSeconds) },
        );
        messages = r.Messages ?? [];
      } catch (e) {
        if (stopping) break;
        deps.log.error("receive failed; retrying shortly", errorFields(e));
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (stopping) {
        await release(messages);
        break;
      }
      for (const m of messages) {
        const p = handle(m).finally(() => {
          inFlight.delete(p);
          slotFreed?.();
          slotFreed = undefined;
        });
        inFlight.add(p);
      }
    }
    await Promise.allSettled([...inFlight]);
  };

  const done = loop();
  return {
    done,
    stats: () => ({ processed, failed, inFlight: inFlight.size }),
    async stop() {
      stopping = true;
      slotFreed?.();
      await done;
    },
  };
}
