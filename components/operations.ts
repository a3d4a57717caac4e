import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { METRICS, METRICS_NAMESPACE, metricDimensions, type MetricDef } from "../runtime/contracts/metrics";
import type { ArnRef, NameRef } from "./refs";

/** Arguments of the alarm topic. */
export interface AlarmTopicArgs {
  /** Who is told when an alarm fires or clears; no subscription when unset (dev). @default undefined */
  readonly alarmEmail?: string;
}

/** The SNS topic every alarm of the stack notifies, and its email subscription. */
export class AlarmTopic extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;

  constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:ops:AlarmTopic", name, {}, opts);
    // Not encrypted with the AWS-managed SNS key: CloudWatch alarms cannot publish to a topic under it.
    this.topic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this });
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: this.topic.arn, protocol: "email", endpoint: args.alarmEmail },
        { parent: this },
      );
    }
    this.registerOutputs({ arn: this.topic.arn });
  }
}

/** The names the alarms, dashboard and queries point at: each is a resource of the stack. */
export interface OpsNames {
  readonly stack: string;
  readonly region: string;
  readonly apiName: string;
  readonly stageName: string;
  readonly apiFunction: string;
  readonly notifierFunction: string;
  readonly emailEventsFunction: string;
  readonly queue: string;
  readonly dlq: string;
  readonly emailFailureQueue: string;
  readonly cluster: string;
  readonly service: string;
}

/** Arguments of the operations component: the tiers it watches, by the resources it names. */
export interface OperationsArgs {
  /** The stack's name: the `Stack` dimension of the business metrics. */
  readonly stack: string;
  readonly region: string;
  /** The topic alarms notify (AlarmTopic). */
  readonly alarmTopic: ArnRef;
  readonly api: {
    readonly restApi: NameRef;
    readonly stage: { readonly stageName: pulumi.Input<string> };
    readonly handler: NameRef;
    readonly functionLogGroup: NameRef;
  };
  readonly notifier: { readonly handler: NameRef; readonly functionLogGroup: NameRef };
  /** The Lambda that records SES's delivery, bounce and complaint events (EmailEvents). */
  readonly emailEvents: { readonly handler: NameRef; readonly functionLogGroup: NameRef };
  readonly queues: {
    readonly queue: NameRef;
    readonly deadLetterQueue: NameRef;
    readonly emailFailureQueue: NameRef;
    /** The queue tier's "orders wait too long" alarm; with no invoice made meanwhile it makes the composite fire. */
    readonly oldestMessageAlarm: NameRef;
  };
  readonly worker: { readonly cluster: NameRef; readonly service: NameRef; readonly logGroup: NameRef };
}

/** Thresholds of the alarms, in one place (the README's "Operating it" table repeats them). */
export const ALARM_THRESHOLDS = {
  /** Unhandled errors of the order API Lambda in 5 minutes (the handler answers known failures itself). */
  apiLambdaErrors: 1,
  /** Failed notifier invocations in 5 minutes; Lambda retries, so a few are normal under a brown-out. */
  notifierLambdaErrors: 5,
  /** Throttled invocations of the order API in 5 minutes (the notifier's are its concurrency cap at work). */
  lambdaThrottles: 1,
  /** Milliseconds the oldest invoice email waited in Lambda's asynchronous queue for the notifier's capped concurrency. */
  notifierEventAgeMs: 15 * 60 * 1000,
  /** Percent of API requests answered 5xx, over 5 minutes, two periods in a row. */
  api5xxPercent: 5,
  /** p99 latency of the API in milliseconds, three 5-minute periods in a row. */
  apiP99LatencyMs: 3000,
  /** Worker processes that exited abnormally in 5 minutes. */
  workerCrashed: 1,
  /** Minutes the worker service may run fewer tasks than desired (a deploy or a start takes a few). */
  tasksBelowDesiredMinutes: 15,
  /** Minutes without a single invoice while order messages wait, for the composite alarm. */
  noInvoicesMinutes: 15,
  /** Invoice emails that bounced in 5 minutes: a customer has no invoice until the back office re-sends it. */
  emailsBounced: 1,
  /**
   * The account's SES bounce rate (a fraction): half of the 5 % at which AWS reviews a sender
   * (it may pause sending at 10 %).
   */
  sesBounceRate: 0.025,
  /** The account's SES complaint rate: half of the 0.1 % at which AWS reviews a sender (it may pause at 0.5 %). */
  sesComplaintRate: 0.0005,
} as const;

