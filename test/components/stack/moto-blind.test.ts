import { expect } from "chai";
import { drainDeadlineSeconds } from "../../../invoice-container/drain";
import { STACKS, useStack } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    const st = useStack(stack);

    describe("where moto is blind (issue 9)", () => {
      it("sends a notifier event that failed every retry to an encrypted failure queue kept 14 days, with an alarm", () => {
        const failures = st.run.one("aws:sqs/queue:Queue", "-email-failures");
        expect([failures.inputs.sqsManagedSseEnabled, failures.inputs.messageRetentionSeconds]).to.deep.equal([true, 1_209_600]);
        const config = st.run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-notify-async").inputs;
        expect(config).to.deep.equal({
          functionName: st.run.one("aws:lambda/function:Function", "-notify-handler").state.name,
          maximumRetryAttempts: 2,
          destinationConfig: { onFailure: { destination: failures.state.arn } },
        });
        const alarm = st.run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-email-failures-not-empty").inputs;
        expect([alarm.metricName, alarm.dimensions.QueueName, alarm.threshold, alarm.comparisonOperator]).to.deep.equal([
          "ApproximateNumberOfMessagesVisible",
          failures.state.name,
          0,
          "GreaterThanThreshold",
        ]);
        const topic = st.run.one("aws:sns/topic:Topic", "-alarms");
        expect(alarm.alarmActions).to.deep.equal([topic.state.arn]);
        expect(st.run.outputs.emailFailureQueueUrl).to.equal(failures.state.url);
      });

      it("gives the worker's container Fargate's 120 s stop timeout, room for a message's whole 60 s budget", () => {
        const [container] = JSON.parse(st.run.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions);
        expect(container.stopTimeout).to.equal(120);
        const env = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(drainDeadlineSeconds(Number(env.WORKER_MESSAGE_BUDGET_SECONDS), Number(env.WORKER_WAIT_SECONDS))).to.equal(70);
      });

      it("keeps invoices in STANDARD: no STANDARD_IA transition S3 would skip for ~55 KB objects", () => {
        const rule = st.run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules[0];
        expect(rule.transitions ?? []).to.deep.equal([]);
      });

      it(
        stack === "prod"
          ? "keeps Cognito's default sender on the first up (its SES identity is not verified yet) and allows no password sign-in"
          : "keeps Cognito's default mail and password sign-in for the CLI",
        () => {
          // Cognito through SES once the identity is verified: test/components/stack/sender-identity.test.ts.
          const pool = st.run.one("aws:cognito/userPool:UserPool").inputs;
          const flows = st.run.one("aws:cognito/userPoolClient:UserPoolClient").inputs.explicitAuthFlows;
          expect(pool.emailConfiguration).to.equal(undefined);
          expect(flows).to.deep.equal(
            stack === "prod"
              ? ["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
              : ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
          );
        },
      );

      it("starts the worker service only after the VPC endpoints it pulls its image through", () => {
        const service = st.run.one("aws:ecs/service:Service");
        const endpoints = st.run.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.urn);
        expect(endpoints.length).to.equal(stack === "prod" ? 6 : 0);
        expect(service.dependsOn).to.include.members(endpoints);
        expect(service.dependsOn).to.include(st.run.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").urn);
      });
    });
  });
}
