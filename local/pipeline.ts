import type { APIGatewayProxyResult } from "aws-lambda";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { createClients, destroyClients } from "../runtime/clients";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createOrderApiHandler } from "../runtime/lambda/order-api";
import { createEmailNotifierHandler } from "../runtime/lambda/email-notifier";
import { startMoto, type MotoServer } from "./moto";
import { provisionLocalResources, runtimeEnv, type LocalResources } from "./provision";
import {
  LOCAL_ADMIN_EMAIL,
  addLocalAdmin,
  cognitoVerifier,
  createLocalUser,
  createLocalUserPool,
  localUserToken,
  signIn,
  type LocalUser,
  type LocalUserPool,
} from "./auth";
import { startGateway } from "./gateway";
import { LOCAL_FUNCTION_ARNS, notifierSchedule, startNotifierDriver, type NotifierSchedule } from "./notifier-driver";
import { startSesEventPublisher } from "./ses-events";
import { createEmailEventsHandler } from "../runtime/lambda/email-events";
import { LocalInbox, inboxHtml } from "./inbox";
import { consoleRoutes } from "./console";
import { createEventInbox, LocalEventLog, startEventLogDrain, type ReceivedEvent } from "./event-log";
import { formatLogLine } from "./logfmt";
import { LocalMetrics, localLogWriter } from "./metrics";
import { spawnWorkerProcess } from "./worker-process";
import { ENV } from "../runtime/contracts/env";
import { localCredentials, type Part } from "./identities";
import type { LocalStackSettings } from "./stack-settings";
import { DEMO_CATALOG_FILE, loadDemoCatalog } from "./catalog";
import { EXPIRE_PAYMENTS_TASK } from "../runtime/contracts/payments";
import { startStripeStandIn, type StripeStandIn } from "./stripe-standin";
import { startViesStandIn, type ViesStandIn } from "./vies-standin";

/** moto's default account: the account the local SES events claim to come from. */
const LOCAL_ACCOUNT_ID = "123456789012";
/** The checked-in OpenAPI document (`npm run openapi`), served at /openapi.json. */
const OPENAPI_FILE = path.resolve(__dirname, "..", "openapi", "openapi.json");

/** Options of the local pipeline. */
export interface LocalPipelineOptions {
  /** Port of the local API gateway; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Host to bind. @default "127.0.0.1" */
  readonly host?: string;
  /** An AWS endpoint already running (moto, LocalStack); when unset, a moto_server is started and owned. */
  readonly endpoint?: string;
  /** The stack settings the Pulumi program would use (names, redrive, tax, seller). */
  readonly stack: LocalStackSettings;
  /** Where formatted log lines go. @default stdout */
  readonly print?: (line: string) => void;
  /** Extra runtime settings for every part (e.g. shorter worker budgets in fault tests). @default none */
  readonly env?: Record<string, string>;
  /**
   * How many times faster than Lambda the notifier's retries run, and its claim lease with them (see
   * notifierSchedule). @default 1: Lambda's own schedule, retries 1 and 2 minutes after a failure, lease 120 s
   */
  readonly notifierSpeedup?: number;
  /**
   * How often the payment sweep runs (the stack's EventBridge schedule: expired orders, unsent PAID
   * orders). @default 60 s locally (the stack: every 5 minutes)
   */
  readonly paymentSweepSeconds?: number;
  /** How the Stripe stand-in runs: its webhook redelivery backoff, and a front the order API reaches it through (a fault gate). */
  readonly paymentStandIn?: {
    readonly webhookBackoffMs?: number;
    /** Delivery attempts per event before the stand-in gives up (Stripe keeps trying for up to three days). @default the stand-in's */
    readonly webhookAttempts?: number;
    readonly front?: (standInUrl: string) => Promise<{ readonly url: string; close(): Promise<void> }>;
  };
}

/** The stand-in's publishable key (a browser confirms a payment with it and the client secret). */
export const LOCAL_PUBLISHABLE_KEY = "pk_test_local_shopbackend";

