import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { API_CLIENT_OPTIONS, ddbClient, kmsClient, s3Client, secretsClient, sqsClient } from "../clients";
import { loadApiSettings } from "../settings";
import { handleOrderApiEvent, type ScheduledTaskEvent } from "../handlers/order-api";
import { createStripeProvider } from "../payments/stripe";
import { vatIdVerifierFor } from "../tax/vies";
import { paymentKeys } from "../payments/keys";
import { kmsLinkSigner } from "../invoices/link";
import { isOrderId, newOrderId } from "../domain/ids";
import { eventPublisherFromEnv } from "../events";
import { entryBasics, lambdaInvocation } from "./observability";
import type { EntryOptions } from "./entry-options";

const PART = "order-api";
/** The provider's SDK: 3 s per attempt, one retry (Stripe's SDK retries with the same idempotency key). */
export const PAYMENT_CLIENT_OPTIONS = { timeoutMs: 3000, maxNetworkRetries: 1 } as const;

/**
 * The order API Lambda's entry factory: runs once per container (the serialized callback
 * factory calls it), reads settings from the environment, builds the clients it needs, and
 * returns the handler.
 */
export function createOrderApiHandler(
  env: NodeJS.ProcessEnv = process.env,
  opts: EntryOptions = {},
): (event: APIGatewayProxyEvent | ScheduledTaskEvent, context?: Context) => Promise<APIGatewayProxyResult | object> {
  const settings = loadApiSettings(env);
  const { tracer, clients: c, log, metrics } = entryBasics(PART, settings, env, opts, API_CLIENT_OPTIONS);
  const kms = kmsClient(c);
  const deps = {
    ddb: ddbClient(c),
    sqs: sqsClient(c),
    // Only presigns (no network call): traced, each presign would show as an S3 GetObject that never happened.
    s3: s3Client({ ...c, trace: undefined }),
    links: kmsLinkSigner(kms, settings.linkKeyId),
    payments: createStripeProvider({
      keys: paymentKeys(new SecretsProvider({ awsSdkV3Client: secretsClient(c) }), settings.paymentSecretId),
      apiBaseUrl: settings.paymentApiBaseUrl,
      // Inside the function's budget (API Gateway gives up at 29 s, the function at its timeout): one retry of 3 s.
      ...PAYMENT_CLIENT_OPTIONS,
    }),
    vatIds: vatIdVerifierFor(settings.tax),
    settings,
    now: () => new Date(),
    newOrderId,
    log,
    metrics,
    events: eventPublisherFromEnv(c, env),
  };
  return lambdaInvocation(
    PART,
    tracer,
    log,
    (event: APIGatewayProxyEvent | ScheduledTaskEvent) => handleOrderApiEvent(event, deps),
    apiAnnotations,
  );
}

/** The order a request served (from the path or the answer), its route, status and error code. */
export function apiAnnotations(event: APIGatewayProxyEvent | ScheduledTaskEvent, result: APIGatewayProxyResult | object | undefined) {
  if (!("httpMethod" in event)) return { route: `task ${event.action}` };
  const res = result && "statusCode" in result ? (result as APIGatewayProxyResult) : undefined;
  let body: { orderId?: unknown; error?: { code?: unknown } } = {};
  try {
    body = res?.body ? JSON.parse(res.body) : {};
  } catch {
    // not JSON (a redirect, for instance)
  }
  const orderId = [event.pathParameters?.orderId, body.orderId].find(isOrderId); // never what a client typed, unchecked
  return {
    route: `${event.httpMethod} ${event.resource}`,
    statusCode: res?.statusCode,
    orderId,
    errorCode: typeof body.error?.code === "string" ? body.error.code : undefined,
  };
}
