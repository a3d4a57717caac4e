import type { Datapoint } from "../../components/metric-math";
import type { ScalingAlarmPlan } from "../../components/scaling";
import { StepScaler } from "./step-scaling";

/**
 * A minute-by-minute model of the invoice worker's world, to run a scaling plan against: orders
 * arrive through the API, wait in the queue, and are taken by the tasks that are running; the
 * metrics the alarms read are published as AWS publishes them, gaps included:
 * - SQS publishes a queue's metrics only while it is active: anything sent, received (tasks poll
 *   all the time) or waiting in the last 6 hours; a send that wakes an inactive queue brings its
 *   metrics back late (assumed here: 15 minutes). The visible count is the minute's maximum: a new message
 *   is visible for a moment before a poll takes it.
 * - Container Insights publishes the service's desired and running counts only while it has a task.
 * - The order API's OrdersAccepted (EMF) has a datapoint in each minute an order was accepted.
 * - Every datapoint reaches the alarms one minute after its minute (`LAG_MINUTES`).
 * Tasks start `startMinutes` after the desired count rises and stop at once when it falls.
 */
export interface FleetOptions {
  readonly plan: readonly ScalingAlarmPlan[];
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Messages one task works on at once. */
  readonly concurrency: number;
  /** Orders one running task finishes per minute. */
  readonly ordersPerTaskMinute: number;
  /** Seconds one order is in flight. */
  readonly secondsPerOrder: number;
  /** Minutes from a higher desired count to a running task (image pull, Spot placement). */
  readonly startMinutes: number;
  readonly minutes: number;
  /** Orders accepted by the API in a minute. */
  readonly ordersAt: (minute: number) => number;
  /** Tasks running at minute 0. */
  readonly initialTasks: number;
}

/** One minute of the model. */
export interface FleetMinute {
  readonly minute: number;
  readonly accepted: number;
  /** The desired count after this minute's scaling. */
  readonly desired: number;
  readonly running: number;
  /** Orders waiting at the minute's end. */
  readonly waiting: number;
  readonly processed: number;
  /** The longest an order finished in this minute waited, in minutes. */
  readonly longestWait: number;
  /** What the alarms will see for this minute. */
  readonly datapoint: Datapoint;
  readonly fired: readonly string[];
}

/** SQS stops publishing an idle queue's metrics after six hours; a send brings them back late (an assumption: 15 minutes). */
const SQS_INACTIVE_AFTER_MINUTES = 6 * 60;
const SQS_RESUME_MINUTES = 15;
/** How long after its minute a datapoint reaches the alarms. */
const LAG_MINUTES = 1;

/** Runs the plan's alarms and policies against the model for `minutes` minutes. */
export function runFleet(o: FleetOptions): FleetMinute[] {
  const scaler = new StepScaler(o.plan, o, o.initialTasks);
  let tasks: number[] = Array.from({ length: o.initialTasks }, () => 0); // each task's start minute
  const queue: { minute: number; count: number }[] = [];
  let lastActivity = 0;
  let metricsFrom = 0;
  const rows: FleetMinute[] = [];
  for (let minute = 0; minute < o.minutes; minute++) {
    const accepted = o.ordersAt(minute);
    const running = tasks.filter((start) => start <= minute).length;
    // SQS: an activity on an inactive queue brings its metrics back only later.
    const active = minute - lastActivity < SQS_INACTIVE_AFTER_MINUTES || queue.length > 0;
    if (accepted > 0 || running > 0) {
      if (!active) metricsFrom = minute + SQS_RESUME_MINUTES;
      lastActivity = minute;
    }
    if (accepted > 0) queue.push({ minute, count: accepted });
    let capacity = running * o.ordersPerTaskMinute;
    let processed = 0;
    let longestWait = 0;
    while (capacity > 0 && queue.length > 0) {
      const head = queue[0];
      const take = Math.min(head.count, capacity);
      head.count -= take;
      capacity -= take;
      processed += take;
      longestWait = Math.max(longestWait, minute - head.minute);
      if (head.count === 0) queue.shift();
    }
    const waiting = queue.reduce((n, q) => n + q.count, 0);
    const inflight = Math.min(running * o.concurrency, Math.ceil((processed * o.secondsPerOrder) / 60));
    const sqsPublishes = (minute - lastActivity < SQS_INACTIVE_AFTER_MINUTES || waiting > 0) && minute >= metricsFrom;
    const desiredBefore = scaler.desired;
    const datapoint: Datapoint = {
      visible: sqsPublishes ? waiting + Math.min(accepted, 1) : undefined,
      inflight: sqsPublishes ? inflight : undefined,
      accepted: accepted > 0 ? accepted : undefined,
      desired: desiredBefore > 0 || running > 0 ? desiredBefore : undefined,
      running: desiredBefore > 0 || running > 0 ? running : undefined,
    };
    // The alarms see this minute one minute later: evaluate the datapoint LAG_MINUTES back.
    const seen = rows.length >= LAG_MINUTES ? rows[rows.length - LAG_MINUTES].datapoint : {};
    const fired = scaler.evaluate(minute, seen);
    tasks = resize(tasks, scaler.desired, minute + o.startMinutes);
    rows.push({ minute, accepted, desired: scaler.desired, running, waiting, processed, longestWait, datapoint, fired });
  }
  return rows;
}

/** The tasks after a desired count change: new ones start later; the newest go first. */
function resize(tasks: number[], desired: number, startAt: number): number[] {
  const sorted = [...tasks].sort((a, b) => a - b);
  if (desired <= sorted.length) return sorted.slice(0, desired);
  return [...sorted, ...Array.from({ length: desired - sorted.length }, () => startAt)];
}
