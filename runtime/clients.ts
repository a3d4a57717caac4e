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

/** One AWS call as a client sent it (or presigned it): the IAM simulation's input. */
export interface AwsCallRecord {
  /** The SDK client, e.g. "DynamoDBClient". */
  readonly client: string;
  /** The SDK command, e.g. "PutItemCommand". */
  readonly command: string;
  /** The command's input as given (for the document client: its plain values, before marshalling). */
  readonly input: Record<string, unknown>;
}

/** Options of the client factory; every field defaults from the standard AWS environment. */
export interface ClientOptions {
  /** AWS region. @default process.env.AWS_REGION ?? "us-east-1" */
  readonly region?: string;
  /** Endpoint override (moto, LocalStack). @default process.env.AWS_ENDPOINT_URL */
  readonly endpoint?: string;
  /** Maximum SDK attempts per call. @default 3 */
  readonly maxAttempts?: number;
  /** Tests only: told of every call, presigned ones included, before it is sent. @default none (no middleware added) */
  readonly onCall?: (call: AwsCallRecord) => void;
}

type Recordable = { middlewareStack: { add(mw: unknown, opts: { step: "initialize"; name: string }): void } };
/** Adds the call recorder to a client's middleware stack (the first step, once per call). */
function recordCalls<C>(client: C, onCall: ((call: AwsCallRecord) => void) | undefined): C {
  if (!onCall) return client;
  (client as unknown as Recordable).middlewareStack.add(
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { clientName?: string; commandName?: string }) =>
      (args: { input: Record<string, unknown> }) => {
        onCall({ client: context.clientName ?? "unknown", command: context.commandName ?? "unknown", input: args.input });
        return next(args);
      },
    { step: "initialize", name: "awsCallRecorder" },
  );
  return client;
}

/**
 * Builds the clients from the environment. With an endpoint override S3 uses path-style
 * addressing, since virtual-host names under localhost do not resolve.
 */
export function createClients(opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint = opts.endpoint ?? (env.AWS_ENDPOINT_URL || undefined);
  const base = { region, maxAttempts: opts.maxAttempts ?? 3, ...(endpoint ? { endpoint } : {}) };
  const rec = <C>(client: C) => recordCalls(client, opts.onCall);
  const ddb = DynamoDBDocumentClient.from(rec(new DynamoDBClient(base)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    sqs: rec(new SQSClient(base)),
    ddb,
    s3: rec(new S3Client({ ...base, forcePathStyle: Boolean(endpoint) })),
    ses: rec(new SESv2Client(base)),
    kms: rec(new KMSClient(base)),
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
