import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, resourcePrefix } from "./components/config";
import { DataStores } from "./components/data-stores";
import { QueueTier } from "./components/queue-tier";
import { ApiTier } from "./components/api-tier";
import { NotificationTier } from "./components/notification-tier";
import { Network } from "./components/network";
import { sesIdentityArn } from "./components/iam";
import { WorkerTier } from "./components/worker-tier";
import { AlarmTopic, Operations } from "./components/operations";

// Read the configuration once, typed and checked; every problem is reported before anything is created.
// The stack's whole config map, not only the keys the program knows: a misspelt key must be refused, not ignored.
const config = parseStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
const prefix = resourcePrefix(config.stack);

const data = new DataStores(`${prefix}-data`, {
  bucketVersioning: config.data.bucketVersioning,
  expireAfterDays: config.data.expireAfterDays,
  noncurrentVersionExpireDays: config.data.noncurrentVersionExpireDays,
  deletionProtection: config.data.deletionProtection,
  pointInTimeRecovery: config.data.pointInTimeRecovery,
});

const alarms = new AlarmTopic(`${prefix}-ops`, { alarmEmail: config.alarmEmail });

const queue = new QueueTier(`${prefix}-queue`, {
  messageBudgetSeconds: config.worker.messageBudgetSeconds,
  maxReceiveCount: config.queue.maxReceiveCount,
  oldestMessageAlarmSeconds: config.queue.oldestMessageAlarmSeconds,
  alarmTopicArn: alarms.arn,
});

const api = new ApiTier(`${prefix}-api`, {
  stageName: config.stack,
  tableName: data.tableName,
  tableArn: data.tableArn,
  queueUrl: queue.queueUrl,
  queueArn: queue.queueArn,
  bucketName: data.bucketName,
  bucketArn: data.bucketArn,
  linkKeyArn: data.linkKeyArn,
  taxRateBps: config.taxRateBps,
  presignTtlSeconds: config.api.presignTtlSeconds,
  logLevel: config.logLevel,
  memoryMb: config.api.memoryMb,
  timeoutSeconds: config.api.timeoutSeconds,
  logRetentionDays: config.logRetentionDays,
  throttle: config.api.throttle,
  manageAccountLogsRole: config.api.manageAccountLogsRole,
  passwordSignIn: config.api.passwordSignIn,
  signUpEmail: config.api.cognitoEmailViaSes
    ? { from: config.emailSender, identityArn: sesIdentityArn(config.region, config.emailSender) }
    : undefined,
  deletionProtection: config.data.deletionProtection,
});

const notifications = new NotificationTier(`${prefix}-notify`, {
  bucketName: data.bucketName,
  bucketArn: data.bucketArn,
  tableName: data.tableName,
  tableArn: data.tableArn,
  linkKeyArn: data.linkKeyArn,
  linkBaseUrl: api.url,
  failureQueueArn: queue.emailFailureQueueArn,
  sender: config.emailSender,
  seller: config.seller,
  linkTtlDays: config.notifier.linkTtlDays,
  logLevel: config.logLevel,
  memoryMb: config.notifier.memoryMb,
  timeoutSeconds: config.notifier.timeoutSeconds,
  logRetentionDays: config.logRetentionDays,
});

const network = new Network(`${prefix}-net`, { mode: config.network.mode, region: config.region, vpcCidr: config.network.vpcCidr });

const worker = new WorkerTier(`${prefix}-worker`, {
  region: config.region,
  queueUrl: queue.queueUrl,
  queueArn: queue.queueArn,
  queueName: queue.queueName,
  tableName: data.tableName,
  tableArn: data.tableArn,
  bucketName: data.bucketName,
  bucketArn: data.bucketArn,
  subnetIds: network.subnetIds,
  securityGroupIds: [network.securityGroupId],
  assignPublicIp: network.assignPublicIp,
  networkReady: network.endpoints,
  seller: config.seller,
  messageBudgetSeconds: config.worker.messageBudgetSeconds,
  concurrency: config.worker.concurrency,
  cpu: config.worker.cpu,
  memoryMb: config.worker.memoryMb,
  architecture: config.worker.architecture,
  spot: config.worker.spot,
  minTasks: config.worker.minTasks,
  maxTasks: config.worker.maxTasks,
  backlogPerTask: config.worker.backlogPerTask,
  scaleInIdleMinutes: config.worker.scaleInIdleMinutes,
  logLevel: config.logLevel,
  logRetentionDays: config.logRetentionDays,
  forceDeleteImages: !config.data.deletionProtection,
});

const ops = new Operations(`${prefix}-ops`, {
  stack: config.stack,
  region: config.region,
  alarmTopicArn: alarms.arn,
  apiName: api.restApi.name,
  stageName: api.stage.stageName,
  apiFunctionName: api.handler.name,
  notifierFunctionName: notifications.handler.name,
  queueName: queue.queueName,
  deadLetterQueueName: queue.deadLetterQueue.name,
  emailFailureQueueName: queue.emailFailureQueue.name,
  ordersWaitingAlarmName: queue.oldestMessageAlarm.name,
  clusterName: worker.clusterName,
  serviceName: worker.serviceName,
  logGroups: { api: api.functionLogGroupName, worker: worker.logGroupName, notifier: notifications.functionLogGroupName },
});

export const apiUrl = api.url;
export const userPoolId = api.userPoolId;
export const userPoolClientId = api.userPoolClientId;
export const queueUrl = queue.queueUrl;
export const deadLetterQueueUrl = queue.deadLetterQueueUrl;
export const emailFailureQueueUrl = queue.emailFailureQueueUrl;
export const notifierFunctionName = notifications.handler.name;
export const bucketName = data.bucketName;
export const tableName = data.tableName;
export const imageUri = worker.imageUri;
export const senderIdentity = notifications.senderIdentity.emailIdentity;
export const alarmTopicArn = alarms.arn;
export const dashboardName = ops.dashboardName;
export const logGroups = {
  api: api.functionLogGroupName,
  apiAccess: api.accessLogGroupName,
  notifier: notifications.functionLogGroupName,
  worker: worker.logGroupName,
};
