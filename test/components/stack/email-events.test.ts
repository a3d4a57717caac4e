import { expect } from "chai";
import { ACCOUNT } from "../../helpers/pulumi-mocks";
import { STACKS, useStack } from "./fixtures";

/** Issue #19, point 9: what SES reports about each invoice email reaches the order. */
for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    const st = useStack(stack);

    describe("email events (issue 19, point 9)", () => {
      const set = () => st.run.one("aws:sesv2/configurationSet:ConfigurationSet");
      const topic = () => st.run.one("aws:sns/topic:Topic", "-mail-events");
      const fn = () => st.run.one("aws:lambda/function:Function", "-mail-handler");

      it("has one configuration set, named after the stack, with reputation metrics and bounce and complaint suppression", () => {
        expect(set().inputs).to.deep.equal({
          configurationSetName: `shop-${stack}-mail`,
          reputationOptions: { reputationMetricsEnabled: true },
          sendingOptions: { sendingEnabled: true },
          suppressionOptions: { suppressedReasons: ["BOUNCE", "COMPLAINT"] },
        });
        expect(st.run.outputs.emailConfigurationSet).to.equal(`shop-${stack}-mail`);
      });

      it("publishes the set's bounces, complaints, deliveries and rejects to an SNS topic, once SES may publish there", () => {
        const destination = st.run.one("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination");
        expect(destination.inputs).to.deep.equal({
          configurationSetName: `shop-${stack}-mail`,
          eventDestinationName: "order-email-events",
          eventDestination: {
            enabled: true,
            matchingEventTypes: ["BOUNCE", "COMPLAINT", "DELIVERY", "REJECT"],
            snsDestination: { topicArn: topic().state.arn },
          },
        });
        expect(destination.dependsOn).to.include(st.run.one("aws:sns/topicPolicy:TopicPolicy").urn);
      });

      it("lets only SES publish to the topic, and only for this account's set", () => {
        const policy = st.run.one("aws:sns/topicPolicy:TopicPolicy").inputs;
        expect(policy.arn).to.equal(topic().state.arn);
        expect(JSON.parse(policy.policy).Statement).to.deep.equal([
          {
            Sid: "SesPublishesTheSetsEvents",
            Effect: "Allow",
            Principal: { Service: "ses.amazonaws.com" },
            Action: ["SNS:Publish"],
            Resource: topic().state.arn,
            Condition: { StringEquals: { "AWS:SourceAccount": ACCOUNT, "AWS:SourceArn": set().state.arn } },
          },
        ]);
      });

      it("subscribes the email events Lambda to the topic; only the topic may invoke it", () => {
        const subscription = st.run.ofType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.protocol === "lambda");
        expect(subscription.map((s) => s.inputs)).to.deep.equal([
          { topic: topic().state.arn, protocol: "lambda", endpoint: fn().state.arn },
        ]);
        const permission = st.run.one("aws:lambda/permission:Permission", "-sns-invoke");
        expect(permission.inputs).to.deep.include({
          action: "lambda:InvokeFunction",
          function: fn().state.name,
          principal: "sns.amazonaws.com",
          sourceArn: topic().state.arn,
        });
        expect(subscription[0].dependsOn).to.include(permission.urn);
        expect(st.run.outputs.emailEventsFunctionName).to.equal(fn().state.name);
      });

      it("sends an event that failed every retry to the email failure queue, as the notifier's", () => {
        expect(st.run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "-mail-async").inputs).to.deep.equal({
          functionName: fn().state.name,
          maximumRetryAttempts: 2,
          destinationConfig: { onFailure: { destination: st.run.one("aws:sqs/queue:Queue", "-email-failures").state.arn } },
        });
      });

      it("keeps the set, topic, policy, destination, function and subscription in the EmailEvents component", () => {
        const mine = st.run.resources.filter((r) => r.name.startsWith(`shop-${stack}-mail-`) || r.name === `shop-${stack}-mail`);
        for (const r of mine.filter((x) => !x.type.startsWith("shop:")))
          expect(st.run.parentType(r), `${r.type} ${r.name}`).to.equal("shop:notification:EmailEvents");
        expect(mine.map((r) => r.type)).to.include.members([
          "aws:sesv2/configurationSet:ConfigurationSet",
          "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
          "aws:sns/topic:Topic",
          "aws:sns/topicPolicy:TopicPolicy",
          "aws:sns/topicSubscription:TopicSubscription",
          "aws:lambda/function:Function",
        ]);
      });
    });
  });
}
