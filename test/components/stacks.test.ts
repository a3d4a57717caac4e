import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ACCOUNT, MOCK_REGION, ROOT, programRun, runProgram, type MockedResource, type ProgramRun } from "../helpers/pulumi-mocks";
import { LAMBDA_HANDLER } from "../../components/lambda-bundle";
import { deploymentTrigger, gatewayResponses, methodSpecs } from "../../components/api-routes";
import { drainDeadlineSeconds } from "../../invoice-container/drain";

/** Resource counts both stacks share. */
const COMMON_COUNTS: Record<string, number> = {
  "shop:data:DataStores": 1,
  "shop:queue:QueueTier": 1,
  "shop:api:ApiTier": 1,
  "shop:notification:NotificationTier": 1,
  "shop:network:Network": 1,
  "shop:worker:WorkerTier": 1,
  "shop:ops:AlarmTopic": 1,
  "shop:ops:Operations": 1,
  // data
  "aws:s3/bucket:Bucket": 1,
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
  "aws:s3/bucketPolicy:BucketPolicy": 1,
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
  "aws:dynamodb/table:Table": 1,
  "aws:kms/key:Key": 1,
  // queue
  "aws:sqs/queue:Queue": 3,
  "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": 1,
  "aws:cloudwatch/metricAlarm:MetricAlarm": 14,
  // operations (test/components/operations.test.ts checks each)
  "aws:sns/topic:Topic": 1,
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": 1,
  "aws:cloudwatch/dashboard:Dashboard": 1,
  "aws:cloudwatch/queryDefinition:QueryDefinition": 2,
  // api
  "aws:cognito/userPool:UserPool": 1,
  "aws:cognito/userPoolClient:UserPoolClient": 1,
  "aws:apigateway/restApi:RestApi": 1,
  "aws:apigateway/authorizer:Authorizer": 1,
  "aws:apigateway/resource:Resource": 4,
  "aws:apigateway/method:Method": 4,
  "aws:apigateway/integration:Integration": 4,
  "aws:apigateway/response:Response": 3,
  "aws:apigateway/deployment:Deployment": 1,
  "aws:apigateway/stage:Stage": 1,
  "aws:apigateway/methodSettings:MethodSettings": 1,
  // lambdas (api + notifier)
  "aws:lambda/function:Function": 2,
  "aws:lambda/permission:Permission": 2,
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 1,
  "aws:cloudwatch/logGroup:LogGroup": 4,
  "aws:iam/role:Role": 4,
  "aws:iam/rolePolicy:RolePolicy": 4,
  // notification
  "aws:sesv2/emailIdentity:EmailIdentity": 1,
  "aws:s3/bucketNotification:BucketNotification": 1,
  // worker
  "awsx:ecr:Repository": 1,
  "awsx:ecr:Image": 1,
  "aws:ecs/cluster:Cluster": 1,
  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
  "aws:ecs/taskDefinition:TaskDefinition": 1,
  "aws:ecs/service:Service": 1,
  "aws:appautoscaling/target:Target": 1,
  "aws:appautoscaling/policy:Policy": 2,
  "aws:ec2/securityGroup:SecurityGroup": 1,
};

/** What each stack adds to the common set. */
const STACK_COUNTS: Record<"dev" | "prod", Record<string, number>> = {
  // Only dev sets the account-wide API Gateway logging role.
  dev: {
    "aws:apigateway/account:Account": 1,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
    "aws:iam/role:Role": 5,
  },
  prod: {
    "aws:s3/bucketVersioning:BucketVersioning": 1,
    "aws:sns/topicSubscription:TopicSubscription": 1,
    "aws:ec2/vpc:Vpc": 1,
    "aws:ec2/subnet:Subnet": 2,
    "aws:ec2/routeTable:RouteTable": 1,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 6,
    "aws:ec2/securityGroup:SecurityGroup": 2,
  },
};

/** Which component owns each resource type; the longest matching prefix wins. Unlisted types (IAM, logs, Lambda, alarms) belong to several tiers. */
const OWNER: Record<string, string> = {
  "aws:s3/bucketNotification:": "shop:notification:NotificationTier",
  "aws:s3/": "shop:data:DataStores",
  "aws:dynamodb/": "shop:data:DataStores",
  "aws:kms/": "shop:data:DataStores",
  "aws:sqs/": "shop:queue:QueueTier",
  "aws:sns/": "shop:ops:AlarmTopic",
  "aws:cloudwatch/dashboard:": "shop:ops:Operations",
  "aws:cloudwatch/queryDefinition:": "shop:ops:Operations",
  "aws:cloudwatch/compositeAlarm:": "shop:ops:Operations",
  "aws:cognito/": "shop:api:ApiTier",
  "aws:apigateway/": "shop:api:ApiTier",
  "aws:sesv2/": "shop:notification:NotificationTier",
  "aws:ecs/": "shop:worker:WorkerTier",
  "awsx:ecr:": "shop:worker:WorkerTier",
  "aws:appautoscaling/": "shop:worker:WorkerTier",
  "aws:ec2/": "shop:network:Network",
};