/** A running local pipeline. */
export interface LocalPipeline {
  /** The payment provider's stand-in (Stripe's HTTP API), its 3-D Secure page and its webhook deliveries. */
  readonly stripe: StripeStandIn;
  /** The VAT ID service's stand-in (VIES's REST API). */
  readonly vies: ViesStandIn;
  readonly apiUrl: string;
  readonly inboxUrl: string;
  /** The local console page. */
  readonly consoleUrl: string;
  readonly endpoint: string;
  readonly region: string;
  readonly pool: LocalUserPool;
  readonly demoUser: LocalUser;
  /** A member of the shop admins' group (ADMIN_GROUP): the console's admin view signs in as this user. */
  readonly adminUser: LocalUser;
  readonly resources: LocalResources;
  /** The worker's runtime environment, signed as the worker (to start more worker processes). */
  readonly env: Record<string, string>;
  /** The business metrics the parts emitted (EMF lines), as GET /_local/metrics shows them. */
  readonly metrics: LocalMetrics;
  /** The business events the parts published on the local bus, as GET /_local/api/events shows them. */
  readonly events: LocalEventLog;
  /** When the notifier retries a failed event and how long its email claim lasts. */
  readonly notifierSchedule: NotifierSchedule;
  /** The worker's WORKER_RELEASE (the stack's is a hash of its task definition): `npm run smoke -- --read-only` checks who answered. */
  readonly workerRelease: string;
  /** Pids of the processes the pipeline started (moto_server when owned, the worker). */
  readonly pids: { moto?: number; worker: number };
  /** Stops every part and the moto_server it started. */
  stop(): Promise<void>;
}

