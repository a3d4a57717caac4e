import { expect } from "chai";
import { usePipeline } from "../helpers/pipeline";
import { waitUntil } from "../helpers/wait";
import { orderBody } from "../helpers/events";
import { LocalMetrics, percentile, type MetricSummary } from "../../local/metrics";
import { createEmfEmitter } from "../../runtime/metrics";
import { METRICS, METRICS_NAMESPACE } from "../../runtime/contracts/metrics";

describe("local metrics (GET /_local/metrics)", () => {
  describe("percentile", () => {
    const cases = [
      { values: [], p: 50, want: 0 },
      { values: [7], p: 99, want: 7 },
      { values: [1, 2, 3, 4], p: 50, want: 2 },
      { values: [1, 2, 3, 4], p: 99, want: 4 },
      { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 99, want: 99 },
    ];
    for (const c of cases) {
      it(`p${c.p} of ${c.values.length} values is ${c.want} (nearest rank)`, () => {
        expect(percentile(c.values, c.p)).to.equal(c.want);
      });
    }
  });

  describe("LocalMetrics", () => {
    it("aggregates EMF lines by metric and dimensions, ignores other lines, and orders series as the metric module does", () => {
      const m = new LocalMetrics();
      const lines: string[] = [];
      const emf = createEmfEmitter("local", (l) => lines.push(l));
      emf.emit(METRICS.emailsSent, 1);
      emf.emit(METRICS.ordersRefused, 1, { ErrorCode: "VALIDATION_FAILED" });
      emf.emit(METRICS.ordersRefused, 1, { ErrorCode: "VALIDATION_FAILED" });
      emf.emit(METRICS.ordersRefused, 1, { ErrorCode: "UNAUTHENTICATED" });
      for (const v of [30, 10, 20]) emf.emit(METRICS.renderDuration, v);
      for (const l of [...lines, '{"level":"info","msg":"order accepted"}']) m.observe(l, "x");
      const s = m.summary().map((x) => [x.name, x.dimensions.ErrorCode ?? "", x.count, x.sum, x.p50, x.max]);
      expect(s).to.deep.equal([
        ["OrdersRefused", "UNAUTHENTICATED", 1, 1, 1, 1],
        ["OrdersRefused", "VALIDATION_FAILED", 2, 2, 1, 1],
        ["RenderDuration", "", 3, 60, 20, 30],
        ["EmailsSent", "", 1, 1, 1, 1],
      ]);
      expect(m.lines).to.have.length(lines.length);
    });
  });

  describe("through the local pipeline", function () {
    this.timeout(90000);
    const ctx = usePipeline();

    it("one order: EMF lines from the API, the worker and the notifier carry its id, and /_local/metrics counts them", async () => {
      // Act: one accepted order, one refused
      const post = (body: unknown) =>
        fetch(`${ctx.p.apiUrl}/orders`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${ctx.token}` },
          body: JSON.stringify(body),
        });
      const ok = await post(orderBody());
      expect(ok.status).to.equal(202);
      const { orderId } = (await ok.json()) as { orderId: string };
      const refused = await post(orderBody({ items: [] }));
      expect(refused.status).to.equal(400);
      const code = ((await refused.json()) as { error: { code: string } }).error.code;

      // Assess: the EMF lines of this order, per part, as the parts printed them
      const emfOf = (label: string) =>
        ctx.p.metrics.lines.filter((l) => l.label === label && l.line.includes(orderId)).map((l) => JSON.parse(l.line));
      const names = (docs: Record<string, any>[]) => docs.map((d) => d._aws.CloudWatchMetrics[0].Metrics[0].Name);
      const notifierDocs = await waitUntil(
        async () => (names(emfOf("notifier")).includes("OrderToEmailLatency") ? emfOf("notifier") : undefined),
        30000,
        200,
      );
      expect(notifierDocs, "notifier EMF lines").to.not.equal(undefined);
      expect(names(emfOf("api"))).to.deep.equal(["OrdersAccepted", "OrdersPaid"]);
      expect(names(emfOf("worker"))).to.deep.equal(["InvoicesRendered", "RenderDuration", "PdfBytes"]);
      expect(names(notifierDocs!)).to.deep.equal(["EmailsSent", "OrderToEmailLatency"]);
      for (const d of [...emfOf("api"), ...emfOf("worker"), ...notifierDocs!]) {
        expect(d._aws.CloudWatchMetrics[0].Namespace).to.equal(METRICS_NAMESPACE);
        expect(d._aws.Timestamp).to.be.a("number");
        expect(d.orderId).to.equal(orderId);
      }
      const invoiceNumber = emfOf("worker")[0].invoiceNumber;
      expect(invoiceNumber).to.match(/^INV-\d{6}$/);
      expect(notifierDocs!.every((d) => d.invoiceNumber === invoiceNumber)).to.equal(true);

      // The order's trace across the three parts' ordinary logs (not only their metric lines)
      const logged = (label: string, msg: string) =>
        ctx.lines.some((l) => l.includes(` ${label} `) && l.includes(msg) && l.includes(`orderId=${orderId}`));
      expect(logged("api", "order recorded, awaiting payment"), "api").to.equal(true);
      expect(logged("api", "payment confirmed: order PAID"), "api paid").to.equal(true);
      expect(logged("worker", "invoice stored"), "worker").to.equal(true);
      expect(logged("notifier", "invoice email sent"), "notifier").to.equal(true);

      // The JSON view: what the dashboard will show
      const res = await fetch(`${ctx.p.apiUrl}/_local/metrics`);
      expect(res.status).to.equal(200);
      const { metrics } = (await res.json()) as { metrics: MetricSummary[] };
      const one = (name: string, dims: Record<string, string> = {}) =>
        metrics.find((m) => m.name === name && Object.entries(dims).every(([k, v]) => m.dimensions[k] === v));
      for (const name of ["OrdersAccepted", "InvoicesRendered", "EmailsSent"]) expect(one(name)?.sum, name).to.be.at.least(1);
      expect(one("OrdersRefused", { ErrorCode: code })?.count).to.be.at.least(1);
      const latency = one("OrderToEmailLatency")!;
      expect(latency.unit).to.equal("Milliseconds");
      expect(latency.p50).to.be.above(0).and.at.most(latency.p99);
      expect(one("PdfBytes")!.min).to.be.above(1000);
    });
  });
});
