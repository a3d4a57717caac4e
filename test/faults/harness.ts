import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { localStackSettings, type LocalStackSettings } from "../../local/stack-settings";
import { startMoto, motoSentEmails, type MotoServer } from "../../local/moto";
import { signIn } from "../../local/auth";
import { spawnWorkerProcess, type WorkerProcess } from "../../local/worker-process";
import { createClients, destroyClients, type AwsClients } from "../../runtime/clients";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy";
import { orderBody } from "../helpers/events";
import { sleep, waitUntil } from "../helpers/wait";
import "../helpers/aws"; // test credentials, never real ones
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { StripeStandIn } from "../../local/stripe-standin";
import { localCredentials } from "../../local/identities";
import { createOrderApiHandler } from "../../runtime/lambda/order-api";
import { EXPIRE_PAYMENTS_TASK } from "../../runtime/contracts/payments";
import { CREDIT_NOTE_PREFIX } from "../../runtime/contracts/env";

/** Fault-test settings: short budgets so recovery happens within a test; the dev stack otherwise. */
export const FAULT_ENV = {
  WORKER_MESSAGE_BUDGET_SECONDS: "5",
  WORKER_WAIT_SECONDS: "2",
};
/**
 * Fault tests run Lambda's notifier schedule and the email claim lease 12 times faster (retries after 5 s and 10 s,
 * lease 10 s): one factor for both, so a claim left by a dead attempt still ends before the last retry, as in AWS.
 */
export const FAULT_NOTIFIER_SPEEDUP = 12;

/** How often the fault rig runs the order API's payment sweep (EventBridge's rate(5 minutes), sped up). */
export const SWEEP_EVERY_MS = 5000;

/**
 * A gate in front of the Stripe stand-in: forwards every request, or while `down` answers as a Stripe
 * outage does (503 api_error) without forwarding, so nothing reaches the provider.
 */
/** How the provider is down: not listening (connections refused: nothing sent), or answering 503 (the outcome unknown). */
type ProviderDown = false | "unreachable" | "5xx";

async function startProviderGate(
  target: string,
): Promise<{ url: string; down: boolean; refused: number; setDown(mode: ProviderDown): Promise<void>; close(): Promise<void> }> {
  const gate = {
    url: "",
    down: false,
    refused: 0,
    setDown: async (_mode: ProviderDown): Promise<void> => undefined,
    close: async (): Promise<void> => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (gate.down) {
        gate.refused++;
        res.writeHead(503, { "content-type": "application/json", "request-id": "req_gate_down" });
        res.end(JSON.stringify({ error: { type: "api_error", message: "Stripe is down (fault injected by the test)" } }));
        return;
      }
      const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on("error", () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  gate.url = `http://127.0.0.1:${port}`;
  let listening = true;
  gate.setDown = async (mode) => {
    gate.down = mode === "5xx";
    if (mode === "unreachable" && listening) {
      listening = false;
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    } else if (mode !== "unreachable" && !listening) {
      listening = true;
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    }
  };
  gate.close = () =>
    listening
      ? new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        })
      : Promise.resolve();
  return gate;
}

/** The whole local pipeline behind a fault proxy, with a signed-in customer and direct (unfaulted) clients for checks. */
export interface FaultRig {
  moto: MotoServer;
  proxy: FaultProxy;
  p: LocalPipeline;
  stack: LocalStackSettings;
  /** Clients straight to moto: the test's view of the stores, never faulted. */
  direct: AwsClients;
  token: string;
  lines: string[];
  /** Worker processes this rig started (the pipeline's own is in p.pids.worker). */
  workers: WorkerProcess[];
  /** Starts one more worker process on the same queue. */
  spawnWorker(): WorkerProcess;
  /** The Stripe stand-in: the order API reaches it through a gate; it delivers its webhooks to the gateway. */
  stripe: StripeStandIn;
  /** Takes the payment provider down (true) or brings it back; `refused()` counts the requests the gate turned away. */
  providerDown(mode: ProviderDown): Promise<void>;
  providerRefused(): number;
  /** Runs the payment sweep once (the schedule's event to the order API, through the fault proxy), as the schedule does every SWEEP_EVERY_MS. */
  sweep(): Promise<{ swept: { expired: number; paid: number; sent: number } }>;
  stop(): Promise<void>;
}

/**
 * Brings up moto, the proxy in front of it and the pipeline pointed at the proxy. `faultEnv`
 * (default) shortens graces and budgets and speeds up the notifier's schedule so recovery happens
 * within a test; without it the dev stack's settings and Lambda's own schedule apply (the load test).
 */
