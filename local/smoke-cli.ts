/** `npm run smoke -- [--stack dev|prod | --local] [--read-only]`: see local/smoke.ts. */
import { execFileSync } from "node:child_process";
import { parseSmokeArgs, runReadOnlySmoke, runSmoke, smokeEmail, type SmokeTarget } from "./smoke";
import { readSession } from "./session";
import { readStackConfigFile } from "./stack-settings";
import { parseStackConfig } from "../components/config";

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const args = parseSmokeArgs(process.argv.slice(2));
  let target: SmokeTarget;
  if ("local" in args.target) {
    const s = readSession();
    target = {
      apiUrl: s.apiUrl,
      region: s.region,
      userPoolId: s.poolId,
      clientId: s.clientId,
      queueUrl: s.queues.orders,
      table: s.table,
      expectedRelease: s.workerRelease,
      endpoint: s.endpoint,
      signIn: "user",
      email: smokeEmail(true),
      inboxUrl: s.inboxUrl,
      timeoutSeconds: args.timeoutSeconds ?? 60,
    };
  } else {
    const stack = args.target.stack;
    const out = JSON.parse(execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8" })) as Record<
      string,
      string
    >;
    const config = parseStackConfig(readStackConfigFile(stack), stack);
    target = {
      apiUrl: out.apiUrl,
      region: config.region,
      userPoolId: out.userPoolId,
      clientId: out.userPoolClientId,
      queueUrl: out.queueUrl,
      table: out.tableName,
      expectedRelease: out.workerRelease,
      signIn: config.api.passwordSignIn ? "user" : "admin",
      email: smokeEmail(false),
      timeoutSeconds: args.timeoutSeconds ?? 600,
    };
  }
  const print = (line: string) => process.stdout.write(`smoke: ${line}\n`);
  if (args.readOnly) {
    const r = await runReadOnlySmoke(target, print);
    print(`OK read-only (probe ${r.probeId} recorded after ${r.probeAfterSeconds} s; no order, invoice number, PDF or email made)`);
  } else {
    const r = await runSmoke(target, print);
    print(`OK (${r.orderId}, NOTIFIED after ${r.notifiedAfterSeconds} s, PDF ${r.pdfBytes} bytes)`);
  }
}

main().catch((e) => {
  process.stderr.write(`smoke: FAILED: ${(e as Error).message}\n`);
  process.exit(1);
});
