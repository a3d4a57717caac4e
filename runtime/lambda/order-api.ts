import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { API_CLIENT_OPTIONS, clientConfig, ddbClient, kmsClient, s3Client, sqsClient } from "../clients";
import { createLogger } from "../log";
import { loadApiSettings } from "../settings";
import { handleApiRequest } from "../handlers/order-api";
import { kmsLinkSigner } from "../invoices/link";
import { newOrderId } from "../domain/ids";
import { createEmfEmitter, metricsStack } from "../metrics";
import type { EntryOptions } from "./entry-options";

/**
 * The order API Lambda's entry factory: runs once per container (the serialized callback
 * factory calls it), reads settings from the environment, builds the clients it needs, and
 * returns the handler.
 */
export function createOrderApiHandler(
  env: NodeJS.ProcessEnv = process.env,
  opts: EntryOptions = {},
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const settings = loadApiSettings(env);
  const c = clientConfig({ region: settings.region, ...API_CLIENT_OPTIONS }, env);
  const kms = kmsClient(c);
  const deps = {
    ddb: ddbClient(c),
    sqs: sqsClient(c),
    s3: s3Client(c),
    links: kmsLinkSigner(kms, settings.linkKeyId),
    settings,
    now: () => new Date(),
    newOrderId,
    log: createLogger("order-api", settings.logLevel, {}, opts.writeLog),
    metrics: createEmfEmitter(metricsStack(env), opts.writeLog),
  };
  return (event) => handleApiRequest(event, deps);
}
