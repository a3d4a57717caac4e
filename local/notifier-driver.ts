import { longPollTimeoutMs } from "../runtime/clients";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { NOTIFIER_ASYNC_RETRIES } from "../components/scaling";

/** The function ARNs the local drivers name in their on-failure records: redrive hands each event back to its function. */
export const LOCAL_FUNCTION_ARNS = { notifier: "local:email-notifier", emailEvents: "local:email-events" } as const;

/** The record Lambda sends to an on-failure destination when an asynchronous event failed every attempt. */
export function onFailureRecord(event: unknown, error: Error, attempts: number, functionArn: string) {
  return {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: { requestId: `local-${Date.now()}`, functionArn, condition: "RetriesExhausted", approximateInvokeCount: attempts },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: error.name, errorMessage: error.message },
  };
}

/**
 * Delivers the events of a queue to a handler as an asynchronous Lambda trigger would (the
 * bucket's object-created notifications to the notifier, SES's events to the email events handler):
 * at least once; a failed event comes back after a short delay, and after Lambda's retries it goes
 * to the failure queue (when given) as Lambda's on-failure destination would.
 */
export function startNotifierDriver(o: {
  sqs: SQSClient;
  queueUrl: string;
  handler: (event: unknown) => Promise<unknown>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  retryDelaySeconds?: number;
  /** The on-failure destination; without it a failed event is retried forever. */
  failureQueueUrl?: string;
  /** The function its on-failure records name. @default LOCAL_FUNCTION_ARNS.notifier */
  functionArn?: string;
}): { stop(): Promise<void> } {
  const attempts = NOTIFIER_ASYNC_RETRIES + 1;
  let stopping = false;
  const abort = new AbortController();
  const loop = (async () => {
    while (!stopping) {
      let messages;
      try {
        messages = (
          await o.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: o.queueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 2,
              MessageSystemAttributeNames: ["ApproximateReceiveCount"],
            }),
            {
              abortSignal: abort.signal,
              requestTimeout: longPollTimeoutMs(2),
            },
          )
        ).Messages;
      } catch (e) {
        if (stopping) break;
        o.log("receive failed", { error: (e as Error).message });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      await Promise.all(
        (messages ?? []).map(async (m) => {
          const event = JSON.parse(m.Body ?? "{}");
          const received = Number(m.Attributes?.ApproximateReceiveCount ?? "1");
          try {
            await o.handler(event);
            await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
          } catch (e) {
            if (o.failureQueueUrl && received >= attempts) {
              o.log("event failed every attempt; sent to the email failure queue", {
                error: (e as Error).name,
                attempts: received,
                function: o.functionArn ?? LOCAL_FUNCTION_ARNS.notifier,
              });
              await o.sqs.send(
                new SendMessageCommand({
                  QueueUrl: o.failureQueueUrl,
                  MessageBody: JSON.stringify(onFailureRecord(event, e as Error, received, o.functionArn ?? LOCAL_FUNCTION_ARNS.notifier)),
                }),
              );
              await o.sqs.send(new DeleteMessageCommand({ QueueUrl: o.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
              return;
            }
            o.log("event failed; it will be redelivered", { error: (e as Error).name });
            await o.sqs
              .send(
                new ChangeMessageVisibilityCommand({
                  QueueUrl: o.queueUrl,
                  ReceiptHandle: m.ReceiptHandle!,
                  VisibilityTimeout: o.retryDelaySeconds ?? 2,
                }),
              )
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
