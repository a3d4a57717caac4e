import { expect } from "chai";
import { type ProgramRun } from "../../helpers/pulumi-mocks";
import { parseStackConfig } from "../../../components/config";
import { SCALING_METRICS, workerScalingPlan, type ScalingMetricId } from "../../../components/scaling";
import { readStackConfigFile } from "../../../local/stack-settings";
import { STACKS, stackUnderTest } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    let run: ProgramRun;
    before(async function () {
      this.timeout(60000);
      ({ run } = await stackUnderTest(stack));
    });
    const plan = workerScalingPlan(parseStackConfig(readStackConfigFile(stack), stack).worker);

    describe("worker scaling", () => {
      it("scales the service's desired count between the stack's bounds", () => {
        const target = run.one("aws:appautoscaling/target:Target").inputs;
        const cluster = run.one("aws:ecs/cluster:Cluster").state.name;
        const service = run.one("aws:ecs/service:Service").state.name;
        expect(target).to.deep.include({
          resourceId: `service/${cluster}/${service}`,
          scalableDimension: "ecs:service:DesiredCount",
          serviceNamespace: "ecs",
        });
        expect([target.minCapacity, target.maxCapacity]).to.deep.equal(stack === "dev" ? [0, 2] : [1, 10]);
        for (const p of run.ofType("aws:appautoscaling/policy:Policy")) expect(p.inputs.resourceId).to.equal(target.resourceId);
      });

      it("has exactly the plan's alarms, each invoking its own step scaling policy", () => {
        const alarms = run.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith(`shop-${stack}-worker-`));
        expect(alarms.map((a) => a.name.replace(`shop-${stack}-worker-`, "")).sort()).to.deep.equal(plan.map((a) => a.name).sort());
        const policies = run.ofType("aws:appautoscaling/policy:Policy").map((p) => p.name.replace(`shop-${stack}-worker-`, ""));
        expect(policies.sort()).to.deep.equal(plan.map((a) => a.policy.name).sort());
        for (const a of plan) {
          const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", `-worker-${a.name}`).inputs;
          const policy = run.one("aws:appautoscaling/policy:Policy", `-worker-${a.policy.name}`);
          expect(alarm.alarmActions, a.name).to.deep.equal([policy.state.arn]);
          expect(policy.inputs.policyType).to.equal("StepScaling");
          expect(policy.inputs.stepScalingPolicyConfiguration, a.name).to.deep.equal({
            adjustmentType: a.policy.adjustmentType,
            cooldown: a.policy.cooldownSeconds,
            metricAggregationType: "Maximum",
            // The provider spells the bounds as strings.
            stepAdjustments: a.policy.steps.map((step) => ({
              scalingAdjustment: step.scalingAdjustment,
              ...(step.metricIntervalLowerBound !== undefined ? { metricIntervalLowerBound: String(step.metricIntervalLowerBound) } : {}),
              ...(step.metricIntervalUpperBound !== undefined ? { metricIntervalUpperBound: String(step.metricIntervalUpperBound) } : {}),
            })),
          });
        }
      });

      it("wakes a service at zero from the order API's accepted orders too, which an idle queue's silence cannot hide", () => {
        const wake = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-worker-wake").inputs;
        const queries = wake.metricQueries.map((q: any) =>
          q.metric ? `${q.metric.namespace} ${q.metric.metricName} ${q.metric.stat}` : q.expression,
        );
        expect(queries).to.deep.equal([
          "ECS/ContainerInsights DesiredTaskCount Maximum",
          "AWS/SQS ApproximateNumberOfMessagesVisible Maximum",
          "ShopBackend OrdersAccepted Sum",
          "IF(FILL(desired, 0) == 0, FILL(visible, 0) + FILL(accepted, 0), 0)",
        ]);
        expect([wake.threshold, wake.comparisonOperator, wake.evaluationPeriods]).to.deep.equal([1, "GreaterThanOrEqualToThreshold", 1]);
        const policy = run.one("aws:appautoscaling/policy:Policy", "-worker-wake").inputs.stepScalingPolicyConfiguration;
        expect([policy.adjustmentType, policy.stepAdjustments[0]]).to.deep.equal([
          "ChangeInCapacity",
          { metricIntervalLowerBound: "0", metricIntervalUpperBound: "19", scalingAdjustment: 1 },
        ]);
      });

      it("takes one task away under steady traffic once the others would be under three quarters busy, not only when idle", () => {
        const low = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", "-worker-backlog-low").inputs;
        expect(low.metricQueries.at(-1).expression).to.equal(
          "IF(FILL(running, 0) >= 2, (FILL(visible, 0) + FILL(inflight, 0)) / (FILL(running, 0) - 1), 3)",
        );
        expect([low.threshold, low.comparisonOperator, low.evaluationPeriods]).to.deep.equal([
          3,
          "LessThanThreshold",
          stack === "dev" ? 5 : 10,
        ]);
        const policy = run.one("aws:appautoscaling/policy:Policy", "-worker-scale-in-one").inputs.stepScalingPolicyConfiguration;
        expect([policy.adjustmentType, policy.stepAdjustments]).to.deep.equal([
          "ChangeInCapacity",
          [{ metricIntervalUpperBound: "0", scalingAdjustment: -1 }],
        ]);
      });

      it("evaluates each alarm's expression over the queue's, the order API's and the service's own metrics", () => {
        const names = {
          queue: { QueueName: run.one("aws:sqs/queue:Queue", "-orders").state.name },
          orderApi: { service: "order-api", Stack: stack },
          service: {
            ClusterName: run.one("aws:ecs/cluster:Cluster").state.name,
            ServiceName: run.one("aws:ecs/service:Service").state.name,
          },
        };
        for (const a of plan) {
          const alarm = run.one("aws:cloudwatch/metricAlarm:MetricAlarm", `-worker-${a.name}`).inputs;
          expect(alarm.metricQueries, a.name).to.deep.equal([
            ...a.expression.ids.map((id) => {
              const m = SCALING_METRICS[id as ScalingMetricId];
              return {
                id,
                returnData: false,
                metric: { namespace: m.namespace, metricName: m.metricName, dimensions: names[m.of], period: 60, stat: m.stat },
              };
            }),
            { id: "signal", expression: a.expression.text, label: a.label, returnData: true },
          ]);
          expect([
            alarm.threshold,
            alarm.comparisonOperator,
            alarm.evaluationPeriods,
            alarm.datapointsToAlarm,
            alarm.treatMissingData,
          ]).to.deep.equal([a.threshold, a.comparison, a.minutes, a.minutes, a.missingData]);
        }
      });
    });
  });
}
