import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { z } from "zod";
import { OrderStore, type OrderRecord } from "../runtime/domain/store";
import { invoiceKey } from "../runtime/contracts/env";
import { isOrderId } from "../runtime/domain/ids";

/**
 * The back office's re-send of an invoice email, to a corrected address (`npm run resend`): the
 * order goes back to the notifier, which mails the invoice as it did the first time (its claim,
 * its link, its configuration set), only to the new address; SES's events for the new email then
 * tell the order how it went. The first email stays on record as an earlier one.
 */

/** Hands an order's invoice to the notifier again (it then reads the order and mails it). */
export type Notify = (orderId: string) => Promise<void>;

/** Why a re-send was refused; nothing was changed. */
export class ResendRefused extends Error {
  override name = "ResendRefused";
}

/** What the re-send changed. */
export interface ResendResult {
  readonly orderId: string;
  readonly to: string;
  /** The email it replaces, and what SES had reported for it. */
  readonly previous: { readonly messageId?: string; readonly to: string; readonly status?: string; readonly reason?: string };
}

/** Where the order's email went last: the corrected address, or the customer's. */
export const recipientOf = (rec: OrderRecord): string => rec.emailTo ?? rec.order.customer.email;

/**
 * Re-sends an emailed (NOTIFIED) order's invoice to `to`: reopens it for the notifier and hands it
 * over. Refuses an order that does not exist or was not emailed yet (its email is still on its
 * way), and a re-send to an address that complained (marked the invoice as spam).
 */
export async function resendInvoice(store: OrderStore, orderId: string, to: string, now: Date, notify: Notify): Promise<ResendResult> {
  const rec = await store.get(orderId);
  if (!rec) throw new ResendRefused(`there is no order ${orderId}`);
  if (rec.status !== "NOTIFIED")
    throw new ResendRefused(
      `order ${orderId} is ${rec.status}: its invoice was not emailed yet, so there is nothing to re-send (an email that failed every attempt waits in the email failure queue: npm run redrive -- --queue email-failures)`,
    );
  const previous = { messageId: rec.emailMessageId, to: recipientOf(rec), status: rec.emailStatus, reason: rec.emailFailure?.reason };
  if (rec.emailFailure?.event === "Complaint" && to.toLowerCase() === previous.to.toLowerCase())
    throw new ResendRefused(`the recipient of order ${orderId} marked its invoice email as spam: do not mail that address again`);
  if (!(await store.reopenForResend(rec, to, now))) throw new ResendRefused(`order ${orderId} changed meanwhile: run the re-send again`);
  await notify(orderId);
  return { orderId, to, previous };
}

/** The S3 notification of an invoice PDF, as S3 sends it when the worker stores it: what the notifier acts on. */
export function invoiceCreatedEvent(bucket: string, orderId: string, region: string, now = new Date()) {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: region,
        eventTime: now.toISOString(),
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          // S3 form-encodes keys, "/" included.
          object: { key: encodeURIComponent(invoiceKey(orderId)) },
        },
      },
    ],
  };
}

/** Invokes the deployed notifier asynchronously with the invoice's S3 event (lambda:InvokeFunction). */
export const notifyLambda =
  (lambda: LambdaClient, functionName: string, bucket: string, region: string): Notify =>
  async (orderId) => {
    const r = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "Event",
        Payload: Buffer.from(JSON.stringify(invoiceCreatedEvent(bucket, orderId, region))),
      }),
    );
    if (r.StatusCode !== 202) throw new Error(`Lambda answered ${r.StatusCode} to the asynchronous invocation`);
  };

/** Hands the invoice's S3 event to the local pipeline's notifier driver (its event queue). */
export const notifyLocal =
  (sqs: SQSClient, notifierEventsUrl: string, bucket: string, region: string): Notify =>
  async (orderId) => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: notifierEventsUrl, MessageBody: JSON.stringify(invoiceCreatedEvent(bucket, orderId, region)) }),
    );
  };

/** The command line of `npm run resend`. */
export interface ResendArgs {
  readonly orderId: string;
  readonly to: string;
  readonly target: { readonly local: true } | { readonly stack: string };
}

const USAGE = "usage: npm run resend -- --order ORDER_ID --to NEW@ADDRESS [--stack dev|prod | --local]";

/** Parses `--order ID --to ADDRESS (--stack NAME | --local)`; throws with the usage on anything else. */
export function parseResendArgs(argv: readonly string[]): ResendArgs {
  let orderId: string | undefined;
  let to: string | undefined;
  let stack: string | undefined;
  let local = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--order") orderId = argv[++i];
    else if (a === "--to") to = argv[++i];
    else if (a === "--stack") stack = argv[++i];
    else if (a === "--local") local = true;
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  if (!isOrderId(orderId)) throw new Error(`--order needs an order id (ord_...)\n${USAGE}`);
  if (!to || !z.string().email().safeParse(to).success) throw new Error(`--to needs an email address\n${USAGE}`);
  if (local && stack) throw new Error(`give --stack or --local, not both\n${USAGE}`);
  if (stack !== undefined && !/^[A-Za-z0-9_-]+$/.test(stack)) throw new Error(`--stack needs a stack name\n${USAGE}`);
  return { orderId, to, target: local ? { local: true } : { stack: stack ?? "dev" } };
}
