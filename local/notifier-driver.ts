import { longPollTimeoutMs } from "../runtime/clients";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { NOTIFIER_RETRY_DELAYS_SECONDS } from "../components/scaling";
import { NOTIFY_CLAIM_LEASE_DEFAULT_SECONDS } from "../runtime/settings";

/** When the local notifier retries a failed event, and how long an email claim blocks other attempts. */
export interface NotifierSchedule {
  /** The wait before each retry of a failed event (SQS visibility timeouts: whole seconds). */
  readonly retryDelaysSeconds: readonly number[];
  /** NOTIFY_CLAIM_LEASE_SECONDS of the notifier. */
  readonly claimLeaseSeconds: number;
}

/**
 * Lambda's retry schedule and the notifier's claim lease, both divided by `speedup`, so that their relation stays
 * Lambda's: a claim left by an attempt that died ends before the last retry, which then sends. At 1 (`npm start`)
 * they are AWS's own minutes; tests that cannot wait minutes run the same schedule faster, never a second number.
 */
export function notifierSchedule(speedup = 1): NotifierSchedule {
  const scale = (s: number) => s / speedup;
  const retryDelaysSeconds = NOTIFIER_RETRY_DELAYS_SECONDS.map(scale);
  const claimLeaseSeconds = scale(NOTIFY_CLAIM_LEASE_DEFAULT_SECONDS);
  if (!(speedup >= 1) || ![...retryDelaysSeconds, claimLeaseSeconds].every(Number.isInteger)) {
    throw new RangeError(
      `notifier speedup ${speedup} must be at least 1 and divide Lambda's retry delays (${NOTIFIER_RETRY_DELAYS_SECONDS.join(", ")} s) ` +
        `and the claim lease (${NOTIFY_CLAIM_LEASE_DEFAULT_SECONDS} s) into whole seconds`,
    );
  }
  return { retryDelaysSeconds, claimLeaseSeconds };
}

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
 * at least once; a failed event comes back after each of Lambda's retry delays, and after the last
 * retry it goes to the failure queue (when given) as Lambda's on-failure destination would.
 */
export function startNotifierDriver(o: {
  sqs: SQSClient;
  queueUrl: string;
  handler: (event: unknown) => Promise<unknown>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** The wait before each retry; their number is the number of retries. @default Lambda's: 60 s, then 120 s */
  retryDelaysSeconds?: readonly number[];
  /** The on-failure destination; without it a failed event is retried forever. */
  failureQueueUrl?: string;
  /** The function its on-failure records name. @default LOCAL_FUNCTION_ARNS.notifier */
  functionArn?: string;
}): { stop(): Promise<void> } {
  const delays = o.retryDelaysSeconds ?? NOTIFIER_RETRY_DELAYS_SECONDS;
  const attempts = delays.length + 1;
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
            // Without a failure queue the last delay repeats.
            const delay = delays[Math.min(received, delays.length) - 1] ?? 0;
            o.log("event failed; it will be redelivered", { error: (e as Error).name, attempt: received, retryInSeconds: delay });
            await o.sqs
              .send(
                new ChangeMessageVisibilityCommand({
                  QueueUrl: o.queueUrl,
                  ReceiptHandle: m.ReceiptHandle!,
                  VisibilityTimeout: delay,
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
