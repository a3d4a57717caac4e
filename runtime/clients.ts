import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SESClient } from "@aws-sdk/client-ses";
import { KMSClient } from "@aws-sdk/client-kms";

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
}

/** The settings every client shares: region, endpoint override, retry budget. */
export interface ClientConfig {
  readonly region: string;
  readonly endpoint?: string;
  readonly maxAttempts: number;
}

/** Resolves the shared client settings from options and the standard AWS environment. */
export function clientConfig(opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint = opts.endpoint ?? (env.AWS_ENDPOINT_URL || undefined);
  return { region, maxAttempts: opts.maxAttempts ?? 3, ...(endpoint ? { endpoint } : {}) };
}

// One builder per client, so a bundled Lambda holds only the SDK clients its handler uses.
/** The SQS client. */
export const sqsClient = (c: ClientConfig) => new SQSClient(c);
/** The DynamoDB document client (undefined attributes dropped). */
export const ddbClient = (c: ClientConfig) => DynamoDBDocumentClient.from(new DynamoDBClient(c), { marshallOptions: { removeUndefinedValues: true } });
/** The S3 client; with an endpoint override it uses path-style addressing (virtual hosts under localhost do not resolve). */
export const s3Client = (c: ClientConfig) => new S3Client({ ...c, forcePathStyle: Boolean(c.endpoint) });
/** The SES (v1 API) client: SendEmail with HTML and text parts. */
export const sesClient = (c: ClientConfig) => new SESClient(c);
/** The KMS client. */
export const kmsClient = (c: ClientConfig) => new KMSClient(c);

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
