import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { expectPartClients, type LocalAws, settingsOf } from "./aws";
import { createLogger, type Logger } from "../../runtime/log";
import { kmsLinkSigner } from "../../runtime/invoices/link";
import { newOrderId } from "../../runtime/domain/ids";
import type { OrderApiDeps } from "../../runtime/handlers/order-api";
import { providerFor } from "./stripe";
import { vatIdVerifierFor } from "../../runtime/tax/vies";
import type { WorkerDeps } from "../../runtime/handlers/invoice-worker";
import type { NotifierDeps } from "../../runtime/handlers/email-notifier";
import type { EmailEventsDeps } from "../../runtime/handlers/email-events";
import { loadEmailEventsSettings } from "../../runtime/settings";
import { renderInvoicePdf } from "../../runtime/invoices/pdf";
import { createEmfEmitter, parseEmfLine, type MetricPoint, type MetricsEmitter } from "../../runtime/metrics";

/** A logger that keeps its lines, so tests can check what was (and was not) logged. */
export function capturingLogger(part = "test"): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger(part, "debug", {}, (l) => lines.push(l)), lines };
}

/** An EMF emitter that keeps its lines, so tests can check which metrics were emitted. */
export function capturingMetrics(): { metrics: MetricsEmitter; lines: string[]; points: () => MetricPoint[] } {
  const lines: string[] = [];
  return { metrics: createEmfEmitter("test", (l) => lines.push(l)), lines, points: () => lines.flatMap(parseEmfLine) };
}

/** Order API deps wired to the test's moto, with overridable parts; its AWS clients sign as the order API's role. */
export function apiDeps(ctx: LocalAws, o: Partial<OrderApiDeps> = {}): OrderApiDeps {
  const clients = ctx.as["order-api"];
  return expectPartClients("order-api", {
    ddb: clients.ddb,
    sqs: clients.sqs,
    s3: clients.s3,
    links: kmsLinkSigner(clients.kms, ctx.resources.linkKeyId),
    payments: providerFor(ctx.stripe),
    vatIds: vatIdVerifierFor(settingsOf(ctx).api.tax),
    settings: settingsOf(ctx).api,
    now: () => new Date(),
    newOrderId,
    log: capturingLogger("order-api").log,
    metrics: capturingMetrics().metrics,
    ...o,
  });
}

/** Worker deps wired to the test's moto; its AWS clients sign as the worker's task role. */
export function workerDeps(ctx: LocalAws, o: Partial<WorkerDeps> = {}): WorkerDeps {
  const clients = ctx.as["invoice-worker"];
  return expectPartClients("invoice-worker", {
    ddb: clients.ddb,
    sqs: clients.sqs,
    s3: clients.s3,
    settings: settingsOf(ctx).worker,
    render: renderInvoicePdf,
    now: () => new Date(),
    log: capturingLogger("invoice-worker").log,
    metrics: capturingMetrics().metrics,
    ...o,
  });
}

/** Notifier deps wired to the test's moto; its AWS clients sign as the notifier's role. */
export function notifierDeps(ctx: LocalAws, o: Partial<NotifierDeps> = {}): NotifierDeps {
  const clients = ctx.as["email-notifier"];
  return expectPartClients("email-notifier", {
    ddb: clients.ddb,
    ses: clients.ses,
    links: kmsLinkSigner(clients.kms, ctx.resources.linkKeyId),
    settings: settingsOf(ctx).notifier,
    now: () => new Date(),
    log: capturingLogger("email-notifier").log,
    metrics: capturingMetrics().metrics,
    ...o,
  });
}

/** Email events deps wired to the test's moto; its AWS clients sign as the email events Lambda's role. */
export function emailEventsDeps(ctx: LocalAws, o: Partial<EmailEventsDeps> = {}): EmailEventsDeps {
  const clients = ctx.as["email-events"];
  return expectPartClients("email-events", {
    ddb: clients.ddb,
    settings: loadEmailEventsSettings(ctx.env),
    now: () => new Date(),
    log: capturingLogger("email-events").log,
    metrics: capturingMetrics().metrics,
    ...o,
  });
}

/** Every item of the orders table. */
export async function tableItems(ctx: LocalAws): Promise<Record<string, unknown>[]> {
  const r = await ctx.clients.ddb.send(new ScanCommand({ TableName: ctx.resources.table, ConsistentRead: true }));
  return r.Items ?? [];
}

/** How many messages wait (visible + in flight) on a queue. */
export async function queueDepth(ctx: LocalAws, url = ctx.resources.queueUrl): Promise<number> {
  const r = await ctx.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Number(r.Attributes!.ApproximateNumberOfMessages) + Number(r.Attributes!.ApproximateNumberOfMessagesNotVisible);
}

/** Receives (and hides) every visible message of a queue. */
export async function drainQueue(ctx: LocalAws, url = ctx.resources.queueUrl): Promise<{ body: string; receiptHandle: string }[]> {
  const out: { body: string; receiptHandle: string }[] = [];
  for (;;) {
    const r = await ctx.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }),
    );
    if (!r.Messages?.length) return out;
    out.push(...r.Messages.map((m) => ({ body: m.Body!, receiptHandle: m.ReceiptHandle! })));
  }
}
