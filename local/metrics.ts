import { parseEmfLine, type MetricPoint } from "../runtime/metrics";
import { METRICS } from "../runtime/contracts/metrics";
import { formatLogLine } from "./logfmt";

/** One metric series as GET /_local/metrics shows it: what the dashboard's widget would plot. */
export interface MetricSummary {
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Record<string, string>;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p99: number;
}

/** Nearest-rank percentile of sorted values (as CloudWatch's pNN of few samples). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Aggregates the EMF lines the local parts print, by metric and dimensions, so `npm start` shows
 * what the deployed dashboard will. Keeps every value (a local run is small).
 */
export class LocalMetrics {
  private readonly series = new Map<string, { name: string; unit: string; dimensions: Record<string, string>; values: number[] }>();
  /** The EMF lines seen, as the parts printed them, with the part's label (the last 10,000). */
  readonly lines: { label: string; line: string }[] = [];

  /** Takes one log line of the part `label`; returns its data points ([] when it is not an EMF line). */
  observe(line: string, label = ""): MetricPoint[] {
    const points = parseEmfLine(line);
    if (points.length) {
      this.lines.push({ label, line });
      if (this.lines.length > 10_000) this.lines.shift();
    }
    for (const p of points) {
      const key = JSON.stringify([p.name, Object.entries(p.dimensions).sort()]);
      const s = this.series.get(key) ?? { name: p.name, unit: p.unit, dimensions: p.dimensions, values: [] };
      s.values.push(p.value);
      this.series.set(key, s);
    }
    return points;
  }

  /** Every series seen, in the order of the metric-name module, then by dimensions. */
  summary(): MetricSummary[] {
    const order: string[] = Object.values(METRICS).map((m) => m.name);
    return [...this.series.values()]
      .map((s) => {
        const sorted = [...s.values].sort((a, b) => a - b);
        return {
          name: s.name,
          unit: s.unit,
          dimensions: s.dimensions,
          count: sorted.length,
          sum: sorted.reduce((a, b) => a + b, 0),
          min: sorted[0],
          max: sorted[sorted.length - 1],
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
        };
      })
      .sort(
        (a, b) => order.indexOf(a.name) - order.indexOf(b.name) || JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)),
      );
  }
}

/**
 * A log writer for one local part: EMF lines are counted and shown as one short `metric` line
 * (name=value and the order id), other lines are formatted as before.
 */
export function localLogWriter(metrics: LocalMetrics, label: string, print: (line: string) => void): (line: string) => void {
  return (line) => {
    const points = metrics.observe(line, label);
    if (points.length === 0) return print(formatLogLine(line, label));
    for (const p of points) {
      const { orderId, invoiceNumber, requestId } = p.properties as Record<string, string | undefined>;
      const extra = Object.fromEntries(Object.entries(p.dimensions).filter(([k]) => k !== "Stack"));
      print(
        formatLogLine(
          JSON.stringify({ msg: "metric", orderId, [p.name]: p.value, unit: p.unit, ...extra, invoiceNumber, requestId }),
          label,
        ),
      );
    }
  };
}
