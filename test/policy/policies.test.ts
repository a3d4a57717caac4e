import { expect } from "chai";
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  POLICIES,
  asyncLambdaOnFailure,
  bucketsBlockedAndEncrypted,
  logRetentionSet,
  managedPoliciesAllowed,
  noPublicBuckets,
  noWildcardActions,
  noWildcardResources,
  queuesEncrypted,
  queuesHaveDeadLetters,
  singleServiceTrust,
} from "../../policy/policies";
import { programRun, type MockedResource, type ProgramRun } from "../helpers/pulumi-mocks";
import { UnknownValueError, unknownCheckingProxy } from "@pulumi/policy";

/** The sentinel CrossGuard puts where a preview does not know a string yet (@pulumi/policy proxy.ts unknownStringValue). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A resource as CrossGuard hands it to a policy. */
function resourceArgs(type: string, props: Record<string, unknown>, name = "r"): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:test::shop-backend::${type}::${name}`,
    name,
    opts: {} as never,
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
  } as never;
}
/** The violations one resource policy reports. */
function violationsOf(policy: ResourceValidationPolicy, args: ResourceValidationArgs): string[] {
  const out: string[] = [];
  const validate = policy.validateResource as (a: ResourceValidationArgs, r: (m: string) => void) => void;
  validate(args, (m) => out.push(m));
  return out;
}
/** The mocked stack as CrossGuard's stack validation sees it: inputs as props, dependencies by URN. */
function stackArgs(resources: readonly MockedResource[]): StackValidationArgs {
  const byUrn = new Map<string, PolicyResource>();
  const policyResources = resources.map((r) => {
    const pr = {
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: {},
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byUrn.set(r.urn, pr);
    return pr;
  });
  resources.forEach((r, i) => {
    const pr = policyResources[i] as { dependencies: PolicyResource[]; propertyDependencies: Record<string, PolicyResource[]> };
    pr.dependencies = r.dependsOn.map((u) => byUrn.get(u)!).filter(Boolean);
    for (const [prop, urns] of Object.entries(r.propertyDependencies))
      pr.propertyDependencies[prop] = urns.map((u) => byUrn.get(u)!).filter(Boolean);
  });
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: () => ({}) as never,
    notApplicable: () => undefined as never,
  } as StackValidationArgs;
}
function stackViolationsOf(policy: StackValidationPolicy, args: StackValidationArgs): string[] {
  const out: string[] = [];
  const validate = policy.validateStack as (a: StackValidationArgs, r: (m: string) => void) => void;
  validate(args, (m) => out.push(m));
  return out;
}
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe("policy pack: resource policies", () => {
  const cases: { policy: ResourceValidationPolicy; what: string; args: ResourceValidationArgs; violations: number }[] = [
    {
      policy: noWildcardActions,
      what: "a role policy with named actions",
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: "arn:q" }),
      }),
      violations: 0,
    },
    {
      policy: noWildcardActions,
      what: "a role policy granting s3:*",
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", { policy: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }) }),
      violations: 1,
    },
    {
      policy: noWildcardActions,
      what: "a role policy granting s3:Get*",
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", { policy: doc({ Effect: "Allow", Action: ["s3:Get*"], Resource: "*" }) }),
      violations: 1,
    },
    {
      policy: noWildcardActions,
      what: "a bucket policy denying s3:* without TLS",
      args: resourceArgs("aws:s3/bucketPolicy:BucketPolicy", {
        policy: doc({ Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: "*" }),
      }),
      violations: 0,
    },
    {
      policy: noWildcardResources,
      what: 'the Lambdas\' X-Ray writes on "*"',
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" }),
      }),
      violations: 0,
    },
    {
      policy: noWildcardResources,
      what: 'the ECR login on "*"',
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }),
      }),
      violations: 0,
    },
    {
      policy: noWildcardResources,
      what: "a named action on a named resource",
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: "arn:q" }),
      }),
      violations: 0,
    },
    {
      policy: noWildcardResources,
      what: 'an X-Ray write with another action beside it on "*"',
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: ["xray:PutTraceSegments", "dynamodb:GetItem"], Resource: "*" }),
      }),
      violations: 1,
    },
    {
      policy: noWildcardResources,
      what: 'another X-Ray action (reading traces) on "*"',
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: ["xray:BatchGetTraces"], Resource: "*" }),
      }),
      violations: 1,
    },
    {
      policy: noWildcardResources,
      what: 'xray:Put* on "*" (the exception names actions, not patterns)',
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", { policy: doc({ Effect: "Allow", Action: "xray:Put*", Resource: "*" }) }),
      violations: 1,
    },
    {
      policy: noWildcardResources,
      what: 'a named action with "*" among its resources',
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: ["arn:q", "*"] }),
      }),
      violations: 1,
    },
    {
      policy: noWildcardResources,
      what: "an Allow by NotAction (every action but one)",
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", { policy: doc({ Effect: "Allow", NotAction: ["iam:*"], Resource: "arn:q" }) }),
      violations: 1,
    },
    {
      policy: noWildcardResources,
      what: "an Allow by NotResource (every resource but one)",
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Allow", Action: ["sqs:SendMessage"], NotResource: ["arn:q"] }),
      }),
      violations: 1,
    },
    {
      policy: noWildcardResources,
      what: "a Deny by NotAction (a guard, not a grant)",
      args: resourceArgs("aws:iam/rolePolicy:RolePolicy", {
        policy: doc({ Effect: "Deny", NotAction: ["s3:GetObject"], Resource: "arn:q" }),
      }),
      violations: 0,
    },
    {
      policy: noWildcardResources,
      what: 'a bucket policy denying s3:* on "*" without TLS',
      args: resourceArgs("aws:s3/bucketPolicy:BucketPolicy", {
        policy: doc({ Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: "*" }),
      }),
      violations: 0,
    },
    {
      policy: singleServiceTrust,
      what: "a role trusted by Lambda",
      args: resourceArgs("aws:iam/role:Role", {
        assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }),
      }),
      violations: 0,
    },
    {
      policy: singleServiceTrust,
      what: "a role trusted by two services",
      args: resourceArgs("aws:iam/role:Role", {
        assumeRolePolicy: doc({
          Effect: "Allow",
          Principal: { Service: ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"] },
          Action: "sts:AssumeRole",
        }),
      }),
      violations: 1,
    },
    {
      policy: singleServiceTrust,
      what: "a role trusted by an account",
      args: resourceArgs("aws:iam/role:Role", {
        assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "sts:AssumeRole" }),
      }),
      violations: 1,
    },
    {
      policy: logRetentionSet,
      what: "a log group kept 30 days",
      args: resourceArgs("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 30 }),
      violations: 0,
    },
    {
      policy: logRetentionSet,
      what: "a log group kept forever",
      args: resourceArgs("aws:cloudwatch/logGroup:LogGroup", {}),
      violations: 1,
    },
    {
      policy: noPublicBuckets,
      what: "a full public-access block",
      args: resourceArgs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      violations: 0,
    },
    {
      policy: noPublicBuckets,
      what: "a public-access block with public policies allowed",
      args: resourceArgs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {
        blockPublicAcls: true,
        blockPublicPolicy: false,
        ignorePublicAcls: true,
        restrictPublicBuckets: false,
      }),
      violations: 1,
    },
    {
      policy: noPublicBuckets,
      what: "a public-read bucket",
      args: resourceArgs("aws:s3/bucket:Bucket", { acl: "public-read" }),
      violations: 1,
    },
    {
      policy: noPublicBuckets,
      what: "a bucket policy allowing everyone to read",
      args: resourceArgs("aws:s3/bucketPolicy:BucketPolicy", {
        policy: doc({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }),
      }),
      violations: 1,
    },
    {
      policy: queuesEncrypted,
      what: "an SQS-managed encrypted queue",
      args: resourceArgs("aws:sqs/queue:Queue", { sqsManagedSseEnabled: true }),
      violations: 0,
    },
    {
      policy: queuesEncrypted,
      what: "a KMS encrypted queue",
      args: resourceArgs("aws:sqs/queue:Queue", { kmsMasterKeyId: "alias/q" }),
      violations: 0,
    },
    { policy: queuesEncrypted, what: "an unencrypted queue", args: resourceArgs("aws:sqs/queue:Queue", {}), violations: 1 },
    {
      policy: managedPoliciesAllowed,
      what: "API Gateway's logging policy, on the allow-list",
      args: resourceArgs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
        policyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
      }),
      violations: 0,
    },
    {
      policy: managedPoliciesAllowed,
      what: "AdministratorAccess attached to a role",
      args: resourceArgs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
      violations: 1,
    },
    {
      policy: managedPoliciesAllowed,
      what: "a FullAccess policy in a role's managedPolicyArns, beside the allowed one",
      args: resourceArgs("aws:iam/role:Role", {
        managedPolicyArns: [
          "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
          "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
        ],
      }),
      violations: 1,
    },
    {
      policy: managedPoliciesAllowed,
      what: "a customer managed policy (grants live inline)",
      args: resourceArgs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { policyArn: "arn:aws:iam::123456789012:policy/shop" }),
      violations: 1,
    },
    {
      policy: managedPoliciesAllowed,
      what: "the allowed policy in another partition",
      args: resourceArgs("aws:iam/policyAttachment:PolicyAttachment", {
        policyArn: "arn:aws-cn:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
      }),
      violations: 0,
    },
  ];
  for (const c of cases) {
    it(`${c.policy.name}: ${c.violations ? "reports" : "accepts"} ${c.what}`, () => {
      expect(violationsOf(c.policy, c.args)).to.have.length(c.violations);
    });
  }
});

for (const stack of ["dev", "prod"] as const) {
  describe(`policy pack over the mocked ${stack} stack`, () => {
    let run: ProgramRun;
    before(async function () {
      this.timeout(60000);
      run = await programRun(stack);
    });

    it("reports no violation of any policy", () => {
      const violations: string[] = [];
      const args = stackArgs(run.resources);
      for (const policy of POLICIES) {
        if ("validateStack" in policy) violations.push(...stackViolationsOf(policy, args).map((m) => `${policy.name}: ${m}`));
        else
          for (const r of run.resources)
            violations.push(...violationsOf(policy, resourceArgs(r.type, r.inputs, r.name)).map((m) => `${policy.name}: ${m}`));
      }
      expect(violations).to.deep.equal([]);
    });

    it("passes no document it cannot read yet: an IAM document unknown at preview stops each policy that reads it", () => {
      // CrossGuard turns UnknownValueError into "can't run policy during preview" and runs the pack again on `up`,
      // where the value is known (.github/workflows/deploy-*.yml); a policy that returned instead would pass it unread.
      const fields: Record<string, string> = {
        "aws:iam/rolePolicy:RolePolicy": "policy",
        "aws:s3/bucketPolicy:BucketPolicy": "policy",
        "aws:iam/role:Role": "assumeRolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
      };
      const outcomes: string[] = [];
      for (const r of run.resources.filter((x) => fields[x.type])) {
        const props = unknownCheckingProxy({ ...r.inputs, [fields[r.type]]: UNKNOWN_STRING }) as Record<string, unknown>;
        for (const policy of POLICIES.filter((p): p is ResourceValidationPolicy => "validateResource" in p)) {
          const out: string[] = [];
          let outcome = "read nothing";
          try {
            (policy.validateResource as (a: ResourceValidationArgs, rep: (m: string) => void) => void)(
              resourceArgs(r.type, props, r.name),
              (m) => out.push(m),
            );
            if (out.length) outcome = "reported";
          } catch (e) {
            outcome = e instanceof UnknownValueError ? "stopped" : `threw ${(e as Error).message}`;
          }
          outcomes.push(`${r.type.split(":")[1]} ${policy.name}: ${outcome}`);
        }
      }
      const expectStopped = [
        "iam/rolePolicy no-wildcard-actions",
        "iam/rolePolicy no-wildcard-resources",
        "s3/bucketPolicy no-wildcard-actions",
        "s3/bucketPolicy no-wildcard-resources",
        "s3/bucketPolicy no-public-buckets",
        "iam/role single-service-trust",
        "iam/rolePolicyAttachment managed-policies-allowed",
      ];
      for (const o of outcomes) {
        const stopped = expectStopped.some((e) => o.startsWith(`${e}:`));
        expect(o).to.match(stopped ? /: stopped$/ : /: read nothing$/);
      }
      expect(outcomes.filter((o) => o.endsWith(": stopped")).length).to.be.greaterThan(expectStopped.length);
    });

    const without = (drop: (r: MockedResource) => boolean) => stackArgs(run.resources.filter((r) => !drop(r)));
    it("would report the notifier (S3) and the email events Lambda (SNS) without their on-failure destinations", () => {
      const v = stackViolationsOf(
        asyncLambdaOnFailure,
        without((r) => r.type === "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"),
      );
      expect(v.map((m) => m.replace(/^shop-\w+-/, "")).sort()).to.deep.equal([
        "mail-handler is invoked asynchronously but has no on-failure destination: failed events would be dropped",
        "notify-handler is invoked asynchronously but has no on-failure destination: failed events would be dropped",
      ]);
    });

    it("lets EventBridge's payment-expiry schedule invoke the order API without an on-failure destination, but not an event pattern", () => {
      // Prepare: the schedule as built, then the same rule matching events (which carry data) instead.
      const rule = run.one("aws:cloudwatch/eventRule:EventRule");
      const asPattern = run.resources.map((r) =>
        r === rule ? { ...r, inputs: { description: r.inputs.description, eventPattern: JSON.stringify({ source: ["aws.s3"] }) } } : r,
      );
      // Act / assess
      expect(stackViolationsOf(asyncLambdaOnFailure, stackArgs(run.resources))).to.deep.equal([]);
      expect(stackViolationsOf(asyncLambdaOnFailure, stackArgs(asPattern)).map((m) => m.replace(/^shop-\w+-/, ""))).to.deep.equal([
        "api-handler is invoked asynchronously but has no on-failure destination: failed events would be dropped",
      ]);
    });

    it('would report the order API\'s X-Ray statement if it let one more action through on "*"', () => {
      const apiPolicy = run.one("aws:iam/rolePolicy:RolePolicy", "-api-handler-policy");
      const asIs = JSON.parse(apiPolicy.inputs.policy);
      expect(violationsOf(noWildcardResources, resourceArgs(apiPolicy.type, apiPolicy.inputs, apiPolicy.name))).to.deep.equal([]);
      const widened = {
        ...asIs,
        Statement: asIs.Statement.map((st: { Sid: string; Action: string[] }) =>
          st.Sid === "WriteTraces" ? { ...st, Action: [...st.Action, "dynamodb:Scan"] } : st,
        ),
      };
      expect(
        violationsOf(noWildcardResources, resourceArgs(apiPolicy.type, { policy: JSON.stringify(widened) }, apiPolicy.name)),
      ).to.deep.equal([`${apiPolicy.name} allows dynamodb:Scan on every resource ("*")`]);
    });

    it("would report a queue without a DLQ, and a bucket without its block or encryption", () => {
      const noFailureRouting = without((r) => r.type === "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
      expect(stackViolationsOf(queuesHaveDeadLetters, noFailureRouting)).to.deep.equal([
        `${run.one("aws:sqs/queue:Queue", "-email-failures").name} has no dead-letter queue`,
      ]);
      const bare = without(
        (r) => r.type.startsWith("aws:s3/bucketPublicAccessBlock") || r.type.startsWith("aws:s3/bucketServerSideEncryptionConfiguration"),
      );
      expect(stackViolationsOf(bucketsBlockedAndEncrypted, bare)).to.have.length(2);
    });
  });
}
