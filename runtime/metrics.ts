/**
 * The business metrics, named in one place: the handlers emit them, the Pulumi dashboard and
 * alarms read them, and the local pipeline aggregates them. No Pulumi import here.
 *
 * Emitted as CloudWatch embedded metric format (EMF), serialized by Powertools for AWS Lambda's
 * Metrics: one JSON line per data point on stdout.
 * CloudWatch Logs extracts the metric from such a line whoever sent it (Lambda's log stream, the
 * worker's awslogs driver); no agent and no PutMetricData call.
 */

import { Metrics, MetricUnit as PowertoolsUnit } from "@aws-lambda-powertools/metrics";
import { METRICS_NAMESPACE, METRICS_STACK_ENV, metricDimensions, type MetricDef, type MetricPart } from "./contracts/metrics";

/** Values that accompany a data point in its log line (searchable in Logs Insights), never dimensions. */
export type MetricProperties = Record<string, string | number | undefined>;

/** Emits business metrics; handlers take one through their deps. */
export interface MetricsEmitter {
  /** Records one data point of `metric`; `dimensions` must name exactly the metric's extra dimension keys. */
  emit(metric: MetricDef, value: number, dimensions?: Record<string, string>, properties?: MetricProperties): void;
}

/** An emitter that drops everything, for tests that do not look at metrics. */
export const silentMetrics: MetricsEmitter = { emit: () => undefined };

/** One Powertools Metrics instance per part and stack; emfDocument empties it after each use. */
const powertools = new Map<string, Metrics>();
function powertoolsMetrics(part: MetricPart, stack: string): Metrics {
  const key = `${part}\u0000${stack}`;
  let m = powertools.get(key);
  if (!m) {
    m = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: part, defaultDimensions: { Stack: stack } });
    powertools.set(key, m);
  }
  return m;
}

/**
 * The EMF document of one data point, serialized by Powertools for AWS Lambda's Metrics (its
 * namespace, `service` and `Stack` dimensions, metadata and timestamp). Properties become EMF
 * metadata (strings, searchable in Logs Insights); one that would collide with the directive, a
 * dimension or the value is left out.
 */
export function emfDocument(
  metric: MetricDef,
  value: number,
  stack: string,
  timestampMs: number,
  dimensions: Record<string, string> = {},
  properties: MetricProperties = {},
): Record<string, unknown> {
  const keys = Object.keys(dimensions).sort();
  const expected = [...metric.dimensions].sort();
  if (keys.join(",") !== expected.join(",")) {
    throw new Error(`metric ${metric.name} takes dimensions [${expected.join(", ")}], got [${keys.join(", ")}]`);
  }
  if (!Number.isFinite(value)) throw new Error(`metric ${metric.name}: value ${value} is not a finite number`);
  const m = powertoolsMetrics(metric.part, stack);
  const reserved = new Set(["_aws", "part", metric.name, ...Object.keys(metricDimensions(metric, stack, dimensions))]);
  try {
    m.addMetadata("part", metric.part); // as on the part's log lines: the saved queries select it
    for (const [k, v] of Object.entries(properties)) if (v !== undefined && !reserved.has(k)) m.addMetadata(k, String(v));
    for (const [k, v] of Object.entries(dimensions)) m.addDimension(k, v);
    m.setTimestamp(timestampMs);
    m.addMetric(metric.name, PowertoolsUnit[metric.unit], value);
    return m.serializeMetrics() as unknown as Record<string, unknown>;
  } finally {
    m.clearMetrics();
    m.clearDimensions();
    m.clearMetadata();
  }
}

/** An emitter writing one EMF JSON line per data point (stdout by default, which CloudWatch Logs reads). */
export function createEmfEmitter(
  stack: string,
  write: (line: string) => void = (l) => process.stdout.write(l + "\n"),
  now: () => number = Date.now,
): MetricsEmitter {
  return {
    emit: (metric, value, dimensions, properties) =>
      write(JSON.stringify(emfDocument(metric, value, stack, now(), dimensions, properties))),
  };
}

/** The stack name the emitters tag metrics with, from the environment. */
export function metricsStack(env: NodeJS.ProcessEnv = process.env): string {
  return env[METRICS_STACK_ENV]?.trim() || "local";
}

/** One data point read back from an EMF line. */
export interface MetricPoint {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly dimensions: Record<string, string>;
  readonly properties: Record<string, unknown>;
}

/** Reads the data points of an EMF line; [] for any other line. */
export function parseEmfLine(line: string): MetricPoint[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line);
  } catch {
    return [];
  }
  const aws = doc?._aws as { CloudWatchMetrics?: { Dimensions?: string[][]; Metrics?: { Name: string; Unit?: string }[] }[] } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const out: MetricPoint[] = [];
  for (const d of aws.CloudWatchMetrics) {
    const dimKeys = [...new Set((d.Dimensions ?? []).flat())];
    const dimensions = Object.fromEntries(dimKeys.map((k) => [k, String(doc[k])]));
    for (const m of d.Metrics ?? []) {
      const v = doc[m.Name];
      for (const value of Array.isArray(v) ? v : [v]) {
        if (typeof value === "number") out.push({ name: m.Name, unit: m.Unit ?? "None", value, dimensions, properties: doc });
      }
    }
  }
  return out;
}
