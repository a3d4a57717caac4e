/**
 * Pure sizing and scaling decisions of the queue and the worker, tested without Pulumi.
 */
import { fill, metric, sum, type Expr } from "./metric-math";

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

/** The scale-out alarm fires when at least this many messages wait. One is enough: min 0 must wake up. */
export const SCALE_OUT_THRESHOLD = 1;

/**
 * Scale-out steps on the number of visible messages: one more task while the backlog is under
 * what one task clears, two more up to five times that, four more beyond. The scalable target
 * clamps the result to the configured maximum.
 */
export function scaleOutSteps(backlogPerTask: number): ScalingStep[] {
  if (!Number.isInteger(backlogPerTask) || backlogPerTask < 2) throw new RangeError("backlogPerTask must be a whole number of at least 2");
  const edge = (messages: number) => messages - SCALE_OUT_THRESHOLD;
  return [
    { metricIntervalLowerBound: 0, metricIntervalUpperBound: edge(backlogPerTask), scalingAdjustment: 1 },
    { metricIntervalLowerBound: edge(backlogPerTask), metricIntervalUpperBound: edge(5 * backlogPerTask), scalingAdjustment: 2 },
    { metricIntervalLowerBound: edge(5 * backlogPerTask), scalingAdjustment: 4 },
  ];
}

/** The scale-in step: when nothing is waiting or in flight, set the service to its minimum. */
export function scaleInSteps(minTasks: number): ScalingStep[] {
  return [{ metricIntervalUpperBound: 0, scalingAdjustment: minTasks }];
}

/** What a scaling metric is a metric of; the component names the resource. */
export type ScalingMetricOf = "queue" | "orderApi" | "service";

/** The metrics the worker's scaling alarms may read, by metric query id (one-minute periods). */
export const SCALING_METRICS = {
  visible: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", of: "queue", stat: "Maximum" },
  inflight: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesNotVisible", of: "queue", stat: "Maximum" },
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
 * The worker's scaling: step scaling on the orders queue's depth. Out on waiting messages (one
 * wakes a service at zero); in to the minimum after a window with nothing waiting or in flight.
 */
export function workerScalingPlan(s: ScalingSizing): ScalingAlarmPlan[] {
  const visible = metric("visible");
  const inflight = metric("inflight");
  return [
    {
      name: "backlog-high",
      description: "Orders are waiting: add invoice workers (wakes a service scaled to zero).",
      expression: fill(visible, 0),
      label: "Messages waiting",
      threshold: SCALE_OUT_THRESHOLD,
      comparison: "GreaterThanOrEqualToThreshold",
      minutes: 1,
      missingData: "notBreaching",
      policy: { name: "scale-out", adjustmentType: "ChangeInCapacity", steps: scaleOutSteps(s.backlogPerTask), cooldownSeconds: 60 },
    },
    {
      name: "queue-idle",
      description: `Nothing waiting or in flight for ${s.scaleInIdleMinutes} minutes: scale the invoice workers in to the minimum.`,
      expression: sum(visible, inflight),
      label: "Messages waiting or in flight",
      threshold: 0,
      comparison: "LessThanOrEqualToThreshold",
      minutes: s.scaleInIdleMinutes,
      // An idle queue may stop reporting; silence means nothing to do.
      missingData: "breaching",
      policy: { name: "scale-in", adjustmentType: "ExactCapacity", steps: scaleInSteps(s.minTasks), cooldownSeconds: 60 },
    },
  ];
}

/** The Fargate capacity the service runs on. */
export function capacityProviderStrategy(spot: boolean): { capacityProvider: "FARGATE" | "FARGATE_SPOT"; weight: number; base: number }[] {
  return [{ capacityProvider: spot ? "FARGATE_SPOT" : "FARGATE", weight: 1, base: 0 }];
}

/** The image platform and the task definition's CPU architecture of one worker architecture. */
export interface WorkerPlatform {
  readonly dockerPlatform: "linux/amd64" | "linux/arm64";
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

/** Lambda's asynchronous retries (its maximum) before a failed event goes to the on-failure destination. */
export const NOTIFIER_ASYNC_RETRIES = 2;

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
