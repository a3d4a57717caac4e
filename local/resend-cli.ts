/**
 * `npm run resend -- --order ORDER_ID --to NEW@ADDRESS [--stack dev|prod | --local]`: emails an
 * order's invoice again, to a corrected address (after a bounce), through the notifier. A deployed
 * stack's table, bucket and notifier come from `pulumi stack output`; `--local` uses the running
 * `npm start`. Waits up to a minute for the notifier to record the new email and prints its id.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { OrderStore } from "../runtime/domain/store";
import { notifyLambda, notifyLocal, parseResendArgs, resendInvoice, type Notify } from "./resend";
import { localAwsConfig, readSession } from "./session";
import { deployedStack } from "./stack-settings";

/** How long to wait for the notifier to record the new email. */
const WAIT_MS = 60_000;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const args = parseResendArgs(process.argv.slice(2));
  let ddbRaw: DynamoDBClient;
  let table: string;
  let notify: Notify;
  const done: (() => void)[] = [];
  if ("local" in args.target) {
    const s = readSession();
    ddbRaw = new DynamoDBClient(localAwsConfig(s));
    const sqs = new SQSClient(localAwsConfig(s));
    done.push(() => sqs.destroy());
    table = s.table;
    notify = notifyLocal(sqs, s.queues.notifierEvents, s.bucket, s.region);
  } else {
    const { outputs: out, region } = deployedStack(args.target.stack);
    ddbRaw = new DynamoDBClient({ region });
    const lambda = new LambdaClient({ region });
    done.push(() => lambda.destroy());
    table = out.tableName;
    notify = notifyLambda(lambda, out.notifierFunctionName, out.bucketName, region);
  }
  const store = new OrderStore(DynamoDBDocumentClient.from(ddbRaw), table);
  try {
    const r = await resendInvoice(store, args.orderId, args.to, new Date(), notify);
    const was = r.previous.reason ? `${r.previous.status}: ${r.previous.reason}` : (r.previous.status ?? "no outcome reported");
    process.stdout.write(`resend ${r.orderId}: handed to the notifier for ${r.to} (the email to ${r.previous.to} was ${was})\n`);
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const rec = await store.get(r.orderId);
      if (rec?.status === "NOTIFIED") {
        process.stdout.write(`resend ${r.orderId}: sent to ${rec.emailTo}, SES message id ${rec.emailMessageId}\n`);
        break;
      }
      if (Date.now() > deadline) {
        process.stdout.write(
          `resend ${r.orderId}: not NOTIFIED within ${WAIT_MS / 1000} s; read the notifier's log (saved query 'Follow one order')\n`,
        );
        process.exitCode = 1;
        break;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  } finally {
    ddbRaw.destroy();
    for (const d of done) d();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
