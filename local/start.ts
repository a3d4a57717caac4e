/**
 * `npm start`: the whole pipeline on this machine with moto_server as the AWS. See README.
 * Settings: PORT (3000), STACK (dev: whose Pulumi.<stack>.yaml supplies names and settings),
 * AWS_ENDPOINT_URL (use a running moto or LocalStack instead of starting moto_server),
 * SHOP_LOCAL_SESSION (where to write the session file that `npm run token` and `npm run demo` read).
 */
import { startLocalPipeline } from "./pipeline";
import { localStackSettings } from "./stack-settings";
import { MotoMissing } from "./moto";
import { removeSession, sessionOf, writeSession } from "./session";

async function main(): Promise<void> {
  const stack = process.env.STACK ?? "dev";
  const port = process.env.PORT ? Number(process.env.PORT) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${process.env.PORT}"`);
  const p = await startLocalPipeline({ port, endpoint: process.env.AWS_ENDPOINT_URL || undefined, stack: localStackSettings(stack) });
  writeSession(sessionOf(p));
  const banner = [
    "",
    "  shop-backend is running locally (no AWS account needed)",
    "",
    `  API        ${p.apiUrl}        (POST /orders, GET /orders, GET /orders/{id}, GET /invoices/{id}, GET /products, POST /webhooks/stripe;`,
    `                                           admins: /admin/orders, its credit-notes, cancel and resend, /admin/exports, /admin/products)`,
    `  OpenAPI    ${p.apiUrl}/openapi.json`,
    `  Console    ${p.consoleUrl}   (sign in, place orders, watch them, inbox, queues, DLQ redrive)`,
    `  Inbox      ${p.inboxUrl}   (the emails SES would have sent)`,
    `  Metrics    ${p.apiUrl}/_local/metrics   (what the stack's dashboard will show)`,
    `  Demo user  ${p.demoUser.email}   password ${p.demoUser.password}`,
    `  Admin      ${p.adminUser.email}   (in the shop-admins group: the console's "Orders (admin)"; npm run token -- --user ${p.adminUser.email})`,
    `  AWS        ${p.endpoint}   (moto_server)`,
    `  Stripe     ${p.stripe.url}   (stand-in: test cards pm_card_visa, pm_card_chargeDeclined, pm_card_threeDSecure2Required)`,
    `  VIES       ${p.vies.url}   (stand-in: FR32123456789 and ATU12345675 registered, IT01234560017 unanswered)`,
    "",
    "  Try it (in another terminal):",
    `    TOKEN=$(npm run --silent token)`,
    `    curl -s -X POST ${p.apiUrl}/orders -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
    `      -d '{"items":[{"sku":"MUG-01","quantity":2}],"shippingAddress":{"name":"Demo Customer","line1":"Main St 1","city":"Berlin","postalCode":"10115","country":"DE"},"billingAddress":"same-as-shipping","shipping":{"method":"standard"},"payment":{"provider":"stripe","paymentMethod":"pm_card_visa"}}'`,
    `    xdg-open ${p.consoleUrl}   # or paste the URL into a browser`,
    "    npm run token -- --user bob@example.com   # a token of a second local user (created on first use)",
    "    npm run demo          # 20 sample orders and a latency summary",
    "",
    "  Ctrl-C stops everything.",
    "",
  ];
  process.stdout.write(banner.join("\n") + "\n");
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the worker, the gateway and moto_server...\n`);
    await p.stop();
    removeSession();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((e) => {
  process.stderr.write(`\nnpm start failed: ${e instanceof MotoMissing ? e.message : ((e as Error).stack ?? e)}\n`);
  process.exit(1);
});
