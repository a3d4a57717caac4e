import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { clientConfig, createClients, destroyClients, eventBridgeClient, type AwsClients, type ClientOptions } from "../../runtime/clients";
import { createEventInbox } from "../../local/event-log";
import { localCredentials, PARTS, type Part } from "../../local/identities";
import { startMoto, type MotoServer } from "../../local/moto";
import { provisionLocalResources, runtimeEnv, type LocalResources } from "../../local/provision";
import { loadApiSettings, loadNotifierSettings, loadWorkerSettings } from "../../runtime/settings";
import { localStackSettings } from "../../local/stack-settings";
import { loadDemoCatalog } from "../../local/catalog";
import { SETTING_DEFAULTS } from "../../runtime/contracts/defaults";
import { startTestStandIn, STRIPE_KEYS } from "./stripe";
import type { StripeStandIn } from "../../local/stripe-standin";
import { startViesStandIn, type ViesStandIn } from "../../local/vies-standin";
import type { SellerConfig, TaxConfig } from "../../components/environment";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // a known notice on Node 20, noise in test output
// Fake credentials: moto accepts any, and no test may ever reach a real account.
process.env.AWS_ACCESS_KEY_ID = "testing";
process.env.AWS_SECRET_ACCESS_KEY = "testing";
process.env.AWS_SESSION_TOKEN = "testing";
delete process.env.AWS_PROFILE;

export const REGION = "us-east-1";
/** The dev stack's sender: the IAM check judges every send by the dev stack's policy, which pins the From address to it. */
export const SENDER = localStackSettings("dev").sender;
export const LINK_BASE = "https://api.shop.example/test";
/** Receives of an orders-queue message before SQS moves it to the DLQ, in every test's resources. */
export const MAX_RECEIVE_COUNT = 3;

let shared: Promise<MotoServer> | undefined;
/** A stand-in shared by the whole test run: started on first use (on a free loopback port), closed at exit. */
function oncePerRun<T extends { close(): Promise<void> }>(start: () => Promise<T>): () => Promise<T> {
  let shared: Promise<T> | undefined;
  return () =>
    (shared ??= start().then((s) => {
      process.once("exit", () => void s.close());
      return s;
    }));
}

/** The Stripe stand-in of this test run; tests deliver its webhooks themselves. */
export const runStandIn = oncePerRun<StripeStandIn>(startTestStandIn);

/** The VIES stand-in of this test run. */
export const runViesStandIn = oncePerRun<ViesStandIn>(() => startViesStandIn());

/** The seller of every test: a Berlin GmbH with a VAT ID the VIES stand-in knows (DE123456788: right check digits). */
export const TEST_SELLER: SellerConfig = {
  name: "Acme Shop GmbH",
  address: "Hauptstr. 1|10115 Berlin|Germany",
  country: "DE",
  vatId: "DE123456788",
  taxNumber: "37/123/45678",
  register: "Amtsgericht Charlottenburg, HRB 123456 B",
  directors: "Erika Mustermann",
  email: "billing@shop.example",
};
/** The tests' tax settings unless a suite says otherwise: not OSS-registered, goods, VAT charged when VIES is silent. */
export const TEST_TAX: TaxConfig = { ossRegistered: false, supplyKind: "goods", vatCheckPolicy: "charge-vat" };

/** The moto_server of this test run: started once, on a free loopback port, stopped at exit. */
export function motoServer(): Promise<MotoServer> {
  shared ??= startMoto();
  return shared;
}

const partOfClient = new WeakMap<object, Part>(); // keyed by the client's config, which a Proxy or document client shares

/**
 * Clients that sign as one part's role (local/identities.ts). moto's call log keeps the signer, and
 * the IAM check (test/helpers/iam-check.ts) judges each recorded call by that role's policy.
 */
export function partClients(part: Part, opts: ClientOptions): AwsClients {
  const c = createClients(opts, localCredentials(part));
  for (const client of Object.values(c)) partOfClient.set(client.config, part);
  return c;
}

/** One SDK client of a part, built by `make` with the part's credentials (for a test that instruments its own client). */
export function partClient<C extends { config: object }>(
  part: Part,
  make: (credentials: { accessKeyId: string; secretAccessKey: string }) => C,
): C {
  const keys = localCredentials(part);
  const client = make({ accessKeyId: keys.AWS_ACCESS_KEY_ID, secretAccessKey: keys.AWS_SECRET_ACCESS_KEY });
  partOfClient.set(client.config, part);
  return client;
}

/**
 * Throws unless every AWS client among a handler's deps signs as `part`. A client of the test's own
 * (or of another part) would make the handler's calls under the wrong name, and the IAM check
 * would never judge them by the part's role.
 */