export async function startFaultRig(o: { faultEnv?: boolean } = {}): Promise<FaultRig> {
  const faultEnv = o.faultEnv ?? true;
  const env = faultEnv ? FAULT_ENV : {};
  const moto = await startMoto();
  const proxy = await startFaultProxy(moto.endpoint);
  // visibility 8 s = twice the worker's 5 s budget (as the stack derives it); maxReceiveCount as in dev.
  const dev = localStackSettings("dev");
  const stack: LocalStackSettings = faultEnv ? { ...dev, visibilityTimeoutSeconds: 8 } : dev;
  const lines: string[] = [];
  const notifierSpeedup = faultEnv ? FAULT_NOTIFIER_SPEEDUP : 1;
  let stripe: StripeStandIn | undefined;
  let gate: Awaited<ReturnType<typeof startProviderGate>> | undefined;
  const p = await startLocalPipeline({
    port: 0,
    endpoint: proxy.url,
    stack,
    env,
    notifierSpeedup,
    print: (l) => lines.push(l),
    // Stripe's real delivery path: the pipeline's stand-in posts its signed events to the gateway's POST
    // /webhooks/stripe; the order API reaches it through a gate the tests can shut.
    paymentStandIn: {
      webhookBackoffMs: 500,
      // Stripe retries a failed delivery for up to three days: 8 attempts (about 2 minutes here) outlast every fault's window.
      webhookAttempts: 8,
      front: async (url) => (gate = await startProviderGate(url)),
    },
  });
  stripe = p.stripe;
  // EventBridge's schedule for the order API, sped up: it expires unpaid orders and sends PAID ones' unsent messages.
  const sweeper = createOrderApiHandler({ ...p.env, ...localCredentials("order-api") }, { writeLog: (l) => lines.push(`sweep ${l}`) });
  const sweep = async () =>
    (await sweeper({ action: EXPIRE_PAYMENTS_TASK.action })) as { swept: { expired: number; paid: number; sent: number } };
  const schedule = setInterval(() => void sweep().catch((e) => lines.push(`sweep failed ${(e as Error).message}`)), SWEEP_EVERY_MS);
  // The test's own view waits out a moto catching up after a freeze: lenient timeouts.
  const direct = createClients({ region: p.region, endpoint: moto.endpoint, requestTimeoutMs: 30_000, maxAttempts: 5 });
  const cognito = new CognitoIdentityProviderClient({ region: p.region, endpoint: moto.endpoint });
  const token = await signIn(cognito, p.pool, p.demoUser.email, p.demoUser.password);
  cognito.destroy();
  const workers: WorkerProcess[] = [];
  return {
    moto,
    proxy,
    p,
    stack,
    direct,
    token,
    lines,
    workers,
    stripe: stripe!,
    providerDown: (mode) => gate!.setDown(mode),
    providerRefused: () => gate!.refused,
    sweep,
    spawnWorker() {
      const w = spawnWorkerProcess({ ...p.env, ...env }, { stdout: (l) => lines.push(`worker ${l}`) });
      workers.push(w);
      return w;
    },
    async stop() {
      clearInterval(schedule);
      for (const w of workers) await w.stop();
      await p.stop();
      destroyClients(direct);
      await proxy.close();
      await moto.stop();
    },
  };
}

/** The answer one POST /orders got. */
export interface Attempt {
  status: number;
  code?: string;
  orderId?: string;
  key?: string;
  /** The order's status in a 202 (PAID, AWAITING_PAYMENT). */
  orderStatus?: string;
  retryAfter?: string | null;
}

