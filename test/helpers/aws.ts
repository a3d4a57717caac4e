import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createClients, destroyClients, type AwsClients } from "../../runtime/clients";
import { startMoto, type MotoServer } from "../../local/moto";
import { provisionLocalResources, runtimeEnv, type LocalResources } from "../../local/provision";
import { loadApiSettings, loadNotifierSettings, loadWorkerSettings } from "../../runtime/settings";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // a known notice on Node 20, noise in test output
// Fake credentials: moto accepts any, and no test may ever reach a real account.
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";
process.env.AWS_SESSION_TOKEN = "testing";
delete process.env.AWS_PROFILE;

export const REGION = "us-east-1";
export const SENDER = "invoices@shop.example";
export const LINK_BASE = "https://api.shop.example/test";

let shared: Promise<MotoServer> | undefined;

/** The moto_server of this test run: started once, on a free loopback port, stopped at exit. */
export function motoServer(): Promise<MotoServer> {
  shared ??= startMoto();
  return shared;
}

/** A fresh local AWS for one test: moto reset, resources created, clients and settings built. */
export interface LocalAws {
  moto: MotoServer;
  clients: AwsClients;
  ddbRaw: DynamoDBClient;
  resources: LocalResources;
  env: Record<string, string>;
}

/**
 * Registers hooks that give every test of the enclosing describe a clean moto with the
 * pipeline's resources. Returns a holder filled before each test.
 */
export function useLocalAws(opts: { bucketEventsQueue?: boolean; taxRateBps?: number } = {}): LocalAws {
  const ctx = {} as LocalAws;
  before(async function () {
    this.timeout(30000);
    ctx.moto = await motoServer();
    ctx.clients = createClients({ region: REGION, endpoint: ctx.moto.endpoint });
    ctx.ddbRaw = new DynamoDBClient({ region: REGION, endpoint: ctx.moto.endpoint });
  });
  beforeEach(async () => {
    await ctx.moto.reset();
    ctx.resources = await provisionLocalResources(ctx.clients, ctx.ddbRaw, {
      prefix: "test",
      region: REGION,
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 30,
      sender: SENDER,
      bucketEventsQueue: opts.bucketEventsQueue ?? false,
    });
    ctx.env = runtimeEnv(ctx.resources, {
      region: REGION,
      endpoint: ctx.moto.endpoint,
      linkBaseUrl: LINK_BASE,
      taxRateBps: opts.taxRateBps ?? 2000,
      seller: { name: "Acme Shop GmbH", address: "Hauptstr. 1|10115 Berlin|Germany", taxId: "DE123456789", email: "billing@shop.example" },
    });
  });
  after(() => {
    if (ctx.clients) destroyClients(ctx.clients);
    ctx.ddbRaw?.destroy();
  });
  return ctx;
}

/** Settings of each part, built from a LocalAws env exactly as the processes would. */
export const settingsOf = (ctx: LocalAws) => ({
  api: loadApiSettings(ctx.env),
  worker: loadWorkerSettings({ ...ctx.env, WORKER_WAIT_SECONDS: "1" }),
  notifier: loadNotifierSettings(ctx.env),
});

/**
 * A session file as `npm start` writes it, for the operator CLIs (`--local`) to find this test's
 * local AWS: this process stands in for npm start. Returns the file and a cleanup.
 */
export function writeTestSession(ctx: LocalAws): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-session-"));
  const file = path.join(dir, "session.json");
  const r = ctx.resources;
  fs.writeFileSync(
    file,
    JSON.stringify({
      endpoint: ctx.moto.endpoint,
      region: REGION,
      pid: process.pid,
      table: r.table,
      bucket: r.bucket,
      queues: {
        orders: r.queueUrl,
        dlq: r.dlqUrl,
        emailFailures: r.emailFailureQueueUrl,
        notifierEvents: r.bucketEventsQueueUrl,
        emailEvents: r.emailEventsQueueUrl,
      },
    }),
  );
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