export function expectPartClients<D extends object>(part: Part, deps: D): D {
  for (const [name, value] of Object.entries(deps)) {
    const config = (value as { config?: unknown; send?: unknown } | undefined)?.config;
    if (typeof config !== "object" || config === null || typeof (value as { send?: unknown }).send !== "function") continue;
    const signer = partOfClient.get(config);
    if (signer !== part) {
      throw new Error(
        `${part} deps: '${name}' signs as ${signer ?? "the test itself"}, so the IAM check would not judge its calls by the ${part} role; ` +
          `use ctx.as["${part}"] (test/helpers/aws.ts)`,
      );
    }
  }
  return deps;
}

/** A fresh local AWS for one test: moto reset, resources created, clients and settings built. */
export interface LocalAws {
  moto: MotoServer;
  /** The test's own clients (setup and checks): calls not made by any part, never judged by a role. */
  clients: AwsClients;
  /** Each part's clients, signing as its role: what handlers under test are given. */
  as: Record<Part, AwsClients>;
  ddbRaw: DynamoDBClient;
  resources: LocalResources;
  env: Record<string, string>;
  /** The run's Stripe stand-in (the official SDK talks to it as to Stripe); the order API's env points at it. */
  stripe: StripeStandIn;
  /** The run's VIES stand-in; the order API's env points at it. */
  vies: ViesStandIn;
}

/**
 * Registers hooks that give every test of the enclosing describe a clean moto with the
 * pipeline's resources. Returns a holder filled before each test.
 */
export function useLocalAws(opts: { bucketEventsQueue?: boolean; tax?: Partial<TaxConfig>; catalog?: false } = {}): LocalAws {
  const ctx = {} as LocalAws;
  before(async function () {
    this.timeout(30000);
    ctx.moto = await motoServer();
    ctx.clients = createClients({ region: REGION, endpoint: ctx.moto.endpoint });
    ctx.as = Object.fromEntries(PARTS.map((p) => [p, partClients(p, { region: REGION, endpoint: ctx.moto.endpoint })])) as Record<
      Part,
      AwsClients
    >;
    ctx.ddbRaw = new DynamoDBClient({ region: REGION, endpoint: ctx.moto.endpoint });
    ctx.stripe = await runStandIn();
    ctx.vies = await runViesStandIn();
  });
  beforeEach(async () => {
    await ctx.moto.reset();
    ctx.resources = await provisionLocalResources(ctx.clients, ctx.ddbRaw, {
      prefix: "test",
      region: REGION,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      visibilityTimeoutSeconds: 30,
      sender: SENDER,
      bucketEventsQueue: opts.bucketEventsQueue ?? false,
      paymentKeys: { secretKey: STRIPE_KEYS.secretKey, webhookSecret: STRIPE_KEYS.webhookSecret }, // the run's stand-in knows these
    });
    // The shop's demo catalog (catalog/demo.json), as npm start loads it: every test order is priced from it.
    if (opts.catalog !== false) await loadDemoCatalog(ctx.clients.ddb, ctx.resources.table, new Date());
    ctx.env = runtimeEnv(ctx.resources, {
      region: REGION,
      endpoint: ctx.moto.endpoint,
      linkBaseUrl: LINK_BASE,
      seller: TEST_SELLER,
      tax: { ...TEST_TAX, ...opts.tax },
      viesApiBaseUrl: ctx.vies.url,
      payment: {
        shopCurrency: SETTING_DEFAULTS.shopCurrency,
        paymentProvider: SETTING_DEFAULTS.paymentProvider,
        paymentExpiryMinutes: SETTING_DEFAULTS.paymentExpiryMinutes,
        paymentApiBaseUrl: ctx.stripe.url,
      },
    });
  });
  after(() => {
    if (ctx.clients) destroyClients(ctx.clients);
    for (const c of Object.values(ctx.as ?? {})) destroyClients(c);
    ctx.ddbRaw?.destroy();
  });
  return ctx;
}

/** A part's environment: the runtime settings, and the part's credentials (for an entry factory or a worker process). */
export const partEnv = (ctx: LocalAws, part: Part): Record<string, string> => ({ ...ctx.env, ...localCredentials(part) });

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

/**
 * An ERP's rule on the test's bus: every business event type into a new queue (local/event-log.ts,
 * as the local pipeline's console has it); returns the queue's URL. Set up by the test, not by a part.
 */
export async function eventInbox(ctx: LocalAws, name = "erp-inbox"): Promise<string> {
  const events = eventBridgeClient(clientConfig({ region: REGION, endpoint: ctx.moto.endpoint }));
  try {
    return await createEventInbox(ctx.clients.sqs, events, ctx.resources.eventBus, name);
  } finally {
    events.destroy();
  }
}
