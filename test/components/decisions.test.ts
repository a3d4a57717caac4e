import { expect } from "chai";
import {
  capacityProviderStrategy,
  fargateMemoryFits,
  NOTIFIER_MIN_SECONDS_PER_EMAIL,
  notifierReservedConcurrency,
  SCALE_IN_ONE_STEPS,
  SCALE_IN_UTILIZATION,
  scaleInMark,
  scaleInSteps,
  scaleOutSteps,
  SCALING_METRICS,
  wakeSteps,
  visibilityTimeoutSeconds,
  workerPlatform,
  workerScalingPlan,
} from "../../components/scaling";
import { binary, fill, ifThen, metric, num, sum } from "../../components/metric-math";
import { runFleet, type FleetOptions } from "../helpers/worker-fleet";
import {
  apiFunctionPolicy,
  assumeRolePolicy,
  ecrRepositoryArn,
  notifierFunctionPolicy,
  emailEventsFunctionPolicy,
  sesEventsTopicPolicy,
  sesIdentitiesArn,
  workerExecutionPolicy,
  workerTaskPolicy,
  type PolicyDocument,
} from "../../components/policies";
import {
  ACCESS_LOG_FORMAT,
  deploymentTrigger,
  gatewayResponses,
  methodSpecs,
  pathSlug,
  rateSeconds,
  resourcePaths,
} from "../../components/api-routes";
import { endpointSlug, gatewayEndpointServices, interfaceEndpointServices, subnetCidrs } from "../../components/network-plan";
import { lifecycleRule } from "../../components/data-plan";
import { heartbeatIsFresh, heartbeatMaxAgeSeconds } from "../../invoice-container/heartbeat";
import { drainDeadlineSeconds, maxDrainableBudgetSeconds, stopTimeoutSeconds } from "../../invoice-container/drain";
import { API_ROUTES } from "../../runtime/handlers/order-api";
import { workerRelease } from "../../components/worker-tier";