const statementsOf = (r: MockedResource) => JSON.parse(r.inputs.policy).Statement as Array<Record<string, any>>;
const envOf = (fn: MockedResource) => fn.inputs.environment.variables as Record<string, string>;

for (const stack of ["dev", "prod"] as const) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    let run: ProgramRun;
    let arn: {
      table: string;
      queue: string;
      dlq: string;
      bucket: string;
      key: string;
      sender: string;
      logs: (suffix: string) => string;
    };
    before(async function () {
      this.timeout(60000);
      run = await programRun(stack);
      arn = {
        table: run.one("aws:dynamodb/table:Table").state.arn,
        queue: run.one("aws:sqs/queue:Queue", "-orders").state.arn,
        dlq: run.one("aws:sqs/queue:Queue", "-dlq").state.arn,
        bucket: run.one("aws:s3/bucket:Bucket").state.arn,
        key: run.one("aws:kms/key:Key").state.arn,
        sender: run.one("aws:sesv2/emailIdentity:EmailIdentity").state.arn,
        logs: (suffix) => run.one("aws:cloudwatch/logGroup:LogGroup", suffix).state.arn,
      };
    });

    describe("shape", () => {
      it("creates exactly the expected number of resources of each type", () => {
        const expected = { ...COMMON_COUNTS, ...STACK_COUNTS[stack] };
        expect(run.counts()).to.deep.equal(expected);
      });

      it("parents every resource to its tier, and the tiers to the stack", () => {
        for (const r of run.resources) {
          if (r.type.startsWith("shop:")) {
            expect(run.parentType(r), r.name).to.equal(undefined);
            continue;
          }
          const owner = Object.entries(OWNER)
            .sort(([a], [b]) => b.length - a.length)
            .find(([prefix]) => r.type.startsWith(prefix))?.[1];
          const parent = run.parentType(r);
          expect(parent, `${r.type} ${r.name}`).to.match(/^shop:/);
          if (owner) expect(parent, `${r.type} ${r.name}`).to.equal(owner);
          // Each child's logical name derives from its tier's name.
          expect(r.name.startsWith(`shop-${stack}-`), r.name).to.equal(true);
        }
      });

      it("exports what a user needs, all resolved", () => {
        expect(Object.keys(run.outputs).sort()).to.deep.equal(
          [
            "alarmTopicArn",
            "apiUrl",
            "bucketName",
            "dashboardName",
            "deadLetterQueueUrl",
            "emailFailureQueueUrl",
            "imageUri",
            "notifierFunctionName",
            "logGroups",
            "queueUrl",
            "senderIdentity",
            "tableName",
            "userPoolClientId",
            "userPoolId",
          ].sort(),
        );
        expect(run.outputs.apiUrl).to.match(new RegExp(`^https://.+\\.execute-api\\.${MOCK_REGION}\\.amazonaws\\.com/${stack}$`));
        expect(run.outputs.imageUri).to.match(/\.dkr\.ecr\..+@sha256:[0-9a-f]{64}$/);
        for (const v of Object.values(run.outputs.logGroups)) expect(v).to.be.a("string").and.not.equal("");
      });
    });

    describe("least privilege", () => {
      it("gives the order API Lambda exactly what its handlers call", () => {
        expect(statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "-api-handler-policy"))).to.deep.equal([
          {
            Sid: "OrdersTable",
            Effect: "Allow",
            Action: ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            Resource: arn.table,
          },
          { Sid: "OrderHistory", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${arn.table}/index/byCustomer` },
          { Sid: "EnqueueOrders", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: arn.queue },
          { Sid: "PresignInvoices", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${arn.bucket}/invoices/*` },
          { Sid: "VerifyInvoiceLinks", Effect: "Allow", Action: ["kms:VerifyMac"], Resource: arn.key },
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${arn.logs("-api-handler-logs")}:*`,
          },
          { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
        ]);
      });

      it("gives the notifier Lambda exactly what its handler calls: sending on the account's identities, From pinned (SES sandbox)", () => {
        const sender = run.one("aws:sesv2/emailIdentity:EmailIdentity").inputs.emailIdentity;
        expect(arn.sender).to.equal(`arn:aws:ses:${MOCK_REGION}:${ACCOUNT}:identity/${sender}`);
        expect(statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "-notify-handler-policy"))).to.deep.equal([
          { Sid: "OrdersTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: arn.table },
          {
            Sid: "SendAsSenderOnly",
            Effect: "Allow",
            Action: ["ses:SendEmail"],
            Resource: `arn:aws:ses:${MOCK_REGION}:${ACCOUNT}:identity/*`,
            Condition: { StringEquals: { "ses:FromAddress": sender } },
          },
          { Sid: "SignInvoiceLinks", Effect: "Allow", Action: ["kms:GenerateMac"], Resource: arn.key },
          {
            Sid: "RecordFailedEvents",
            Effect: "Allow",
            Action: ["sqs:SendMessage"],
            Resource: run.one("aws:sqs/queue:Queue", "-email-failures").state.arn,
          },
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${arn.logs("-notify-handler-logs")}:*`,
          },
          { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
        ]);
      });

      it("gives the worker's task role exactly what the worker calls", () => {
        expect(statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "-worker-task-policy"))).to.deep.equal([
          {
            Sid: "ConsumeOrders",
            Effect: "Allow",
            Action: ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"],
            Resource: arn.queue,
          },
          {
            Sid: "OrdersTable",
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            Resource: arn.table,
          },
          {
            Sid: "AbandonUnconfirmedOrders",
            Effect: "Allow",
            Action: ["dynamodb:DeleteItem"],
            Resource: arn.table,
            Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["ORDER#*"] } },
          },
          { Sid: "StoreInvoices", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${arn.bucket}/invoices/*` },
        ]);
      });

      it("lets ECS pull only the worker's repository and write only the worker's log group", () => {
        const repoUrl: string = run.one("awsx:ecr:Repository").state.url;
        const repoName = repoUrl.split("/").pop();
        expect(statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", "-worker-execution-policy"))).to.deep.equal([
          { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
          {
            Sid: "PullWorkerImage",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            Resource: `arn:aws:ecr:${MOCK_REGION}:${ACCOUNT}:repository/${repoName}`,
          },
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${arn.logs("-worker-logs")}:*`,
          },
        ]);
      });

      it("grants no wildcard action, no FullAccess policy and no public access anywhere", () => {
        for (const p of run.ofType("aws:iam/rolePolicy:RolePolicy")) {
          for (const s of statementsOf(p)) {
            expect(s.Effect, p.name).to.equal("Allow");
            for (const a of s.Action) expect(a, `${p.name} ${s.Sid}`).to.not.include("*");
          }
        }
        // "*" only where IAM offers no narrower resource: the ECR login, and X-Ray for the two Lambdas.
        const onAnyResource = Object.fromEntries(
          run.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => [
            p.name.replace(`shop-${stack}-`, ""),
            statementsOf(p)
              .filter((s) => s.Resource === "*")
              .flatMap((s) => s.Action),
          ]),
        );
        expect(onAnyResource).to.deep.equal({
          "api-handler-policy": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
          "notify-handler-policy": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
          "worker-execution-policy": ["ecr:GetAuthorizationToken"],
          "worker-task-policy": [],
        });
        expect(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn)).to.deep.equal(
          stack === "dev" ? ["arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"] : [],
        );
        const block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
        expect([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets]).to.deep.equal([
          true,
          true,
          true,
          true,
        ]);
        expect(JSON.parse(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy).Statement).to.deep.equal([
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: ["s3:*"],
            Resource: [arn.bucket, `${arn.bucket}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]);
        for (const p of run.ofType("aws:lambda/permission:Permission")) {
          expect(p.inputs.principal).to.be.oneOf(["apigateway.amazonaws.com", "s3.amazonaws.com"]);
          expect(p.inputs.sourceArn, p.name).to.be.a("string").and.not.equal("");
        }
        for (const sg of run.ofType("aws:ec2/securityGroup:SecurityGroup").filter((g) => g.name.endsWith("-worker"))) {
          expect(sg.inputs.ingress ?? []).to.deep.equal([]);
        }
      });

      it("lets the two Lambda roles write traces and no worker role: the worker does not trace", () => {
        const xray = (suffix: string) =>
          statementsOf(run.one("aws:iam/rolePolicy:RolePolicy", suffix))
            .flatMap((s) => s.Action)
            .filter((a: string) => a.startsWith("xray:"))
            .sort();
        expect(xray("-api-handler-policy")).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        expect(xray("-notify-handler-policy")).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        expect(xray("-worker-task-policy")).to.deep.equal([]);
        expect(xray("-worker-execution-policy")).to.deep.equal([]);
      });

      it("gives every role a trust policy for its one service and every function its own role", () => {
        const trust = Object.fromEntries(
          run
            .ofType("aws:iam/role:Role")
            .map((r) => [r.name.replace(`shop-${stack}-`, ""), JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Principal.Service]),
        );
        expect(trust).to.deep.equal({
          "api-handler-role": "lambda.amazonaws.com",
          ...(stack === "dev" ? { "api-gateway-logs-role": "apigateway.amazonaws.com" } : {}),
          "notify-handler-role": "lambda.amazonaws.com",
          "worker-execution-role": "ecs-tasks.amazonaws.com",
          "worker-task-role": "ecs-tasks.amazonaws.com",
        });
        expect(run.one("aws:lambda/function:Function", "-api-handler").inputs.role).to.equal(
          run.one("aws:iam/role:Role", "-api-handler-role").state.arn,
        );
        expect(run.one("aws:lambda/function:Function", "-notify-handler").inputs.role).to.equal(
          run.one("aws:iam/role:Role", "-notify-handler-role").state.arn,
        );
      });
    });

    describe("queue", () => {
      it("redrives to the DLQ after the configured receives, keeps the DLQ 14 days, encrypts both", () => {
        const q = run.one("aws:sqs/queue:Queue", "-orders").inputs;
        const dlq = run.one("aws:sqs/queue:Queue", "-dlq").inputs;
        expect(JSON.parse(q.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: arn.dlq, maxReceiveCount: stack === "dev" ? 3 : 5 });
        expect(dlq.messageRetentionSeconds).to.equal(1_209_600);
        expect([q.sqsManagedSseEnabled, dlq.sqsManagedSseEnabled]).to.deep.equal([true, true]);
        expect(q.visibilityTimeoutSeconds).to.equal(120);
        expect(JSON.parse(run.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").inputs.redriveAllowPolicy)).to.deep.equal({
          redrivePermission: "byQueue",
          sourceQueueArns: [arn.queue],
        });
      });

      it("alarms when the DLQ holds anything and when the oldest order waits too long", () => {
        const dlqAlarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-dlq-not-empty").inputs;
        expect([dlqAlarm.metricName, dlqAlarm.dimensions.QueueName, dlqAlarm.threshold, dlqAlarm.comparisonOperator]).to.deep.equal([
          "ApproximateNumberOfMessagesVisible",
          run.one("aws:sqs/queue:Queue", "-dlq").state.name,
          0,
          "GreaterThanThreshold",
        ]);
        const age = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-oldest-message-age").inputs;
        expect([age.metricName, age.dimensions.QueueName, age.threshold]).to.deep.equal([
          "ApproximateAgeOfOldestMessage",
          run.one("aws:sqs/queue:Queue", "-orders").state.name,
          stack === "dev" ? 1800 : 600,
        ]);
        const topic = run.one("aws:sns/topic:Topic");
        for (const a of [dlqAlarm, age]) expect(a.alarmActions).to.deep.equal([topic.state.arn]);
      });
    });

    describe("worker scaling", () => {
      it("drives step scaling out and in from queue-depth alarms", () => {
        const out = run.one("aws:appautoscaling/policy:Policy", "-scale-out");
        const inn = run.one("aws:appautoscaling/policy:Policy", "-scale-in");
        const high = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-backlog-high").inputs;
        const idle = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-queue-idle").inputs;
        const queueName = run.one("aws:sqs/queue:Queue", "-orders").state.name;
        expect(high.alarmActions).to.deep.equal([out.state.arn]);
        expect(idle.alarmActions).to.deep.equal([inn.state.arn]);
        // One waiting message is enough to scale out, so a service at zero wakes up.
        expect([high.metricName, high.dimensions.QueueName, high.threshold, high.comparisonOperator, high.evaluationPeriods]).to.deep.equal(
          ["ApproximateNumberOfMessagesVisible", queueName, 1, "GreaterThanOrEqualToThreshold", 1],
        );
        expect(idle.metricQueries.map((q: any) => q.expression ?? `${q.metric.metricName}@${q.metric.dimensions.QueueName}`)).to.deep.equal(
          [`ApproximateNumberOfMessagesVisible@${queueName}`, `ApproximateNumberOfMessagesNotVisible@${queueName}`, "visible + inflight"],
        );
        expect([idle.threshold, idle.comparisonOperator, idle.evaluationPeriods]).to.deep.equal([
          0,
          "LessThanOrEqualToThreshold",
          stack === "dev" ? 5 : 10,
        ]);
        expect(out.inputs.stepScalingPolicyConfiguration.stepAdjustments).to.deep.equal([
          { metricIntervalLowerBound: "0", metricIntervalUpperBound: "19", scalingAdjustment: 1 },
          { metricIntervalLowerBound: "19", metricIntervalUpperBound: "99", scalingAdjustment: 2 },
          { metricIntervalLowerBound: "99", scalingAdjustment: 4 },
        ]);
        expect(inn.inputs.stepScalingPolicyConfiguration).to.deep.include({ adjustmentType: "ExactCapacity" });
        expect(inn.inputs.stepScalingPolicyConfiguration.stepAdjustments).to.deep.equal([
          { metricIntervalUpperBound: "0", scalingAdjustment: stack === "dev" ? 0 : 1 },
        ]);
        const target = run.one("aws:appautoscaling/target:Target").inputs;
        const cluster = run.one("aws:ecs/cluster:Cluster").state.name;
        const service = run.one("aws:ecs/service:Service").state.name;
        expect(target).to.deep.include({
          resourceId: `service/${cluster}/${service}`,
          scalableDimension: "ecs:service:DesiredCount",
          serviceNamespace: "ecs",
        });
        expect([target.minCapacity, target.maxCapacity]).to.deep.equal(stack === "dev" ? [0, 2] : [1, 10]);
        for (const p of [out, inn]) expect(p.inputs.resourceId).to.equal(target.resourceId);
      });
    });

    describe("API", () => {
      it("names the stage after the stack, throttles it and writes JSON access logs", () => {
        const stage = run.one("aws:apigateway/stage:Stage").inputs;
        expect(stage.stageName).to.equal(stack);
        expect(stage.accessLogSettings.destinationArn).to.equal(arn.logs("-api-access-logs"));
        const format = JSON.parse(stage.accessLogSettings.format);
        expect(format).to.include({ requestId: "$context.requestId", status: "$context.status", resourcePath: "$context.resourcePath" });
        expect(JSON.stringify(format)).to.not.include("querystring");
        const settings = run.one("aws:apigateway/methodSettings:MethodSettings").inputs;
        expect(settings.methodPath).to.equal("*/*");
        expect(settings.settings).to.deep.equal(
          stack === "dev"
            ? { throttlingRateLimit: 10, throttlingBurstLimit: 20, metricsEnabled: true }
            : { throttlingRateLimit: 100, throttlingBurstLimit: 200, metricsEnabled: true },
        );
      });

      it("puts the Cognito authorizer on the order routes and none on the emailed invoice link", () => {
        const authorizer = run.one("aws:apigateway/authorizer:Authorizer");
        expect(authorizer.inputs).to.deep.include({ type: "COGNITO_USER_POOLS", identitySource: "method.request.header.Authorization" });
        expect(authorizer.inputs.providerArns).to.deep.equal([run.one("aws:cognito/userPool:UserPool").state.arn]);
        const methods = Object.fromEntries(
          run
            .ofType("aws:apigateway/method:Method")
            .map((m) => [m.name.replace(`shop-${stack}-api-`, ""), [m.inputs.httpMethod, m.inputs.authorization, m.inputs.authorizerId]]),
        );
        expect(methods).to.deep.equal({
          "post-orders": ["POST", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-orders": ["GET", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-orders-orderId": ["GET", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-invoices-orderId": ["GET", "NONE", undefined],
        });
        const fn = run.one("aws:lambda/function:Function", "-api-handler");
        for (const i of run.ofType("aws:apigateway/integration:Integration")) {
          expect(i.inputs).to.deep.include({ type: "AWS_PROXY", integrationHttpMethod: "POST", uri: fn.state.invokeArn });
        }
        const paths = run
          .ofType("aws:apigateway/resource:Resource")
          .map((r) => r.inputs.pathPart)
          .sort();
        expect(paths).to.deep.equal(["invoices", "orders", "{orderId}", "{orderId}"]);
        const invoke = run.one("aws:lambda/permission:Permission", "-api-invoke").inputs;
        expect(invoke.sourceArn).to.equal(`${run.one("aws:apigateway/restApi:RestApi").state.executionArn}/${stack}/*`);
      });

      it("redeploys when the routes, the function or the authorizer change, through a hash trigger", () => {
        const d = run.one("aws:apigateway/deployment:Deployment").inputs;
        const authorizer = run.one("aws:apigateway/authorizer:Authorizer");
        expect(d.triggers.redeployment).to.equal(
          deploymentTrigger(methodSpecs(), gatewayResponses(), {
            functionInvokeArn: run.one("aws:lambda/function:Function", "-api-handler").state.invokeArn,
            authorizerId: `${authorizer.name}-id`,
            userPoolArns: [run.one("aws:cognito/userPool:UserPool").state.arn],
          }),
        );
        expect(run.one("aws:apigateway/stage:Stage").inputs.deployment).to.equal(
          `${run.one("aws:apigateway/deployment:Deployment").name}-id`,
        );
      });
    });

    describe("where moto is blind (issue 9)", () => {
      it("sends a notifier event that failed every retry to an encrypted failure queue kept 14 days, with an alarm", () => {
        const failures = run.one("aws:sqs/queue:Queue", "-email-failures");
        expect([failures.inputs.sqsManagedSseEnabled, failures.inputs.messageRetentionSeconds]).to.deep.equal([true, 1_209_600]);
        const config = run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs;
        expect(config).to.deep.equal({
          functionName: run.one("aws:lambda/function:Function", "-notify-handler").state.name,
          maximumRetryAttempts: 2,
          destinationConfig: { onFailure: { destination: failures.state.arn } },
        });
        const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-email-failures-not-empty").inputs;
        expect([alarm.metricName, alarm.dimensions.QueueName, alarm.threshold, alarm.comparisonOperator]).to.deep.equal([
          "ApproximateNumberOfMessagesVisible",
          failures.state.name,
          0,
          "GreaterThanThreshold",
        ]);
        const topic = run.one("aws:sns/topic:Topic");
        expect(alarm.alarmActions).to.deep.equal([topic.state.arn]);
        expect(run.outputs.emailFailureQueueUrl).to.equal(failures.state.url);
      });

      it("gives the worker's container Fargate's 120 s stop timeout, room for a message's whole 60 s budget", () => {
        const [container] = JSON.parse(run.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions);
        expect(container.stopTimeout).to.equal(120);
        const env = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(drainDeadlineSeconds(Number(env.WORKER_MESSAGE_BUDGET_SECONDS), Number(env.WORKER_WAIT_SECONDS))).to.equal(70);
      });

      it("keeps invoices in STANDARD: no STANDARD_IA transition S3 would skip for ~55 KB objects", () => {
        const rule = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules[0];
        expect(rule.transitions ?? []).to.deep.equal([]);
      });

      it(
        stack === "prod"
          ? "sends Cognito's mail through SES as the sender and allows no password sign-in"
          : "keeps Cognito's default mail and password sign-in for the CLI",
        () => {
          const pool = run.one("aws:cognito/userPool:UserPool").inputs;
          const flows = run.one("aws:cognito/userPoolClient:UserPoolClient").inputs.explicitAuthFlows;
          if (stack === "prod") {
            const sender = run.one("aws:sesv2/emailIdentity:EmailIdentity");
            expect(pool.emailConfiguration).to.deep.equal({
              emailSendingAccount: "DEVELOPER",
              sourceArn: sender.state.arn,
              fromEmailAddress: sender.inputs.emailIdentity,
            });
            expect(flows).to.deep.equal(["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
          } else {
            expect(pool.emailConfiguration).to.equal(undefined);
            expect(flows).to.deep.equal(["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
          }
        },
      );

      it("starts the worker service only after the VPC endpoints it pulls its image through", () => {
        const service = run.one("aws:ecs/service:Service");
        const endpoints = run.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.urn);
        expect(endpoints.length).to.equal(stack === "prod" ? 6 : 0);
        expect(service.dependsOn).to.include.members(endpoints);
        expect(service.dependsOn).to.include(run.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").urn);
      });
    });

    describe("functions and container", () => {
      it("runs both Lambdas on arm64 nodejs22.x with sizes from config and resource names via ENV", () => {
        const api = run.one("aws:lambda/function:Function", "-api-handler").inputs;
        const notify = run.one("aws:lambda/function:Function", "-notify-handler").inputs;
        for (const f of [api, notify]) {
          expect([f.runtime, f.architectures, f.handler]).to.deep.equal(["nodejs22.x", ["arm64"], LAMBDA_HANDLER]);
        }
        expect([api.memorySize, api.timeout]).to.deep.equal(stack === "dev" ? [512, 10] : [1024, 10]);
        expect([notify.memorySize, notify.timeout]).to.deep.equal([256, 30]);
        expect(api.loggingConfig.logGroup).to.equal(run.one("aws:cloudwatch/logGroup:LogGroup", "-api-handler-logs").state.name);
        expect(envOf(run.one("aws:lambda/function:Function", "-api-handler"))).to.deep.equal({
          ORDERS_TABLE: run.one("aws:dynamodb/table:Table").state.name,
          ORDERS_QUEUE_URL: run.one("aws:sqs/queue:Queue", "-orders").state.url,
          INVOICES_BUCKET: run.one("aws:s3/bucket:Bucket").state.bucket,
          TAX_RATE_BPS: "1900",
          INVOICE_LINK_KEY_ID: arn.key,
          INVOICE_PRESIGN_TTL_SECONDS: "300",
          LOG_LEVEL: stack === "dev" ? "debug" : "info",
          METRICS_STACK: stack,
        });
        expect(Object.keys(envOf(run.one("aws:lambda/function:Function", "-notify-handler"))).sort()).to.deep.equal([
          "EMAIL_SENDER",
          "INVOICES_BUCKET",
          "INVOICE_LINK_BASE_URL",
          "INVOICE_LINK_KEY_ID",
          "INVOICE_LINK_TTL_DAYS",
          "LOG_LEVEL",
          "METRICS_STACK",
          "ORDERS_TABLE",
          "SELLER_ADDRESS",
          "SELLER_EMAIL",
          "SELLER_NAME",
          "SELLER_TAX_ID",
        ]);
        expect(envOf(run.one("aws:lambda/function:Function", "-notify-handler")).INVOICE_LINK_BASE_URL).to.equal(run.outputs.apiUrl);
      });

      it("traces both Lambdas actively in X-Ray, and the API stage they are reached through", () => {
        const tracing = run
          .ofType("aws:lambda/function:Function")
          .map((f) => [f.name.replace(`shop-${stack}-`, ""), f.inputs.tracingConfig]);
        expect(tracing).to.have.deep.members([
          ["api-handler", { mode: "Active" }],
          ["notify-handler", { mode: "Active" }],
        ]);
        expect(run.one("aws:apigateway/stage:Stage").inputs.xrayTracingEnabled).to.equal(true);
      });

      it("subscribes the notifier to new invoice PDFs only", () => {
        const n = run.one("aws:s3/bucketNotification:BucketNotification").inputs;
        expect(n.lambdaFunctions).to.deep.equal([
          {
            lambdaFunctionArn: run.one("aws:lambda/function:Function", "-notify-handler").state.arn,
            events: ["s3:ObjectCreated:*"],
            filterPrefix: "invoices/",
            filterSuffix: ".pdf",
          },
        ]);
        expect(run.one("aws:lambda/permission:Permission", "-s3-invoke").inputs).to.deep.include({
          principal: "s3.amazonaws.com",
          sourceArn: arn.bucket,
          sourceAccount: ACCOUNT,
        });
      });

      it("builds the worker image from invoice-container/Dockerfile for the task's platform", () => {
        const image = run.one("awsx:ecr:Image").inputs;
        expect(image).to.deep.equal({
          repositoryUrl: run.one("awsx:ecr:Repository").state.url,
          context: ".",
          dockerfile: "invoice-container/Dockerfile",
          platform: "linux/amd64",
        });
        expect(fs.existsSync(path.join(ROOT, image.context, image.dockerfile))).to.equal(true);
        const task = run.one("aws:ecs/taskDefinition:TaskDefinition").inputs;
        expect(task.runtimePlatform).to.deep.equal({ operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" });
        const [container] = JSON.parse(task.containerDefinitions);
        expect(container.image).to.equal(run.outputs.imageUri);
        expect(container.healthCheck.command).to.deep.equal(["CMD", "node", "dist/invoice-container/healthcheck.js"]);
        expect(container.logConfiguration.options["awslogs-group"]).to.equal(
          run.one("aws:cloudwatch/logGroup:LogGroup", "-worker-logs").state.name,
        );
        expect(container.environment.map((e: { name: string }) => e.name)).to.deep.equal([
          "AWS_REGION",
          "INVOICES_BUCKET",
          "LOG_LEVEL",
          "METRICS_STACK",
          "ORDERS_QUEUE_URL",
          "ORDERS_TABLE",
          "SELLER_ADDRESS",
          "SELLER_EMAIL",
          "SELLER_NAME",
          "SELLER_TAX_ID",
          "WORKER_BATCH_SIZE",
          "WORKER_CONCURRENCY",
          "WORKER_HEARTBEAT_MAX_AGE_SECONDS",
          "WORKER_MESSAGE_BUDGET_SECONDS",
          "WORKER_WAIT_SECONDS",
        ]);
        expect([task.executionRoleArn, task.taskRoleArn]).to.deep.equal([
          run.one("aws:iam/role:Role", "-worker-execution-role").state.arn,
          run.one("aws:iam/role:Role", "-worker-task-role").state.arn,
        ]);
      });
    });
  });
}

describe("the program's configuration check", () => {
  it("refuses a misspelt key in the stack's config, which the program itself never reads", async function () {
    this.timeout(60000);
    // Prepare: the shared runs first (mocks are process-wide), then a run of dev with a typo.
    await programRun("dev");
    await programRun("prod");
    // Act / assess
    let error: unknown;
    await runProgram("dev", { "shop-backend:workerMaxTask": "3" }).catch((e) => (error = e));
    expect(String(error)).to.match(/unknown key\(s\): shop-backend:workerMaxTask/);
  });
});

describe("dev and prod differ where production differs", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async function () {
    this.timeout(60000);
    dev = await programRun("dev");
    prod = await programRun("prod");
  });

  const pick = (run: ProgramRun) => {
    const service = run.one("aws:ecs/service:Service").inputs;
    const table = run.one("aws:dynamodb/table:Table").inputs;
    return {
      capacity: service.capacityProviderStrategies.map((s: { capacityProvider: string }) => s.capacityProvider),
      desiredCount: service.desiredCount,
      assignPublicIp: service.networkConfiguration.assignPublicIp,
      subnets: service.networkConfiguration.subnets,
      logRetention: [...new Set(run.ofType("aws:cloudwatch/logGroup:LogGroup").map((g) => g.inputs.retentionInDays))],
      tableDeletionProtection: table.deletionProtectionEnabled,
      pointInTimeRecovery: table.pointInTimeRecovery.enabled,
      bucketForceDestroy: run.one("aws:s3/bucket:Bucket").inputs.forceDestroy,
      userPoolDeletionProtection: run.one("aws:cognito/userPool:UserPool").inputs.deletionProtection,
      versioning: run.ofType("aws:s3/bucketVersioning:BucketVersioning").map((v) => v.inputs.versioningConfiguration.status),
      alarmSubscriptions: run.ofType("aws:sns/topicSubscription:TopicSubscription").length,
      keyDeletionWindow: run.one("aws:kms/key:Key").inputs.deletionWindowInDays,
      forceDeleteImages: run.one("awsx:ecr:Repository").inputs.forceDelete,
    };
  };

  it("dev: Spot, scale to zero, default VPC, short retention, nothing protected", () => {
    expect(pick(dev)).to.deep.equal({
      capacity: ["FARGATE_SPOT"],
      desiredCount: 0,
      assignPublicIp: true,
      subnets: ["subnet-default-a", "subnet-default-b", "subnet-default-c"],
      logRetention: [7],
      tableDeletionProtection: false,
      pointInTimeRecovery: false,
      bucketForceDestroy: true,
      userPoolDeletionProtection: "INACTIVE",
      versioning: [],
      alarmSubscriptions: 0,
      keyDeletionWindow: 7,
      forceDeleteImages: true,
    });
  });

  it("prod: on-demand, at least one task, private subnets, longer retention, PITR and deletion protection", () => {
    expect(pick(prod)).to.deep.equal({
      capacity: ["FARGATE"],
      desiredCount: 1,
      assignPublicIp: false,
      subnets: prod.ofType("aws:ec2/subnet:Subnet").map((s) => `${s.name}-id`),
      logRetention: [90],
      tableDeletionProtection: true,
      pointInTimeRecovery: true,
      bucketForceDestroy: false,
      userPoolDeletionProtection: "ACTIVE",
      versioning: ["Enabled"],
      alarmSubscriptions: 1,
      keyDeletionWindow: 30,
      forceDeleteImages: false,
    });
  });

  it("prod reaches every AWS API the worker and ECS use through VPC endpoints", () => {
    const endpoints = prod.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => `${e.inputs.vpcEndpointType} ${e.inputs.serviceName}`);
    expect(endpoints.sort()).to.deep.equal(
      [
        "Gateway com.amazonaws.eu-central-1.dynamodb",
        "Gateway com.amazonaws.eu-central-1.s3",
        "Interface com.amazonaws.eu-central-1.ecr.api",
        "Interface com.amazonaws.eu-central-1.ecr.dkr",
        "Interface com.amazonaws.eu-central-1.logs",
        "Interface com.amazonaws.eu-central-1.sqs",
      ].sort(),
    );
    for (const e of prod.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").filter((x) => x.inputs.vpcEndpointType === "Interface")) {
      expect(e.inputs.privateDnsEnabled).to.equal(true);
    }
    expect(prod.ofType("aws:ec2/subnet:Subnet").map((s) => [s.inputs.cidrBlock, s.inputs.mapPublicIpOnLaunch])).to.deep.equal([
      ["10.40.0.0/20", false],
      ["10.40.16.0/20", false],
    ]);
  });
});
