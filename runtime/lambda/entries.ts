import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { API_CLIENT_OPTIONS, createClients } from "../clients";
import { createLogger } from "../log";
import { loadApiSettings, loadNotifierSettings } from "../settings";
import { handleApiRequest } from "../handlers/order-api";
import { handleS3Event } from "../handlers/email-notifier";
import { kmsLinkSigner } from "../invoices/link";
import { newOrderId } from "../domain/ids";

/** Options of the entry factories; Lambda uses the defaults. */
export interface EntryOptions {
  /** Where log lines go. @default stdout (CloudWatch Logs in Lambda) */
  readonly writeLog?: (line: string) => void;
}

/**
 * Lambda entry factories: each runs once per container (CallbackFunction's callbackFactory),
 * reads settings from the environment, builds the clients, and returns the handler.
 */
export function createOrderApiHandler(
  env: NodeJS.ProcessEnv = process.env,
  opts: EntryOptions = {},
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const settings = loadApiSettings(env);
  const c = createClients({ region: settings.region, ...API_CLIENT_OPTIONS }, env);
  const deps = {
    ddb: c.ddb,
    sqs: c.sqs,
    s3: c.s3,
    links: kmsLinkSigner(c.kms, settings.linkKeyId),
    settings,
    now: () => new Date(),
    newOrderId,
    log: createLogger("order-api", settings.logLevel, {}, opts.writeLog),
  };
  return (event) => handleApiRequest(event, deps);
}

/** The email notifier's entry factory (S3 ObjectCreated events). */
export function createEmailNotifierHandler(env: NodeJS.ProcessEnv = process.env, opts: EntryOptions = {}): (event: unknown) => Promise<unknown> {
  const settings = loadNotifierSettings(env);
  const c = createClients({ region: settings.region }, env);
  const deps = {
    ddb: c.ddb,
    ses: c.ses,
    links: kmsLinkSigner(c.kms, settings.linkKeyId),
    settings,
    now: () => new Date(),
    log: createLogger("email-notifier", settings.logLevel, {}, opts.writeLog),
  };
  return (event) => handleS3Event(event, deps);
}
