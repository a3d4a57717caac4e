import type { Datapoint } from "../../components/metric-math";
import type { ScalingAlarmPlan, ScalingPolicyPlan, ScalingStep } from "../../components/scaling";

/**
 * A model of CloudWatch alarms driving Application Auto Scaling step scaling policies, one
 * evaluation a minute, as AWS documents them:
 * - an alarm is in ALARM while all of its last `minutes` datapoints breach (a minute without a
 *   value counts as its treatMissingData says), and invokes its policy at every evaluation then;
 * - the step is the one whose bounds, relative to the threshold, hold the value (above the
 *   threshold: lower bound inclusive, upper exclusive; below it: lower exclusive, upper inclusive);
 * - the result is clamped to the scalable target's minimum and maximum;
 * - a scale-out within its policy's cooldown counts the capacity the previous one added
 *   (ChangeInCapacity adds to the capacity before it, not to it again); a scale-in within its
 *   policy's cooldown is blocked; a scale-out ends the scale-in cooldowns.
 * Each alarm evaluates its plan's very expression (components/metric-math.ts).
 */
export class StepScaler {
  /** The service's desired count. */
  desired: number;
  private readonly datapoints: Datapoint[] = [];
  private readonly lastOut = new Map<string, { minute: number; from: number }>();
  private readonly lastIn = new Map<string, number>();

  constructor(
    private readonly plan: readonly ScalingAlarmPlan[],
    private readonly bounds: { readonly minTasks: number; readonly maxTasks: number },
    initialDesired: number,
  ) {
    this.desired = initialDesired;
  }

  /** Takes the datapoint of one more minute, lets every alarm evaluate, and returns the alarms that invoked their policy. */
  evaluate(minute: number, datapoint: Datapoint): string[] {
    this.datapoints.push(datapoint);
    const fired: string[] = [];
    for (const alarm of this.plan) {
      const value = alarmValue(alarm, this.datapoints);
      if (value === "ok") continue;
      fired.push(alarm.name);
      this.apply(alarm.policy, minute, value ?? alarm.threshold, alarm);
    }
    return fired;
  }

  private apply(policy: ScalingPolicyPlan, minute: number, value: number, alarm: ScalingAlarmPlan): void {
    const step = stepFor(policy.steps, value - alarm.threshold, alarm.comparison.startsWith("GreaterThan"));
    if (!step) throw new Error(`${alarm.name}: no step of ${policy.name} holds ${value}`);
    const within = (since: number | undefined) => since !== undefined && (minute - since) * 60 < policy.cooldownSeconds;
    const clamp = (n: number) => Math.min(this.bounds.maxTasks, Math.max(this.bounds.minTasks, n));
    const exact = policy.adjustmentType === "ExactCapacity";
    let target = clamp(exact ? step.scalingAdjustment : this.desired + step.scalingAdjustment);
    if (target > this.desired) {
      const previous = this.lastOut.get(policy.name);
      const cooling = within(previous?.minute);
      if (cooling && !exact) target = clamp(Math.max(this.desired, previous!.from + step.scalingAdjustment));
      if (target <= this.desired) return;
      if (!cooling) this.lastOut.set(policy.name, { minute, from: this.desired });
      this.lastIn.clear();
      this.desired = target;
    } else if (target < this.desired) {
      if (within(this.lastIn.get(policy.name))) return;
      this.lastIn.set(policy.name, minute);
      this.desired = target;
    }
  }
}

/** "ok", or the latest value of an alarm in ALARM (undefined: in ALARM on missing data). */
function alarmValue(alarm: ScalingAlarmPlan, datapoints: readonly Datapoint[]): number | undefined | "ok" {
  if (datapoints.length < alarm.minutes) return "ok";
  const values = datapoints.slice(-alarm.minutes).map((d) => alarm.expression.evaluate(d));
  const breaches = (v: number | undefined) => {
    if (v === undefined) return alarm.missingData === "breaching";
    if (alarm.comparison === "GreaterThanOrEqualToThreshold") return v >= alarm.threshold;
    if (alarm.comparison === "LessThanThreshold") return v < alarm.threshold;
    return v <= alarm.threshold;
  };
  return values.every(breaches) ? values[values.length - 1] : "ok";
}

/** The step whose bounds hold `delta` (the value minus the threshold). */
export function stepFor(steps: readonly ScalingStep[], delta: number, aboveThreshold: boolean): ScalingStep | undefined {
  return steps.find((s) => {
    const lower = s.metricIntervalLowerBound ?? -Infinity;
    const upper = s.metricIntervalUpperBound ?? Infinity;
    return aboveThreshold ? lower <= delta && delta < upper : lower < delta && delta <= upper;
  });
}
