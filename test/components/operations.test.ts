import { expect } from "chai";
import { programRun, type MockedResource, type ProgramRun } from "../helpers/pulumi-mocks";
import { ALARM_THRESHOLDS as T, dashboardBody, PAYMENT_ALARMS, savedQueries, type OpsNames } from "../../components/operations";
import { createEmfEmitter, parseEmfLine } from "../../runtime/metrics";
import { METRICS, METRICS_NAMESPACE } from "../../runtime/contracts/metrics";
import { parseStackConfig } from "../../components/config";
import { workerScalingPlan } from "../../components/scaling";
import { readStackConfigFile } from "../../local/stack-settings";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** The AWS metrics the dashboard and alarms may use, by namespace, with the dimension keys each takes (AWS's documented metrics). */
const AWS_METRICS: Record<string, { names: string[]; dimensions: string[] }> = {
  "AWS/Lambda": { names: ["Errors", "Throttles", "Invocations", "Duration", "AsyncEventAge"], dimensions: ["FunctionName"] },
  "AWS/ApiGateway": { names: ["Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"], dimensions: ["ApiName", "Stage"] },
  "AWS/SQS": {
    names: ["ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "ApproximateAgeOfOldestMessage"],
    dimensions: ["QueueName"],
  },
  "ECS/ContainerInsights": { names: ["RunningTaskCount", "DesiredTaskCount"], dimensions: ["ClusterName", "ServiceName"] },
  // The account's reputation with SES: no dimension.
  "AWS/SES": { names: ["Reputation.BounceRate", "Reputation.ComplaintRate"], dimensions: [] },
};

/** One metric reference: namespace, name, dimensions. */
interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  where: string;
}

/** The names of this stack's resources an AWS metric's dimension may point at. */
function stackNames(run: ProgramRun): Record<string, string[]> {
  const names = (type: string) => run.ofType(type).map((r) => r.state.name as string);
  return {
    FunctionName: names("aws:lambda/function:Function"),
    ApiName: names("aws:apigateway/restApi:RestApi"),
    Stage: run.ofType("aws:apigateway/stage:Stage").map((s) => s.inputs.stageName),
    QueueName: names("aws:sqs/queue:Queue"),
    ClusterName: names("aws:ecs/cluster:Cluster"),
    ServiceName: names("aws:ecs/service:Service"),
  };
}

/** Every metric an alarm reads (plain or in its metric queries). */
function alarmRefs(a: MockedResource): MetricRef[] {
  const i = a.inputs;
  if (i.metricName) return [{ namespace: i.namespace, name: i.metricName, dimensions: i.dimensions ?? {}, where: a.name }];
  return (i.metricQueries ?? [])
    .filter((q: any) => q.metric)
    .map((q: any) => ({ namespace: q.metric.namespace, name: q.metric.metricName, dimensions: q.metric.dimensions ?? {}, where: a.name }));
}

/** Every metric the dashboard plots: metric lines, and the MetricName of SEARCH expressions. */
function dashboardRefs(body: { widgets: { properties: { title: string; metrics: any[] } }[] }): MetricRef[] {
  const out: MetricRef[] = [];
  for (const w of body.widgets) {
    for (const m of w.properties.metrics) {
      if (typeof m[0] === "string") {
        const [namespace, name, ...rest] = m;
        const pairs = rest.filter((x: unknown) => typeof x === "string");
        const dimensions: Record<string, string> = {};
        for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
        out.push({ namespace, name, dimensions, where: w.properties.title });
      } else {
        const expr: string = m[0].expression;
        const search = /^SEARCH\('\{([^}]*)\} MetricName="([^"]+)"((?: \w+="[^"]+")*)'/.exec(expr);
        if (!search) throw new Error(`unexpected expression in "${w.properties.title}": ${expr}`);
        const [namespace, ...keys] = search[1].split(",");
        const fixed = Object.fromEntries([...search[3].matchAll(/(\w+)="([^"]+)"/g)].map((p) => [p[1], p[2]]));
        out.push({
          namespace,
          name: search[2],
          dimensions: Object.fromEntries(keys.map((k) => [k, fixed[k] ?? "*"])),
          where: w.properties.title,
        });
      }
    }
  }
  return out;
}

for (const stack of ["dev", "prod"] as const) {
  describe(`operations of the ${stack} stack (Pulumi mocks)`, function () {
    this.timeout(60000);
    let run: ProgramRun;
    let topicArn: string;
    before(async () => {
      run = await programRun(stack);
      topicArn = run.one("aws:sns/topic:Topic", "-alarms").state.arn;
    });
    const alarm = (suffix: string) => run.one(ALARM, suffix).inputs;

    it("has one alarm topic, unencrypted by the AWS-managed key (CloudWatch could not publish), mailed only when alarmEmail is set", () => {
      const topic = run.one("aws:sns/topic:Topic", "-alarms");
      expect(run.parentType(topic)).to.equal("shop:ops:AlarmTopic");
      expect(topic.inputs.kmsMasterKeyId).to.equal(undefined);
      const subs = run
        .ofType("aws:sns/topicSubscription:TopicSubscription")
        .filter((s) => s.inputs.topic === topicArn)
        .map((s) => [s.inputs.topic, s.inputs.protocol, s.inputs.endpoint]);
      expect(subs).to.deep.equal(stack === "prod" ? [[topicArn, "email", "ops@acme-shop.eu"]] : []);
    });

    // Every alarm that tells a person: metric, statistic, threshold, comparison, and that its description says what to do.
    const metricAlarms = [
      {
        suffix: "-api-errors",
        ns: "AWS/Lambda",
        metric: "Errors",
        stat: "Sum",
        threshold: T.apiLambdaErrors,
        op: "GreaterThanOrEqualToThreshold",
        does: "roll back",
      },
      {
        suffix: "-api-throttles",
        ns: "AWS/Lambda",
        metric: "Throttles",
        stat: "Sum",
        threshold: T.lambdaThrottles,
        op: "GreaterThanOrEqualToThreshold",
        does: "raise the quota",
      },
      {
        suffix: "-notifier-errors",
        ns: "AWS/Lambda",
        metric: "Errors",
        stat: "Sum",
        threshold: T.notifierLambdaErrors,
        op: "GreaterThanOrEqualToThreshold",
        does: "Errors by code",
      },
      {
        // The notifier's concurrency is capped on purpose (sesMaxSendRate): throttles are the cap at work, not an alarm;
        // what matters is how long invoice emails wait in Lambda's queue for it.
        suffix: "-notifier-event-age",
        ns: "AWS/Lambda",
        metric: "AsyncEventAge",
        stat: "Maximum",
        threshold: T.notifierEventAgeMs,
        op: "GreaterThanOrEqualToThreshold",
        does: "sesMaxSendRate",
      },
      {
        suffix: "-api-p99-latency",
        ns: "AWS/ApiGateway",
        metric: "Latency",
        stat: "p99",
        threshold: T.apiP99LatencyMs,
        op: "GreaterThanThreshold",
        does: "apiMemoryMb",
      },
      {
        suffix: "-worker-crashed",
        ns: METRICS_NAMESPACE,
        metric: METRICS.workerCrashed.name,
        stat: "Sum",
        threshold: T.workerCrashed,
        op: "GreaterThanOrEqualToThreshold",
        does: "worker log group",
      },
      {
        suffix: "-oldest-message-age",
        ns: "AWS/SQS",
        metric: "ApproximateAgeOfOldestMessage",
        stat: "Maximum",
        threshold: stack === "prod" ? 600 : 1800,
        op: "GreaterThanOrEqualToThreshold",
        does: "worker",
      },
      {
        suffix: "-dlq-not-empty",
        ns: "AWS/SQS",
        metric: "ApproximateNumberOfMessagesVisible",
        stat: "Maximum",
        threshold: 0,
        op: "GreaterThanThreshold",
        does: "npm run redrive -- --queue dlq",
      },
      {
        suffix: "-invoice-email-bounced",
        ns: METRICS_NAMESPACE,
        metric: METRICS.emailsBounced.name,
        stat: "Sum",
        threshold: T.emailsBounced,
        op: "GreaterThanOrEqualToThreshold",
        does: "npm run resend -- --order ID --to ADDRESS",
      },
      {
        suffix: "-ses-bounce-rate",
        ns: "AWS/SES",
        metric: "Reputation.BounceRate",
        stat: "Maximum",
        threshold: 0.025,
        op: "GreaterThanOrEqualToThreshold",
        does: "AWS reviews senders at 5 %",
      },
      {
        suffix: "-ses-complaint-rate",
        ns: "AWS/SES",
        metric: "Reputation.ComplaintRate",
        stat: "Maximum",
        threshold: 0.0005,
        op: "GreaterThanOrEqualToThreshold",
        does: "AWS reviews senders at 0.1 %",
      },
      {
        suffix: "-email-failures-not-empty",
        ns: "AWS/SQS",
        metric: "ApproximateNumberOfMessagesVisible",
        stat: "Maximum",
        threshold: 0,
        op: "GreaterThanThreshold",
        does: "npm run redrive -- --queue email-failures",
      },
    ];
    for (const c of metricAlarms) {
      it(`alarm ${c.suffix.slice(1)}: ${c.ns} ${c.metric} ${c.stat} ${c.op} ${c.threshold}, to the topic, saying what to do`, () => {
        const a = alarm(c.suffix);
        expect([a.namespace, a.metricName, a.extendedStatistic ?? a.statistic, a.comparisonOperator, a.threshold]).to.deep.equal([
          c.ns,
          c.metric,
          c.stat,
          c.op,
          c.threshold,
        ]);
        expect(a.alarmActions).to.deep.equal([topicArn]);
        expect(a.okActions).to.deep.equal([topicArn]);
        expect(a.alarmDescription).to.include(c.does);
      });
    }

    it("alarm api-5xx-rate: 100 * 5XXError / Count above 5 % for two 5-minute periods, to the topic", () => {
      const a = alarm("-api-5xx-rate");
      const q = Object.fromEntries(a.metricQueries.map((m: any) => [m.id, m]));
      expect([q.errors.metric.metricName, q.errors.metric.stat, q.requests.metric.metricName, q.requests.metric.stat]).to.deep.equal([
        "5XXError",
        "Sum",
        "Count",
        "Sum",
      ]);
      expect(q.rate.expression).to.equal("IF(requests > 0, 100 * errors / requests, 0)");
      expect([q.rate.returnData, q.errors.returnData ?? false, q.requests.returnData ?? false]).to.deep.equal([true, false, false]);
      expect([a.threshold, a.comparisonOperator, a.evaluationPeriods, a.datapointsToAlarm]).to.deep.equal([
        T.api5xxPercent,
        "GreaterThanThreshold",
        2,
        2,
      ]);
      expect(a.alarmActions).to.deep.equal([topicArn]);
      expect(a.alarmDescription).to.include("Errors by code");
    });

    it("alarm worker-tasks-below-desired: DesiredTaskCount - RunningTaskCount >= 1 for 15 minutes, to the topic", () => {
      const a = alarm("-worker-tasks-below-desired");
      const q = Object.fromEntries(a.metricQueries.map((m: any) => [m.id, m]));
      expect([q.running.metric.metricName, q.desired.metric.metricName, q.missing.expression]).to.deep.equal([
        "RunningTaskCount",
        "DesiredTaskCount",
        "desired - running",
      ]);
      expect([a.threshold, a.comparisonOperator, a.evaluationPeriods, a.datapointsToAlarm]).to.deep.equal([
        1,
        "GreaterThanOrEqualToThreshold",
        15,
        15,
      ]);
      expect(a.alarmActions).to.deep.equal([topicArn]);
      expect(a.alarmDescription).to.include("ECS console");
      const cluster = run.one("aws:ecs/cluster:Cluster").inputs;
      expect(cluster.settings).to.deep.equal([{ name: "containerInsights", value: "enabled" }]);
    });

    it("composite no-invoices-while-orders-wait: the oldest-message alarm AND no InvoicesRendered in 15 minutes; only the composite notifies", () => {
      const composite = run.one("aws:cloudwatch/compositeAlarm:CompositeAlarm").inputs;
      const age = run.one(ALARM, "-oldest-message-age");
      const none = run.one(ALARM, "-no-invoices");
      expect(composite.alarmRule).to.equal(`ALARM("${age.state.name}") AND ALARM("${none.state.name}")`);
      expect([composite.alarmActions, composite.okActions]).to.deep.equal([[topicArn], [topicArn]]);
      expect(composite.alarmDescription).to.include("npm run redrive -- --queue dlq");
      const n = none.inputs;
      expect([
        n.namespace,
        n.metricName,
        n.dimensions,
        n.statistic,
        n.period,
        n.threshold,
        n.comparisonOperator,
        n.treatMissingData,
      ]).to.deep.equal([
        METRICS_NAMESPACE,
        METRICS.invoicesRendered.name,
        { service: "invoice-worker", Stack: stack },
        "Sum",
        T.noInvoicesMinutes * 60,
        1,
        "LessThanThreshold",
        "breaching",
      ]);
      expect(n.alarmActions ?? []).to.deep.equal([]);
    });

    it("routes every alarm that is not a scaling step or a composite part to the topic, and every one has a description", () => {
      const scaling = workerScalingPlan(parseStackConfig(readStackConfigFile(stack), stack).worker).map((a) => `-worker-${a.name}`);
      const silent = [...scaling, "-no-invoices"];
      for (const a of run.ofType(ALARM)) {
        expect(a.inputs.alarmDescription, a.name).to.be.a("string").with.length.above(40);
        if (silent.some((s) => a.name.endsWith(s))) continue;
        expect(a.inputs.alarmActions, a.name).to.deep.equal([topicArn]);
      }
    });

    it("dashboard and alarms reference only metrics the code emits (runtime/metrics.ts) or AWS metrics of this stack's resources", () => {
      const dash = run.one("aws:cloudwatch/dashboard:Dashboard").inputs;
      expect(dash.dashboardName).to.equal(`shop-${stack}`);
      const refs = [...dashboardRefs(JSON.parse(dash.dashboardBody)), ...run.ofType(ALARM).flatMap(alarmRefs)];
      const emitted = Object.fromEntries(Object.values(METRICS).map((m) => [m.name, m]));
      const names = stackNames(run);
      expect(refs.length).to.be.above(30);
      for (const r of refs) {
        const at = `${r.where}: ${r.namespace} ${r.name}`;
        if (r.namespace === METRICS_NAMESPACE) {
          expect(emitted[r.name], at).to.not.equal(undefined);
          // The series the code writes: one data point through the emitter the handlers use, read back.
          const m = emitted[r.name];
          const lines: string[] = [];
          createEmfEmitter(stack, (l) => lines.push(l)).emit(m, 1, Object.fromEntries(m.dimensions.map((d) => [d, "X"])));
          const [point] = parseEmfLine(lines[0]);
          expect(Object.keys(r.dimensions).sort(), at).to.deep.equal(Object.keys(point.dimensions).sort());
          for (const [k, v] of Object.entries(r.dimensions))
            if (!m.dimensions.includes(k)) expect(v, `${at} ${k}`).to.equal(point.dimensions[k]);
        } else {
          const known = AWS_METRICS[r.namespace];
          expect(known, at).to.not.equal(undefined);
          expect(known.names, at).to.include(r.name);
          expect(Object.keys(r.dimensions).sort(), at).to.deep.equal([...known.dimensions].sort());
          for (const [k, v] of Object.entries(r.dimensions)) expect(names[k], `${at} ${k}`).to.include(v);
        }
      }
      // Every business metric is on the dashboard.
      const plotted = new Set(dashboardRefs(JSON.parse(dash.dashboardBody)).map((r) => r.name));
      for (const m of Object.values(METRICS)) expect(plotted.has(m.name), m.name).to.equal(true);
    });

    it("saves the three Logs Insights queries over the API, worker, notifier and email events log groups", () => {
      const groups = run.outputs.logGroups;
      const qs = run.ofType("aws:cloudwatch/queryDefinition:QueryDefinition").map((q) => q.inputs);
      expect(qs.map((q) => q.name)).to.deep.equal(savedQueries(stack).map((q) => q.name));
      for (const q of qs) expect(q.logGroupNames).to.deep.equal([groups.api, groups.worker, groups.notifier, groups.emailEvents]);
      expect(qs[0].queryString).to.include('filter orderId = "ord_REPLACE_WITH_ID"').and.include("invoiceNumber").and.include("requestId");
      expect(qs[1].queryString).to.include("stats count(*) as errors by part, errorCode");
      // The line the email events handler writes for each failed invoice email (runtime/handlers/email-events.ts).
      expect(qs[2].queryString).to.include('filter alarm = "invoice-email-failed"').and.include("reason");
    });

    it("tells every part which stack its metrics belong to (METRICS_STACK)", () => {
      for (const fn of run.ofType("aws:lambda/function:Function"))
        expect(fn.inputs.environment.variables.METRICS_STACK, fn.name).to.equal(stack);
      const containers = JSON.parse(run.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions);
      expect(containers[0].environment).to.deep.include({ name: "METRICS_STACK", value: stack });
    });
  });
}

describe("dashboardBody", () => {
  const names: OpsNames = {
    stack: "dev",
    region: "eu-central-1",
    apiName: "api",
    stageName: "dev",
    apiFunction: "fn-api",
    notifierFunction: "fn-notify",
    emailEventsFunction: "fn-mail",
    queue: "q",
    dlq: "dlq",
    emailFailureQueue: "efq",
    cluster: "c",
    service: "s",
  };
  it("lays the flow out left to right: requests, orders, queue, tasks, then invoices, emails, stuck queues, order-to-email", () => {
    const titles = dashboardBody(names)
      .widgets.filter((w: any) => w.y === 0 || w.y === 6)
      .map((w: any) => [w.y, w.x, w.properties.title.split(/[:,(]/)[0].trim()]);
    expect(titles).to.deep.equal([
      [0, 0, "API requests"],
      [0, 6, "Orders accepted"],
      [0, 12, "Orders queue"],
      [0, 18, "Worker tasks"],
      [6, 0, "Invoices per minute and render time"],
      [6, 6, "Emails sent and failed"],
      [6, 12, "Stuck"],
      [6, 18, "Order to email"],
    ]);
  });
});

describe("the saved query of payment problems", () => {
  it("filters exactly the alarm values the order API's payment code logs", () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const sources = ["runtime/handlers/payment-flow.ts", "runtime/handlers/order-api.ts", "runtime/handlers/invoice-worker.ts"].map((f) =>
      fs.readFileSync(f, "utf8"),
    );
    const logged = new Set(sources.flatMap((src) => [...src.matchAll(/alarm: "([a-z-]+)"/g)].map((m) => m[1])));
    // Not payment problems: a dependency's outage, and an invoice.issued the worker could not publish (issue 18).
    const payment = [...logged].filter((a) => !["dependency-unavailable", "event-not-published"].includes(a)).sort();
    expect([...PAYMENT_ALARMS].sort()).to.deep.equal(payment);
    const query = savedQueries("dev").find((q) => q.key === "payment-problems")!.query;
    for (const a of PAYMENT_ALARMS) expect(query).to.contain(`"${a}"`);
  });
});
