import { expect } from "chai";
import { ACCOUNT, MOCK_REGION } from "../../helpers/pulumi-mocks";
import { envOf, STACKS, statementsOf, useStack } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack's business events bus under Pulumi mocks`, () => {
    const st = useStack(stack);

    it("creates one custom bus named for the stack and exports its name", () => {
      const bus = st.run.one("aws:cloudwatch/eventBus:EventBus");

      expect(bus.inputs.name).to.equal(`shop-backend-${stack}`);
      expect(bus.state.arn).to.equal(`arn:aws:events:${MOCK_REGION}:${ACCOUNT}:event-bus/shop-backend-${stack}`);
      expect(st.run.outputs.eventBusName).to.equal(`shop-backend-${stack}`);
    });

    it("lets exactly the four publishers' roles publish, each with PutEvents on this bus alone", () => {
      const bus = st.run.one("aws:cloudwatch/eventBus:EventBus");

      const grants = st.run
        .ofType("aws:iam/rolePolicy:RolePolicy")
        .flatMap((p) => statementsOf(p).map((s): Record<string, any> => ({ policy: p.name, ...s })))
        .filter((s) => [s.Action].flat().some((a: string) => a.startsWith("events:")));

      // order.paid (API), email.sent (notifier), email.failed (email events), invoice.issued and credit_note.issued (worker).
      const publishers = ["api-handler", "mail-handler", "notify-handler", "worker-task"].map((r) => `shop-${stack}-${r}-policy`);
      expect(grants).to.deep.equal(
        publishers.map((policy) => ({
          policy,
          Sid: "PublishEvents",
          Effect: "Allow",
          Action: ["events:PutEvents"],
          Resource: bus.state.arn,
        })),
      );
      expect(grants.map((g) => g.Resource)).to.not.include("*");
    });

    it("tells every publishing Lambda which bus to publish on", () => {
      for (const fn of ["-api-handler", "-notify-handler", "-mail-handler"])
        expect(envOf(st.run.one("aws:lambda/function:Function", fn)).EVENT_BUS_NAME, fn).to.equal(`shop-backend-${stack}`);
    });

    it("tells the worker which bus to publish on", () => {
      const container = JSON.parse(st.run.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions)[0];

      expect(container.environment).to.deep.include({ name: "EVENT_BUS_NAME", value: `shop-backend-${stack}` });
    });
  });
}