/** POSTs one order (paid with pm_card_visa unless `body` says otherwise) through the local gateway; a network failure counts as status 0. */
export async function postOrder(rig: FaultRig, key?: string, body: unknown = orderBody()): Promise<Attempt> {
  try {
    const r = await fetch(`${rig.p.apiUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${rig.token}`, ...(key ? { "idempotency-key": key } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const b = (await r.json()) as { orderId?: string; status?: string; error?: { code: string } };
    const retryAfter = r.headers.get("retry-after");
    return { status: r.status, code: b.error?.code, orderId: b.orderId, orderStatus: b.status, key, retryAfter };
  } catch {
    return { status: 0, key };
  }
}

/** Statuses a client may see under faults: accepted, or the documented "retry later" answers. */
export const DOCUMENTED = new Set([202, 500, 503]);

/** What a run of clients saw. */
export interface ClientLog {
  attempts: Attempt[];
  /** Order ids the clients were told were accepted (202), by key for keyed orders. */
  accepted: Set<string>;
  /** Keys whose every attempt failed (a keyed client that gave up). */
  gaveUp: string[];
  /** The longest any one answer took. */
  slowestMs: number;
}

/**
 * `n` orders from `concurrency` clients; keyed ones retry with their key until accepted (up to `retries`), keyless ones
 * do not. With `pauseMs`, each client waits that long before each of its orders after the first, so intake spans time.
 */
export async function runClients(
  rig: FaultRig,
  o: {
    n: number;
    concurrency: number;
    keyed: (i: number) => boolean;
    retries?: number;
    retryPauseMs?: number;
    tag: string;
    pauseMs?: number;
  },
): Promise<ClientLog> {
  const log: ClientLog = { attempts: [], accepted: new Set(), gaveUp: [], slowestMs: 0 };
  let next = 0;
  const client = async () => {
    for (let i = next++; i < o.n; i = next++) {
      if (o.pauseMs && i >= o.concurrency) await sleep(o.pauseMs); // each client's next order after a pause
      const key = o.keyed(i) ? `${o.tag}-${i}` : undefined;
      for (let attempt = 0; ; attempt++) {
        const t0 = Date.now();
        const a = await postOrder(rig, key);
        log.slowestMs = Math.max(log.slowestMs, Date.now() - t0);
        log.attempts.push(a);
        if (a.status === 202) {
          log.accepted.add(a.orderId!);
          break;
        }
        if (!key || attempt >= (o.retries ?? 20)) {
          if (key) log.gaveUp.push(key);
          break;
        }
        await sleep(o.retryPauseMs ?? 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  return log;
}

type Item = Record<string, unknown> & { order: { orderId: string; createdAt: string; customer: { email: string } } };

/** Every item of the table, read straight from moto. */
export async function storedItems(rig: FaultRig): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const r = await rig.direct.ddb.send(
      new ScanCommand({ TableName: rig.p.resources.table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    out.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  return out;
}

/** Every order item, read straight from moto. */
export async function orderItems(rig: FaultRig): Promise<Item[]> {
  return (await storedItems(rig)).filter((i) => i.type === "order") as Item[];
}

/** Visible plus in-flight messages of a queue. */
export async function depth(rig: FaultRig, url: string): Promise<number> {
  const r = await rig.direct.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Number(r.Attributes!.ApproximateNumberOfMessages) + Number(r.Attributes!.ApproximateNumberOfMessagesNotVisible);
}

/** Sends a raw message to the orders queue (poison, or a copy of a real one). */
export async function sendRaw(rig: FaultRig, body: string, url = rig.p.resources.queueUrl): Promise<void> {
  await rig.direct.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
}

/**
 * Waits until both queues are empty and every confirmed order is NOTIFIED (or the deadline passes).
 * Queue depths are cheap and checked first: a table scan holds moto's DynamoDB lock, so it runs
 * only once the queues are drained. `progress` is called with the queue depths on each look.
 */
export async function settle(rig: FaultRig, timeoutMs = 120_000, progress?: (orders: number, events: number) => void): Promise<boolean> {
  return waitUntil(
    async () => {
      const orders = await depth(rig, rig.p.resources.queueUrl);
      const events = await depth(rig, rig.p.resources.bucketEventsQueueUrl!);
      progress?.(orders, events);
      if (orders || events) return false;
      // A PAID order whose message is not sent yet waits for the sweep: not settled.
      return !(await orderItems(rig)).some((i) => (reachedQueue(i) || i.status === "PAID") && i.status !== "NOTIFIED");
    },
    timeoutMs,
    1000,
  );
}

/**
 * Did the order's message reach the queue? Recorded by enqueuedAt; or shown by the worker having invoiced it
 * (only a queued message gets there), when the send committed but its answer was lost so enqueuedAt was never written.
 */
export const reachedQueue = (i: Record<string, unknown>): boolean =>
  Boolean(i.enqueuedAt) || i.status === "INVOICED" || i.status === "NOTIFIED";

/** The end state, straight from the stores. */
export interface EndState {
  confirmed: number;
  notified: number;
  /** Queued orders no client was told were accepted. */
  unaccepted: string[];
  /** Accepted orders that are not confirmed and NOTIFIED. */
  lost: string[];
  /** Invoice numbers are exactly 1..confirmed. */
  numbersGapFree: boolean;
  pdfs: number;
  /** Orders with more or fewer than one email, and emails to another address. */
  emailDuplicates: number;
  /** The orders emailed more than once. */
  duplicatedOrders: string[];
  emailMissing: number;
  wrongAddress: number;
  dlq: number;
  /** Email events given up to the failure queue: each needs a person (a redrive). */
  emailFailures: number;
  /** Orders never queued (unpaid, declined, expired, or taken back at checkout and kept closed): never invoiced. */
  unconfirmed: number;
  unconfirmedInvoiced: number;
}

/** Reads the end state and compares it with what the clients were told. */
export async function endState(rig: FaultRig, accepted: Set<string>): Promise<EndState> {
  const items = await orderItems(rig);
  const confirmed = items.filter(reachedQueue);
  const unconfirmed = items.filter((i) => !reachedQueue(i));
  const byId = new Map(items.map((i) => [i.order.orderId, i]));
  const seqs = confirmed.map((i) => i.invoiceSeq as number).sort((a, b) => a - b);
  const objects: string[] = [];
  let token: string | undefined;
  do {
    const r = await rig.direct.s3.send(new ListObjectsV2Command({ Bucket: rig.p.resources.bucket, ContinuationToken: token }));
    objects.push(...(r.Contents ?? []).map((c) => c.Key!));
    token = r.NextContinuationToken;
  } while (token);
  const mails = await motoSentEmails(rig.moto.endpoint);
  const mailsPer = new Map<string, number>();
  let wrongAddress = 0;
  for (const m of mails.filter((m) => !creditNoteOfMail(m.body))) {
    const id = /ord_[A-Za-z0-9]{10,40}/.exec(m.body)?.[0] ?? "?";
    mailsPer.set(id, (mailsPer.get(id) ?? 0) + 1);
    const to = m.destinations.ToAddresses ?? [];
    if (to.length !== 1 || to[0] !== byId.get(id)?.order.customer.email) wrongAddress++;
  }
  return {
    confirmed: confirmed.length,
    notified: confirmed.filter((i) => i.status === "NOTIFIED").length,
    unaccepted: confirmed.map((i) => i.order.orderId).filter((id) => !accepted.has(id)),
    lost: [...accepted].filter((id) => byId.get(id)?.status !== "NOTIFIED"),
    numbersGapFree: seqs.length === confirmed.length && seqs.every((n, i) => n === i + 1),
    // Credit notes have their own figures (creditNoteState): their PDFs and emails are not the orders' invoices.
    pdfs: objects.filter((k) => k.startsWith("invoices/") && !k.startsWith(CREDIT_NOTE_PREFIX)).length,
    emailDuplicates: [...mailsPer.values()].filter((n) => n > 1).length,
    duplicatedOrders: [...mailsPer].filter(([, n]) => n > 1).map(([id]) => id),
    emailMissing: confirmed.filter((i) => !mailsPer.has(i.order.orderId)).length,
    wrongAddress,
    dlq: await depth(rig, rig.p.resources.dlqUrl),
    emailFailures: await depth(rig, rig.p.resources.emailFailureQueueUrl!),
    unconfirmed: unconfirmed.length,
    unconfirmedInvoiced: unconfirmed.filter((i) => i.invoiceNumber || objects.includes(`invoices/${i.order.orderId}.pdf`)).length,
  };
}

/** The credit note an email is about (its link names the document), or undefined for an invoice email. */
const creditNoteOfMail = (body: string): string | undefined => /[?&](?:amp;)?document=(cn_[A-Za-z0-9_-]+)/.exec(body)?.[1];

/** The credit notes' end state, straight from the stores: items, their counter, PDFs and emails per credit note. */
export async function creditNoteState(rig: FaultRig): Promise<{
  items: Record<string, unknown>[];
  counter: number;
  /** The numbers given out are 1..counter, each on one credit note. */
  numbersGapFree: boolean;
  pdfs: string[];
  emailsPer: Map<string, number>;
}> {
  const stored = await storedItems(rig);
  const items = stored.filter((i) => i.type === "creditNote");
  const counter = Number(stored.find((i) => i.pk === "COUNTER#creditNote")?.value ?? 0);
  const seqs = items
    .map((i) => i.creditNoteSeq)
    .filter((n): n is number => typeof n === "number")
    .sort((a, b) => a - b);
  const r = await rig.direct.s3.send(new ListObjectsV2Command({ Bucket: rig.p.resources.bucket, Prefix: CREDIT_NOTE_PREFIX }));
  const emailsPer = new Map<string, number>();
  for (const m of await motoSentEmails(rig.moto.endpoint)) {
    const id = creditNoteOfMail(m.body);
    if (id) emailsPer.set(id, (emailsPer.get(id) ?? 0) + 1);
  }
  return {
    items,
    counter,
    numbersGapFree: seqs.length === counter && seqs.every((n, i) => n === i + 1),
    pdfs: (r.Contents ?? []).map((c) => c.Key!),
    emailsPer,
  };
}

/** The worker processes still running: the pipeline's own and those the rig started. */
export function liveWorkerPids(rig: FaultRig): number[] {
  const pids = [rig.p.pids.worker, ...rig.workers.map((w) => w.child.pid!)];
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

/** One line of figures for the report. */
export function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(
    `      [faults] ${name}: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}\n`,
  );
}