describe("scaling decisions", () => {
  describe("visibilityTimeoutSeconds", () => {
    const cases = [
      { budget: 5, expected: 30 },
      { budget: 60, expected: 120 },
      { budget: 900, expected: 1800 },
      { budget: 30_000, expected: 43_200 },
    ];
    for (const c of cases) {
      it(`hides a message ${c.expected} s for a ${c.budget} s budget`, () => {
        expect(visibilityTimeoutSeconds(c.budget)).to.equal(c.expected);
      });
    }
    it("refuses a budget that is not a positive whole number", () => {
      expect(() => visibilityTimeoutSeconds(0)).to.throw(RangeError);
      expect(() => visibilityTimeoutSeconds(1.5)).to.throw(RangeError);
    });
  });

  describe("wakeSteps and scaleOutSteps", () => {
    // Bounds are relative to each alarm's threshold: one order for the wake, backlogPerTask waiting per task for the scale-out.
    const cases = [
      { steps: wakeSteps, does: "start one task for the first order, two past one task's backlog, four past five", edges: [19, 99] },
      { steps: scaleOutSteps, does: "add one task up to twice the backlog per task, two up to five times, four beyond", edges: [20, 80] },
    ];
    for (const c of cases) {
      it(`${c.steps.name}: ${c.does}`, () => {
        expect(c.steps(20)).to.deep.equal([
          { metricIntervalLowerBound: 0, metricIntervalUpperBound: c.edges[0], scalingAdjustment: 1 },
          { metricIntervalLowerBound: c.edges[0], metricIntervalUpperBound: c.edges[1], scalingAdjustment: 2 },
          { metricIntervalLowerBound: c.edges[1], scalingAdjustment: 4 },
        ]);
        for (const bpt of [2, 7, 50]) {
          // Every breach from the threshold up falls in exactly one step.
          const steps = c.steps(bpt);
          expect(steps[0].metricIntervalLowerBound).to.equal(0);
          for (let i = 1; i < steps.length; i++) expect(steps[i].metricIntervalLowerBound).to.equal(steps[i - 1].metricIntervalUpperBound);
          expect(steps[steps.length - 1].metricIntervalUpperBound).to.equal(undefined);
        }
        expect(() => c.steps(1)).to.throw(RangeError);
      });
    }
  });

  it("removes a task when the others would be under three quarters busy, and scales an idle queue in to exactly the minimum", () => {
    expect([scaleInMark(4), scaleInMark(1), SCALE_IN_UTILIZATION]).to.deep.equal([3, 0.75, 0.75]);
    expect(SCALE_IN_ONE_STEPS).to.deep.equal([{ metricIntervalUpperBound: 0, scalingAdjustment: -1 }]);
    expect(scaleInSteps(0)).to.deep.equal([{ metricIntervalUpperBound: 0, scalingAdjustment: 0 }]);
    expect(scaleInSteps(2)).to.deep.equal([{ metricIntervalUpperBound: 0, scalingAdjustment: 2 }]);
  });

  describe("notifierReservedConcurrency", () => {
    // Invocations at once = sending rate x the shortest time one email takes (0.05 s), at least one.
    const cases = [
      { rate: 1, concurrency: 1 },
      { rate: 14, concurrency: 1 },
      { rate: 39, concurrency: 1 },
      { rate: 40, concurrency: 2 },
      { rate: 100, concurrency: 5 },
      { rate: 1000, concurrency: 50 },
    ];
    for (const c of cases) {
      it(`lets ${c.concurrency} invocation(s) run at once for SES's ${c.rate} emails/s`, () => {
        expect(notifierReservedConcurrency(c.rate)).to.equal(c.concurrency);
        // Never faster than the rate, once at least one invocation is allowed.
        if (c.concurrency > 1) expect(c.concurrency / NOTIFIER_MIN_SECONDS_PER_EMAIL).to.be.at.most(c.rate);
      });
    }
    it("refuses a rate that is not a positive whole number", () => {
      expect(() => notifierReservedConcurrency(0)).to.throw(RangeError);
      expect(() => notifierReservedConcurrency(2.5)).to.throw(RangeError);
    });
  });

  it("runs on Spot only when asked", () => {
    expect(capacityProviderStrategy(true)).to.deep.equal([{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }]);
    expect(capacityProviderStrategy(false)).to.deep.equal([{ capacityProvider: "FARGATE", weight: 1, base: 0 }]);
  });

  it("builds the image for the architecture the task runs on", () => {
    expect(workerPlatform("x86_64")).to.deep.equal({ dockerPlatform: "linux/amd64", cpuArchitecture: "X86_64" });
    expect(workerPlatform("arm64")).to.deep.equal({ dockerPlatform: "linux/arm64", cpuArchitecture: "ARM64" });
  });

  describe("fargateMemoryFits", () => {
    const cases: [number, number, boolean][] = [
      [256, 512, true],
      [256, 4096, false],
      [512, 1024, true],
      [512, 1536, false],
      [1024, 8192, true],
      [4096, 30720, true],
      [300, 1024, false],
    ];
    for (const [cpu, mem, ok] of cases)
      it(`${ok ? "accepts" : "refuses"} ${cpu} CPU with ${mem} MiB`, () => expect(fargateMemoryFits(cpu, mem)).to.equal(ok));
  });
});

describe("metric math expressions", () => {
  const visible = metric("visible");
  const running = metric("running");
  const perTask = ifThen(binary(fill(running, 0), ">", num(0)), binary(fill(visible, 0), "/", fill(running, 0)), num(0));

  it("renders the text CloudWatch evaluates, operations in parentheses where they are operands", () => {
    expect(perTask.text).to.equal("IF(FILL(running, 0) > 0, FILL(visible, 0) / FILL(running, 0), 0)");
    expect(binary(sum(visible, running), "/", num(2)).text).to.equal("(visible + running) / 2");
    expect(perTask.ids).to.deep.equal(["running", "visible"]);
    expect(() => metric("Visible")).to.throw(/lower-case/);
  });

  const cases: { values: Record<string, number | undefined>; expected: number | undefined }[] = [
    { values: { visible: 60, running: 3 }, expected: 20 },
    { values: { visible: undefined, running: 3 }, expected: 0 },
    { values: { visible: 60, running: undefined }, expected: 0 },
    { values: { visible: 60, running: 0 }, expected: 0 },
  ];
  for (const c of cases) {
    it(`evaluates it per datapoint as CloudWatch does: ${JSON.stringify(c.values)} -> ${c.expected}`, () => {
      expect(perTask.evaluate(c.values)).to.equal(c.expected);
    });
  }

  it("has no datapoint where an unfilled metric has none, and none for a division by zero", () => {
    expect(sum(visible, running).evaluate({ visible: 1 })).to.equal(undefined);
    expect(binary(visible, "/", running).evaluate({ visible: 1, running: 0 })).to.equal(undefined);
    expect(binary(visible, ">=", num(1)).evaluate({ visible: 1 })).to.equal(1);
  });
});

