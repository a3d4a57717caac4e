import { expect } from "chai";
import { type ProgramRun } from "../../helpers/pulumi-mocks";
import { STACKS, stackUnderTest } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    let run: ProgramRun;
    before(async function () {
      this.timeout(60000);
      ({ run } = await stackUnderTest(stack));
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
  });
}
