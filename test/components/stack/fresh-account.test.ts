import { expect } from "chai";
import { programRun, SHOP_CONFIG, runProgram, type ProgramRun } from "../../helpers/pulumi-mocks";
import { STACKS } from "./fixtures";

/**
 * A first `pulumi up` into an account that never ran ECS: ECS's service-linked role does not exist
 * yet, and ECS creates it on the first CreateCluster and may fail to assume it moments later. The
 * stack can own it (ecsServiceLinkedRole: true) so that it exists before the cluster; and the service
 * starts tasks only once both task roles hold their policies.
 */
describe("a first deploy into a fresh account (Pulumi mocks)", () => {
  const runs: Partial<Record<(typeof STACKS)[number] | "dev+slr", ProgramRun>> = {};
  before(async function () {
    this.timeout(90000);
    // The shared runs first (mocks are process-wide), then dev owning the role.
    runs.dev = await programRun("dev");
    runs.prod = await programRun("prod");
    runs["dev+slr"] = await runProgram("dev", { ...SHOP_CONFIG.dev, "shop-backend:ecsServiceLinkedRole": "true" });
  });

  for (const stack of STACKS) {
    it(`${stack}: leaves ECS's service-linked role to the account (it usually exists; creating it again fails)`, () => {
      expect(runs[stack]!.ofType("aws:iam/serviceLinkedRole:ServiceLinkedRole")).to.deep.equal([]);
    });

    it(`${stack}: starts the worker service only once both task roles hold their policies`, () => {
      const run = runs[stack]!;
      const policies = ["-worker-execution-policy", "-worker-task-policy"].map((s) => run.one("aws:iam/rolePolicy:RolePolicy", s).urn);
      expect(run.one("aws:ecs/service:Service").dependsOn).to.include.members(policies);
    });
  }

  it("with ecsServiceLinkedRole: creates ECS's service-linked role first, keeps it on destroy, and builds the cluster after it", () => {
    const run = runs["dev+slr"]!;
    const role = run.one("aws:iam/serviceLinkedRole:ServiceLinkedRole");
    expect(role.inputs.awsServiceName).to.equal("ecs.amazonaws.com");
    // Account-wide: other clusters may use it, so destroying this stack must not delete it.
    expect(role.retainOnDelete).to.equal(true);
    for (const r of [
      run.one("aws:ecs/cluster:Cluster"),
      run.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"),
      run.one("aws:ecs/service:Service"),
    ]) {
      expect(r.dependsOn, r.type).to.include(role.urn);
    }
  });
});
