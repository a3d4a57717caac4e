/**
 * Pure sizing and scaling decisions of the queue and the worker, tested without Pulumi.
 */
import { binary, fill, ifThen, metric, num, sum, type Expr } from "./metric-math";
import { METRICS, METRICS_NAMESPACE } from "../runtime/contracts/metrics";

/** Fargate memory (MiB) allowed for each CPU size. */
const FARGATE_MEMORY: Record<number, (mb: number) => boolean> = {
  256: (mb) => [512, 1024, 2048].includes(mb),
  512: (mb) => mb >= 1024 && mb <= 4096 && mb % 1024 === 0,
  1024: (mb) => mb >= 2048 && mb <= 8192 && mb % 1024 === 0,
  2048: (mb) => mb >= 4096 && mb <= 16384 && mb % 1024 === 0,
  4096: (mb) => mb >= 8192 && mb <= 30720 && mb % 1024 === 0,
};

/** Is `memoryMb` a valid Fargate task size for `cpu` units? */
export function fargateMemoryFits(cpu: number, memoryMb: number): boolean {
  return FARGATE_MEMORY[cpu]?.(memoryMb) ?? false;
}

/** SQS refuses visibility timeouts above 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * The orders queue's visibility timeout. The worker starts a message as soon as it receives it
 * (it never asks for more than its free slots), so one message is hidden for at most its budget;
 * twice the budget leaves room for SDK and transaction retries before SQS hands it out again.
 */
export function visibilityTimeoutSeconds(messageBudgetSeconds: number): number {
  if (!Number.isInteger(messageBudgetSeconds) || messageBudgetSeconds < 1)
    throw new RangeError("messageBudgetSeconds must be a positive whole number");
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(30, 2 * messageBudgetSeconds));
}

/** One step of a step-scaling policy, bounds relative to the alarm threshold (upper bound exclusive). */
export interface ScalingStep {
  readonly metricIntervalLowerBound?: number;
  readonly metricIntervalUpperBound?: number;
  readonly scalingAdjustment: number;
}

/** The wake alarm fires when at least this many orders wait or arrive for a service at zero. One is enough. */
export const WAKE_THRESHOLD = 1;

/** One more task up to `two`, two more up to `four`, four more beyond (bounds relative to the alarm's threshold). */
function oneTwoFourSteps(backlogPerTask: number, two: number, four: number): ScalingStep[] {
  if (!Number.isInteger(backlogPerTask) || backlogPerTask < 2) throw new RangeError("backlogPerTask must be a whole number of at least 2");
  return [
    { metricIntervalLowerBound: 0, metricIntervalUpperBound: two, scalingAdjustment: 1 },
    { metricIntervalLowerBound: two, metricIntervalUpperBound: four, scalingAdjustment: 2 },
    { metricIntervalLowerBound: four, scalingAdjustment: 4 },
  ];
}

/**
 * Wake-up steps on the orders waiting or just accepted while the service has no task (threshold:
 * one order): one task under what one task clears, two up to five times that, four beyond. The
 * scalable target clamps the result to the configured maximum.
 */
export function wakeSteps(backlogPerTask: number): ScalingStep[] {
  return oneTwoFourSteps(backlogPerTask, backlogPerTask - WAKE_THRESHOLD, 5 * backlogPerTask - WAKE_THRESHOLD);
}

/**
 * Scale-out steps on the waiting messages per task (threshold: backlogPerTask): one more task up
 * to twice that backlog, two more up to five times, four more beyond.
 */
export function scaleOutSteps(backlogPerTask: number): ScalingStep[] {
  return oneTwoFourSteps(backlogPerTask, backlogPerTask, 4 * backlogPerTask);
}

/** The one scale-in step under steady traffic: a task fewer. */
export const SCALE_IN_ONE_STEPS: readonly ScalingStep[] = [{ metricIntervalUpperBound: 0, scalingAdjustment: -1 }];

/** The scale-in step of an idle queue: set the service to its minimum. */
export function scaleInSteps(minTasks: number): ScalingStep[] {
  return [{ metricIntervalUpperBound: 0, scalingAdjustment: minTasks }];
}

/**
 * How busy the remaining tasks may be after one is removed: a task goes when the others would
 * have at most this share of their message slots in use. Below 1, so a removal never leaves the
 * rest saturated (which would scale out again: no flapping under steady traffic).
 */
export const SCALE_IN_UTILIZATION = 0.75;

/** Messages (waiting or in flight) per remaining task under which one task is removed. */
export function scaleInMark(concurrency: number): number {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a whole number of at least 1");
  return SCALE_IN_UTILIZATION * concurrency;
}

