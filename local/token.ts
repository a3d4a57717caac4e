/** `npm run token`: prints a fresh ID token of the local demo user (for `Authorization: Bearer`). */
import { demoUserToken, readSession } from "./session";

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  process.stdout.write((await demoUserToken(readSession())) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
