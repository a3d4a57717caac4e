import { expect } from "chai";
import { partEnv, useLocalAws } from "../helpers/aws";
import { waitUntil } from "../helpers/wait";
import { apiDeps, capturingLogger, capturingMetrics, drainQueue, notifierDeps, workerDeps } from "../helpers/deps";
import { getOrder, lambdaContext, orderBody, postOrder, s3Event } from "../helpers/events";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { startWorkerLoop } from "../../runtime/handlers/worker-loop";
import { handleS3Event } from "../../runtime/handlers/email-notifier";
import { createEmailNotifierHandler } from "../../runtime/lambda/email-notifier";
import { invoiceKey } from "../../runtime/contracts/env";
import { createEmfEmitter, emfDocument, metricsStack, parseEmfLine } from "../../runtime/metrics";
import { METRICS, METRICS_NAMESPACE, type MetricDef } from "../../runtime/contracts/metrics";

describe("metrics (runtime/metrics.ts)", () => {
  describe("the metric names", () => {
    it("names every metric once, with a CloudWatch-safe name and a unit", () => {
      const names = Object.values(METRICS).map((m) => m.name);
      expect(new Set(names).size).to.equal(names.length);
      for (const n of names) expect(n).to.match(/^[A-Z][A-Za-z0-9]{2,63}$/);
    });
  });

  describe("emfDocument", () => {
    it("writes the EMF shape (Powertools' Metrics): namespace, service (the part) and Stack plus the metric's dimensions, unit, value at the root", () => {
      const doc = emfDocument(
        METRICS.ordersRefused,
        1,
        "prod",
        1_700_000_000_000,
        { ErrorCode: "VALIDATION_FAILED" },
        { requestId: "r-1" },
      );
      expect(doc).to.deep.equal({
        requestId: "r-1",
        _aws: {
          Timestamp: 1_700_000_000_000,
          CloudWatchMetrics: [
            {
              Namespace: METRICS_NAMESPACE,
              Dimensions: [["service", "Stack", "ErrorCode"]],
              Metrics: [{ Name: "OrdersRefused", Unit: "Count" }],
            },
          ],
        },
        part: "order-api",
        service: "order-api",
        Stack: "prod",
        ErrorCode: "VALIDATION_FAILED",
        OrdersRefused: 1,
      });
    });

    const bad: { what: string; metric: MetricDef; value: number; dims: Record<string, string> }[] = [
      { what: "a missing dimension", metric: METRICS.ordersRefused, value: 1, dims: {} },
      { what: "an extra dimension", metric: METRICS.ordersAccepted, value: 1, dims: { ErrorCode: "X" } },
      { what: "a value that is not a finite number", metric: METRICS.renderDuration, value: Number.NaN, dims: {} },
    ];
    for (const c of bad) {
      it(`refuses ${c.what}`, () => {
        expect(() => emfDocument(c.metric, c.value, "dev", 0, c.dims)).to.throw(Error, c.metric.name);
      });
    }

    it("keeps a property from overwriting the metric's value, dimensions or directive", () => {
      const doc = emfDocument(METRICS.ordersAccepted, 1, "dev", 0, {}, { OrdersAccepted: 99, Stack: "other", _aws: "x" } as never);
      const [p] = parseEmfLine(JSON.stringify(doc));
      expect([p.value, p.dimensions.Stack]).to.deep.equal([1, "dev"]);
    });
  });

  describe("createEmfEmitter and parseEmfLine", () => {
    it("writes one JSON line per data point that parses back to the same point", () => {
      const lines: string[] = [];
      const m = createEmfEmitter(
        "dev",
        (l) => lines.push(l),
        () => 42,
      );
      m.emit(METRICS.pdfBytes, 2048, {}, { orderId: "ord_1", invoiceNumber: "INV-000001" });
      expect(lines).to.have.length(1);
      const [p] = parseEmfLine(lines[0]);
      expect(p).to.deep.include({ name: "PdfBytes", unit: "Bytes", value: 2048, dimensions: { service: "invoice-worker", Stack: "dev" } });
      expect(p.properties).to.include({ orderId: "ord_1", invoiceNumber: "INV-000001" });
    });

    for (const line of ['{"level":"info","msg":"order accepted"}', "not json", "null", '{"_aws":{}}']) {
      it(`reads no data point from ${line}`, () => {
        expect(parseEmfLine(line)).to.deep.equal([]);
      });
    }

    it("tags metrics with the stack from METRICS_STACK, or 'local'", () => {
      expect(metricsStack({ METRICS_STACK: "prod" })).to.equal("prod");
      expect(metricsStack({})).to.equal("local");
    });
  });

  describe("what the handlers emit (through their deps, against moto)", () => {
    const ctx = useLocalAws({ bucketEventsQueue: false });

    it("order API: OrdersAccepted and OrdersPaid with the order id for a paid 202; OrdersRefused by code for a refused order; nothing for a GET 404", async () => {
      const m = capturingMetrics();
      const ok = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx, { metrics: m.metrics }));
      expect(ok.statusCode).to.equal(202);
      const orderId = JSON.parse(ok.body).orderId;
      const bad = await handleApiRequest(postOrder(orderBody({ items: [] })), apiDeps(ctx, { metrics: m.metrics }));
      expect(bad.statusCode).to.equal(400);
      const code = JSON.parse(bad.body).error.code;
      const missing = await handleApiRequest(getOrder("ord_doesnotexist01"), apiDeps(ctx, { metrics: m.metrics }));
      expect(missing.statusCode).to.equal(404);
      const points = m.points();
      expect(points.map((p) => [p.name, p.value, p.dimensions])).to.deep.equal([
        ["OrdersAccepted", 1, { service: "order-api", Stack: "test" }],
        ["OrdersPaid", 1, { service: "order-api", Stack: "test" }],
        ["OrdersRefused", 1, { service: "order-api", Stack: "test", ErrorCode: code }],
      ]);
      expect([points[0].properties.orderId, points[1].properties.orderId]).to.deep.equal([orderId, orderId]);
    });

    it("worker and notifier: InvoicesRendered, RenderDuration, PdfBytes; EmailsSent and OrderToEmailLatency, keyed by order and invoice", async () => {
      // Prepare: one order on the queue
      const created = Date.now();
      const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      const orderId = JSON.parse(r.body).orderId;
      const [msg] = await drainQueue(ctx);
      const w = capturingMetrics();
      const n = capturingMetrics();
      // Act
      await processOrderMessage(msg.body, workerDeps(ctx, { metrics: w.metrics }));
      await processOrderMessage(msg.body, workerDeps(ctx, { metrics: w.metrics })); // a duplicate delivery counts nothing
      await handleS3Event(s3Event(ctx.resources.bucket, [invoiceKey(orderId)]), notifierDeps(ctx, { metrics: n.metrics }));
      const done = Date.now();
      // Assess
      const wp = w.points();
      expect(wp.map((p) => p.name)).to.deep.equal(["InvoicesRendered", "RenderDuration", "PdfBytes"]);
      for (const p of wp) expect(p.properties).to.include({ orderId, invoiceNumber: "INV-000001" });
      expect(wp[0].value).to.equal(1);
      expect(wp[1].value).to.be.within(0, done - created);
      expect(wp[2].value).to.be.above(1000);
      const np = n.points();
      expect(np.map((p) => p.name)).to.deep.equal(["EmailsSent", "OrderToEmailLatency"]);
      expect(np[1].value).to.be.within(0, done - created + 1000); // createdAt is whole milliseconds of the API's clock
      for (const p of np) expect(p.properties).to.include({ orderId, invoiceNumber: "INV-000001" });
    });

    it("notifier entry: every log line of an invocation carries Lambda's request id, with the order id and invoice number", async () => {
      const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      const orderId = JSON.parse(r.body).orderId;
      const [msg] = await drainQueue(ctx);
      await processOrderMessage(msg.body, workerDeps(ctx));
      const lines: string[] = [];
      const handler = createEmailNotifierHandler(partEnv(ctx, "email-notifier"), { writeLog: (l) => lines.push(l) });
      await handler(s3Event(ctx.resources.bucket, [invoiceKey(orderId)]), lambdaContext("req-7f3a"));
      const logs = lines.map((l) => JSON.parse(l)).filter((l) => !l._aws);
      const sent = logs.find((l) => l.msg === "invoice email sent");
      expect(sent).to.include({ requestId: "req-7f3a", orderId, invoiceNumber: "INV-000001" });
      expect(lines.flatMap(parseEmfLine).map((p) => p.name)).to.deep.equal(["EmailsSent", "OrderToEmailLatency"]);
    });

    it("worker loop: a message that fails is logged with its order's id (from the API's message attribute)", async () => {
      const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      const orderId = JSON.parse(r.body).orderId;
      const { log, lines } = capturingLogger("invoice-worker");
      const m = capturingMetrics();
      const loop = startWorkerLoop(
        workerDeps(ctx, {
          log,
          metrics: m.metrics,
          render: () => {
            throw new Error("renderer down");
          },
        }),
      );
      await waitUntil(() => loop.stats().failed >= 1, 15000);
      await loop.stop();
      const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "message failed; left for retry");
      expect(failed).to.include({ orderId, errorMessage: "renderer down" });
      expect(m.points()).to.deep.equal([]); // nothing rendered, nothing counted
    });

    it("notifier: EmailsFailed for a record that failed (the event is retried)", async () => {
      const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      const orderId = JSON.parse(r.body).orderId; // PENDING, never invoiced: the notifier cannot send yet
      const n = capturingMetrics();
      let thrown: unknown;
      await handleS3Event(s3Event(ctx.resources.bucket, [invoiceKey(orderId)]), notifierDeps(ctx, { metrics: n.metrics })).catch(
        (e) => (thrown = e),
      );
      expect(thrown).to.be.instanceOf(Error);
      expect(n.points().map((p) => [p.name, p.value, p.properties.errorName])).to.deep.equal([["EmailsFailed", 1, "InvoiceNotCommitted"]]);
    });
  });
});
