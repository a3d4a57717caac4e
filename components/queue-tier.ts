import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { DLQ_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS, visibilityTimeoutSeconds } from "./scaling";

/** Arguments of the orders queue tier. */
export interface QueueTierArgs {
  /** Seconds the worker may spend on one message; the visibility timeout derives from it. */
  readonly messageBudgetSeconds: number;
  /** Deliveries before a message moves to the DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** Age of the oldest waiting message that raises the alarm. @default 900 */
  readonly oldestMessageAlarmSeconds?: number;
  /** The topic the alarms notify (components/operations.ts AlarmTopic); none when unset. @default undefined */
  readonly alarmTopicArn?: pulumi.Input<string>;
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
  public readonly queueUrl: pulumi.Output<string>;
  public readonly queueArn: pulumi.Output<string>;
  public readonly queueName: pulumi.Output<string>;
  public readonly deadLetterQueueUrl: pulumi.Output<string>;
  public readonly emailFailureQueueUrl: pulumi.Output<string>;
  public readonly emailFailureQueueArn: pulumi.Output<string>;

  constructor(name: string, args: QueueTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:queue:QueueTier", name, {}, opts);
    const maxReceiveCount = args.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1)
      throw new Error(`QueueTier ${name}: maxReceiveCount must be a positive whole number`);
    const parent = { parent: this };

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      parent,
    );
    this.queue = new aws.sqs.Queue(
      `${name}-orders`,
      {
        visibilityTimeoutSeconds: visibilityTimeoutSeconds(args.messageBudgetSeconds),
        messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
        sqsManagedSseEnabled: true,
        redrivePolicy: this.deadLetterQueue.arn.apply((deadLetterTargetArn) => JSON.stringify({ deadLetterTargetArn, maxReceiveCount })),
      },
      parent,
    );
    // Only the orders queue may redrive into the DLQ.
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-redrive-allow`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: this.queue.arn.apply((arn) => JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })),
      },
      parent,
    );

    // Lambda drops an asynchronous event after its retries; this queue keeps it for `npm run redrive`.
    this.emailFailureQueue = new aws.sqs.Queue(
      `${name}-email-failures`,
      { messageRetentionSeconds: DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      parent,
    );

    const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];

    // A queue that should stay empty: one message there is one order or email that needs a person.
    const notEmptyAlarm = (suffix: string, queue: aws.sqs.Queue, alarmDescription: string) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${suffix}`,
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
        parent,
      );
    this.dlqDepthAlarm = notEmptyAlarm(
      "dlq-not-empty",
      this.deadLetterQueue,
      "An order message failed every delivery and waits in the dead-letter queue (npm run redrive -- --queue dlq).",
    );
    this.emailFailureAlarm = notEmptyAlarm(
      "email-failures-not-empty",
      this.emailFailureQueue,
      "An invoice email failed every attempt; its event waits in the email failure queue (npm run redrive -- --queue email-failures).",
    );
    this.oldestMessageAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-oldest-message-age`,
      {
        alarmDescription: "Orders wait too long for an invoice: the worker is down, stuck or too small.",
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: this.queue.name },
        statistic: "Maximum",
        period: ALARM_PERIOD_SECONDS,
        evaluationPeriods: 3,
        threshold: args.oldestMessageAlarmSeconds ?? 900,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: actions,
        okActions: actions,
      },
      parent,
    );

    this.queueUrl = this.queue.url;
    this.queueArn = this.queue.arn;
    this.queueName = this.queue.name;
    this.deadLetterQueueUrl = this.deadLetterQueue.url;
    this.emailFailureQueueUrl = this.emailFailureQueue.url;
    this.emailFailureQueueArn = this.emailFailureQueue.arn;
    this.registerOutputs({
      queueUrl: this.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      emailFailureQueueUrl: this.emailFailureQueueUrl,
    });
  }
}
