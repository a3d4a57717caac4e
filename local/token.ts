/**
 * `npm run token`: prints a fresh ID token of the local demo user (for `Authorization: Bearer`).
 * `npm run token -- --user bob@example.com`: of another local user, created on first use.
 */
import { demoUserToken, readSession, userToken } from "./session";

/** The --user address of the command line, if any. */
export function userArg(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => a === "--user" || a.startsWith("--user="));
  if (i < 0) return undefined;
  const value = argv[i].includes("=") ? argv[i].slice("--user=".length) : argv[i + 1];
  if (!value || value.startsWith("--")) throw new Error("--user needs an email address, e.g. npm run token -- --user bob@example.com");
  return value;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const user = userArg(process.argv.slice(2));
  const session = readSession();
  const demo = session.demoUser.email;
  process.stdout.write((await (user && user !== demo ? userToken(session, user) : demoUserToken(session))) + "\n");
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}
