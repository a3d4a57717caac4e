/**
 * The business events locally: what another system's rule on the stack's bus would get. A rule on
 * the local bus (moto's EventBridge) matches every event type the shop publishes and targets an SQS
 * queue; the pipeline drains that queue into a bounded in-memory list, which the console serves at
 * `GET /_local/api/events` and `npm start` prints one line per event.
 */
import { PutRuleCommand, PutTargetsCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { EVENT_TYPES } from "../runtime/contracts/events";

/** How many events the console keeps (the newest). */
export const EVENT_LOG_LIMIT = 200;

/** One event as a rule's SQS target receives it (EventBridge's envelope, the shop's detail inside). */
export interface ReceivedEvent {
  /** EventBridge's id of this delivery (differs per PutEvents; the detail's eventId does not). */
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  readonly time: string;
  readonly detail: Record<string, unknown>;
}

/** The rule on the bus and the queue it fills: every shop event type, into `<name>` (a queue created here). */
export async function createEventInbox(sqs: SQSClient, events: EventBridgeClient, busName: string, name: string): Promise<string> {
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  // By detail type, as an ERP's rule would select: the shop's source carries the stack's name.
  await events.send(
    new PutRuleCommand({ Name: name, EventBusName: busName, EventPattern: JSON.stringify({ "detail-type": [...EVENT_TYPES] }) }),
  );
  await events.send(new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: [{ Id: "inbox", Arn: arn }] }));
  return queueUrl;
}

/** One EventBridge envelope read from a queue message; undefined for a message that is not one. */
export function parseEnvelope(body: string): ReceivedEvent | undefined {
  let e: { id?: unknown; source?: unknown; "detail-type"?: unknown; time?: unknown; detail?: unknown };
  try {
    e = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof e?.source !== "string" || typeof e["detail-type"] !== "string" || typeof e.detail !== "object" || !e.detail) return undefined;
  return {
    id: String(e.id ?? ""),
    source: e.source,
    detailType: e["detail-type"],
    time: String(e.time ?? ""),
    detail: e.detail as Record<string, unknown>,
  };
}

/** Receives what the inbox holds (one poll of up to `waitSeconds`) and deletes it: the events, oldest first as SQS hands them. */
export async function receiveEvents(sqs: SQSClient, queueUrl: string, waitSeconds: number): Promise<ReceivedEvent[]> {
  const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }));
  const msgs = r.Messages ?? [];
  if (msgs.length) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return msgs.map((m) => parseEnvelope(m.Body ?? "")).filter((e): e is ReceivedEvent => e !== undefined);
}

/** The newest events, at most `limit`. */
export class LocalEventLog {
  private readonly events: ReceivedEvent[] = [];
  constructor(private readonly limit = EVENT_LOG_LIMIT) {}

  add(e: ReceivedEvent): void {
    this.events.push(e);
    if (this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
  }

  /** Newest first. */
  list(): ReceivedEvent[] {
    return [...this.events].reverse();
  }
}

/** Drains the inbox into `log` until stopped, calling `onEvent` for each event; a failed poll is reported and retried. */
export function startEventLogDrain(o: {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly log: LocalEventLog;
  readonly onEvent?: (e: ReceivedEvent) => void;
  readonly onError?: (e: Error) => void;
  /** Long poll per receive. @default 2 */
  readonly waitSeconds?: number;
}): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const e of await receiveEvents(o.sqs, o.queueUrl, o.waitSeconds ?? 2)) {
          o.log.add(e);
          o.onEvent?.(e);
        }
      } catch (e) {
        if (stopped) return;
        o.onError?.(e as Error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
