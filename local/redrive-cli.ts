/**
 * `npm run redrive -- --queue dlq|email-failures [--stack dev|prod | --local]`: moves the orders
 * DLQ back onto the orders queue, or re-invokes the function that failed each event (the email
 * notifier, or the email events handler) with it. A
 * deployed stack's queues come from `pulumi stack output`; `--local` uses the running `npm start`.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { parseRedriveArgs, redrive, toLambda, toLocalFunctions, toQueue, type Deliver } from "./redrive";
import { LOCAL_FUNCTION_ARNS } from "./notifier-driver";
import { localAwsConfig, readSession } from "./session";
import { deployedStack } from "./stack-settings";

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const args = parseRedriveArgs(process.argv.slice(2));
  let sqs: SQSClient;
  let from: string;
  let deliver: Deliver;
  const done: (() => void)[] = [];
  if ("local" in args.target) {
    const s = readSession();
    sqs = new SQSClient(localAwsConfig(s));
    from = args.queue === "dlq" ? s.queues.dlq : s.queues.emailFailures;
    deliver =
      args.queue === "dlq"
        ? toQueue(sqs, s.queues.orders)
        : toLocalFunctions(sqs, {
            [LOCAL_FUNCTION_ARNS.notifier]: s.queues.notifierEvents,
            [LOCAL_FUNCTION_ARNS.emailEvents]: s.queues.emailEvents,
          });
  } else {
    const { outputs: out, region } = deployedStack(args.target.stack);
    sqs = new SQSClient({ region });
    from = args.queue === "dlq" ? out.deadLetterQueueUrl : out.emailFailureQueueUrl;
    if (args.queue === "dlq") deliver = toQueue(sqs, out.queueUrl);
    else {
      const lambda = new LambdaClient({ region });
      done.push(() => lambda.destroy());
      // Each failed event back to the function that failed it: the notifier, or the email events handler.
      deliver = toLambda(lambda, [out.notifierFunctionName, out.emailEventsFunctionName]);
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
