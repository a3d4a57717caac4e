import { expect } from "chai";
import { MOCK_REGION } from "../../helpers/pulumi-mocks";
import { COMMON_COUNTS, OWNER, STACK_COUNTS, STACKS, useStack } from "./fixtures";

for (const stack of STACKS) {
  describe(`the ${stack} stack under Pulumi mocks`, () => {
    const st = useStack(stack);

    describe("shape", () => {
      it("creates exactly the expected number of resources of each type", () => {
        const expected = { ...COMMON_COUNTS, ...STACK_COUNTS[stack] };
        expect(st.run.counts()).to.deep.equal(expected);
      });

      it("parents every resource to its tier, and the tiers to the stack", () => {
        for (const r of st.run.resources) {
          if (r.type.startsWith("shop:")) {
            expect(st.run.parentType(r), r.name).to.equal(undefined);
            continue;
          }
          const owner = Object.entries(OWNER)
            .sort(([a], [b]) => b.length - a.length)
            .find(([prefix]) => r.type.startsWith(prefix))?.[1];
          const parent = st.run.parentType(r);
          expect(parent, `${r.type} ${r.name}`).to.match(/^shop:/);
          if (owner) expect(parent, `${r.type} ${r.name}`).to.equal(owner);
          // Each child's logical name derives from its tier's name.
          expect(r.name.startsWith(`shop-${stack}-`), r.name).to.equal(true);
        }
      });

      it("exports what a user needs, all resolved", () => {
        expect(Object.keys(st.run.outputs).sort()).to.deep.equal(
          [
            "adminGroupName",
            "alarmTopicArn",
            "apiUrl",
            "bucketName",
            "dashboardName",
            "deadLetterQueueUrl",
            "emailConfigurationSet",
            "emailDnsRecords",
            "emailEventsFunctionName",
            "emailFailureQueueUrl",
            "eventBusName",
            "imageUri",
            "notifierFunctionName",
            "logGroups",
            "queueUrl",
            "senderIdentity",
            "stripeWebhookUrl",
            "tableName",
            "userPoolClientId",
            "userPoolId",
            "workerRelease",
          ].sort(),
        );
        expect(st.run.outputs.apiUrl).to.match(new RegExp(`^https://.+\\.execute-api\\.${MOCK_REGION}\\.amazonaws\\.com/${stack}$`));
        expect(st.run.outputs.imageUri).to.match(/\.dkr\.ecr\..+@sha256:[0-9a-f]{64}$/);
        for (const v of Object.values(st.run.outputs.logGroups)) expect(v).to.be.a("string").and.not.equal("");
      });
    });
  });
}
