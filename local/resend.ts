import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { z } from "zod";
import { isOrderId } from "../runtime/domain/ids";
import { invoiceCreatedEvent, type Notify } from "../runtime/invoices/resend";

/**
 * The back office's re-send of an invoice email, to a corrected address (`npm run resend`): the logic is
 * the admin route's (runtime/invoices/resend.ts); here are the two ways to reach the notifier.
 */
export { invoiceCreatedEvent, recipientOf, resendInvoice, ResendRefused, type Notify, type ResendResult } from "../runtime/invoices/resend";

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
