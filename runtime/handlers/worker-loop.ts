import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { OrderStore } from "../domain/store";
import { errorFields } from "../log";
import { longPollTimeoutMs } from "../clients";
import { queueMessageSchema } from "../domain/probe";
import {
  MessageOverBudget,
  PoisonMessage,
  createNumberingBatcher,
  invoiceOrder,
  parseMessage,
  type MessageOutcome,
  type WorkerDeps,
} from "./invoice-worker";
import { recordProbe } from "./worker-probe";
import { issueCreditNote, type CreditNoteOutcome } from "./credit-note-worker";

/**
 * The worker's SQS transport: long-polls the orders queue, hands each message to
 * processQueueMessage with bounded concurrency (an order to invoiceOrder in invoice-worker.ts, the
 * invoice logic; a credit note to issueCreditNote in credit-note-worker.ts; a probe to recordProbe in worker-probe.ts), deletes a message only once its work
 * is done, and backs off a failed one.
 */

/** What one message of the orders queue came to. */
export type QueueMessageResult =
  | { orderId: string; outcome: MessageOutcome }
  | { orderId: string; creditNoteId: string; outcome: CreditNoteOutcome }
  | { probeId: string; outcome: "probe-recorded" };

/**
 * One message of the orders queue, checked once at the edge: an order is invoiced, a credit note
 * issued, a probe recorded; anything else is poison.
 */
export async function processQueueMessage(body: string, deps: WorkerDeps): Promise<QueueMessageResult> {
  const message = parseMessage(queueMessageSchema(), body, "queue message");
  if (message.kind === "probe") return recordProbe(message, deps);
  if (message.kind === "credit-note") return issueCreditNote(message, deps);
  return invoiceOrder(message, deps);
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
      const r = await Promise.race([processQueueMessage(m.Body ?? "", deps), overBudget]);
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: s.ordersQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
      processed++;
      deps.log.debug("message done", { ...r });
    } catch (e) {
      failed++;
      // The API names the order in a message attribute: a failed message is found by its order id too.
      const orderId = m.MessageAttributes?.orderId?.StringValue;
      deps.log.error("message failed; left for retry", {
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
            VisibilityTimeout: e instanceof PoisonMessage ? 1 : retryDelaySeconds(receiveCount),
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