/** Cooldowns, seconds. Waking waits out Container Insights' report of the new desired count; scale-in waits for the load to spread. */
export const SCALING_COOLDOWN_SECONDS = { wake: 180, scaleOut: 60, scaleInOne: 120, scaleInIdle: 60 } as const;

/** What a scaling metric is a metric of; the component names the resource. */
export type ScalingMetricOf = "queue" | "orderApi" | "service";

/**
 * The metrics the worker's scaling alarms may read, by metric query id (one-minute periods). The
 * queue's stop while SQS deems it inactive (nothing in it, no API action on it for six hours) and come
 * back late after a send; the order API's OrdersAccepted (EMF) has a datapoint for every
 * minute an order was accepted, whatever SQS does; Container Insights counts the service's tasks.
 */
export const SCALING_METRICS = {
  visible: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", of: "queue", stat: "Maximum" },
  inflight: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesNotVisible", of: "queue", stat: "Maximum" },
  accepted: { namespace: METRICS_NAMESPACE, metricName: METRICS.ordersAccepted.name, of: "orderApi", stat: "Sum" },
  desired: { namespace: "ECS/ContainerInsights", metricName: "DesiredTaskCount", of: "service", stat: "Maximum" },
  running: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", of: "service", stat: "Maximum" },
} as const satisfies Record<string, { namespace: string; metricName: string; of: ScalingMetricOf; stat: "Maximum" | "Sum" }>;
export type ScalingMetricId = keyof typeof SCALING_METRICS;

/** A step scaling policy an alarm invokes. */
export interface ScalingPolicyPlan {
  /** The policy's name, after the tier's. */
  readonly name: string;
  readonly adjustmentType: "ChangeInCapacity" | "ExactCapacity";
  readonly steps: readonly ScalingStep[];
  readonly cooldownSeconds: number;
}

/** One scaling alarm: a metric math expression over SCALING_METRICS, evaluated each minute, and the policy it invokes. */
export interface ScalingAlarmPlan {
  /** The alarm's name, after the tier's. */
  readonly name: string;
  readonly description: string;
  readonly expression: Expr;
  readonly label: string;
  readonly threshold: number;
  readonly comparison: "GreaterThanOrEqualToThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
  /** One-minute periods evaluated, all of which must breach. */
  readonly minutes: number;
  /** How a minute the expression has no value for counts. */
  readonly missingData: "breaching" | "notBreaching";
  readonly policy: ScalingPolicyPlan;
}

/** What the worker's scaling depends on (a part of WorkerSizing). */
export interface ScalingSizing {
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly backlogPerTask: number;
  readonly scaleInIdleMinutes: number;
  readonly concurrency: number;
}

/**
 * The worker's scaling, four step policies each driven by its alarm:
 * - wake: a service without a task and an order waiting or just accepted. The API's own
 *   OrdersAccepted wakes it even when SQS publishes nothing for a queue idle for hours.
 * - backlog-high: more waiting messages per task than backlogPerTask: more tasks.
 * - backlog-low: for scaleInIdleMinutes the messages waiting or in flight would keep the tasks
 *   but one under SCALE_IN_UTILIZATION busy: one task fewer (down to one; steady traffic).
 * - queue-idle: for scaleInIdleMinutes nothing waited, ran, arrived or was starting: the minimum.
 * Missing metrics count as zero (FILL); a task count of zero makes the per-task views neutral.
 */
