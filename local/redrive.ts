import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { z } from "zod";

/**
 * Moves what waits in a failure queue back to where it is worked on: the orders DLQ back onto the
 * orders queue, a failed email event back to the email notifier. A message is deleted only after
 * its delivery succeeded; one that fails stays (visible again after VISIBILITY_SECONDS).
 */

/** Which failure queue to redrive. */
export type RedriveQueue = "dlq" | "email-failures";
/** Hides each message this long while it is delivered; a failed delivery leaves it for the next run. */
const VISIBILITY_SECONDS = 60;

/** What one redrive did. */
export interface RedriveResult {
  readonly moved: number;
  readonly failed: number;
}

/** Delivers one message body; throws to leave the message where it is. */
export type Deliver = (body: string) => Promise<void>;

/** Drains `from` through `deliver` until a receive comes back empty. */
export async function redrive(
  sqs: SQSClient,
  from: string,
  deliver: Deliver,
  log: (msg: string, fields?: Record<string, unknown>) => void = () => undefined,
): Promise<RedriveResult> {
  let moved = 0;
  let failed = 0;
  for (;;) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: from, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: VISIBILITY_SECONDS }),
    );
    if (!r.Messages?.length) return { moved, failed };
    for (const m of r.Messages) {
      try {
        await deliver(m.Body ?? "");
        await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: m.ReceiptHandle! }));
        moved++;
      } catch (e) {
        failed++;
        log("could not redrive a message; it stays in the queue", { messageId: m.MessageId, error: (e as Error).message });
      }
    }
  }
}

/** Sends the body unchanged to a queue (orders DLQ -> orders queue). */
export const toQueue =
  (sqs: SQSClient, queueUrl: string): Deliver =>
  async (body) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  };

/** The part of Lambda's on-failure record that redrive needs: the function that failed and its event. */
const onFailureRecordSchema = () =>
  z
    .object({
      requestContext: z.object({ condition: z.string(), functionArn: z.string() }).passthrough(),
      requestPayload: z.unknown(),
    })
    .passthrough();

/** The function that failed (its ARN, as Lambda names it) and the event it failed on; throws on anything else. */
export function failedInvocation(body: string): { functionArn: string; event: unknown } {
  const parsed = onFailureRecordSchema().safeParse(JSON.parse(body));
  if (!parsed.success || parsed.data.requestPayload === undefined)
    throw new Error("not a Lambda on-failure record (requestContext and requestPayload expected)");
  return { functionArn: parsed.data.requestContext.functionArn, event: parsed.data.requestPayload };
}

/** The original event inside an on-failure record; throws on anything else. */
export const failedEvent = (body: string): unknown => failedInvocation(body).event;

/** The name of the function an ARN names (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`), or the ARN itself. */
const functionName = (arn: string) => (arn.startsWith("arn:") ? (arn.split(":")[6] ?? arn) : arn);

/**
 * Which of the stack's functions failed the event: the one the record names. The email failure
 * queue takes both the notifier's and the email events handler's failures, so the record, not the
 * queue, says where an event goes back to; a record of any other function is refused.
 */
export function failedFunctionOf(body: string, functions: readonly string[]): string {
  const name = functionName(failedInvocation(body).functionArn);
  if (!functions.includes(name)) throw new Error(`the record names ${name}, not a function of this stack (${functions.join(", ")})`);
  return name;
}

/** Re-invokes the deployed function that failed, asynchronously, with the recorded event (lambda:InvokeFunction). */
export const toLambda =
  (lambda: LambdaClient, functions: readonly string[]): Deliver =>
  async (body) => {
    const r = await lambda.send(
      new InvokeCommand({
        FunctionName: failedFunctionOf(body, functions),
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify(failedEvent(body))),
      }),
    );
    if (r.StatusCode !== 202) throw new Error(`Lambda answered ${r.StatusCode} to the asynchronous invocation`);
  };

/** Hands the recorded event back to the local driver of the function that failed it (its event queue, by the record's function). */
export const toLocalFunctions =
  (sqs: SQSClient, queueOf: Readonly<Record<string, string>>): Deliver =>
  async (body) => {
    const queueUrl = queueOf[failedFunctionOf(body, Object.keys(queueOf))];
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(failedEvent(body)) }));
  };

/** The command line of `npm run redrive`. */
export interface RedriveArgs {
  readonly queue: RedriveQueue;
  readonly target: { readonly local: true } | { readonly stack: string };
}

/** Parses `--queue dlq|email-failures (--stack NAME | --local)`; throws with the usage on anything else. */
export function parseRedriveArgs(argv: readonly string[]): RedriveArgs {
  const usage = "usage: npm run redrive -- --queue dlq|email-failures [--stack dev|prod | --local]";
  let queue: string | undefined;
  let stack: string | undefined;
  let local = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--queue") queue = argv[++i];
    else if (a === "--stack") stack = argv[++i];
    else if (a === "--local") local = true;
    else throw new Error(`unknown argument "${a}"\n${usage}`);
  }
  if (queue !== "dlq" && queue !== "email-failures") throw new Error(`--queue must be dlq or email-failures\n${usage}`);
  if (local && stack) throw new Error(`give --stack or --local, not both\n${usage}`);
  if (stack !== undefined && !/^[A-Za-z0-9_-]+$/.test(stack)) throw new Error(`--stack needs a stack name\n${usage}`);
  return { queue, target: local ? { local: true } : { stack: stack ?? "dev" } };
}