/** Brings up the whole pipeline on this machine: AWS (moto), gateway, worker process, notifier. */
export async function startLocalPipeline(o: LocalPipelineOptions): Promise<LocalPipeline> {
  const print = o.print ?? ((l: string) => process.stdout.write(l + "\n"));
  const sys = (msg: string, fields?: Record<string, unknown>) =>
    print(formatLogLine(JSON.stringify({ time: new Date().toISOString(), part: "local", msg, ...fields }), "local"));
  const s = o.stack;
  if (o.env?.[ENV.notifyClaimLeaseSeconds] !== undefined) {
    throw new Error(
      `startLocalPipeline: env.${ENV.notifyClaimLeaseSeconds} is derived from Lambda's schedule; set notifierSpeedup instead`,
    );
  }
  const schedule = notifierSchedule(o.notifierSpeedup);
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    // moto accepts any credentials; never let the local pipeline pick up real ones.
    const creds = { ...localCredentials("local"), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
    Object.assign(process.env, creds);
    let moto: MotoServer | undefined;
    let endpoint = o.endpoint;
    if (!endpoint) {
      moto = await startMoto();
      cleanups.push(() => moto!.stop());
      endpoint = moto.endpoint;
      sys("moto_server started", { endpoint, pid: moto.pid });
    } else sys("using the AWS endpoint from AWS_ENDPOINT_URL", { endpoint });

    const clients = createClients({ region: s.region, endpoint });
    const ddbRaw = new DynamoDBClient({ region: s.region, endpoint });
    const cognito = new CognitoIdentityProviderClient({ region: s.region, endpoint });
    const eventBridge = new EventBridgeClient({ region: s.region, endpoint });
    cleanups.push(() => {
      destroyClients(clients);
      ddbRaw.destroy();
      cognito.destroy();
      eventBridge.destroy();
    });

    // A run id keeps names unique when an external endpoint already holds an earlier run.
    const prefix = `${s.prefix}-${randomBytes(3).toString("hex")}`;
    const resources = await provisionLocalResources(clients, ddbRaw, {
      prefix,
      region: s.region,
      maxReceiveCount: s.maxReceiveCount,
      visibilityTimeoutSeconds: s.visibilityTimeoutSeconds,
      sender: s.sender,
      bucketEventsQueue: true,
      retention: s.retention,
    });
    // What an ERP's rule on the bus would get: every event the parts publish, kept for the console and printed.
    const events = new LocalEventLog();
    const eventInbox = await createEventInbox(clients.sqs, eventBridge, resources.eventBus, `${prefix}-event-inbox`);
    const eventDrain = startEventLogDrain({
      sqs: clients.sqs,
      queueUrl: eventInbox,
      log: events,
      onEvent: (e) => print(formatLogLine(eventLogLine(e), "events")),
      onError: (e) => sys("could not read the business events' queue; retrying", { error: e.message }),
    });
    cleanups.push(() => eventDrain.stop());
    const demoCatalog = await loadDemoCatalog(clients.ddb, resources.table, new Date());
    sys(demoCatalog === "kept" ? "catalog has products: demo catalog not loaded" : "demo catalog loaded", {
      file: path.relative(process.cwd(), DEMO_CATALOG_FILE),
    });
    const pool = await createLocalUserPool(cognito, endpoint, s.region, prefix);
    const demoUser: LocalUser = {
      email: "demo@shop.example",
      name: "Demo Customer",
      password: `Demo-${randomBytes(9).toString("base64url")}1a`,
    };
    await createLocalUser(cognito, pool, demoUser);
    const adminUser: LocalUser = {
      email: LOCAL_ADMIN_EMAIL,
      name: "Shop Admin (local)",
      password: `Admin-${randomBytes(9).toString("base64url")}1a`,
    };
    await createLocalUser(cognito, pool, adminUser);
    await addLocalAdmin(cognito, pool, adminUser.email);
    sys("resources created", {
      table: resources.table,
      queue: resources.queueUrl.split("/").pop(),
      bucket: resources.bucket,
      userPool: pool.poolId,
    });

    // Stripe, locally: the official SDK talks to a stand-in speaking Stripe's HTTP API with the run's keys,
    // which delivers signed webhooks to the gateway's POST /webhooks/stripe, as Stripe does to the stack's.
    let webhookUrl: string | undefined;
    const stripe = await startStripeStandIn({
      ...resources.paymentKeys,
      publishableKey: LOCAL_PUBLISHABLE_KEY,
      webhookUrl: () => webhookUrl,
      ...(o.paymentStandIn?.webhookBackoffMs !== undefined ? { webhookBackoffMs: o.paymentStandIn.webhookBackoffMs } : {}),
      ...(o.paymentStandIn?.webhookAttempts !== undefined ? { webhookAttempts: o.paymentStandIn.webhookAttempts } : {}),
    });
    cleanups.push(() => stripe.close());
    const front = o.paymentStandIn?.front ? await o.paymentStandIn.front(stripe.url) : undefined;
    if (front) cleanups.push(() => front.close());
    const paymentApiUrl = front?.url ?? stripe.url;
    sys("payment provider stand-in started", { url: stripe.url });
    // VIES, locally: the same REST API the EU runs, over made-up VAT IDs (local/vies-standin.ts lists them).
    const vies = await startViesStandIn();
    cleanups.push(() => vies.close());
    sys("VAT ID service (VIES) stand-in started", { url: vies.url });

    // The gateway listens first: its URL is the base of the emailed invoice links.
    let apiHandler: ReturnType<typeof createOrderApiHandler> | undefined;
    const inbox = new LocalInbox(endpoint);
    const metrics = new LocalMetrics();
    const verify = await cognitoVerifier(pool);
    const consolePage = consoleRoutes({
      sqs: clients.sqs,
      ddb: clients.ddb,
      table: resources.table,
      queueUrl: resources.queueUrl,
      dlqUrl: resources.dlqUrl,
      demoEmail: demoUser.email,
      adminEmail: adminUser.email,
      signInAs: (email) =>
        email === demoUser.email ? signIn(cognito, pool, email, demoUser.password) : localUserToken(cognito, pool, email),
      emailsSent: async () => (await inbox.list()).length,
      events: () => events.list(),
    });
    const gateway = await startGateway({
      host: o.host ?? "127.0.0.1",
      port: o.port ?? 3000,
      stage: s.stage,
      // An API Gateway event always gets an API Gateway answer (only the schedule's event gets another).
      handler: (e) => apiHandler!(e) as Promise<APIGatewayProxyResult>,
      verify,
      log: (msg, f) => print(formatLogLine(JSON.stringify({ time: new Date().toISOString(), part: "gateway", msg, ...f }), "gateway")),
      localRoutes: async (req, url) => {
        if (url.pathname === "/_local/inbox" && req.method === "GET") {
          const mails = await inbox.list();
          if ((req.headers.accept ?? "").includes("application/json")) {
            return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ emails: mails }) };
          }
          return { status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: inboxHtml(mails) };
        }
        if (url.pathname === "/_local/metrics" && req.method === "GET") {
          const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
          return { status: 200, headers, body: JSON.stringify({ metrics: metrics.summary() }) };
        }
        if (url.pathname === "/_local/health") return { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' };
        if (url.pathname === "/openapi.json" && req.method === "GET") {
          return {
            status: 200,
            headers: { "content-type": "application/json; charset=utf-8" },
            body: fs.readFileSync(OPENAPI_FILE, "utf8"),
          };
        }
        return consolePage(req, url);
      },
    });
    cleanups.push(() => gateway.close());
    webhookUrl = `${gateway.url}/webhooks/stripe`;
    const env = {
      ...creds,
      ...runtimeEnv(resources, {
        region: s.region,
        endpoint,
        linkBaseUrl: gateway.url,
        linkTtlDays: s.linkTtlDays,
        seller: s.seller,
        tax: s.tax,
        viesApiBaseUrl: vies.url,
        logLevel: "info",
        payment: { ...s.payment, paymentApiBaseUrl: paymentApiUrl },
      }),
      ...o.env,
      [ENV.notifyClaimLeaseSeconds]: String(schedule.claimLeaseSeconds),
    };
    // Each part signs as its own role (local/identities.ts), as in AWS.
    const envOf = (part: Part) => ({ ...env, ...localCredentials(part) });
    const writeLog = (part: string) => localLogWriter(metrics, part, print);
    apiHandler = createOrderApiHandler(envOf("order-api"), { writeLog: writeLog("api") });
    // The stack's EventBridge schedule: the same Lambda entry, invoked with the task's constant input.
    const sweep = setInterval(
      () =>
        void apiHandler!({ action: EXPIRE_PAYMENTS_TASK.action }).catch((e) =>
          sys("payment sweep failed", { error: (e as Error).message }),
        ),
      (o.paymentSweepSeconds ?? 60) * 1000,
    );
    sweep.unref();
    cleanups.push(() => clearInterval(sweep));

    // A stop lets the poll in progress finish (nothing received is left hidden): a short poll keeps Ctrl-C quick.
    const workerRelease = `local-${prefix}`;
    const worker = spawnWorkerProcess(
      { ...envOf("invoice-worker"), [ENV.workerWaitSeconds]: "5", [ENV.workerRelease]: workerRelease },
      { stdout: writeLog("worker") },
    );
    cleanups.push(() => worker.stop());

    const notifier = startNotifierDriver({
      sqs: clients.sqs,
      queueUrl: resources.bucketEventsQueueUrl!,
      failureQueueUrl: resources.emailFailureQueueUrl,
      retryDelaysSeconds: schedule.retryDelaysSeconds,
      handler: createEmailNotifierHandler(envOf("email-notifier"), { writeLog: writeLog("notifier") }),
      log: (msg, f) => print(formatLogLine(JSON.stringify({ time: new Date().toISOString(), part: "notifier", msg, ...f }), "notifier")),
    });
    cleanups.push(() => notifier.stop());

    // SES's event publishing, which moto lacks: each accepted email's delivery, bounce or complaint, as
    // SNS would hand it to the email events Lambda (local/ses-events.ts), through a queue and a driver.
    const emailEvents = startNotifierDriver({
      sqs: clients.sqs,
      queueUrl: resources.emailEventsQueueUrl!,
      failureQueueUrl: resources.emailFailureQueueUrl,
      retryDelaysSeconds: schedule.retryDelaysSeconds,
      functionArn: LOCAL_FUNCTION_ARNS.emailEvents,
      handler: createEmailEventsHandler(envOf("email-events"), { writeLog: writeLog("mail") }),
      log: (msg, f) => print(formatLogLine(JSON.stringify({ time: new Date().toISOString(), part: "mail", msg, ...f }), "mail")),
    });
    cleanups.push(() => emailEvents.stop());
    const sesEvents = startSesEventPublisher({
      endpoint,
      configurationSet: resources.configurationSet,
      account: { region: s.region, accountId: LOCAL_ACCOUNT_ID },
      topicArn: `arn:aws:sns:${s.region}:${LOCAL_ACCOUNT_ID}:${prefix}-mail-events`,
      deliver: async (snsEvent) => {
        await clients.sqs.send(new SendMessageCommand({ QueueUrl: resources.emailEventsQueueUrl!, MessageBody: JSON.stringify(snsEvent) }));
      },
      log: (msg, f) => sys(msg, f),
    });
    cleanups.push(() => sesEvents.stop());

    return {
      apiUrl: gateway.url,
      inboxUrl: `${gateway.url}/_local/inbox`,
      consoleUrl: `${gateway.url}/_local/`,
      endpoint,
      region: s.region,
      pool,
      demoUser,
      adminUser,
      resources,
      env: envOf("invoice-worker"),
      metrics,
      events,
      notifierSchedule: schedule,
      stripe,
      vies,
      workerRelease,
      pids: { moto: moto?.pid, worker: worker.child.pid! },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One event as one log line of `npm start`: its type, order and id, and the detail's other plain fields. */
function eventLogLine(e: ReceivedEvent): string {
  const plain = Object.entries(e.detail).filter(([k, v]) => !["version", "occurredAt"].includes(k) && typeof v !== "object");
  return JSON.stringify({ time: e.time || new Date().toISOString(), part: "events", msg: e.detailType, ...Object.fromEntries(plain) });
}
