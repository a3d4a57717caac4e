import { expect } from "chai";
import { ACCOUNT, MOCK_REGION } from "../../helpers/pulumi-mocks";
import { envOf, STACKS, statementsOf, useStack } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    const st = useStack(stack);

    describe("least privilege", () => {
      it("gives the order API Lambda exactly what its handlers call", () => {
        expect(statementsOf(st.run.one("aws:iam/rolePolicy:RolePolicy", "-api-handler-policy"))).to.deep.equal([
          {
            Sid: "OrdersTable",
            Effect: "Allow",
            Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            Resource: st.arn.table,
          },
          {
            Sid: "DiscardIdempotencyKeys",
            Effect: "Allow",
            Action: ["dynamodb:DeleteItem"],
            Resource: st.arn.table,
            Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["IDEMP#*"] } },
          },
          { Sid: "OrderHistory", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${st.arn.table}/index/byCustomer` },
          { Sid: "CatalogAndPaymentsDue", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${st.arn.table}/index/byState` },
          { Sid: "AdminOrderListing", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${st.arn.table}/index/byMonth` },
          {
            Sid: "AuditRecordsAreAppendOnly",
            Effect: "Deny",
            Action: ["dynamodb:DeleteItem", "dynamodb:UpdateItem"],
            Resource: st.arn.table,
            Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["AUDIT#*"] } },
          },
          { Sid: "ReadPaymentSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: st.arn.paymentSecret },
          { Sid: "EnqueueOrders", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: st.arn.queue },
          { Sid: "PresignInvoices", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${st.arn.bucket}/invoices/*` },
          {
            Sid: "ResendInvoicesByCopy",
            Effect: "Allow",
            Action: ["s3:PutObject"],
            Resource: `${st.arn.bucket}/invoices/*`,
            Condition: { StringLike: { "s3:x-amz-copy-source": `${st.arn.bucket.replace("arn:aws:s3:::", "")}/invoices/*` } },
          },
          { Sid: "VerifyInvoiceLinks", Effect: "Allow", Action: ["kms:VerifyMac"], Resource: st.arn.key },
          {
            Sid: "PublishEvents",
            Effect: "Allow",
            Action: ["events:PutEvents"],
            Resource: st.run.one("aws:cloudwatch/eventBus:EventBus").state.arn,
          },
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${st.arn.logs("-api-handler-logs")}:*`,
          },
          { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
        ]);
      });

      it("gives the notifier Lambda exactly what its handler calls: sending on the account's identities and the stack's configuration set, From pinned (SES sandbox)", () => {
        // The From address, whichever identity verifies it (dev: the address's own, prod: its domain's).
        const sender = envOf(st.run.one("aws:lambda/function:Function", "-notify-handler")).EMAIL_SENDER;
        expect(st.arn.sender).to.equal(`arn:aws:ses:${MOCK_REGION}:${ACCOUNT}:identity/${stack === "dev" ? sender : sender.split("@")[1]}`);
        expect(statementsOf(st.run.one("aws:iam/rolePolicy:RolePolicy", "-notify-handler-policy"))).to.deep.equal([
          { Sid: "OrdersTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: st.arn.table },
          {
            Sid: "AuditRecordsAreAppendOnly",
            Effect: "Deny",
            Action: ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
            Resource: st.arn.table,
            Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["AUDIT#*"] } },
          },
          {
            Sid: "SendAsSenderOnly",
            Effect: "Allow",
            Action: ["ses:SendEmail"],
            Resource: [
              `arn:aws:ses:${MOCK_REGION}:${ACCOUNT}:identity/*`,
              st.run.one("aws:sesv2/configurationSet:ConfigurationSet").state.arn,
            ],
            Condition: { StringEquals: { "ses:FromAddress": sender } },
          },
          { Sid: "SignInvoiceLinks", Effect: "Allow", Action: ["kms:GenerateMac"], Resource: st.arn.key },
          {
            Sid: "RecordFailedEvents",
            Effect: "Allow",
            Action: ["sqs:SendMessage"],
            Resource: st.run.one("aws:sqs/queue:Queue", "-email-failures").state.arn,
          },
          {
            Sid: "PublishEvents",
            Effect: "Allow",
            Action: ["events:PutEvents"],
            Resource: st.run.one("aws:cloudwatch/eventBus:EventBus").state.arn,
          },
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${st.arn.logs("-notify-handler-logs")}:*`,
          },
          { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
        ]);
      });

      it("gives the email events Lambda exactly what its handler calls: the orders table and the events bus, no SES, no bucket, no key", () => {
        expect(statementsOf(st.run.one("aws:iam/rolePolicy:RolePolicy", "-mail-handler-policy"))).to.deep.equal([
          { Sid: "OrdersTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: st.arn.table },
          {
            Sid: "AuditRecordsAreAppendOnly",
            Effect: "Deny",
            Action: ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
            Resource: st.arn.table,
            Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["AUDIT#*"] } },
          },
          {
            Sid: "RecordFailedEvents",
            Effect: "Allow",
            Action: ["sqs:SendMessage"],
            Resource: st.run.one("aws:sqs/queue:Queue", "-email-failures").state.arn,
          },
          {
            Sid: "PublishEvents",
            Effect: "Allow",
            Action: ["events:PutEvents"],
            Resource: st.run.one("aws:cloudwatch/eventBus:EventBus").state.arn,
          },
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${st.arn.logs("-mail-handler-logs")}:*`,
          },
          { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" },
        ]);
      });

      it("gives the worker's task role exactly what the worker calls", () => {
        expect(statementsOf(st.run.one("aws:iam/rolePolicy:RolePolicy", "-worker-task-policy"))).to.deep.equal([
          {
            Sid: "ConsumeOrders",
            Effect: "Allow",
            Action: ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"],
            Resource: st.arn.queue,
          },
          {
            Sid: "OrdersTable",
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            Resource: st.arn.table,
          },
          {
            Sid: "AuditRecordsAreAppendOnly",
            Effect: "Deny",
            Action: ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
            Resource: st.arn.table,
            Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["AUDIT#*"] } },
          },
          { Sid: "StoreInvoices", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${st.arn.bucket}/invoices/*` },
          {
            Sid: "PublishEvents",
            Effect: "Allow",
            Action: ["events:PutEvents"],
            Resource: st.run.one("aws:cloudwatch/eventBus:EventBus").state.arn,
          },
        ]);
      });

      it("lets ECS pull only the worker's repository and write only the worker's log group", () => {
        const repoUrl: string = st.run.one("awsx:ecr:Repository").state.url;
        const repoName = repoUrl.split("/").pop();
        expect(statementsOf(st.run.one("aws:iam/rolePolicy:RolePolicy", "-worker-execution-policy"))).to.deep.equal([
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
            Resource: `${st.arn.logs("-worker-logs")}:*`,
          },
        ]);
      });

      it("grants no wildcard action, no FullAccess policy and no public access anywhere", () => {
        for (const p of st.run.ofType("aws:iam/rolePolicy:RolePolicy")) {
          for (const s of statementsOf(p)) {
            // The one Deny: no role changes or removes an audit record.
            expect(s.Effect === "Allow" || s.Sid === "AuditRecordsAreAppendOnly", `${p.name} ${s.Sid}`).to.equal(true);
            for (const a of s.Action) expect(a, `${p.name} ${s.Sid}`).to.not.include("*");
          }
        }
        // "*" only where IAM offers no narrower resource: the ECR login, and X-Ray for the two Lambdas.
        const onAnyResource = Object.fromEntries(
          st.run.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => [
            p.name.replace(`shop-${stack}-`, ""),
            statementsOf(p)
              .filter((s) => s.Resource === "*")
              .flatMap((s) => s.Action),
          ]),
        );
        expect(onAnyResource).to.deep.equal({
          "api-handler-policy": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
          "notify-handler-policy": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
          "mail-handler-policy": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
          "worker-execution-policy": ["ecr:GetAuthorizationToken"],
          "worker-task-policy": [],
        });
        expect(st.run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn)).to.deep.equal([
          "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        ]);
        const block = st.run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
        expect([block.blockPublicAcls, block.blockPublicPolicy, block.ignorePublicAcls, block.restrictPublicBuckets]).to.deep.equal([
          true,
          true,
          true,
          true,
        ]);
        expect(JSON.parse(st.run.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy).Statement).to.deep.equal([
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: ["s3:*"],
            Resource: [st.arn.bucket, `${st.arn.bucket}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]);
        for (const p of st.run.ofType("aws:lambda/permission:Permission")) {
          expect(p.inputs.principal).to.be.oneOf([
            "apigateway.amazonaws.com",
            "s3.amazonaws.com",
            "sns.amazonaws.com",
            "events.amazonaws.com",
          ]);
          expect(p.inputs.sourceArn, p.name).to.be.a("string").and.not.equal("");
        }
        for (const sg of st.run.ofType("aws:ec2/securityGroup:SecurityGroup").filter((g) => g.name.endsWith("-worker"))) {
          expect(sg.inputs.ingress ?? []).to.deep.equal([]);
        }
      });

      it("lets the order API role alone read a secret, and only the payment secret", () => {
        const secretGrants = Object.fromEntries(
          st.run.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => [
            p.name.replace(`shop-${stack}-`, ""),
            statementsOf(p)
              .filter(
                (s) =>
                  s.Action.some((a: string) => a.startsWith("secretsmanager:")) || JSON.stringify(s.Resource).includes(":secretsmanager:"),
              )
              .map((s) => [s.Action, s.Resource]),
          ]),
        );
        expect(secretGrants).to.deep.equal({
          "api-handler-policy": [[["secretsmanager:GetSecretValue"], st.arn.paymentSecret]],
          "notify-handler-policy": [],
          "mail-handler-policy": [],
          "worker-execution-policy": [],
          "worker-task-policy": [],
        });
      });

      it("lets the three Lambda roles write traces and no worker role: the worker does not trace", () => {
        const xray = (suffix: string) =>
          statementsOf(st.run.one("aws:iam/rolePolicy:RolePolicy", suffix))
            .flatMap((s) => s.Action)
            .filter((a: string) => a.startsWith("xray:"))
            .sort();
        expect(xray("-api-handler-policy")).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        expect(xray("-notify-handler-policy")).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        expect(xray("-mail-handler-policy")).to.deep.equal(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        expect(xray("-worker-task-policy")).to.deep.equal([]);
        expect(xray("-worker-execution-policy")).to.deep.equal([]);
      });

      it("gives every role a trust policy for its one service and every function its own role", () => {
        const trust = Object.fromEntries(
          st.run
            .ofType("aws:iam/role:Role")
            .map((r) => [r.name.replace(`shop-${stack}-`, ""), JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Principal.Service]),
        );
        expect(trust).to.deep.equal({
          "api-handler-role": "lambda.amazonaws.com",
          "api-gateway-logs-role": "apigateway.amazonaws.com",
          "notify-handler-role": "lambda.amazonaws.com",
          "mail-handler-role": "lambda.amazonaws.com",
          "worker-execution-role": "ecs-tasks.amazonaws.com",
          "worker-task-role": "ecs-tasks.amazonaws.com",
        });
        expect(st.run.one("aws:lambda/function:Function", "-api-handler").inputs.role).to.equal(
          st.run.one("aws:iam/role:Role", "-api-handler-role").state.arn,
        );
        expect(st.run.one("aws:lambda/function:Function", "-notify-handler").inputs.role).to.equal(
          st.run.one("aws:iam/role:Role", "-notify-handler-role").state.arn,
        );
        expect(st.run.one("aws:lambda/function:Function", "-mail-handler").inputs.role).to.equal(
          st.run.one("aws:iam/role:Role", "-mail-handler-role").state.arn,
        );
      });
    });
  });
}