describe("workerScalingPlan", () => {
  const sizing = { minTasks: 0, maxTasks: 2, backlogPerTask: 20, scaleInIdleMinutes: 5, concurrency: 4 };

  it("gives every alarm a policy of its own, reading only metrics it knows", () => {
    const plan = workerScalingPlan(sizing);
    expect(new Set(plan.map((a) => a.policy.name)).size).to.equal(plan.length);
    for (const a of plan) for (const id of a.expression.ids) expect(SCALING_METRICS, `${a.name}: ${id}`).to.have.property(id);
  });
});

describe("worker scaling over time (the plan's alarms and step policies, simulated minute by minute)", () => {
  // A task works on 4 orders at once, one second each: 240 orders a minute (test/helpers/worker-fleet.ts).
  const world = { concurrency: 4, ordersPerTaskMinute: 240, secondsPerOrder: 1 };
  const dev = { minTasks: 0, maxTasks: 2, backlogPerTask: 20, scaleInIdleMinutes: 5, concurrency: 4 };
  const prod = { minTasks: 1, maxTasks: 10, backlogPerTask: 20, scaleInIdleMinutes: 10, concurrency: 4 };
  const fleet = (sizing: typeof dev, o: Pick<FleetOptions, "minutes" | "ordersAt" | "startMinutes" | "initialTasks">) =>
    runFleet({ ...world, ...sizing, ...o, plan: workerScalingPlan(sizing) });

  describe("waking a dev service at zero", () => {
    // Quiet for `quietMinutes` (past six hours SQS publishes nothing for the queue), then `orders` orders in one minute.
    const cases = [
      { quietMinutes: 30, orders: 1, startMinutes: 3 },
      { quietMinutes: 12 * 60, orders: 1, startMinutes: 3 },
      { quietMinutes: 12 * 60, orders: 50, startMinutes: 3 },
      { quietMinutes: 12 * 60, orders: 1, startMinutes: 8 },
    ];
    for (const c of cases) {
      it(`asks for a task within 2 minutes of the first order after ${c.quietMinutes} quiet minutes (${c.orders} order(s), tasks starting in ${c.startMinutes} min), and invoices them once it runs`, () => {
        const at = c.quietMinutes;
        const rows = fleet(dev, {
          minutes: at + 60,
          ordersAt: (m) => (m === at ? c.orders : 0),
          startMinutes: c.startMinutes,
          initialTasks: 0,
        });
        expect(rows.slice(0, at).every((r) => r.desired === 0)).to.equal(true);
        const woke = rows.find((r) => r.minute >= at && r.desired > 0)?.minute;
        expect(woke, "minute the service was asked for a task").to.be.at.most(at + 2);
        const done = rows.find((r) => r.minute >= at && r.processed > 0 && r.waiting === 0)?.minute;
        expect(done, "minute every order was taken").to.be.at.most(at + 2 + c.startMinutes);
        // Back to zero once quiet again, not before.
        expect(rows[rows.length - 1].desired).to.equal(0);
      });
    }
  });

  describe("following steady traffic down in prod", () => {
    // A busy hour that needs 7.5 tasks, then hours of steady traffic that need `needs` tasks. The count comes down to at
    // most one task more than the traffic needs with every task three quarters busy (SCALE_IN_UTILIZATION).
    const cases = [100, 400, 1000].map((steady) => {
      const needs = steady / world.ordersPerTaskMinute;
      return { steady, needs, settleAtMost: Math.ceil(needs / SCALE_IN_UTILIZATION) + 1 };
    });
    for (const c of cases) {
      it(`steps down from the busy hour to at most ${c.settleAtMost} tasks for ${c.steady} orders a minute (needing ${c.needs.toFixed(2)}), keeping up all along`, () => {
        const rows = fleet(prod, {
          minutes: 300,
          ordersAt: (m) => (m < 60 ? 1800 : c.steady),
          startMinutes: 1,
          initialTasks: 1,
        });
        const busy = rows.slice(0, 60);
        const steady = rows.slice(110);
        expect(Math.max(...busy.map((r) => r.desired)), "busy hour").to.be.at.least(8);
        expect(Math.max(...steady.map((r) => r.desired)), "steady traffic").to.be.at.most(c.settleAtMost);
        expect(Math.min(...steady.map((r) => r.desired)), "never below what the traffic needs").to.be.at.least(Math.ceil(c.needs));
        // No order waits more than a minute once the busy hour's backlog is gone, nor flaps the count.
        expect(Math.max(...rows.slice(15).map((r) => r.longestWait)), "longest wait").to.be.at.most(1);
        const changes = steady.filter((r, i) => i > 0 && r.desired !== steady[i - 1].desired).length;
        expect(changes, "changes of the desired count under steady traffic").to.equal(0);
      });
    }
  });

  it("scales a prod burst out to the maximum within 3 minutes, drains it, and back to the minimum once idle", () => {
    const rows = fleet(prod, { minutes: 60, ordersAt: (m) => (m === 5 ? 6000 : 0), startMinutes: 1, initialTasks: 1 });
    expect(rows.find((r) => r.desired === 10)?.minute).to.be.at.most(8);
    const drained = rows.find((r) => r.minute > 5 && r.waiting === 0)!.minute;
    expect(drained).to.be.at.most(12);
    expect(rows[rows.length - 1].desired).to.equal(1);
  });
});

