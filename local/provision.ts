import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
} from "@aws-sdk/client-s3";
import { CreateConfigurationSetCommand, VerifyEmailIdentityCommand } from "@aws-sdk/client-ses";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateEventBusCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { randomBytes } from "node:crypto";
import type { AwsClients } from "../runtime/clients";
import { ENV, INVOICE_PREFIX, type LogLevel } from "../runtime/contracts/env";
import { sellerEnvironment, taxEnvironment, type SellerConfig, type TaxConfig } from "../components/environment";
import { TABLE_DESIGN } from "../runtime/contracts/table";
import type { PaymentSecret } from "../runtime/contracts/payments";
import { SETTING_DEFAULTS } from "../runtime/contracts/defaults";
import { DLQ_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS } from "../components/scaling";
import type { ObjectLockRetention } from "../components/data-plan";

/** What to create on the local AWS; names default to the local stack's. */
export interface LocalResourceArgs {
  readonly prefix: string;
  /** The payment provider's keys to store in the secret (tests share one stand-in). @default made up per run */
  readonly paymentKeys?: PaymentSecret;
  readonly region: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  readonly sender: string;
  /**
   * Also create the queues that stand in for the Lambdas' triggers: the bucket's object-created events (S3 -> notifier),
   * SES's email events (SNS -> email events handler), and the failure queue both hand failed events to.
   */
  readonly bucketEventsQueue: boolean;
  /** The invoices bucket's Object Lock default retention (the stack's `data.retention`). @default what dev deploys: GOVERNANCE, 1 day */
  readonly retention?: ObjectLockRetention;
}

/** The retention of a local bucket whose caller names none: dev's (Pulumi.dev.yaml). */
const LOCAL_RETENTION: ObjectLockRetention = { mode: "GOVERNANCE", days: 1 };

/** Names and addresses of what was created. */
export interface LocalResources {
  readonly table: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly bucket: string;
  readonly sender: string;
  /** The SES configuration set every invoice email names (local/ses-events.ts publishes its events). */
  readonly configurationSet: string;
  readonly linkKeyId: string;
  readonly bucketEventsQueueUrl?: string;
  /** Where the notifier driver puts an event that failed every attempt (Lambda's on-failure destination). */
  readonly emailFailureQueueUrl?: string;
  /** The local stand-in for the SES events topic's Lambda subscription: SNS notifications for the email events handler. */
  readonly emailEventsQueueUrl?: string;
  /** ARN of the secret holding the payment provider's keys (the order API's PAYMENT_SECRET_ID). */
  readonly paymentSecretId: string;
  /** The keys that secret holds, made up per run: the local payment provider stand-in must be given the same. */
  readonly paymentKeys: PaymentSecret;
  /** The business events bus (ENV.eventBusName). */
  readonly eventBus: string;
}

/** What each local resource's name adds to the prefix (`<prefix>-orders`...): it tells which stack resource a local one stands for. */
export const LOCAL_NAME_SUFFIX = {
  table: "-orders",
  queue: "-orders",
  dlq: "-orders-dlq",
  bucket: "-invoices",
  emailFailures: "-email-failures",
  /** The local stand-in for Lambda's S3 trigger: no queue in the stack. */
  invoiceEvents: "-invoice-events",
  /** The local stand-in for SNS delivering SES's events to the email events Lambda: no queue in the stack. */
  emailEvents: "-email-events",
  /** The configuration set every send names (the stack's `<prefix>-mail`). */
  configurationSet: "-mail",
  /** The payment provider's keys (the stack's Secrets Manager secret). */
  paymentSecret: "-payment-keys",
  /** The business events bus (the stack's components/event-bus.ts). */
  eventBus: "-events",
} as const;

/**
 * The invoices bucket as the stack has it: versioned, then under Object Lock with a default
 * retention (enabled on the existing bucket, as the stack's BucketObjectLockConfiguration does).
 * moto enforces it: a locked version cannot be deleted, and a PutObject needs a checksum.
 */
async function lockInvoices(clients: AwsClients, bucket: string, retention: ObjectLockRetention): Promise<void> {
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
  const period = "days" in retention ? { Days: retention.days } : { Years: retention.years };
  await clients.s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: retention.mode, ...period } } },
    }),
  );
}