/** The period of SES's reputation metrics the alarms read (SES computes the rates over a representative volume, not per minute). */
const REPUTATION_PERIOD = 3600;

const FIVE_MINUTES = 300;

/** One widget's metric line in the dashboard's JSON form: [namespace, name, dim, value, ..., options]. */
type MetricLine = (string | Record<string, unknown>)[];
const line = (namespace: string, name: string, dims: Record<string, string>, opts: Record<string, unknown> = {}): MetricLine => [
  namespace,
  name,
  ...Object.entries(dims).flat(),
  opts,
];
const biz = (n: OpsNames, m: MetricDef, opts: Record<string, unknown> = {}) =>
  line(METRICS_NAMESPACE, m.name, metricDimensions(m, n.stack), opts);

/** The dashboard's JSON body: the pipeline's flow left to right, top to bottom. */
export function dashboardBody(n: OpsNames): { widgets: Record<string, unknown>[] } {
  const W = 6;
  const H = 6;
  const widget = (col: number, row: number, title: string, metrics: MetricLine[], extra: Record<string, unknown> = {}) => ({
    type: "metric",
    x: col * W,
    y: row * H,
    width: W,
    height: H,
    properties: { title, region: n.region, view: "timeSeries", stacked: false, period: 60, metrics, ...extra },
  });
  const api = { ApiName: n.apiName, Stage: n.stageName };
  // Every series of OrdersRefused in this stack, one per ErrorCode: the schema names all its dimensions.
  const refused = metricDimensions(METRICS.ordersRefused, n.stack, { ErrorCode: "*" });
  const fixed = Object.entries(refused)
    .filter(([, v]) => v !== "*")
    .map(([k, v]) => `${k}="${v}"`)
    .join(" ");
  const refusedSearch = `SEARCH('{${METRICS_NAMESPACE},${Object.keys(refused).join(",")}} MetricName="${METRICS.ordersRefused.name}" ${fixed}', 'Sum', 60)`;
  return {
    widgets: [
      // Row 0: intake -> queue -> worker -> email
      widget(0, 0, "API requests, 4xx, 5xx", [
        line("AWS/ApiGateway", "Count", api, { stat: "Sum", label: "requests" }),
        line("AWS/ApiGateway", "4XXError", api, { stat: "Sum", label: "4xx" }),
        line("AWS/ApiGateway", "5XXError", api, { stat: "Sum", label: "5xx" }),
      ]),
      widget(1, 0, "Orders accepted, paid and refused (by code)", [
        biz(n, METRICS.ordersAccepted, { stat: "Sum", label: "accepted" }),
        biz(n, METRICS.ordersPaid, { stat: "Sum", label: "paid" }),
        [{ expression: refusedSearch, id: "refused", label: "refused" }],
      ]),
      widget(2, 0, "Orders queue: depth and oldest age (s)", [
        line("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: n.queue }, { stat: "Maximum", label: "waiting" }),
        line("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: n.queue }, { stat: "Maximum", label: "oldest (s)", yAxis: "right" }),
      ]),
      widget(3, 0, "Worker tasks: running vs desired", [
        line(
          "ECS/ContainerInsights",
          "RunningTaskCount",
          { ClusterName: n.cluster, ServiceName: n.service },
          { stat: "Average", label: "running" },
        ),
        line(
          "ECS/ContainerInsights",
          "DesiredTaskCount",
          { ClusterName: n.cluster, ServiceName: n.service },
          { stat: "Average", label: "desired" },
        ),
        biz(n, METRICS.workerCrashed, { stat: "Sum", label: "crashed", yAxis: "right" }),
      ]),
      // Row 1: worker output -> email -> what is stuck -> the customer's wait
      widget(0, 1, "Invoices per minute and render time (ms)", [
        biz(n, METRICS.invoicesRendered, { stat: "Sum", label: "invoices/min" }),
        biz(n, METRICS.creditNotesIssued, { stat: "Sum", label: "credit notes/min" }),
        biz(n, METRICS.renderDuration, { stat: "p50", label: "render p50", yAxis: "right" }),
        biz(n, METRICS.renderDuration, { stat: "p99", label: "render p99", yAxis: "right" }),
        biz(n, METRICS.pdfBytes, { stat: "Average", label: "PDF bytes", visible: false }),
      ]),
      widget(1, 1, "Emails sent and failed", [
        biz(n, METRICS.emailsSent, { stat: "Sum", label: "sent" }),
        biz(n, METRICS.emailsFailed, { stat: "Sum", label: "failed" }),
      ]),
      widget(2, 1, "Stuck: DLQ and email-failure queue", [
        line("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: n.dlq }, { stat: "Maximum", label: "orders DLQ" }),
        line(
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          { QueueName: n.emailFailureQueue },
          { stat: "Maximum", label: "email failures" },
        ),
      ]),
      widget(
        3,
        1,
        "Order to email (ms): p50 / p99",
        [
          biz(n, METRICS.orderToEmailLatency, { stat: "p50", label: "p50" }),
          biz(n, METRICS.orderToEmailLatency, { stat: "p99", label: "p99" }),
        ],
        { period: FIVE_MINUTES },
      ),
      // Row 2: the functions themselves
      widget(0, 2, "Lambda errors and throttles", [
        line("AWS/Lambda", "Errors", { FunctionName: n.apiFunction }, { stat: "Sum", label: "API errors" }),
        line("AWS/Lambda", "Throttles", { FunctionName: n.apiFunction }, { stat: "Sum", label: "API throttles" }),
        line("AWS/Lambda", "Errors", { FunctionName: n.notifierFunction }, { stat: "Sum", label: "notifier errors" }),
        line("AWS/Lambda", "Throttles", { FunctionName: n.notifierFunction }, { stat: "Sum", label: "notifier throttles" }),
        line("AWS/Lambda", "Errors", { FunctionName: n.emailEventsFunction }, { stat: "Sum", label: "email events errors" }),
      ]),
      widget(1, 2, "API latency (ms)", [
        line("AWS/ApiGateway", "Latency", api, { stat: "p50", label: "p50" }),
        line("AWS/ApiGateway", "Latency", api, { stat: "p99", label: "p99" }),
      ]),
      // What became of the emails SES accepted, and the account's standing with SES.
      widget(2, 2, "Invoice emails: delivered, bounced, complained, rejected", [
        biz(n, METRICS.emailsDelivered, { stat: "Sum", label: "delivered" }),
        biz(n, METRICS.emailsBounced, { stat: "Sum", label: "bounced" }),
        biz(n, METRICS.emailsComplained, { stat: "Sum", label: "complained" }),
        biz(n, METRICS.emailsRejected, { stat: "Sum", label: "rejected" }),
      ]),
      widget(
        3,
        2,
        "SES reputation (account): bounce and complaint rate",
        [
          line("AWS/SES", "Reputation.BounceRate", {}, { stat: "Maximum", label: "bounce rate" }),
          line("AWS/SES", "Reputation.ComplaintRate", {}, { stat: "Maximum", label: "complaint rate", yAxis: "right" }),
        ],
        { period: REPUTATION_PERIOD },
      ),
    ],
  };
}

/** The saved Logs Insights queries: name (folders by "/") and query text. */
export function savedQueries(stack: string): { key: string; name: string; query: string }[] {
  return [
    {
      key: "order-by-id",
      name: `shop-${stack}/Follow one order (replace the id)`,
      query: [
        "fields @timestamp, part, level, msg, orderId, requestId, invoiceNumber, messageId, errorName, errorMessage",
        '| filter orderId = "ord_REPLACE_WITH_ID"',
        "| sort @timestamp asc",
        "| limit 500",
      ].join("\n"),
    },
    {
      key: "errors-by-code",
      name: `shop-${stack}/Errors by code (run over the last hour)`,
      query: [
        "fields @timestamp, part, coalesce(code, errorName, alarm, msg) as errorCode",
        '| filter level = "error" or level = "warn" or msg = "request refused"',
        "| stats count(*) as errors by part, errorCode",
        "| sort errors desc",
      ].join("\n"),
    },
    {
      key: "email-failures",
      name: `shop-${stack}/Invoice emails that failed (bounce, complaint, reject)`,
      query: [
        "fields @timestamp, orderId, messageId, event, reason",
        '| filter alarm = "invoice-email-failed"',
        "| sort @timestamp desc",
        "| limit 200",
      ].join("\n"),
    },
    {
      key: "payment-problems",
      name: `shop-${stack}/Payments a person should look at (forged or foreign webhooks, paid after expiry)`,
      query: [
        "fields @timestamp, alarm, orderId, paymentId, eventId, eventType, reason, status",
        `| filter alarm in [${PAYMENT_ALARMS.map((a) => JSON.stringify(a)).join(", ")}]`,
        "| sort @timestamp desc",
        "| limit 200",
      ].join("\n"),
    },
  ];
}

/** The `alarm` values of the order API's payment log lines (runtime/handlers/payment-flow.ts, order-api.ts). */
export const PAYMENT_ALARMS = [
  "payment-mismatch",
  "payment-webhook-foreign",
  "payment-webhook-unknown-order",
  "paid-after-close",
  "webhook-signature-invalid",
  "payment-provider-unavailable",
  "paid-not-recorded",
  "unpaid-order-message",
] as const;

/**
 * What a person is told and the picture they look at: alarms on every part (to the AlarmTopic),
 * a "no invoices while orders wait" composite, the dashboard, and saved Logs Insights queries.
 * Every business metric it reads is named in runtime/contracts/metrics.ts, the module the code emits from.
 */
export class Operations extends pulumi.ComponentResource {
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  public readonly noInvoicesWhileOrdersWait: aws.cloudwatch.CompositeAlarm;
  public readonly dashboard: aws.cloudwatch.Dashboard;
  public readonly queries: aws.cloudwatch.QueryDefinition[];

  constructor(name: string, args: OperationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:ops:Operations", name, {}, opts);
    const alarm = alarmFactory(name, args.alarmTopic, this);
    const paging = [...lambdaAlarms(alarm, args), ...apiAlarms(alarm, args), ...workerAlarms(alarm, args), ...emailAlarms(alarm, args)];
    const noInvoices = noInvoicesAlarm(alarm, args.stack);
    this.alarms = [...paging, noInvoices];
    this.noInvoicesWhileOrdersWait = noInvoicesWhileOrdersWait(name, args, noInvoices, this);
    this.dashboard = createDashboard(name, args, this);
    this.queries = createSavedQueries(name, args, this);
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }
}

/** Creates one alarm `${name}-${suffix}`; routed alarms notify the topic when they fire and when they clear. */
type AlarmFactory = (
  suffix: string,
  a: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions">,
  routed?: boolean,
) => aws.cloudwatch.MetricAlarm;

function alarmFactory(name: string, topic: ArnRef, parent: pulumi.Resource): AlarmFactory {
  const actions = [topic.arn];
  const notify = { alarmActions: actions, okActions: actions, treatMissingData: "notBreaching" };
  return (suffix, a, routed = true) =>
    new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, routed ? { ...notify, ...a } : { treatMissingData: "notBreaching", ...a }, {
      parent,
    });
}

/** A business metric of this stack, as an alarm's metric fields. */
const bizMetric = (m: MetricDef, stack: string) => ({
  namespace: METRICS_NAMESPACE,
  metricName: m.name,
  dimensions: metricDimensions(m, stack),
});

/** Errors of both Lambdas, the API's throttles and how long invoice emails wait for the capped notifier. */
function lambdaAlarms(alarm: AlarmFactory, args: OperationsArgs): aws.cloudwatch.MetricAlarm[] {
  const T = ALARM_THRESHOLDS;
  const lambdaAlarm = (suffix: string, fn: NameRef, metricName: "Errors" | "Throttles", threshold: number, alarmDescription: string) =>
    alarm(suffix, {
      alarmDescription,
      namespace: "AWS/Lambda",
      metricName,
      dimensions: { FunctionName: fn.name },
      statistic: "Sum",
      period: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
  return [
    lambdaAlarm(
      "api-errors",
      args.api.handler,
      "Errors",
      T.apiLambdaErrors,
      "The order API Lambda crashed or timed out (customers got 502/504). Run the saved query 'Errors by code' and read the API log group; roll back the last deploy if it started then.",
    ),
    lambdaAlarm(
      "api-throttles",
      args.api.handler,
      "Throttles",
      T.lambdaThrottles,
      "The order API Lambda was throttled: the account's concurrency is used up. Check concurrent executions of the account; raise the quota or lower the stage's throttle (apiThrottleRateLimit).",
    ),
    lambdaAlarm(
      "notifier-errors",
      args.notifier.handler,
      "Errors",
      T.notifierLambdaErrors,
      "The email notifier failed repeatedly (SES refusals, DynamoDB or KMS trouble); Lambda retries each event twice. Run 'Errors by code'; events that failed every try land in the email failure queue.",
    ),
    // The notifier's throttles are its concurrency cap at work (sesMaxSendRate); how long emails wait for it is what matters.
    alarm("notifier-event-age", {
      alarmDescription: `An invoice email waited over ${T.notifierEventAgeMs / 60_000} minutes in Lambda's queue for the notifier, whose concurrency is capped below SES's sending rate: emails are delayed, not lost (Lambda keeps events 6 hours). If the load is real, raise the account's SES sending quota and then sesMaxSendRate.`,
      namespace: "AWS/Lambda",
      metricName: "AsyncEventAge",
      dimensions: { FunctionName: args.notifier.handler.name },
      statistic: "Maximum",
      period: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: T.notifierEventAgeMs,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    }),
  ];
}

/** The API's 5xx rate and p99 latency. */
function apiAlarms(alarm: AlarmFactory, args: OperationsArgs): aws.cloudwatch.MetricAlarm[] {
  const T = ALARM_THRESHOLDS;
  const api = { ApiName: args.api.restApi.name, Stage: args.api.stage.stageName };
  return [
    alarm("api-5xx-rate", {
      alarmDescription: `More than ${T.api5xxPercent}% of API requests answered 5xx for 10 minutes. Run 'Errors by code': SERVICE_UNAVAILABLE means DynamoDB or SQS is failing (AWS Health), INTERNAL a defect (roll back).`,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      threshold: T.api5xxPercent,
      comparisonOperator: "GreaterThanThreshold",
      metricQueries: [
        {
          id: "errors",
          metric: { namespace: "AWS/ApiGateway", metricName: "5XXError", dimensions: api, stat: "Sum", period: FIVE_MINUTES },
        },
        {
          id: "requests",
          metric: { namespace: "AWS/ApiGateway", metricName: "Count", dimensions: api, stat: "Sum", period: FIVE_MINUTES },
        },
        { id: "rate", expression: "IF(requests > 0, 100 * errors / requests, 0)", label: "5xx %", returnData: true },
      ],
    }),
    alarm("api-p99-latency", {
      alarmDescription: `The API's p99 latency stayed above ${T.apiP99LatencyMs} ms for 15 minutes. Check the Lambda's duration and DynamoDB/SQS latency on the dashboard; raise apiMemoryMb if the function is CPU-bound.`,
      namespace: "AWS/ApiGateway",
      metricName: "Latency",
      dimensions: api,
      extendedStatistic: "p99",
      period: FIVE_MINUTES,
      evaluationPeriods: 3,
      threshold: T.apiP99LatencyMs,
      comparisonOperator: "GreaterThanThreshold",
    }),
  ];
}

/** The worker crashing, and running fewer tasks than desired. */
function workerAlarms(alarm: AlarmFactory, args: OperationsArgs): aws.cloudwatch.MetricAlarm[] {
  const T = ALARM_THRESHOLDS;
  const ecs = { ClusterName: args.worker.cluster.name, ServiceName: args.worker.service.name };
  return [
    alarm("worker-crashed", {
      alarmDescription:
        "An invoice worker process exited abnormally (loop crashed or drain overran). ECS starts a new task; read the worker log group around the alarm (saved query 'Errors by code') and fix the cause before it repeats.",
      ...bizMetric(METRICS.workerCrashed, args.stack),
      statistic: "Sum",
      period: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: T.workerCrashed,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    }),
    alarm("worker-tasks-below-desired", {
      alarmDescription: `The worker service ran fewer tasks than desired for ${T.tasksBelowDesiredMinutes} minutes: tasks stop (out of memory, failed health check) or cannot start (image pull, subnet, Spot capacity). Read the service's events in the ECS console.`,
      evaluationPeriods: T.tasksBelowDesiredMinutes,
      datapointsToAlarm: T.tasksBelowDesiredMinutes,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      metricQueries: [
        {
          id: "running",
          metric: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: ecs, stat: "Average", period: 60 },
        },
        {
          id: "desired",
          metric: { namespace: "ECS/ContainerInsights", metricName: "DesiredTaskCount", dimensions: ecs, stat: "Average", period: 60 },
        },
        { id: "missing", expression: "desired - running", label: "tasks missing", returnData: true },
      ],
    }),
  ];
}

/** Invoice emails that bounced, and the account's SES bounce and complaint rates before AWS reviews them. */
function emailAlarms(alarm: AlarmFactory, args: OperationsArgs): aws.cloudwatch.MetricAlarm[] {
  const T = ALARM_THRESHOLDS;
  const reputation = (suffix: string, metricName: string, threshold: number, alarmDescription: string) =>
    alarm(suffix, {
      alarmDescription,
      namespace: "AWS/SES",
      metricName,
      statistic: "Maximum",
      period: REPUTATION_PERIOD,
      evaluationPeriods: 1,
      threshold,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
  return [
    alarm("invoice-email-bounced", {
      alarmDescription:
        "An invoice email bounced: the customer has no invoice. Run the saved query 'Invoice emails that failed' for the order and reason, get the right address from the customer, then npm run resend -- --order ID --to ADDRESS --stack <stack>.",
      ...bizMetric(METRICS.emailsBounced, args.stack),
      statistic: "Sum",
      period: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: T.emailsBounced,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    }),
    reputation(
      "ses-bounce-rate",
      "Reputation.BounceRate",
      T.sesBounceRate,
      `The account's SES bounce rate reached ${T.sesBounceRate * 100} %; AWS reviews senders at 5 % and may pause sending at 10 %. Run 'Invoice emails that failed': mistyped addresses (re-send to the right one), or a bad list of sends; SES's reputation dashboard shows the trend.`,
    ),
    reputation(
      "ses-complaint-rate",
      "Reputation.ComplaintRate",
      T.sesComplaintRate,
      `The account's SES complaint rate reached ${T.sesComplaintRate * 100} %; AWS reviews senders at 0.1 % and may pause sending at 0.5 %. Customers mark invoice emails as spam: check the sender name, subject and that only buyers are mailed; never re-send to a complainer.`,
    ),
  ];
}

/** No invoice rendered for a while. Part of the composite only: it notifies nobody on its own (an idle shop renders no invoice). */
function noInvoicesAlarm(alarm: AlarmFactory, stack: string): aws.cloudwatch.MetricAlarm {
  const T = ALARM_THRESHOLDS;
  return alarm(
    "no-invoices",
    {
      alarmDescription:
        "Part of 'no invoices while orders wait' (with the orders queue's oldest-message alarm): no invoice was rendered. No action on its own (an idle shop renders none).",
      ...bizMetric(METRICS.invoicesRendered, stack),
      statistic: "Sum",
      period: T.noInvoicesMinutes * 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
    },
    false,
  );
}

/** Orders wait and no invoice was made: the composite that pages. */
function noInvoicesWhileOrdersWait(
  name: string,
  args: OperationsArgs,
  noInvoices: aws.cloudwatch.MetricAlarm,
  parent: pulumi.Resource,
): aws.cloudwatch.CompositeAlarm {
  return new aws.cloudwatch.CompositeAlarm(
    `${name}-no-invoices-while-orders-wait`,
    {
      alarmName: `${name}-no-invoices-while-orders-wait`,
      alarmDescription:
        "Orders wait and no invoice was made: the worker is down, scaled to zero by mistake, or failing every order. Check running tasks on the dashboard, then the worker log; messages that failed 5 times are in the DLQ (npm run redrive -- --queue dlq).",
      alarmRule: pulumi.interpolate`ALARM("${args.queues.oldestMessageAlarm.name}") AND ALARM("${noInvoices.name}")`,
      alarmActions: [args.alarmTopic.arn],
      okActions: [args.alarmTopic.arn],
    },
    { parent },
  );
}

/** The dashboard of the stack's resources (dashboardBody). */
function createDashboard(name: string, args: OperationsArgs, parent: pulumi.Resource): aws.cloudwatch.Dashboard {
  const names = pulumi
    .all([
      args.api.restApi.name,
      args.api.stage.stageName,
      args.api.handler.name,
      args.notifier.handler.name,
      args.emailEvents.handler.name,
      args.queues.queue.name,
      args.queues.deadLetterQueue.name,
      args.queues.emailFailureQueue.name,
      args.worker.cluster.name,
      args.worker.service.name,
    ])
    .apply(([apiName, stageName, apiFunction, notifierFunction, emailEventsFunction, queue, dlq, emailFailureQueue, cluster, service]) => ({
      stack: args.stack,
      region: args.region,
      apiName,
      stageName,
      apiFunction,
      notifierFunction,
      emailEventsFunction,
      queue,
      dlq,
      emailFailureQueue,
      cluster,
      service,
    }));
  return new aws.cloudwatch.Dashboard(
    `${name}-dashboard`,
    { dashboardName: `shop-${args.stack}`, dashboardBody: names.apply((n) => JSON.stringify(dashboardBody(n))) },
    { parent },
  );
}

/** The saved Logs Insights queries over the four parts' log groups (savedQueries). */
function createSavedQueries(name: string, args: OperationsArgs, parent: pulumi.Resource): aws.cloudwatch.QueryDefinition[] {
  const logGroupNames = [
    args.api.functionLogGroup.name,
    args.worker.logGroup.name,
    args.notifier.functionLogGroup.name,
    args.emailEvents.functionLogGroup.name,
  ];
  return savedQueries(args.stack).map(
    (q) => new aws.cloudwatch.QueryDefinition(`${name}-query-${q.key}`, { name: q.name, queryString: q.query, logGroupNames }, { parent }),
  );
}
