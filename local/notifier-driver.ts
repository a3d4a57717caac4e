import { longPollTimeoutMs } from "../runtime/clients";
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

/**
 * Delivers the bucket's object-created notifications (queued by S3) to the email handler, as the
 * Lambda S3 trigger would: at least once; a failed event comes back after a short delay.
 */
export function startNotifierDriver(o: {
  sqs: SQSClient;
  queueUrl: string;
  handler: (event: unknown) => Promise<unknown>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  retryDelaySeconds?: number;
}): { stop(): Promise<void> } {
  let stopping = false;
  const abort = new AbortController();
  const loop = (async () => {
    while (!stopping) {
      let messages;
      try {
        messages = (
          await o.sqs.send(new ReceiveMessageCommand({ QueueUrl: o.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }), {
            abortSignal: abort.signal,
            requestTimeout: longPollTimeoutMs(2),
          })
        ).Messages;
      } catch (e) {
        if (stopping) break;
        o.log("receive failed", { error: (e as Error).message });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      await Promise.all(
        (messages ?? []).map(async (m) => {
          try {
            await o.handler(JSON.parse(m.Body ?? "{}"));
            await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
          } catch (e) {
            o.log("event failed; it will be redelivered", { error: (e as Error).name });
            await o.sqs
              .send(new ChangeMessageVisibilityCommand({ QueueUrl: o.queueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: o.retryDelaySeconds ?? 2 }))
              .catch(() => undefined);
          }
        }),
      );
    }
  })();
  return {
    async stop() {
      stopping = true;
      abort.abort();
      await loop;
    },
  };
}
