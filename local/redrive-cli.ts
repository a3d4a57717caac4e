/**
 * `npm run redrive -- --queue dlq|email-failures [--stack dev|prod | --local]`: moves the orders
 * DLQ back onto the orders queue, or re-invokes the email notifier with each failed event. A
 * deployed stack's queues come from `pulumi stack output`; `--local` uses the running `npm start`.
 */
import { execFileSync } from "node:child_process";
import { SQSClient } from "@aws-sdk/client-sqs";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { parseRedriveArgs, redrive, toLambda, toLocalNotifier, toQueue, type Deliver } from "./redrive";
import { readSession } from "./session";
import { readStackConfigFile } from "./stack-settings";

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const args = parseRedriveArgs(process.argv.slice(2));
  let sqs: SQSClient;
  let from: string;
  let deliver: Deliver;
  const done: (() => void)[] = [];
  if ("local" in args.target) {
    const s = readSession();
    const local = { region: s.region, endpoint: s.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    sqs = new SQSClient(local);
    from = args.queue === "dlq" ? s.queues.dlq : s.queues.emailFailures;
    deliver = args.queue === "dlq" ? toQueue(sqs, s.queues.orders) : toLocalNotifier(sqs, s.queues.notifierEvents);
  } else {
    const stack = args.target.stack;
    const out = JSON.parse(execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8" })) as Record<
      string,
      string
    >;
    const region = String(readStackConfigFile(stack)["aws:region"]);
    sqs = new SQSClient({ region });
    from = args.queue === "dlq" ? out.deadLetterQueueUrl : out.emailFailureQueueUrl;
    if (args.queue === "dlq") deliver = toQueue(sqs, out.queueUrl);
    else {
      const lambda = new LambdaClient({ region });
      done.push(() => lambda.destroy());
      deliver = toLambda(lambda, out.notifierFunctionName);
    }
  }
  const r = await redrive(sqs, from, deliver, (msg, f) => process.stderr.write(`${msg} ${JSON.stringify(f ?? {})}\n`));
  sqs.destroy();
  for (const d of done) d();
  process.stdout.write(`redrive ${args.queue}: ${r.moved} moved, ${r.failed} left in the queue\n`);
  if (r.failed) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
