import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, resourcePrefix } from "./components/config";
import { DataStores } from "./components/data-stores";
import { QueueTier } from "./components/queue-tier";
import { ApiTier } from "./components/api-tier";
import { NotificationTier } from "./components/notification-tier";
import { EmailEvents } from "./components/email-events";
import { Network } from "./components/network";
import { sesIdentityArn } from "./components/iam";
import { WorkerTier } from "./components/worker-tier";
import { EventBus } from "./components/event-bus";
import { AlarmTopic, Operations } from "./components/operations";
import { API_ROUTE_CONTRACT } from "./runtime/contracts/routes";

const STRIPE_WEBHOOK = API_ROUTE_CONTRACT.find((r) => r.auth === "provider-signature" && r.resource.endsWith("/stripe"))!;

// Read the configuration once, typed and checked; every problem is reported before anything is created.
// The stack's whole config map, not only the keys the program knows: a misspelt key must be refused, not ignored;
// and no placeholder address (the committed stack files hold some: each shop sets its own before deploying).
const config = parseStackConfig(pulumi.runtime.allConfig(), pulumi.getStack(), { deploying: true });
const prefix = resourcePrefix(config.stack);
const { logLevel, logRetentionDays } = config;

const data = new DataStores(`${prefix}-data`, config.data);
const alarms = new AlarmTopic(`${prefix}-ops`, { alarmEmail: config.alarmEmail });
const queues = new QueueTier(`${prefix}-queue`, {
  ...config.queue,
  messageBudgetSeconds: config.worker.messageBudgetSeconds,
  alarmTopic: alarms.topic,
});
const stores = { table: data.table, bucket: data.bucket, linkKey: data.linkKey };
// The sender's address as IAM and Cognito name it, verified by its own identity or by its domain's.
const senderArn = sesIdentityArn(config.region, config.emailSender);

// The stack's own bus for business events (order.paid, invoice.issued, ...): every publisher gets PutEvents on it alone.
const events = new EventBus(`${prefix}-events`);

const api = new ApiTier(`${prefix}-api`, {
  ...config.api,
  ...stores,
  stageName: config.stack,
  queue: queues.queue,
  eventBus: events,
  seller: config.seller,
  tax: config.tax,
  logLevel,
  logRetentionDays,
  // Only through an identity SES verified before this up: parseStackConfig refuses cognitoEmailViaSes without emailIdentityVerified.
  signUpEmail: config.api.cognitoEmailViaSes ? { from: config.emailSender, identityArn: senderArn } : undefined,
  deletionProtection: config.data.deletionProtection,
  shopCurrency: config.shop.currency,
  payment: {
    provider: config.payment.provider,
    expiryMinutes: config.payment.expiryMinutes,
    // Pulumi hands secret config to the program as plain strings: wrapped at once, they stay encrypted in the state.
    keys: { secretKey: pulumi.secret(config.payment.stripeSecretKey!), webhookSecret: pulumi.secret(config.payment.stripeWebhookSecret!) },
  },
});

// What SES reports after each send: the configuration set the notifier names, and the Lambda recording its events.
const emailEvents = new EmailEvents(`${prefix}-mail`, {
  table: data.table,
  failureQueue: queues.emailFailureQueue,
  eventBus: events,
  memoryMb: config.notifier.memoryMb,
  timeoutSeconds: config.notifier.timeoutSeconds,
  logLevel,
  logRetentionDays,
});

const notifications = new NotificationTier(`${prefix}-notify`, {
  ...config.notifier,
  ...stores,
  linkBaseUrl: api.stage.invokeUrl,
  failureQueue: queues.emailFailureQueue,
  eventBus: events,
  sender: config.emailSender,
  senderArn,
  senderIdentity: config.senderIdentity,
  region: config.region,
  configurationSet: { name: emailEvents.configurationSet.configurationSetName, arn: emailEvents.configurationSet.arn },
  seller: config.seller,
  logLevel,
  logRetentionDays,
});

const network = new Network(`${prefix}-net`, { ...config.network, region: config.region });

const worker = new WorkerTier(`${prefix}-worker`, {
  ...stores,
  region: config.region,
  queue: queues.queue,
  eventBus: events,
  network,
  seller: config.seller,
  sizing: config.worker,
  logLevel,
  logRetentionDays,
  forceDeleteImages: !config.data.deletionProtection,
});

const ops = new Operations(`${prefix}-ops`, {
  stack: config.stack,
  region: config.region,
  alarmTopic: alarms.topic,
  api,
  notifier: notifications,
  emailEvents,
  queues,
  worker,
});

export const apiUrl = api.stage.invokeUrl;
export const userPoolId = api.userPool.id;
export const userPoolClientId = api.userPoolClient.id;
/** The Cognito group of the shop's admins (README: adding a staff member). */
export const adminGroupName = api.adminGroup.name;
/** The URL to register as the Stripe webhook endpoint (its signing secret is the stripeWebhookSecret config). */
export const stripeWebhookUrl = pulumi.interpolate`${api.stage.invokeUrl}${STRIPE_WEBHOOK.resource}`;
export const queueUrl = queues.queue.url;
export const deadLetterQueueUrl = queues.deadLetterQueue.url;
export const emailFailureQueueUrl = queues.emailFailureQueue.url;
export const notifierFunctionName = notifications.handler.name;
export const emailEventsFunctionName = emailEvents.handler.name;
export const emailConfigurationSet = emailEvents.configurationSet.configurationSetName;
export const bucketName = data.bucket.bucket;
export const tableName = data.table.name;
export const imageUri = worker.image.imageUri;
export const workerRelease = worker.release;
/** The bus other systems' rules listen on for the shop's business events (README "Events for other systems"). */
export const eventBusName = events.name;
export const senderIdentity = notifications.senderIdentity;
/** DNS records to publish for a domain identity (emailIdentity: domain): DKIM CNAMEs, MAIL FROM MX and SPF. */
export const emailDnsRecords = notifications.dnsRecords;
export const alarmTopicArn = alarms.topic.arn;
export const dashboardName = ops.dashboard.dashboardName;
export const logGroups = {
  api: api.functionLogGroup.name,
  apiAccess: api.accessLogGroup.name,
  notifier: notifications.functionLogGroup.name,
  emailEvents: emailEvents.functionLogGroup.name,
  worker: worker.logGroup.name,
};
