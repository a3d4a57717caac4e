import { expect } from "chai";
import { deploymentTrigger, gatewayResponses, methodSpecs } from "../../../components/api-routes";
import { ADMIN_GROUP } from "../../../runtime/contracts/routes";
import { EXPIRE_PAYMENTS_TASK } from "../../../runtime/contracts/payments";
import { secretValue } from "../../helpers/pulumi-mocks";
import { envOf, STACKS, useStack } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    const st = useStack(stack);

    describe("API", () => {
      it("sets the account's API Gateway logging role itself, before its stage, and keeps it when the stack is destroyed", () => {
        // Access logs need the account-wide setting: a stack that relies on another stack's would be refused
        // in its own account, and would lose its logs when that stack is destroyed (the provider resets it).
        const account = st.run.one("aws:apigateway/account:Account");
        const role = st.run.one("aws:iam/role:Role", "-gateway-logs-role");
        const attachment = st.run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-gateway-logs-policy");
        expect(st.run.one("aws:apigateway/stage:Stage").dependsOn).to.include(account.urn);
        expect(account.inputs.cloudwatchRoleArn).to.equal(role.state.arn);
        expect({ account: account.retainOnDelete, role: role.retainOnDelete, attachment: attachment.retainOnDelete }).to.deep.equal({
          account: true,
          role: true,
          attachment: true,
        });
      });

      it("names the stage after the stack, throttles it and writes JSON access logs", () => {
        const stage = st.run.one("aws:apigateway/stage:Stage").inputs;
        expect(stage.stageName).to.equal(stack);
        expect(stage.accessLogSettings.destinationArn).to.equal(st.arn.logs("-api-access-logs"));
        const format = JSON.parse(stage.accessLogSettings.format);
        expect(format).to.include({ requestId: "$context.requestId", status: "$context.status", resourcePath: "$context.resourcePath" });
        expect(JSON.stringify(format)).to.not.include("querystring");
        const settings = st.run.one("aws:apigateway/methodSettings:MethodSettings").inputs;
        expect(settings.methodPath).to.equal("*/*");
        expect(settings.settings).to.deep.equal(
          stack === "dev"
            ? { throttlingRateLimit: 10, throttlingBurstLimit: 20, metricsEnabled: true }
            : { throttlingRateLimit: 100, throttlingBurstLimit: 200, metricsEnabled: true },
        );
      });

      it("answers the gateway's own errors as JSON in the API's error shape, 429 with Retry-After", () => {
        const responses = Object.fromEntries(
          st.run
            .ofType("aws:apigateway/response:Response")
            .map((r) => [
              r.inputs.responseType,
              [r.inputs.statusCode, JSON.parse(r.inputs.responseTemplates["application/json"]).error.code, r.inputs.responseParameters],
            ]),
        );
        const json = { "gatewayresponse.header.Content-Type": "'application/json'" };
        expect(responses).to.deep.equal({
          UNAUTHORIZED: ["401", "UNAUTHENTICATED", json],
          MISSING_AUTHENTICATION_TOKEN: ["404", "NOT_FOUND", json],
          THROTTLED: ["429", "THROTTLED", { ...json, "gatewayresponse.header.Retry-After": "'1'" }],
          REQUEST_TOO_LARGE: ["413", "PAYLOAD_TOO_LARGE", json],
          DEFAULT_4XX: [undefined, "REQUEST_REFUSED", json],
          DEFAULT_5XX: [undefined, "INTERNAL", json],
        });
      });

      it("puts the Cognito authorizer on the order and admin routes and none on the emailed invoice link, the catalog and the webhook", () => {
        const authorizer = st.run.one("aws:apigateway/authorizer:Authorizer");
        expect(authorizer.inputs).to.deep.include({ type: "COGNITO_USER_POOLS", identitySource: "method.request.header.Authorization" });
        expect(authorizer.inputs.providerArns).to.deep.equal([st.run.one("aws:cognito/userPool:UserPool").state.arn]);
        const methods = Object.fromEntries(
          st.run
            .ofType("aws:apigateway/method:Method")
            .map((m) => [m.name.replace(`shop-${stack}-api-`, ""), [m.inputs.httpMethod, m.inputs.authorization, m.inputs.authorizerId]]),
        );
        expect(methods).to.deep.equal({
          "post-orders": ["POST", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-orders": ["GET", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-orders-orderId": ["GET", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-invoices-orderId": ["GET", "NONE", undefined],
          "get-products": ["GET", "NONE", undefined],
          "put-admin-products-sku": ["PUT", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "delete-admin-products-sku": ["DELETE", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-admin-orders": ["GET", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-admin-orders-orderId": ["GET", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "post-admin-orders-orderId-credit-notes": ["POST", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "get-admin-exports": ["GET", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "post-admin-orders-orderId-cancel": ["POST", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "post-admin-orders-orderId-resend": ["POST", "COGNITO_USER_POOLS", `${authorizer.name}-id`],
          "post-webhooks-stripe": ["POST", "NONE", undefined],
        });
        const fn = st.run.one("aws:lambda/function:Function", "-api-handler");
        for (const i of st.run.ofType("aws:apigateway/integration:Integration")) {
          expect(i.inputs).to.deep.include({ type: "AWS_PROXY", integrationHttpMethod: "POST", uri: fn.state.invokeArn });
        }
        const paths = st.run
          .ofType("aws:apigateway/resource:Resource")
          .map((r) => r.inputs.pathPart)
          .sort();
        expect(paths).to.deep.equal([
          "admin",
          "cancel",
          "credit-notes",
          "exports",
          "invoices",
          "orders",
          "orders",
          "products",
          "products",
          "resend",
          "stripe",
          "webhooks",
          "{orderId}",
          "{orderId}",
          "{orderId}",
          "{sku}",
        ]);
        // Each path part under its parent: the admin tree is built parents first.
        const byId = new Map(st.run.ofType("aws:apigateway/resource:Resource").map((r) => [`${r.name}-id`, r]));
        const fullPath = (r: (typeof st.run.resources)[number]): string => {
          const parent = byId.get(r.inputs.parentId);
          return `${parent ? fullPath(parent) : ""}/${r.inputs.pathPart}`;
        };
        expect(st.run.ofType("aws:apigateway/resource:Resource").map(fullPath).sort()).to.include.members([
          "/admin/products/{sku}",
          "/admin/orders/{orderId}",
          "/admin/orders/{orderId}/cancel",
          "/admin/orders/{orderId}/credit-notes",
          "/admin/orders/{orderId}/resend",
          "/admin/exports",
          "/webhooks/stripe",
          "/products",
        ]);
        const invoke = st.run.one("aws:lambda/permission:Permission", "-api-invoke").inputs;
        expect(invoke.sourceArn).to.equal(`${st.run.one("aws:apigateway/restApi:RestApi").state.executionArn}/${stack}/*`);
      });

      it("indexes the table by state (catalog, payments due) and by month (admins' listing) beside the customer index, each with every attribute", () => {
        const table = st.run.one("aws:dynamodb/table:Table").inputs;
        expect(table.attributes).to.deep.equal([
          { name: "pk", type: "S" },
          { name: "gsi1pk", type: "S" },
          { name: "gsi1sk", type: "S" },
          { name: "gsi2pk", type: "S" },
          { name: "gsi2sk", type: "S" },
          { name: "gsi3pk", type: "S" },
          { name: "gsi3sk", type: "S" },
        ]);
        expect(table.globalSecondaryIndexes).to.deep.equal([
          { name: "byCustomer", hashKey: "gsi1pk", rangeKey: "gsi1sk", projectionType: "ALL" },
          { name: "byState", hashKey: "gsi2pk", rangeKey: "gsi2sk", projectionType: "ALL" },
          { name: "byMonth", hashKey: "gsi3pk", rangeKey: "gsi3sk", projectionType: "ALL" },
        ]);
      });

      it("adds the shop admins' group (ADMIN_GROUP) to the user pool and exports its name", () => {
        const group = st.run.one("aws:cognito/userGroup:UserGroup");
        expect(group.inputs).to.deep.include({ name: ADMIN_GROUP, userPoolId: `${st.run.one("aws:cognito/userPool:UserPool").name}-id` });
        expect(st.run.outputs.adminGroupName).to.equal(ADMIN_GROUP);
        expect(st.run.outputs.stripeWebhookUrl).to.equal(`${st.run.outputs.apiUrl}/webhooks/stripe`);
      });

      it("keeps the payment keys in one Secrets Manager secret whose value stays a secret Output, recoverable for longer in prod", () => {
        const secret = st.run.one("aws:secretsmanager/secret:Secret");
        const version = st.run.one("aws:secretsmanager/secretVersion:SecretVersion");
        expect(secret.inputs.recoveryWindowInDays).to.equal(stack === "prod" ? 30 : 7);
        // The AWS managed key (aws/secretsmanager): no key of the stack's own, so the role needs no KMS grant.
        expect(secret.inputs.kmsKeyId).to.equal(undefined);
        expect(version.inputs.secretId).to.equal(`${secret.name}-id`);
        // Sent as a secret (encrypted in the state), holding the runtime's PaymentSecret shape.
        expect(JSON.parse(String(secretValue(version.inputs.secretString)))).to.deep.equal({
          secretKey: "sk_test_mockedstack",
          webhookSecret: "whsec_mockedstack",
        });
      });

      it("invokes the order API every five minutes with the constant expiry input, allowed from that rule only", () => {
        const rule = st.run.one("aws:cloudwatch/eventRule:EventRule");
        const target = st.run.one("aws:cloudwatch/eventTarget:EventTarget");
        const fn = st.run.one("aws:lambda/function:Function", "-api-handler");
        const permission = st.run.one("aws:lambda/permission:Permission", "-schedule-invoke");
        expect(rule.inputs.scheduleExpression).to.equal("rate(5 minutes)");
        expect(target.inputs).to.deep.include({ rule: rule.state.name, arn: fn.state.arn });
        expect(JSON.parse(target.inputs.input)).to.deep.equal({ action: EXPIRE_PAYMENTS_TASK.action });
        expect(permission.inputs).to.deep.include({
          action: "lambda:InvokeFunction",
          function: fn.state.name,
          principal: "events.amazonaws.com",
          sourceArn: rule.state.arn,
        });
        expect(target.dependsOn).to.include(permission.urn);
        // The next run is the retry: neither EventBridge nor Lambda retries one, and a run older than a period is dropped.
        expect(target.inputs.retryPolicy).to.deep.equal({ maximumRetryAttempts: 0, maximumEventAgeInSeconds: 300 });
        const config = st.run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-api-async").inputs;
        expect(config).to.deep.include({ functionName: fn.state.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 300 });
        expect(config.destinationConfig).to.equal(undefined);
      });

      it("gives the order API the shop's currency, the payment provider, the expiry and the secret's ARN", () => {
        const env = envOf(st.run.one("aws:lambda/function:Function", "-api-handler"));
        expect(env).to.deep.include({
          SHOP_CURRENCY: "EUR",
          PAYMENT_PROVIDER: "stripe",
          PAYMENT_EXPIRY_MINUTES: "30",
          PAYMENT_SECRET_ID: st.arn.paymentSecret,
        });
        expect(env).to.not.have.property("PAYMENT_API_BASE_URL");
        for (const suffix of ["-notify-handler", "-mail-handler"])
          expect(envOf(st.run.one("aws:lambda/function:Function", suffix))).to.not.have.property("PAYMENT_SECRET_ID");
      });

      it("redeploys when the routes, the function or the authorizer change, through a hash trigger", () => {
        const d = st.run.one("aws:apigateway/deployment:Deployment").inputs;
        const authorizer = st.run.one("aws:apigateway/authorizer:Authorizer");
        expect(d.triggers.redeployment).to.equal(
          deploymentTrigger(methodSpecs(), gatewayResponses(), {
            functionInvokeArn: st.run.one("aws:lambda/function:Function", "-api-handler").state.invokeArn,
            authorizerId: `${authorizer.name}-id`,
            userPoolArns: [st.run.one("aws:cognito/userPool:UserPool").state.arn],
          }),
        );
        expect(st.run.one("aws:apigateway/stage:Stage").inputs.deployment).to.equal(
          `${st.run.one("aws:apigateway/deployment:Deployment").name}-id`,
        );
      });
    });
  });
}
