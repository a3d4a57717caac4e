import { expect } from "chai";
import {
  capacityProviderStrategy,
  fargateMemoryFits,
  scaleInSteps,
  scaleOutSteps,
  visibilityTimeoutSeconds,
  workerPlatform,
} from "../../components/scaling";
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
import { ACCESS_LOG_FORMAT, deploymentTrigger, gatewayResponses, methodSpecs, pathSlug, resourcePaths } from "../../components/api-routes";
import { endpointSlug, gatewayEndpointServices, interfaceEndpointServices, subnetCidrs } from "../../components/network-plan";
import { lifecycleRule } from "../../components/data-plan";
import { heartbeatIsFresh, heartbeatMaxAgeSeconds } from "../../invoice-container/heartbeat";
import { drainDeadlineSeconds, maxDrainableBudgetSeconds, stopTimeoutSeconds } from "../../invoice-container/drain";
import { API_ROUTES } from "../../runtime/handlers/order-api";

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

  describe("scaleOutSteps", () => {
    it("adds one task from the first waiting message, two past one task's backlog, four past five", () => {
      // Bounds are relative to the alarm threshold of one message.
      expect(scaleOutSteps(20)).to.deep.equal([
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 19, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 19, metricIntervalUpperBound: 99, scalingAdjustment: 2 },
        { metricIntervalLowerBound: 99, scalingAdjustment: 4 },
      ]);
    });
    it("covers every backlog from one message up, without gaps or overlaps", () => {
      for (const bpt of [2, 7, 50]) {
        const steps = scaleOutSteps(bpt);
        expect(steps[0].metricIntervalLowerBound).to.equal(0);
        for (let i = 1; i < steps.length; i++) expect(steps[i].metricIntervalLowerBound).to.equal(steps[i - 1].metricIntervalUpperBound);
        expect(steps[steps.length - 1].metricIntervalUpperBound).to.equal(undefined);
      }
    });
    it("refuses a backlog per task under two", () => {
      expect(() => scaleOutSteps(1)).to.throw(RangeError);
    });
  });

  it("scales in to exactly the minimum once the queue is idle", () => {
    expect(scaleInSteps(0)).to.deep.equal([{ metricIntervalUpperBound: 0, scalingAdjustment: 0 }]);
    expect(scaleInSteps(2)).to.deep.equal([{ metricIntervalUpperBound: 0, scalingAdjustment: 2 }]);
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
  };
  const actions = (d: PolicyDocument) => d.Statement.flatMap((s) => s.Action).sort();

  it("lets the API do its table writes, enqueue, presign, verify and write its traces, and nothing else", () => {
    expect(actions(apiFunctionPolicy(arns))).to.deep.equal([
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
      "kms:VerifyMac",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "s3:GetObject",
      "sqs:SendMessage",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
  });

  it("lets the notifier read and mark orders, send as the sender, sign links, record failed events and write its traces", () => {
    expect(actions(notifierFunctionPolicy(arns))).to.deep.equal([
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
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

  it("lets the email events Lambda read and update orders, record failed events and write its logs and traces, and nothing else", () => {
    expect(actions(emailEventsFunctionPolicy(arns))).to.deep.equal([
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
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

  it("lets the worker consume, number and store, with no SendMessage, no reads of invoices and no traces", () => {
    expect(actions(workerTaskPolicy(arns))).to.deep.equal([
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "s3:PutObject",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:ReceiveMessage",
    ]);
  });

  it("lets the API query only the customer index, not the table", () => {
    const query = apiFunctionPolicy(arns).Statement.filter((s) => s.Action.includes("dynamodb:Query"));
    expect(query).to.deep.equal([
      { Sid: "OrderHistory", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${arns.tableArn}/index/byCustomer` },
    ]);
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

describe("API route decisions", () => {
  it("takes every route of the runtime's contract, Cognito on the order routes, none on the invoice link", () => {
    expect(methodSpecs()).to.deep.equal([
      { method: "POST", resource: "/orders", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/orders", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/orders/{orderId}", authorization: "COGNITO_USER_POOLS" },
      { method: "GET", resource: "/invoices/{orderId}", authorization: "NONE" },
    ]);
    expect(methodSpecs().length).to.equal(API_ROUTES.length);
  });

  it("creates parents before children", () => {
    expect(resourcePaths(methodSpecs())).to.deep.equal(["/invoices", "/orders", "/invoices/{orderId}", "/orders/{orderId}"]);
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

  it("answers the gateway's own errors in the API's error shape", () => {
    for (const r of gatewayResponses()) {
      expect(Object.keys(r.body)).to.deep.equal(["error"]);
      expect(Object.keys(r.body.error)).to.deep.equal(["code", "message"]);
    }
    expect(gatewayResponses().map((r) => [r.responseType, r.statusCode, r.body.error.code])).to.deep.equal([
      ["UNAUTHORIZED", "401", "UNAUTHENTICATED"],
      ["MISSING_AUTHENTICATION_TOKEN", "404", "NOT_FOUND"],
      ["DEFAULT_5XX", undefined, "INTERNAL"],
    ]);
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
