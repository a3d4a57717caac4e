import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ACCOUNT, ROOT } from "../../helpers/pulumi-mocks";
import { LAMBDA_HANDLER } from "../../../components/lambda-bundle";
import { envOf, STACKS, useStack } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    const st = useStack(stack);

    describe("functions and container", () => {
      it("runs the three Lambdas on arm64 nodejs22.x with sizes from config and resource names via ENV", () => {
        const api = st.run.one("aws:lambda/function:Function", "-api-handler").inputs;
        const notify = st.run.one("aws:lambda/function:Function", "-notify-handler").inputs;
        const mail = st.run.one("aws:lambda/function:Function", "-mail-handler").inputs;
        for (const f of [api, notify, mail]) {
          expect([f.runtime, f.architectures, f.handler]).to.deep.equal(["nodejs22.x", ["arm64"], LAMBDA_HANDLER]);
        }
        expect([api.memorySize, api.timeout]).to.deep.equal(stack === "dev" ? [512, 10] : [1024, 10]);
        expect([notify.memorySize, notify.timeout]).to.deep.equal([256, 30]);
        // The email Lambdas share their size (notifierMemoryMb, notifierTimeoutSeconds).
        expect([mail.memorySize, mail.timeout]).to.deep.equal([256, 30]);
        expect(api.loggingConfig.logGroup).to.equal(st.run.one("aws:cloudwatch/logGroup:LogGroup", "-api-handler-logs").state.name);
        expect(envOf(st.run.one("aws:lambda/function:Function", "-api-handler"))).to.deep.equal({
          ORDERS_TABLE: st.run.one("aws:dynamodb/table:Table").state.name,
          ORDERS_QUEUE_URL: st.run.one("aws:sqs/queue:Queue", "-orders").state.url,
          INVOICES_BUCKET: st.run.one("aws:s3/bucket:Bucket").state.bucket,
          // The tax engine's inputs: the seller's establishment and VAT ID (VIES's requester), and the shop's tax settings
          SELLER_COUNTRY: "DE",
          SELLER_VAT_ID: "DE123456788",
          SHOP_OSS_REGISTERED: "false",
          SHOP_SUPPLY_KIND: "goods",
          VAT_CHECK_POLICY: "charge-vat",
          INVOICE_LINK_KEY_ID: st.arn.key,
          INVOICE_PRESIGN_TTL_SECONDS: "300",
          SHOP_CURRENCY: "EUR",
          PAYMENT_PROVIDER: "stripe",
          PAYMENT_EXPIRY_MINUTES: "30",
          PAYMENT_SECRET_ID: st.arn.paymentSecret,
          EVENT_BUS_NAME: `shop-backend-${stack}`,
          LOG_LEVEL: stack === "dev" ? "debug" : "info",
          METRICS_STACK: stack,
        });
        expect(Object.keys(envOf(st.run.one("aws:lambda/function:Function", "-notify-handler"))).sort()).to.deep.equal([
          "EMAIL_CONFIGURATION_SET",
          "EMAIL_SENDER",
          "EVENT_BUS_NAME",
          "INVOICES_BUCKET",
          "INVOICE_LINK_BASE_URL",
          "INVOICE_LINK_KEY_ID",
          "INVOICE_LINK_TTL_DAYS",
          "LOG_LEVEL",
          "METRICS_STACK",
          "ORDERS_TABLE",
          "SELLER_ADDRESS",
          "SELLER_COUNTRY",
          "SELLER_DIRECTORS",
          "SELLER_EMAIL",
          "SELLER_NAME",
          "SELLER_REGISTER",
          "SELLER_TAX_NUMBER",
          "SELLER_VAT_ID",
        ]);
        expect(envOf(st.run.one("aws:lambda/function:Function", "-notify-handler")).INVOICE_LINK_BASE_URL).to.equal(st.run.outputs.apiUrl);
        expect(envOf(st.run.one("aws:lambda/function:Function", "-notify-handler")).EMAIL_CONFIGURATION_SET).to.equal(`shop-${stack}-mail`);
        expect(envOf(st.run.one("aws:lambda/function:Function", "-mail-handler"))).to.deep.equal({
          ORDERS_TABLE: st.run.one("aws:dynamodb/table:Table").state.name,
          EVENT_BUS_NAME: `shop-backend-${stack}`,
          LOG_LEVEL: stack === "dev" ? "debug" : "info",
          METRICS_STACK: stack,
        });
      });

      it("caps the notifier's concurrency below the SES sending rate, and leaves the API's unreserved", () => {
        const api = st.run.one("aws:lambda/function:Function", "-api-handler").inputs;
        const notify = st.run.one("aws:lambda/function:Function", "-notify-handler").inputs;
        // dev: the sandbox's 1 email/s; prod: 14/s. Either way one invocation at a time (at least 50 ms per email).
        expect([api.reservedConcurrentExecutions, notify.reservedConcurrentExecutions]).to.deep.equal([undefined, 1]);
      });

      it("traces the three Lambdas actively in X-Ray, and the API stage they are reached through", () => {
        const tracing = st.run
          .ofType("aws:lambda/function:Function")
          .map((f) => [f.name.replace(`shop-${stack}-`, ""), f.inputs.tracingConfig]);
        expect(tracing).to.have.deep.members([
          ["api-handler", { mode: "Active" }],
          ["notify-handler", { mode: "Active" }],
          ["mail-handler", { mode: "Active" }],
        ]);
        expect(st.run.one("aws:apigateway/stage:Stage").inputs.xrayTracingEnabled).to.equal(true);
      });

      it("subscribes the notifier to new invoice PDFs only", () => {
        const n = st.run.one("aws:s3/bucketNotification:BucketNotification").inputs;
        expect(n.lambdaFunctions).to.deep.equal([
          {
            lambdaFunctionArn: st.run.one("aws:lambda/function:Function", "-notify-handler").state.arn,
            events: ["s3:ObjectCreated:*"],
            filterPrefix: "invoices/",
            filterSuffix: ".pdf",
          },
        ]);
        expect(st.run.one("aws:lambda/permission:Permission", "-s3-invoke").inputs).to.deep.include({
          principal: "s3.amazonaws.com",
          sourceArn: st.arn.bucket,
          sourceAccount: ACCOUNT,
        });
      });

      it("builds the worker image from invoice-container/Dockerfile for the task's platform", () => {
        const image = st.run.one("awsx:ecr:Image").inputs;
        expect(image).to.deep.equal({
          repositoryUrl: st.run.one("awsx:ecr:Repository").state.url,
          context: ".",
          dockerfile: "invoice-container/Dockerfile",
          platform: "linux/amd64",
        });
        expect(fs.existsSync(path.join(ROOT, image.context, image.dockerfile))).to.equal(true);
        const task = st.run.one("aws:ecs/taskDefinition:TaskDefinition").inputs;
        expect(task.runtimePlatform).to.deep.equal({ operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" });
        const [container] = JSON.parse(task.containerDefinitions);
        expect(container.image).to.equal(st.run.outputs.imageUri);
        expect(container.healthCheck.command).to.deep.equal(["CMD", "node", "dist/invoice-container/healthcheck.js"]);
        expect(container.logConfiguration.options["awslogs-group"]).to.equal(
          st.run.one("aws:cloudwatch/logGroup:LogGroup", "-worker-logs").state.name,
        );
        expect(container.environment.map((e: { name: string }) => e.name)).to.deep.equal([
          "AWS_REGION",
          "EVENT_BUS_NAME",
          "INVOICES_BUCKET",
          "LOG_LEVEL",
          "METRICS_STACK",
          "ORDERS_QUEUE_URL",
          "ORDERS_TABLE",
          "SELLER_ADDRESS",
          "SELLER_COUNTRY",
          "SELLER_DIRECTORS",
          "SELLER_EMAIL",
          "SELLER_NAME",
          "SELLER_REGISTER",
          "SELLER_TAX_NUMBER",
          "SELLER_VAT_ID",
          "WORKER_BATCH_SIZE",
          "WORKER_CONCURRENCY",
          "WORKER_HEARTBEAT_MAX_AGE_SECONDS",
          "WORKER_MESSAGE_BUDGET_SECONDS",
          "WORKER_RELEASE",
          "WORKER_TASK_CPU_UNITS",
          "WORKER_WAIT_SECONDS",
        ]);
        // The invoice's seller is the stack's, its whole legal identity (printed on every invoice)
        expect(
          Object.fromEntries(
            container.environment
              .filter((e: { name: string }) => e.name.startsWith("SELLER_"))
              .map((e: { name: string; value: string }) => [e.name, e.value]),
          ),
        ).to.deep.equal({
          SELLER_ADDRESS: "Hauptstr. 1|10115 Berlin|Germany",
          SELLER_COUNTRY: "DE",
          SELLER_DIRECTORS: "Erika Mustermann",
          SELLER_EMAIL: "billing@acme-shop.eu",
          SELLER_NAME: stack === "dev" ? "Acme Shop GmbH (dev)" : "Acme Shop GmbH",
          SELLER_REGISTER: "Amtsgericht Charlottenburg, HRB 123456 B",
          SELLER_TAX_NUMBER: "37/123/45678",
          SELLER_VAT_ID: "DE123456788",
        });
        // The worker sizes its render threads from the task's CPU units: ECS sets no CPU count of its own.
        const env = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(env.WORKER_TASK_CPU_UNITS).to.equal(task.cpu);
        expect([task.executionRoleArn, task.taskRoleArn]).to.deep.equal([
          st.run.one("aws:iam/role:Role", "-worker-execution-role").state.arn,
          st.run.one("aws:iam/role:Role", "-worker-task-role").state.arn,
        ]);
      });

      it("names the worker's release in its task and in the stack outputs, so the smoke can tell which worker answered", () => {
        const [container] = JSON.parse(st.run.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions);
        const release = container.environment.find((e: { name: string }) => e.name === "WORKER_RELEASE")?.value;
        expect(release).to.match(/^[0-9a-f]{12}$/);
        expect(st.run.outputs.workerRelease).to.equal(release);
      });

      it("makes `pulumi up` wait until the worker service is steady, so a task that cannot start fails the deploy", () => {
        const service = st.run.one("aws:ecs/service:Service").inputs;
        expect(service.waitForSteadyState).to.equal(true);
        // A deploy that cannot get healthy is stopped and rolled back rather than retried forever.
        expect(service.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
      });
    });
  });
}