export function workerScalingPlan(s: ScalingSizing): ScalingAlarmPlan[] {
  const [visible, inflight, accepted, desired, running] = (["visible", "inflight", "accepted", "desired", "running"] as const).map((id) =>
    fill(metric(id), 0),
  );
  const mark = scaleInMark(s.concurrency);
  const C = SCALING_COOLDOWN_SECONDS;
  return [
    {
      name: "wake",
      description: "The invoice workers have no task and an order waits or was just accepted: start tasks.",
      expression: ifThen(binary(desired, "==", num(0)), sum(visible, accepted), num(0)),
      label: "Orders waiting or accepted while no task runs",
      threshold: WAKE_THRESHOLD,
      comparison: "GreaterThanOrEqualToThreshold",
      minutes: 1,
      missingData: "notBreaching",
      policy: { name: "wake", adjustmentType: "ChangeInCapacity", steps: wakeSteps(s.backlogPerTask), cooldownSeconds: C.wake },
    },
    {
      name: "backlog-high",
      description: `More than ${s.backlogPerTask} orders wait per invoice worker task: add tasks.`,
      expression: ifThen(binary(desired, ">", num(0)), binary(visible, "/", desired), num(0)),
      label: "Messages waiting per task",
      threshold: s.backlogPerTask,
      comparison: "GreaterThanOrEqualToThreshold",
      minutes: 1,
      missingData: "notBreaching",
      policy: {
        name: "scale-out",
        adjustmentType: "ChangeInCapacity",
        steps: scaleOutSteps(s.backlogPerTask),
        cooldownSeconds: C.scaleOut,
      },
    },
    {
      name: "backlog-low",
      description: `For ${s.scaleInIdleMinutes} minutes the invoice worker tasks but one could have taken all messages waiting or in flight at under ${SCALE_IN_UTILIZATION * 100}% of their slots: one task fewer.`,
      expression: ifThen(binary(running, ">=", num(2)), binary(sum(visible, inflight), "/", binary(running, "-", num(1))), num(mark)),
      label: "Messages waiting or in flight per task, one task fewer",
      threshold: mark,
      comparison: "LessThanThreshold",
      minutes: s.scaleInIdleMinutes,
      missingData: "notBreaching",
      policy: { name: "scale-in-one", adjustmentType: "ChangeInCapacity", steps: SCALE_IN_ONE_STEPS, cooldownSeconds: C.scaleInOne },
    },
    {
      name: "queue-idle",
      description: `For ${s.scaleInIdleMinutes} minutes nothing waited, ran, arrived or was starting: scale the invoice workers in to the minimum.`,
      expression: sum(visible, inflight, accepted, binary(desired, ">", running)),
      label: "Messages waiting, in flight or accepted, and tasks starting",
      threshold: 0,
      comparison: "LessThanOrEqualToThreshold",
      minutes: s.scaleInIdleMinutes,
      // An idle queue stops reporting; silence means nothing to do.
      missingData: "breaching",
      policy: { name: "scale-in", adjustmentType: "ExactCapacity", steps: scaleInSteps(s.minTasks), cooldownSeconds: C.scaleInIdle },
    },
  ];
}

/** The Fargate capacity the service runs on. */
export function capacityProviderStrategy(spot: boolean): { capacityProvider: "FARGATE" | "FARGATE_SPOT"; weight: number; base: number }[] {
  return [{ capacityProvider: spot ? "FARGATE_SPOT" : "FARGATE", weight: 1, base: 0 }];
}

/** The image platform and the task definition's CPU architecture of one worker architecture. */
export interface WorkerPlatform {
  readonly dockerPlatform: string;
  readonly cpuArchitecture: "X86_64" | "ARM64";
}

/** The image platform and the task's CPU architecture for a configured architecture; they must agree. */
export function workerPlatform(architecture: "x86_64" | "arm64"): WorkerPlatform {
  return architecture === "arm64"
    ? { dockerPlatform: "linux/arm64", cpuArchitecture: "ARM64" }
    : { dockerPlatform: "linux/amd64", cpuArchitecture: "X86_64" };
}

/** SQS's longest retention, so a failed order stays inspectable for two weeks. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** The orders queue keeps messages four days (the SQS default), well past any outage of the worker. */
export const QUEUE_RETENTION_SECONDS = 4 * 24 * 60 * 60;

/**
 * Lambda's waits before its asynchronous retries of a function error: one minute before the first, two minutes
 * before the second ("How Lambda handles errors and retries with asynchronous invocation", Lambda developer guide).
 * The local notifier driver follows this schedule.
 */
export const NOTIFIER_RETRY_DELAYS_SECONDS: readonly number[] = [60, 120];
/** Lambda's asynchronous retries (its maximum) before a failed event goes to the on-failure destination. */
export const NOTIFIER_ASYNC_RETRIES = NOTIFIER_RETRY_DELAYS_SECONDS.length;

/**
 * The least time one notifier invocation takes per email: five AWS calls in series (read, claim,
 * sign, send, mark); 47 ms against a local moto_server (BENCHMARKS.md), more against AWS.
 */
export const NOTIFIER_MIN_SECONDS_PER_EMAIL = 0.05;

/**
 * The notifier's reserved concurrency: invocations at once such that, each taking at least
 * NOTIFIER_MIN_SECONDS_PER_EMAIL, they send no faster than SES's maximum send rate (Little's law),
 * and at least one. Events beyond it wait in Lambda's asynchronous queue (up to 6 hours), and a
 * throttled event does not spend one of its retries, as an SES throttling error would.
 */
export function notifierReservedConcurrency(sesMaxSendRate: number): number {
  if (!Number.isInteger(sesMaxSendRate) || sesMaxSendRate < 1) throw new RangeError("sesMaxSendRate must be a whole number of at least 1");
  return Math.max(1, Math.floor(sesMaxSendRate * NOTIFIER_MIN_SECONDS_PER_EMAIL));
}
