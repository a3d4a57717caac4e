import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { KMSClient } from "@aws-sdk/client-kms";

/** Every AWS client the pipeline uses. Built once per process and handed to handlers as deps. */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly ses: SESv2Client;
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

/**
 * Builds the clients from the environment. With an endpoint override S3 uses path-style
 * addressing, since virtual-host names under localhost do not resolve.
 */
export function createClients(opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint = opts.endpoint ?? (env.AWS_ENDPOINT_URL || undefined);
  const base = {
    region,
    maxAttempts: opts.maxAttempts ?? 3,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and keeps waiting.
    requestHandler: { connectionTimeout: opts.connectTimeoutMs ?? 1000, requestTimeout: opts.requestTimeoutMs ?? 3000, throwOnRequestTimeout: true },
    ...(endpoint ? { endpoint } : {}),
  };
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(base), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    sqs: new SQSClient(base),
    ddb,
    s3: new S3Client({ ...base, forcePathStyle: Boolean(endpoint) }),
    ses: new SESv2Client(base),
    kms: new KMSClient(base),
  };
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
  return typeof status === "number" && (status >= 500 || status === 429 || /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded/.test(err.name ?? ""));
}
