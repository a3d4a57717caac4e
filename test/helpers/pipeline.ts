import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createClients, destroyClients, type AwsClients } from "../../runtime/clients";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { localStackSettings } from "../../local/stack-settings";
import { createLocalUser, signIn, type LocalUser } from "../../local/auth";
import { storedOrderIds, type CorpusRequest, type CorpusResponse, type CorpusTarget, type LeftBehind } from "./corpus";
import { sleep } from "./wait";
import type { StripeStandIn } from "../../local/stripe-standin";

/** A running local pipeline (npm start) for one test file, with the demo user signed in. */
export interface PipelineContext {
  p: LocalPipeline;
  clients: AwsClients;
  cognito: CognitoIdentityProviderClient;
  /** The demo user's ID token. */
  token: string;
  /** Every log line the pipeline printed. */
  lines: string[];
  /** Creates and signs in another customer of the pool; returns the ID token. */
  newCustomer(email: string): Promise<string>;
  /** The pipeline's Stripe stand-in: its webhooks go to the pipeline's own POST /webhooks/stripe, signed with the run's secret. */
  stripe: StripeStandIn;
}

/** Starts the whole local pipeline (moto, gateway, worker process, notifier) once for the enclosing describe. */
export function usePipeline(): PipelineContext {
  const ctx = { lines: [] as string[] } as PipelineContext;
  before(async function () {
    this.timeout(90000);
    ctx.p = await startLocalPipeline({
      port: 0,
      stack: localStackSettings("dev"),
      print: (l) => ctx.lines.push(l),
      // Stripe's real delivery path: the pipeline's stand-in posts each event to the gateway.
      paymentStandIn: { webhookBackoffMs: 50 },
    });
    ctx.stripe = ctx.p.stripe;
    ctx.clients = createClients({ region: ctx.p.region, endpoint: ctx.p.endpoint });
    ctx.cognito = new CognitoIdentityProviderClient({ region: ctx.p.region, endpoint: ctx.p.endpoint });
    ctx.token = await signIn(ctx.cognito, ctx.p.pool, ctx.p.demoUser.email, ctx.p.demoUser.password);
    ctx.newCustomer = async (email) => {
      const user: LocalUser = { email, name: email.split("@")[0], password: `Pw-${Math.random().toString(36).slice(2)}Xy1` };
      await createLocalUser(ctx.cognito, ctx.p.pool, user);
      return signIn(ctx.cognito, ctx.p.pool, user.email, user.password);
    };
  });
  after(async function () {
    this.timeout(30000);
    if (ctx.clients) destroyClients(ctx.clients);
    ctx.cognito?.destroy();
    await ctx.p?.stop();
  });
  return ctx;
}

/** Sends one request to the local gateway as it is, with `authorization` when given. */
export async function httpRequest(apiUrl: string, req: CorpusRequest, authorization?: string): Promise<CorpusResponse> {
  const headers: Record<string, string> = { ...req.headers, ...(authorization ? { authorization } : {}) };
  const res = await fetch(`${apiUrl}${req.path}`, { method: req.method, headers, body: req.body, redirect: "manual" });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

const ORDER_ID = /orderId=(ord_[A-Za-z0-9]+)/;

/**
 * The corpus target of the local pipeline: HTTP through the gateway as the demo user; what was left
 * behind read from the table (order and idempotency items), the worker's log (every order message it
 * received) and the DLQ, and the local inbox.
 */
export function localPipelineTarget(ctx: PipelineContext): CorpusTarget {
  const emailed = async () => {
    const res = await fetch(ctx.p.inboxUrl, { headers: { accept: "application/json" } });
    const { emails } = (await res.json()) as { emails: { invoiceLink?: string }[] };
    return emails.map((m) => /\/invoices\/(ord_[A-Za-z0-9]+)/.exec(m.invoiceLink ?? "")?.[1] ?? `unlinked email ${JSON.stringify(m)}`);
  };
  const leftBehind = async (): Promise<LeftBehind> => {
    const stored: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await ctx.clients.ddb.send(
        new ScanCommand({ TableName: ctx.p.resources.table, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      stored.push(...storedOrderIds(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const queued = ctx.lines
      .filter((l) => / worker /.test(l))
      .map((l) => ORDER_ID.exec(l)?.[1])
      .filter((id): id is string => Boolean(id));
    // Peeking the DLQ (visibility 0) leaves it as it was; the orders queue is not peeked: receives count towards its redrive.
    const dlq = await ctx.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: ctx.p.resources.dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ["orderId"],
      }),
    );
    for (const m of dlq.Messages ?? []) queued.push(m.MessageAttributes?.orderId?.StringValue ?? `DLQ message ${m.MessageId}`);
    return { stored, queued, emailed: await emailed() };
  };
  return {
    request: (req) => httpRequest(ctx.p.apiUrl, req, `Bearer ${ctx.token}`),
    leftBehind,
    waitEmailed: async (orderIds) => {
      const deadline = Date.now() + 120_000; // generous: the machine is shared, the worker renders one PDF per order
      for (;;) {
        const done = new Set(await emailed());
        if (orderIds.every((id) => done.has(id)) || Date.now() > deadline) return;
        await sleep(500);
      }
    },
  };
}