/** Creates the table, queues, bucket, sender identity, link-signing key and payment secret the pipeline needs. */
export async function provisionLocalResources(clients: AwsClients, ddbRaw: DynamoDBClient, a: LocalResourceArgs): Promise<LocalResources> {
  const table = `${a.prefix}${LOCAL_NAME_SUFFIX.table}`;
  await ddbRaw.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: TABLE_DESIGN.partitionKey, AttributeType: "S" },
        { AttributeName: TABLE_DESIGN.customerIndex.partitionKey, AttributeType: "S" },
        { AttributeName: TABLE_DESIGN.customerIndex.sortKey, AttributeType: "S" },
        { AttributeName: TABLE_DESIGN.stateIndex.partitionKey, AttributeType: "S" },
        { AttributeName: TABLE_DESIGN.stateIndex.sortKey, AttributeType: "S" },
        { AttributeName: TABLE_DESIGN.monthIndex.partitionKey, AttributeType: "S" },
        { AttributeName: TABLE_DESIGN.monthIndex.sortKey, AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: TABLE_DESIGN.partitionKey, KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: TABLE_DESIGN.customerIndex.name,
          KeySchema: [
            { AttributeName: TABLE_DESIGN.customerIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: TABLE_DESIGN.customerIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
        {
          IndexName: TABLE_DESIGN.stateIndex.name,
          KeySchema: [
            { AttributeName: TABLE_DESIGN.stateIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: TABLE_DESIGN.stateIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
        {
          IndexName: TABLE_DESIGN.monthIndex.name,
          KeySchema: [
            { AttributeName: TABLE_DESIGN.monthIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: TABLE_DESIGN.monthIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  await ddbRaw.send(
    new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: TABLE_DESIGN.ttlAttribute, Enabled: true } }),
  );

  const dlq = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${a.prefix}${LOCAL_NAME_SUFFIX.dlq}`,
      Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
    }),
  );
  const dlqArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ["QueueArn"] })))
    .Attributes!.QueueArn!;
  const q = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${a.prefix}${LOCAL_NAME_SUFFIX.queue}`,
      Attributes: {
        VisibilityTimeout: String(a.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(QUEUE_RETENTION_SECONDS),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: a.maxReceiveCount }),
      },
    }),
  );

  const bucket = `${a.prefix}${LOCAL_NAME_SUFFIX.bucket}`;
  await clients.s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(a.region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: a.region as never } }),
    }),
  );
  await lockInvoices(clients, bucket, a.retention ?? LOCAL_RETENTION);
  let bucketEventsQueueUrl: string | undefined;
  let emailFailureQueueUrl: string | undefined;
  let emailEventsQueueUrl: string | undefined;
  if (a.bucketEventsQueue) {
    emailEventsQueueUrl = (
      await clients.sqs.send(
        new CreateQueueCommand({ QueueName: `${a.prefix}${LOCAL_NAME_SUFFIX.emailEvents}`, Attributes: { VisibilityTimeout: "60" } }),
      )
    ).QueueUrl!;
    emailFailureQueueUrl = (
      await clients.sqs.send(
        new CreateQueueCommand({
          QueueName: `${a.prefix}${LOCAL_NAME_SUFFIX.emailFailures}`,
          Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
        }),
      )
    ).QueueUrl!;
    const ev = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${a.prefix}${LOCAL_NAME_SUFFIX.invoiceEvents}`, Attributes: { VisibilityTimeout: "60" } }),
    );
    bucketEventsQueueUrl = ev.QueueUrl!;
    const evArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: ev.QueueUrl!, AttributeNames: ["QueueArn"] })))
      .Attributes!.QueueArn!;
    await clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            {
              QueueArn: evArn,
              Events: ["s3:ObjectCreated:*"],
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: "prefix", Value: INVOICE_PREFIX },
                    { Name: "suffix", Value: ".pdf" },
                  ],
                },
              },
            },
          ],
        },
      }),
    );
  }

  await clients.ses.send(new VerifyEmailIdentityCommand({ EmailAddress: a.sender }));
  const configurationSet = `${a.prefix}${LOCAL_NAME_SUFFIX.configurationSet}`;
  await clients.ses.send(new CreateConfigurationSetCommand({ ConfigurationSet: { Name: configurationSet } }));
  const key = await clients.kms.send(
    new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC", Description: `${a.prefix} invoice link signing` }),
  );

  const payment = await createPaymentSecret(ddbRaw, a.prefix, a.paymentKeys);
  const eventBus = await createEventBus(ddbRaw, `${a.prefix}${LOCAL_NAME_SUFFIX.eventBus}`);

  return {
    table,
    queueUrl: q.QueueUrl!,
    dlqUrl: dlq.QueueUrl!,
    bucket,
    sender: a.sender,
    configurationSet,
    linkKeyId: key.KeyMetadata!.KeyId!,
    bucketEventsQueueUrl,
    emailFailureQueueUrl,
    emailEventsQueueUrl,
    paymentSecretId: payment.arn,
    paymentKeys: payment.keys,
    eventBus,
  };
}

/** The business events bus, as the stack's; returns its name. */
async function createEventBus(like: DynamoDBClient, name: string): Promise<string> {
  // Same endpoint, region and credentials as the table's client: provisioning is not one of the parts.
  const events = new EventBridgeClient({
    region: like.config.region,
    endpoint: like.config.endpoint,
    credentials: like.config.credentials,
  });
  try {
    await events.send(new CreateEventBusCommand({ Name: name }));
    return name;
  } finally {
    events.destroy();
  }
}

/**
 * The payment secret as the stack's (components/api-tier.ts createPaymentSecret): one JSON secret of
 * test-mode-looking keys made up per run, which only the local provider stand-in accepts.
 */
async function createPaymentSecret(
  like: DynamoDBClient,
  prefix: string,
  given?: PaymentSecret,
): Promise<{ arn: string; keys: PaymentSecret }> {
  // Same endpoint, region and credentials as the table's client: provisioning is not one of the parts.
  const secrets = new SecretsManagerClient({
    region: like.config.region,
    endpoint: like.config.endpoint,
    credentials: like.config.credentials,
  });
  try {
    const keys: PaymentSecret = given ?? {
      secretKey: `sk_test_local_${randomBytes(12).toString("hex")}`,
      webhookSecret: `whsec_local_${randomBytes(16).toString("hex")}`,
    };
    const created = await secrets.send(
      new CreateSecretCommand({ Name: `${prefix}${LOCAL_NAME_SUFFIX.paymentSecret}`, SecretString: JSON.stringify(keys) }),
    );
    return { arn: created.ARN!, keys };
  } finally {
    secrets.destroy();
  }
}

/** What the order API's payment settings are locally: the stack's (local/stack-settings.ts), and the provider stand-in's URL. */
export interface LocalPaymentSettings {
  readonly shopCurrency: string;
  readonly paymentProvider: string;
  readonly paymentExpiryMinutes: number;
  /** The local payment provider stand-in's base URL (PAYMENT_API_BASE_URL); unset, the provider's SDK would call its real host. */
  readonly paymentApiBaseUrl?: string;
}

/** The runtime environment (ENV names) that points every part at these resources. */
export function runtimeEnv(
  r: LocalResources,
  extra: {
    region: string;
    endpoint: string;
    linkBaseUrl: string;
    linkTtlDays?: number;
    seller: SellerConfig;
    tax: TaxConfig;
    /** The VIES stand-in's REST base URL; unset: the EU's service. */
    viesApiBaseUrl?: string;
    logLevel?: LogLevel;
    /** @default the contract's defaults (SETTING_DEFAULTS) and no stand-in URL */
    payment?: LocalPaymentSettings;
  },
): Record<string, string> {
  const payment = extra.payment ?? {
    shopCurrency: SETTING_DEFAULTS.shopCurrency,
    paymentProvider: SETTING_DEFAULTS.paymentProvider,
    paymentExpiryMinutes: SETTING_DEFAULTS.paymentExpiryMinutes,
  };
  return {
    [ENV.region]: extra.region,
    [ENV.endpoint]: extra.endpoint,
    [ENV.ordersTable]: r.table,
    [ENV.ordersQueueUrl]: r.queueUrl,
    [ENV.invoicesBucket]: r.bucket,
    [ENV.eventBusName]: r.eventBus,
    [ENV.emailSender]: r.sender,
    [ENV.emailConfigurationSet]: r.configurationSet,
    ...sellerEnvironment(extra.seller),
    ...taxEnvironment(extra.seller, extra.tax),
    ...(extra.viesApiBaseUrl ? { [ENV.viesApiBaseUrl]: extra.viesApiBaseUrl } : {}),
    [ENV.linkKeyId]: r.linkKeyId,
    [ENV.linkBaseUrl]: extra.linkBaseUrl,
    ...(extra.linkTtlDays !== undefined ? { [ENV.linkTtlDays]: String(extra.linkTtlDays) } : {}),
    ...(extra.logLevel ? { [ENV.logLevel]: extra.logLevel } : {}),
    [ENV.shopCurrency]: payment.shopCurrency,
    [ENV.paymentProvider]: payment.paymentProvider,
    [ENV.paymentExpiryMinutes]: String(payment.paymentExpiryMinutes),
    [ENV.paymentSecretId]: r.paymentSecretId,
    ...(payment.paymentApiBaseUrl ? { [ENV.paymentApiBaseUrl]: payment.paymentApiBaseUrl } : {}),
  };
}
