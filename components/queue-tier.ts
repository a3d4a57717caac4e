import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { DLQ_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS, visibilityTimeoutSeconds } from "./scaling";
import type { ArnRef } from "./refs";

/** Arguments of the orders queue tier. */
export interface QueueTierArgs {
  /** Seconds the worker may spend on one message; the visibility timeout derives from it. */
  readonly messageBudgetSeconds: number;
  /** Deliveries before a message moves to the DLQ (components/config.ts maxReceiveCount). */
  readonly maxReceiveCount: number;
  /** Age of the oldest waiting message that raises the alarm (components/config.ts oldestMessageAlarmSeconds). */
  readonly oldestMessageAlarmSeconds: number;
  /** The topic the alarms notify (components/operations.ts AlarmTopic); none when unset. @default undefined */
  readonly alarmTopic?: ArnRef;
}

const ALARM_PERIOD_SECONDS = 60;

/**
 * The orders queue, its dead-letter queue, the email notifier's failure queue (the on-failure
 * destination of its asynchronous invocations), and the alarms that say an order or an email is stuck.
 */
export class QueueTier extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly dlqDepthAlarm: aws.cloudwatch.MetricAlarm;
  public readonly oldestMessageAlarm: aws.cloudwatch.MetricAlarm;
  public readonly emailFailureQueue: aws.sqs.Queue;
  public readonly emailFailureAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: QueueTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:queue:QueueTier", name, {}, opts);
    if (!Number.isInteger(args.maxReceiveCount) || args.maxReceiveCount < 1)
      throw new Error(`QueueTier ${name}: maxReceiveCount must be a positive whole number`);
    const actions = args.alarmTopic ? [args.alarmTopic.arn] : [];

    this.deadLetterQueue = createStuckQueue(`${name}-dlq`, this);
    this.queue = createOrdersQueue(name, args, this.deadLetterQueue, this);
    allowRedriveOnlyFrom(name, this.deadLetterQueue, this.queue, this);
    // Lambda drops an asynchronous event after its retries; this queue keeps it for `npm run redrive`.
    this.emailFailureQueue = createStuckQueue(`${name}-email-failures`, this);

    this.dlqDepthAlarm = notEmptyAlarm(
      `${name}-dlq-not-empty`,
      this.deadLetterQueue,
      "An order message failed every delivery and waits in the dead-letter queue (npm run redrive -- --queue dlq).",
      actions,
      this,
    );
    this.emailFailureAlarm = notEmptyAlarm(
      `${name}-email-failures-not-empty`,
      this.emailFailureQueue,
      "An invoice email failed every attempt; its event waits in the email failure queue (npm run redrive -- --queue email-failures).",
      actions,
      this,
    );
    this.oldestMessageAlarm = oldestMessageAlarm(name, this.queue, args.oldestMessageAlarmSeconds, actions, this);

    this.registerOutputs({
      queueUrl: this.queue.url,
      deadLetterQueueUrl: this.deadLetterQueue.url,
      emailFailureQueueUrl: this.emailFailureQueue.url,
    });
  }
}

/** A queue where a message means something needs a person: kept for the longest retention. */
function createStuckQueue(name: string, parent: pulumi.Resource): aws.sqs.Queue {
  return new aws.sqs.Queue(name, { messageRetentionSeconds: DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true }, { parent });
}

/** The orders queue: its visibility timeout fits the worker's budget; failed messages move to the DLQ. */
function createOrdersQueue(name: string, args: QueueTierArgs, dlq: aws.sqs.Queue, parent: pulumi.Resource): aws.sqs.Queue {
  const maxReceiveCount = args.maxReceiveCount;
  return new aws.sqs.Queue(
    `${name}-orders`,
    {
      visibilityTimeoutSeconds: visibilityTimeoutSeconds(args.messageBudgetSeconds),
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      redrivePolicy: dlq.arn.apply((deadLetterTargetArn) => JSON.stringify({ deadLetterTargetArn, maxReceiveCount })),
    },
    { parent },
  );
}

/** Only the orders queue may redrive into the DLQ. */
function allowRedriveOnlyFrom(name: string, dlq: aws.sqs.Queue, source: aws.sqs.Queue, parent: pulumi.Resource): void {
  new aws.sqs.RedriveAllowPolicy(
    `${name}-dlq-redrive-allow`,
    {
      queueUrl: dlq.url,
      redriveAllowPolicy: source.arn.apply((arn) => JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })),
    },
    { parent },
  );
}

/** A queue that should stay empty: one message there is one order or email that needs a person. */
function notEmptyAlarm(
  name: string,
  queue: aws.sqs.Queue,
  alarmDescription: string,
  actions: pulumi.Input<string>[],
  parent: pulumi.Resource,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      alarmDescription,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queue.name },
      statistic: "Maximum",
      period: ALARM_PERIOD_SECONDS,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
    },
    { parent },
  );
}

/** Orders wait too long: the worker is down, stuck or too small. */
function oldestMessageAlarm(
  name: string,
  queue: aws.sqs.Queue,
  thresholdSeconds: number,
  actions: pulumi.Input<string>[],
  parent: pulumi.Resource,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    `${name}-oldest-message-age`,
    {
      alarmDescription: "Orders wait too long for an invoice: the worker is down, stuck or too small.",
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: queue.name },
      statistic: "Maximum",
      period: ALARM_PERIOD_SECONDS,
      evaluationPeriods: 3,
      threshold: thresholdSeconds,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
    },
    { parent },
  );
}