describe("IAM policy documents", () => {
  const arns = {
    tableArn: "arn:aws:dynamodb:eu-west-1:1:table/t",
    queueArn: "arn:aws:sqs:eu-west-1:1:q",
    bucketArn: "arn:aws:s3:::b",
    linkKeyArn: "arn:aws:kms:eu-west-1:1:key/k",
    logGroupArn: "arn:aws:logs:eu-west-1:1:log-group:g",
    senderIdentityArn: "arn:aws:ses:eu-west-1:1:identity/a@b.example",
    configurationSetArn: "arn:aws:ses:eu-west-1:1:configuration-set/shop-dev-mail",
    sender: "a@b.example",
    failureQueueArn: "arn:aws:sqs:eu-west-1:1:email-failures",
    repositoryArn: "arn:aws:ecr:eu-west-1:1:repository/r",
    paymentSecretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:payment-keys-AbCdEf",
    eventBusArn: "arn:aws:events:eu-west-1:1:event-bus/shop-backend-dev",
  };
  /** What a document allows (its one Deny, on audit records, is checked on its own below). */
  const actions = (d: PolicyDocument) =>
    d.Statement.filter((s) => s.Effect === "Allow")
      .flatMap((s) => s.Action)
      .sort();

  it("lets the API do its table writes, batch and index reads, enqueue, presign, verify, read the payment keys and write its traces, and nothing else", () => {
    expect(actions(apiFunctionPolicy(arns))).to.deep.equal([
      "dynamodb:BatchGetItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:Query",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
      "events:PutEvents",
      "kms:VerifyMac",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "s3:GetObject",
      "s3:PutObject",
      "secretsmanager:GetSecretValue",
      "sqs:SendMessage",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
  });

  it("lets the notifier read and mark orders, send as the sender, sign links, record failed events, publish and write its traces", () => {
    expect(actions(notifierFunctionPolicy(arns))).to.deep.equal([
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "events:PutEvents",
      "kms:GenerateMac",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "ses:SendEmail",
      "sqs:SendMessage",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
  });

  it("grants sending on the account's identities (the sandbox checks the recipient's too) and the stack's configuration set, pinned to the From address", () => {
    const send = notifierFunctionPolicy(arns).Statement.find((s) => s.Action.includes("ses:SendEmail"))!;
    expect(send.Resource).to.deep.equal(["arn:aws:ses:eu-west-1:1:identity/*", arns.configurationSetArn]);
    expect(send.Condition).to.deep.equal({ StringEquals: { "ses:FromAddress": "a@b.example" } });
    expect(() => sesIdentitiesArn("arn:aws:sqs:eu-west-1:1:q")).to.throw(/not an SES identity ARN/);
  });

  it("lets the email events Lambda read and update orders, record failed events, publish and write its logs and traces, and nothing else", () => {
    expect(actions(emailEventsFunctionPolicy(arns))).to.deep.equal([
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "events:PutEvents",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sqs:SendMessage",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
  });

  it("lets SES publish to the events topic only for this account's configuration set", () => {
    const topicArn = "arn:aws:sns:eu-west-1:1:shop-dev-mail-events";
    expect(sesEventsTopicPolicy({ topicArn, configurationSetArn: arns.configurationSetArn, accountId: "1" }).Statement).to.deep.equal([
      {
        Sid: "SesPublishesTheSetsEvents",
        Effect: "Allow",
        Principal: { Service: "ses.amazonaws.com" },
        Action: ["SNS:Publish"],
        Resource: topicArn,
        Condition: { StringEquals: { "AWS:SourceAccount": "1", "AWS:SourceArn": arns.configurationSetArn } },
      },
    ]);
  });

  it("lets the worker consume, number, store and publish, with no deletes, no SendMessage, no reads of invoices and no traces", () => {
    expect(actions(workerTaskPolicy(arns))).to.deep.equal([
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "events:PutEvents",
      "s3:PutObject",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:ReceiveMessage",
    ]);
  });

  it("lets each publisher put events on the stack's bus alone (no other bus, not the default one)", () => {
    const publish = { Sid: "PublishEvents", Effect: "Allow", Action: ["events:PutEvents"], Resource: arns.eventBusArn };
    for (const d of [apiFunctionPolicy(arns), notifierFunctionPolicy(arns), emailEventsFunctionPolicy(arns), workerTaskPolicy(arns)])
      expect(d.Statement.filter((st) => st.Action.some((a) => a.startsWith("events:")))).to.deep.equal([publish]);
    expect(workerExecutionPolicy(arns).Statement.filter((st) => st.Action.some((a) => a.startsWith("events:")))).to.deep.equal([]);
  });

  it("lets the API query only the customer, state and month indexes, not the table", () => {
    const query = apiFunctionPolicy(arns).Statement.filter((s) => s.Action.includes("dynamodb:Query"));
    expect(query).to.deep.equal([
      { Sid: "OrderHistory", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${arns.tableArn}/index/byCustomer` },
      { Sid: "CatalogAndPaymentsDue", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${arns.tableArn}/index/byState` },
      { Sid: "AdminOrderListing", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${arns.tableArn}/index/byMonth` },
    ]);
  });

  it("denies every role that writes the table any update or delete of an audit record, and a put to all but the API", () => {
    const denies = (d: PolicyDocument) => d.Statement.filter((s) => s.Effect === "Deny");
    const deny = (put: boolean) => [
      {
        Sid: "AuditRecordsAreAppendOnly",
        Effect: "Deny",
        Action: [...(put ? ["dynamodb:PutItem"] : []), "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
        Resource: arns.tableArn,
        Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["AUDIT#*"] } },
      },
    ];
    expect(denies(apiFunctionPolicy(arns))).to.deep.equal(deny(false));
    for (const d of [notifierFunctionPolicy(arns), emailEventsFunctionPolicy(arns), workerTaskPolicy(arns)])
      expect(denies(d)).to.deep.equal(deny(true));
    expect(denies(workerExecutionPolicy(arns))).to.deep.equal([]);
  });

  it("lets the API read exactly the payment secret, and no other role read any secret", () => {
    const reads = (d: PolicyDocument) => d.Statement.filter((s) => s.Action.some((a) => a.startsWith("secretsmanager:")));
    expect(reads(apiFunctionPolicy(arns))).to.deep.equal([
      { Sid: "ReadPaymentSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: arns.paymentSecretArn },
    ]);
    for (const d of [notifierFunctionPolicy(arns), emailEventsFunctionPolicy(arns), workerTaskPolicy(arns), workerExecutionPolicy(arns)])
      expect(reads(d)).to.deep.equal([]);
  });

  it("never allows a wildcard action, and a wildcard resource only for the ECR login and the Lambdas' X-Ray writes", () => {
    const onAnyResource = (d: PolicyDocument) => d.Statement.filter((s) => s.Resource === "*").flatMap((s) => s.Action);
    for (const d of [
      apiFunctionPolicy(arns),
      notifierFunctionPolicy(arns),
      emailEventsFunctionPolicy(arns),
      workerTaskPolicy(arns),
      workerExecutionPolicy(arns),
    ]) {
      for (const s of d.Statement) for (const a of s.Action) expect(a).to.not.include("*");
    }
    expect(onAnyResource(apiFunctionPolicy(arns))).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
    expect(onAnyResource(notifierFunctionPolicy(arns))).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
    expect(onAnyResource(emailEventsFunctionPolicy(arns))).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
    expect(onAnyResource(workerTaskPolicy(arns))).to.deep.equal([]);
    expect(onAnyResource(workerExecutionPolicy(arns))).to.deep.equal(["ecr:GetAuthorizationToken"]);
  });

  it("trusts exactly one service per role", () => {
    expect(assumeRolePolicy("ecs-tasks.amazonaws.com")).to.deep.equal({
      Version: "2012-10-17",
      Statement: [{ Sid: "AssumeRole", Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: ["sts:AssumeRole"] }],
    });
  });

  it("derives an ECR repository ARN from its URL", () => {
    expect(ecrRepositoryArn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/worker-1a2b")).to.equal(
      "arn:aws:ecr:eu-west-1:123456789012:repository/shop/worker-1a2b",
    );
    expect(() => ecrRepositoryArn("docker.io/library/node")).to.throw(/not an ECR repository URL/);
  });
});

describe("the expiry schedule's period", () => {
  const cases: [string, number][] = [
    ["rate(5 minutes)", 300],
    ["rate(1 minute)", 60],
    ["rate(2 hours)", 7200],
    ["rate(1 day)", 86_400],
  ];
  for (const [expression, seconds] of cases)
    it(`reads ${expression} as ${seconds} s`, () => expect(rateSeconds(expression)).to.equal(seconds));
  it("refuses what is no rate expression (a cron schedule has no fixed period)", () => {
    for (const e of ["cron(0/5 * * * ? *)", "rate(0 minutes)", "rate(5 weeks)"])
      expect(() => rateSeconds(e), e).to.throw(/not an EventBridge rate/);
  });
});

describe("API route decisions", () => {
  it("takes every route of the runtime's contract, Cognito on the order and admin routes, none on the invoice link, the catalog and the webhook", () => {
    expect(methodSpecs()).to.deep.equal([
      { method: "POST", resource: "/orders", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/orders", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/orders/{orderId}", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/invoices/{orderId}", authorization: "NONE" },
      { method: "GET", resource: "/products", authorization: "NONE" },
      { method: "PUT", resource: "/admin/products/{sku}", authorization: "COGNITO_USER_POOLS" },
      { method: "DELETE", resource: "/admin/products/{sku}", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/admin/orders", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/admin/orders/{orderId}", authorization: "COGNITO_USER_POOLS" },
      { method: "POST", resource: "/admin/orders/{orderId}/credit-notes", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/admin/exports", authorization: "COGNITO_USER_POOLS" },
      { method: "POST", resource: "/admin/orders/{orderId}/cancel", authorization: "COGNITO_USER_POOLS" },
      { method: "POST", resource: "/admin/orders/{orderId}/resend", authorization: "COGNITO_USER_POOLS" },
      { method: "POST", resource: "/webhooks/stripe", authorization: "NONE" },
    ]);
    expect(methodSpecs().length).to.equal(API_ROUTES.length);
  });

  it("creates parents before children", () => {
    expect(resourcePaths(methodSpecs())).to.deep.equal([
      "/admin",
      "/invoices",
      "/orders",
      "/products",
      "/webhooks",
      "/admin/exports",
      "/admin/orders",
      "/admin/products",
      "/invoices/{orderId}",
      "/orders/{orderId}",
      "/webhooks/stripe",
      "/admin/orders/{orderId}",
      "/admin/products/{sku}",
      "/admin/orders/{orderId}/cancel",
      "/admin/orders/{orderId}/credit-notes",
      "/admin/orders/{orderId}/resend",
    ]);
    expect(pathSlug("/orders/{orderId}")).to.equal("orders-orderId");
  });

  it("changes the deployment trigger when a route, its authorization, a gateway response, the function or the authorizer changes, not when the order does", () => {
    const specs = methodSpecs();
    const responses = gatewayResponses();
    const targets = { functionInvokeArn: "arn:fn-1", authorizerId: "auth-1", userPoolArns: ["arn:pool-1"] };
    const base = deploymentTrigger(specs, responses, targets);
    expect(deploymentTrigger([...specs].reverse(), responses, targets)).to.equal(base);
    const changed = [
      deploymentTrigger(
        [...specs, { method: "GET", resource: "/orders", authorization: "COGNITO_USER_POOLS" } as never],
        responses,
        targets,
      ),
      deploymentTrigger(
        specs.map((s) => ({ ...s, authorization: "NONE" as const })),
        responses,
        targets,
      ),
      deploymentTrigger(specs, responses.slice(1), targets),
      deploymentTrigger(specs, responses, { ...targets, functionInvokeArn: "arn:fn-2" }),
      deploymentTrigger(specs, responses, { ...targets, authorizerId: "auth-2" }),
      deploymentTrigger(specs, responses, { ...targets, userPoolArns: ["arn:pool-2"] }),
    ];
    for (const t of changed) expect(t).to.not.equal(base);
  });

  it("logs JSON access lines without the query string, which carries the link signature", () => {
    const format = JSON.parse(ACCESS_LOG_FORMAT);
    expect(format.requestId).to.equal("$context.requestId");
    expect(ACCESS_LOG_FORMAT).to.not.match(/querystring|\$context\.path\b/i);
  });

  it("answers the gateway's own errors in the API's error shape: throttling, too large, any other 4xx, any 5xx", () => {
    for (const r of gatewayResponses()) {
      expect(Object.keys(r.body)).to.deep.equal(["error"]);
      expect(Object.keys(r.body.error)).to.deep.equal(["code", "message"]);
    }
    // A family default leaves the status to API Gateway (DEFAULT_4XX: 403, 413, 415, ... as the gateway decided).
    expect(gatewayResponses().map((r) => [r.responseType, r.status, r.statusCode, r.body.error.code])).to.deep.equal([
      ["UNAUTHORIZED", 401, "401", "UNAUTHENTICATED"],
      ["MISSING_AUTHENTICATION_TOKEN", 404, "404", "NOT_FOUND"],
      ["THROTTLED", 429, "429", "THROTTLED"],
      ["REQUEST_TOO_LARGE", 413, "413", "PAYLOAD_TOO_LARGE"],
      ["DEFAULT_4XX", "4XX", undefined, "REQUEST_REFUSED"],
      ["DEFAULT_5XX", "5XX", undefined, "INTERNAL"],
    ]);
  });

  it("tells a throttled client when to retry, and only a throttled one", () => {
    const headers = Object.fromEntries(gatewayResponses().map((r) => [r.responseType, r.headers]));
    expect(headers).to.deep.equal({
      UNAUTHORIZED: {},
      MISSING_AUTHENTICATION_TOKEN: {},
      THROTTLED: { "Retry-After": "1" },
      REQUEST_TOO_LARGE: {},
      DEFAULT_4XX: {},
      DEFAULT_5XX: {},
    });
  });
});

describe("network plan", () => {
  it("carves /20 subnets from the /16", () => {
    expect(subnetCidrs("10.40.0.0/16", 2)).to.deep.equal(["10.40.0.0/20", "10.40.16.0/20"]);
    expect(() => subnetCidrs("10.40.0.0/24", 2)).to.throw(/\/16/);
  });

  it("gives private tasks an endpoint for every AWS API they and ECS call", () => {
    expect(gatewayEndpointServices("eu-west-1")).to.deep.equal(["com.amazonaws.eu-west-1.s3", "com.amazonaws.eu-west-1.dynamodb"]);
    expect(interfaceEndpointServices("eu-west-1").map(endpointSlug)).to.deep.equal(["sqs", "ecr-api", "ecr-dkr", "logs"]);
  });
});

describe("invoice bucket lifecycle", () => {
  it("expires and prunes old versions only as configured, and never moves invoices to STANDARD_IA", () => {
    // ~55 KB PDFs: S3 skips objects under 128 KB, and STANDARD_IA bills them as 128 KB anyway.
    expect(lifecycleRule(0, 30)).to.deep.equal({
      id: "invoices",
      status: "Enabled",
      filter: { prefix: "invoices/" },
      noncurrentVersionExpiration: { noncurrentDays: 30 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    });
    expect(lifecycleRule(30, undefined)).to.deep.equal({
      id: "invoices",
      status: "Enabled",
      filter: { prefix: "invoices/" },
      expiration: { days: 30 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    });
  });
});

describe("worker stop", () => {
  it("drains for a whole message budget (or the last poll's wait) plus a margin, inside Fargate's 120 s stop timeout", () => {
    expect(drainDeadlineSeconds(60, 20)).to.equal(70);
    expect(drainDeadlineSeconds(5, 20)).to.equal(30);
    expect(stopTimeoutSeconds(60, 20)).to.equal(120);
    expect(stopTimeoutSeconds(maxDrainableBudgetSeconds(), 20)).to.equal(120);
    expect(() => stopTimeoutSeconds(maxDrainableBudgetSeconds() + 1, 20)).to.throw(RangeError, /cannot drain within Fargate's 120 s/);
  });
});

describe("worker heartbeat", () => {
  it("allows a busy loop one message budget plus one long poll, twice over", () => {
    expect(heartbeatMaxAgeSeconds(60, 20)).to.equal(160);
  });

  it("is fresh only for a recent, well-formed beat", () => {
    const now = 1_700_000_000_000;
    expect(heartbeatIsFresh(String(now - 10_000), now, 160)).to.equal(true);
    expect(heartbeatIsFresh(String(now - 161_000), now, 160)).to.equal(false);
    expect(heartbeatIsFresh("", now, 160)).to.equal(false);
    expect(heartbeatIsFresh("garbage", now, 160)).to.equal(false);
  });
});

describe("worker release", () => {
  const task = { container: { image: "repo@sha256:aaa", environment: [{ name: "LOG_LEVEL", value: "info" }] }, cpu: 256, memoryMb: 512 };
  it("is a short hash, the same for the same task", () => {
    expect(workerRelease(task)).to.match(/^[0-9a-f]{12}$/);
    expect(workerRelease(JSON.parse(JSON.stringify(task)))).to.equal(workerRelease(task));
  });
  const changes: [string, unknown][] = [
    ["image", { ...task, container: { ...task.container, image: "repo@sha256:bbb" } }],
    ["environment", { ...task, container: { ...task.container, environment: [{ name: "LOG_LEVEL", value: "debug" }] } }],
    ["size", { ...task, cpu: 512 }],
  ];
  for (const [what, changed] of changes) {
    it(`changes with the task's ${what}`, () => {
      expect(workerRelease(changed)).to.not.equal(workerRelease(task));
    });
  }
});
