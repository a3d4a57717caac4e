/**
 * The business metrics, named in one place: the handlers emit them (runtime/metrics.ts), the
 * Pulumi dashboard and alarms read them, and the local pipeline aggregates them.
 */

/** The CloudWatch namespace of every business metric. */
export const METRICS_NAMESPACE = "ShopBackend";
/** The environment variable naming the stack; it is the `Stack` dimension of every metric. */
export const METRICS_STACK_ENV = "METRICS_STACK";

/** CloudWatch units the metrics use. */
export type MetricUnit = "Count" | "Milliseconds" | "Bytes";
/** The part of the pipeline that emits a metric. */
export type MetricPart = "order-api" | "invoice-worker" | "email-notifier" | "email-events";

/** One business metric: its name, unit, who emits it, and the dimension keys beyond `Stack`. */
export interface MetricDef {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly part: MetricPart;
  /** Extra dimension keys, set per data point (e.g. the refusal's error code). */
  readonly dimensions: readonly string[];
  /** One line for the README and the dashboard. */
  readonly description: string;
}

const def = (name: string, unit: MetricUnit, part: MetricPart, description: string, dimensions: readonly string[] = []): MetricDef => ({
  name,
  unit,
  part,
  dimensions,
  description,
});

/** Every business metric the code emits. */
export const METRICS = {
  ordersAccepted: def("OrdersAccepted", "Count", "order-api", "orders answered 202 (first acceptance, not replays)"),
  ordersPaid: def("OrdersPaid", "Count", "order-api", "orders whose payment the provider confirmed (they become PAID)"),
  ordersRefused: def("OrdersRefused", "Count", "order-api", "API requests refused with a 4xx or 5xx, by error code", ["ErrorCode"]),
  invoicesRendered: def("InvoicesRendered", "Count", "invoice-worker", "invoice PDFs stored"),
  renderDuration: def("RenderDuration", "Milliseconds", "invoice-worker", "time to render one invoice PDF"),
  creditNotesIssued: def("CreditNotesIssued", "Count", "invoice-worker", "credit-note PDFs stored (the credit note ISSUED)"),
  pdfBytes: def("PdfBytes", "Bytes", "invoice-worker", "size of one invoice PDF"),
  emailsSent: def("EmailsSent", "Count", "email-notifier", "invoice emails SES accepted"),
  emailsFailed: def("EmailsFailed", "Count", "email-notifier", "invoice email attempts that failed (the event is retried)"),
  orderToEmailLatency: def("OrderToEmailLatency", "Milliseconds", "email-notifier", "from the order's creation to its invoice email"),
  emailsDelivered: def("EmailsDelivered", "Count", "email-events", "invoice emails the recipient's mail server accepted (SES Delivery)"),
  emailsBounced: def("EmailsBounced", "Count", "email-events", "invoice emails that bounced (SES Bounce): the customer has no invoice"),
  emailsComplained: def("EmailsComplained", "Count", "email-events", "invoice emails the recipient marked as spam (SES Complaint)"),
  emailsRejected: def("EmailsRejected", "Count", "email-events", "invoice emails SES refused to deliver after accepting them (SES Reject)"),
  workerCrashed: def("WorkerCrashed", "Count", "invoice-worker", "worker processes that exited abnormally (loop crashed, drain overran)"),
} as const;
export type MetricKey = keyof typeof METRICS;

/** The dimension Powertools' Metrics gives every metric: the part that emits it (its `serviceName`). */
export const SERVICE_DIMENSION = "service";

/**
 * The dimensions of a metric's series, exactly as the code emits them: the emitting part, the
 * stack, and the metric's own (e.g. the refusal's ErrorCode). The dashboard and alarms use this.
 */
export function metricDimensions(metric: MetricDef, stack: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [SERVICE_DIMENSION]: metric.part, Stack: stack, ...extra };
}
