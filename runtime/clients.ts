import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SESClient } from "@aws-sdk/client-ses";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";

/** Every AWS client the pipeline uses. Built once per process and handed to handlers as deps. */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly ses: SESClient;
  readonly kms: KMSClient;
}

/** Options of the client factory; every field defaults from the standard AWS environment. */
export interface ClientOptions {
  /** AWS region. @default process.env.AWS_REGION ?? "us-east-1" */
  readonly region?: string;
  /** Endpoint override (moto, LocalStack). @default process.env.AWS_ENDPOINT_URL */
  readonly endpoint?: string;
  /** Maximum SDK attempts per call. @default 3 */
  readonly maxAttempts?: number;
  /** Time to open a connection before the attempt fails. @default 1000 */
  readonly connectTimeoutMs?: number;
  /**
   * Time one attempt may take before it fails with a TimeoutError (a frozen dependency must not
   * hang the caller). Long polls pass their own per call (see `longPollTimeoutMs`). @default 3000
   */
  readonly requestTimeoutMs?: number;
}

/** Client settings of the order API Lambda (10 s budget): two attempts of 2.5 s, so one frozen call fails within ~5.5 s. */
export const API_CLIENT_OPTIONS = { maxAttempts: 2, connectTimeoutMs: 1000, requestTimeoutMs: 2500 } as const;

/** The per-call request timeout of an SQS long poll that waits `waitSeconds`: the wait plus a margin. */
export const longPollTimeoutMs = (waitSeconds: number): number => (waitSeconds + 5) * 1000;

/** The settings every client shares: region, endpoint override, credentials, retry budget and timeouts. */
export interface ClientConfig {
  readonly sdk: {
    readonly region: string;
    readonly endpoint?: string;
    readonly maxAttempts: number;
    readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number; readonly throwOnRequestTimeout: true };
    /** From the environment's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when it has them, else the SDK's provider chain (ECS task role). */
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  };
  /** The Lambda entries' X-Ray tracer (runtime/lambda/observability.ts): wraps each client as it is built. @default none */
  readonly trace?: <C extends object>(client: C) => C;
}

/** Builds a client with the config's tracer added. */
function build<C extends object>(c: ClientConfig, client: C): C {
  return c.trace ? c.trace(client) : client;
}

/** Resolves the shared client settings from options and the standard AWS environment. */
export function clientConfig(opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint = opts.endpoint ?? (env.AWS_ENDPOINT_URL || undefined);
  // Credentials too come from the environment given, not the process's: two parts run in one process
  // (the local pipeline) each sign as their own role, as Lambda gives each function its role's keys.
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  const credentials =
    accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : undefined;
  return {
    sdk: {
      region,
      maxAttempts: opts.maxAttempts ?? 3,
      // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and keeps waiting.
      requestHandler: {
        connectionTimeout: opts.connectTimeoutMs ?? 1000,
        requestTimeout: opts.requestTimeoutMs ?? 3000,
        throwOnRequestTimeout: true,
      },
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    },
  };
}

// One builder per client, so a bundled Lambda holds only the SDK clients its handler uses.
/** The SQS client. */
export const sqsClient = (c: ClientConfig) => build(c, new SQSClient(c.sdk));
/** The DynamoDB document client (undefined attributes dropped). */
export const ddbClient = (c: ClientConfig) =>
  DynamoDBDocumentClient.from(build(c, new DynamoDBClient(c.sdk)), { marshallOptions: { removeUndefinedValues: true } });
/** The S3 client; with an endpoint override it uses path-style addressing (virtual hosts under localhost do not resolve). */
export const s3Client = (c: ClientConfig) => build(c, new S3Client({ ...c.sdk, forcePathStyle: Boolean(c.sdk.endpoint) }));
/** Replaces every email address in a text with "<email>". */
export const redactEmails = (text: string): string => text.replace(/[^\s@<>"',;:()]+@[^\s@<>"',;:()]+/g, "<email>");

type ErrorRedactable = {
  middlewareStack: { add(mw: unknown, opts: { step: "finalizeRequest"; name: string; priority: "high" }): void };
};
/**
 * SES names addresses in its refusals ("Email address is not verified. The following identities
 * failed the check: customer@…"). This middleware, inside the tracer's (build step) and the
 * handler's catch, takes them out of the error's message before a trace or a log line records it.
 */
function redactEmailsInErrors<C>(client: C): C {
  (client as unknown as ErrorRedactable).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (e) {
        if (e instanceof Error) e.message = redactEmails(e.message);
        throw e;
      }
    },
    { step: "finalizeRequest", name: "redactEmailsInErrors", priority: "high" },
  );
  return client;
}

/** The SES (v1 API) client: SendEmail with HTML and text parts; no email address in its errors' messages. */
export const sesClient = (c: ClientConfig) => build(c, redactEmailsInErrors(new SESClient(c.sdk)));
/** The KMS client. */
export const kmsClient = (c: ClientConfig) => build(c, new KMSClient(c.sdk));
/** The Secrets Manager client (the order API reads the payment provider's keys with it). */
export const secretsClient = (c: ClientConfig) => build(c, new SecretsManagerClient(c.sdk));

/** The EventBridge client (the shop's business events, runtime/events.ts). */
export const eventBridgeClient = (c: ClientConfig) => build(c, new EventBridgeClient(c.sdk));

/** Builds every client from the environment (the worker, the local pipeline and tests). */
export function createClients(opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const c = clientConfig(opts, env);
  return { sqs: sqsClient(c), ddb: ddbClient(c), s3: s3Client(c), ses: sesClient(c), kms: kmsClient(c) };
}

/** Closes every client's sockets, so a process can exit without waiting on keep-alives. */
export function destroyClients(c: AwsClients): void {
  c.sqs.destroy();
  c.ddb.destroy();
  c.s3.destroy();
  c.ses.destroy();
  c.kms.destroy();
}

type AwsErrorLike = { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;

/** Did the service answer with a client error (4xx other than a timeout): the request was refused and had no effect? */
export function refusedByService(e: unknown): boolean {
  const status = (e as AwsErrorLike)?.$metadata?.httpStatusCode;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

const NETWORK_CODES = new Set(["ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "EAI_AGAIN", "ENOTFOUND"]);

/**
 * Is this a dependency that is unreachable, too slow, throttling or failing on its side (a 503
 * with a retry hint is the honest answer), rather than a fault of ours?
 */
export function isDependencyUnavailable(e: unknown): boolean {
  const err = e as AwsErrorLike;
  if (!err) return false;
  if (err.name === "TimeoutError" || (err.code && NETWORK_CODES.has(err.code))) return true;
  const status = err.$metadata?.httpStatusCode;
  return (
    typeof status === "number" &&
    (status >= 500 || status === 429 || /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded/.test(err.name ?? ""))
  );
}
