import { expect } from "chai";
import { STACKS, useStack } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    const st = useStack(stack);

    describe("queue", () => {
      it("redrives to the DLQ after the configured receives, keeps the DLQ 14 days, encrypts both", () => {
        const q = st.run.one("aws:sqs/queue:Queue", "-orders").inputs;
        const dlq = st.run.one("aws:sqs/queue:Queue", "-dlq").inputs;
        expect(JSON.parse(q.redrivePolicy)).to.deep.equal({ deadLetterTargetArn: st.arn.dlq, maxReceiveCount: stack === "dev" ? 3 : 5 });
        expect(dlq.messageRetentionSeconds).to.equal(1_209_600);
        expect([q.sqsManagedSseEnabled, dlq.sqsManagedSseEnabled]).to.deep.equal([true, true]);
        expect(q.visibilityTimeoutSeconds).to.equal(120);
        expect(JSON.parse(st.run.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").inputs.redriveAllowPolicy)).to.deep.equal({
          redrivePermission: "byQueue",
          sourceQueueArns: [st.arn.queue],
        });
      });

      it("alarms when the DLQ holds anything and when the oldest order waits too long", () => {
        const dlqAlarm = st.run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-dlq-not-empty").inputs;
        expect([dlqAlarm.metricName, dlqAlarm.dimensions.QueueName, dlqAlarm.threshold, dlqAlarm.comparisonOperator]).to.deep.equal([
          "ApproximateNumberOfMessagesVisible",
          st.run.one("aws:sqs/queue:Queue", "-dlq").state.name,
          0,
          "GreaterThanThreshold",
        ]);
        const age = st.run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-oldest-message-age").inputs;
        expect([age.metricName, age.dimensions.QueueName, age.threshold]).to.deep.equal([
          "ApproximateAgeOfOldestMessage",
          st.run.one("aws:sqs/queue:Queue", "-orders").state.name,
          stack === "dev" ? 1800 : 600,
        ]);
        const topic = st.run.one("aws:sns/topic:Topic", "-alarms");
        for (const a of [dlqAlarm, age]) expect(a.alarmActions).to.deep.equal([topic.state.arn]);
      });
    });
  });
}
