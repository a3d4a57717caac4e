import { expect } from "chai";
import { type ProgramRun } from "../../helpers/pulumi-mocks";
import { deploymentTrigger, gatewayResponses, methodSpecs } from "../../../components/api-routes";
import { STACKS, stackUnderTest, type StackArns } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    let run: ProgramRun;
    let arn: StackArns;
    before(async function () {
      this.timeout(60000);
      ({ run, arn } = await stackUnderTest(stack));
    });

    describe("API", () => {
      it("sets the account's API Gateway logging role itself, before its stage, and keeps it when the stack is destroyed", () => {
        // Access logs need the account-wide setting: a stack that relies on another stack's would be refused
        // in its own account, and would lose its logs when that stack is destroyed (the provider resets it).
        const account = run.one("aws:apigateway/account:Account");
        const role = run.one("aws:iam/role:Role", "-gateway-logs-role");
        const attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-gateway-logs-policy");
        expect(run.one("aws:apigateway/stage:Stage").dependsOn).to.include(account.urn);
        expect(account.inputs.cloudwatchRoleArn).to.equal(role.state.arn);
        expect({ account: account.retainOnDelete, role: role.retainOnDelete, attachment: attachment.retainOnDelete }).to.deep.equal({
          account: true,
          role: true,
          attachment: true,
        });
      });

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

      it("answers the gateway's own errors as JSON in the API's error shape, 429 with Retry-After", () => {
        const responses = Object.fromEntries(
          run
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
  });
}
