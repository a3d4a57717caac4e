import type { Context } from "aws-lambda";
import { ddbClient, kmsClient, sesClient } from "../clients";
import { loadNotifierSettings } from "../settings";
import { decodeS3Key, handleS3Event, orderIdOfInvoiceKey } from "../handlers/email-notifier";
import { kmsLinkSigner } from "../invoices/link";
import { eventPublisherFromEnv } from "../events";
import { entryBasics, lambdaInvocation, withRequestId } from "./observability";
import type { EntryOptions } from "./entry-options";

const PART = "email-notifier";

/** The email notifier Lambda's entry factory (S3 ObjectCreated events); see createOrderApiHandler. */
export function createEmailNotifierHandler(
  env: NodeJS.ProcessEnv = process.env,
  opts: EntryOptions = {},
): (event: unknown, context?: Context) => Promise<unknown> {
  const settings = loadNotifierSettings(env);
  const { tracer, clients: c, log, metrics } = entryBasics(PART, settings, env, opts);
  const deps = {
    ddb: ddbClient(c),
    ses: sesClient(c),
    links: kmsLinkSigner(kmsClient(c), settings.linkKeyId),
    settings,
    now: () => new Date(),
    log,
    metrics,
    events: eventPublisherFromEnv(c, env),
  };
  return lambdaInvocation(
    PART,
    tracer,
    log,
    (event: unknown, context?: Context) => handleS3Event(event, withRequestId(deps, context)),
    notifierAnnotations,
  );
}

/** The orders an S3 event's invoices belong to: the first as the `orderId` annotation, how many in all. */
export function notifierAnnotations(event: unknown) {
  const records = (event as { Records?: { s3?: { object?: { key?: unknown } } }[] })?.Records;
  const keys = Array.isArray(records) ? records.map((r) => r?.s3?.object?.key).filter((k): k is string => typeof k === "string") : [];
  const orders = keys.map((k) => orderIdOfInvoiceKey(decodeS3Key(k))).filter((id): id is string => id !== undefined);
  return { orderId: orders[0], records: keys.length };
}
