import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/**
 * The stack's guard rails as CrossGuard policies. Plain objects, exported one by one, so tests call
 * validateResource / validateStack directly (constructing a PolicyPack starts a gRPC server);
 * policy/index.ts assembles the pack that `pulumi preview --policy-pack policy` runs.
 * Cross-resource checks follow the engine's property dependencies, which exist in a preview where
 * ids and ARNs are still unknown.
 */

type Doc = { Statement?: Statement | Statement[] };
type Statement = { Effect?: string; Action?: string | string[]; Principal?: unknown; Resource?: unknown };

const parse = (v: unknown): Doc | undefined => {
  if (typeof v !== "string") return typeof v === "object" && v !== null ? (v as Doc) : undefined;
  try {
    return JSON.parse(v) as Doc;
  } catch {
    return undefined;
  }
};
const statements = (d: Doc | undefined): Statement[] =>
  d?.Statement === undefined ? [] : Array.isArray(d.Statement) ? d.Statement : [d.Statement];
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Resource types whose `policy` input is an IAM document granting something. */
const POLICY_DOCUMENT_TYPES = [
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:sns/topicPolicy:TopicPolicy",
];

/** No Allow statement grants an action with a wildcard ("*", "s3:*", "s3:Get*"). */
export const noWildcardActions: ResourceValidationPolicy = {
  name: "no-wildcard-actions",
  description: "IAM and resource policies allow named actions only, never wildcards.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!POLICY_DOCUMENT_TYPES.includes(args.type)) return;
    for (const s of statements(parse(args.props.policy))) {
      if (s.Effect !== "Allow") continue;
      const wild = list(s.Action).filter((a) => a.includes("*"));
      if (wild.length) report(`${args.name} allows wildcard action(s) ${wild.join(", ")}`);
    }
  },
};

/**
 * The only actions an Allow statement may grant on Resource "*": IAM defines no resource type for
 * them, so "*" is the only form AWS accepts. Each is named with the reason it is needed; a
 * statement on "*" holding any other action is reported, even beside these.
 */
export const WILDCARD_RESOURCE_EXCEPTIONS: Readonly<Record<string, string>> = {
  "ecr:GetAuthorizationToken": "ECS logs in to ECR to pull the worker's image",
  "xray:PutTraceSegments": "the Lambdas' X-Ray daemon sends their trace segments (Active tracing)",
  "xray:PutTelemetryRecords": "the Lambdas' X-Ray daemon sends its telemetry (Active tracing)",
};

/** No Allow statement grants an action on every resource ("*"), except the named exceptions above, nor allows by NotAction or NotResource. */
export const noWildcardResources: ResourceValidationPolicy = {
  name: "no-wildcard-resources",
  description: 'IAM and resource policies allow actions on named resources; "*" only for actions with no resource-level permissions.',
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!POLICY_DOCUMENT_TYPES.includes(args.type)) return;
    for (const s of statements(parse(args.props.policy))) {
      if (s.Effect !== "Allow") continue;
      // An Allow by exclusion grants every action or resource but the listed: broader than any wildcard.
      const by = ["NotAction", "NotResource"].filter((k) => k in s);
      if (by.length) report(`${args.name} allows by ${by.join(" and ")}: name the actions and resources instead`);
      if (!list(s.Resource as string | string[] | undefined).includes("*")) continue;
      const other = list(s.Action).filter((a) => !Object.hasOwn(WILDCARD_RESOURCE_EXCEPTIONS, a));
      if (other.length) report(`${args.name} allows ${other.join(", ")} on every resource ("*")`);
    }
  },
};

/** Every role is assumed by exactly one AWS service, and nothing else. */
export const singleServiceTrust: ResourceValidationPolicy = {
  name: "single-service-trust",
  description: "Each IAM role trusts exactly one AWS service principal.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== "aws:iam/role:Role") return;
    const trust = statements(parse(args.props.assumeRolePolicy));
    const principals = trust.map((s) => s.Principal as { Service?: unknown } | string | undefined);
    const services = principals.flatMap((p) =>
      typeof p === "object" && p && Object.keys(p).length === 1 ? list(p.Service as string | string[]) : [undefined],
    );
    if (trust.length !== 1 || services.length !== 1 || typeof services[0] !== "string" || !/\.amazonaws\.com$/.test(services[0])) {
      report(`${args.name} must trust exactly one AWS service, found ${JSON.stringify(principals)}`);
    }
  },
};

/** Log groups keep their logs for a set time, never forever. */
export const logRetentionSet: ResourceValidationPolicy = {
  name: "log-retention-set",
  description: "Every CloudWatch log group has a retention period.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== "aws:cloudwatch/logGroup:LogGroup") return;
    if (!(Number(args.props.retentionInDays) > 0)) report(`${args.name} keeps its logs forever: set retentionInDays`);
  },
};

/** Nothing a bucket holds is public: full public-access blocks, no public ACLs, no policy allowing anyone. */
export const noPublicBuckets: ResourceValidationPolicy = {
  name: "no-public-buckets",
  description: "Buckets block all public access, carry no public ACL and no bucket policy that allows everyone.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const p = args.props;
    if (args.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") {
      const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((k) => p[k] !== true);
      if (off.length) report(`${args.name} leaves ${off.join(", ")} off`);
    }
    if ((args.type === "aws:s3/bucket:Bucket" || args.type === "aws:s3/bucketAcl:BucketAcl") && /public/.test(String(p.acl ?? "")))
      report(`${args.name} has the public ACL ${p.acl}`);
    if (args.type === "aws:s3/bucketPolicy:BucketPolicy") {
      for (const s of statements(parse(p.policy))) {
        const anyone = s.Principal === "*" || list((s.Principal as { AWS?: string | string[] } | undefined)?.AWS).includes("*");
        if (s.Effect === "Allow" && anyone) report(`${args.name} allows everyone (${list(s.Action).join(", ")})`);
      }
    }
  },
};

/** Does `from`'s input `prop` come from `to` (by the engine's property dependencies, or by value once known)? */
function refersTo(from: PolicyResource, prop: string, to: PolicyResource): boolean {
  if ((from.propertyDependencies[prop] ?? []).some((d) => d.urn === to.urn)) return true;
  const value = JSON.stringify(from.props[prop] ?? null);
  return [to.props.arn, to.props.name, to.props.id, to.props.url].some((v) => typeof v === "string" && v !== "" && value.includes(v));
}
const ofType = (args: StackValidationArgs, type: string) => args.resources.filter((r) => r.type === type);

/** Every bucket has a public-access block and default encryption of its own. */
export const bucketsBlockedAndEncrypted: StackValidationPolicy = {
  name: "buckets-blocked-and-encrypted",
  description: "Every S3 bucket has a public-access block and a server-side encryption configuration.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const bucket of ofType(args, "aws:s3/bucket:Bucket")) {
      const has = (type: string) => ofType(args, type).some((r) => refersTo(r, "bucket", bucket));
      if (!has("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) report(`${bucket.name} has no public-access block`, bucket.urn);
      if (
        !has("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration") &&
        !bucket.props.serverSideEncryptionConfiguration
      ) {
        report(`${bucket.name} has no default encryption`, bucket.urn);
      }
    }
  },
};

/** Queues are encrypted at rest (SQS-managed or KMS). */
export const queuesEncrypted: ResourceValidationPolicy = {
  name: "queues-encrypted",
  description: "Every SQS queue is encrypted at rest.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== "aws:sqs/queue:Queue") return;
    if (args.props.sqsManagedSseEnabled !== true && !args.props.kmsMasterKeyId)
      report(`${args.name} is not encrypted: set sqsManagedSseEnabled or kmsMasterKeyId`);
  },
};

/**
 * Whether a permission lets EventBridge invoke on a schedule only: its source is a rule with a
 * schedule expression and no event pattern. Such an event carries nothing but "run now" (the
 * target's constant input), so a failed one loses no data: the next run does the work. The
 * function's error alarm, not a destination, is what tells of failing runs.
 */
function scheduleOnly(args: StackValidationArgs, permission: PolicyResource): boolean {
  if (permission.props.principal !== "events.amazonaws.com") return false;
  const rule = ofType(args, "aws:cloudwatch/eventRule:EventRule").find((r) => refersTo(permission, "sourceArn", r));
  return Boolean(rule?.props.scheduleExpression) && !rule?.props.eventPattern;
}

/** A Lambda that a service invokes asynchronously keeps the events it fails on (EventBridge schedules excepted: see scheduleOnly). */
export const asyncLambdaOnFailure: StackValidationPolicy = {
  name: "async-lambda-on-failure",
  description:
    "Every Lambda invoked asynchronously with data (by S3, SNS or an EventBridge event pattern) has an on-failure destination; a schedule's constant event needs none.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const asyncPrincipals = ["s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com"];
    for (const fn of ofType(args, "aws:lambda/function:Function")) {
      const invokedAsync = ofType(args, "aws:lambda/permission:Permission").some(
        (p) => asyncPrincipals.includes(p.props.principal) && refersTo(p, "function", fn) && !scheduleOnly(args, p),
      );
      if (!invokedAsync) continue;
      const config = ofType(args, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").find((c) =>
        refersTo(c, "functionName", fn),
      );
      if (!config?.props.destinationConfig?.onFailure?.destination && !(config?.propertyDependencies.destinationConfig ?? []).length) {
        report(`${fn.name} is invoked asynchronously but has no on-failure destination: failed events would be dropped`, fn.urn);
      }
    }
  },
};

/** Every queue sends what it cannot deliver to a DLQ, unless it is itself where failures land. */
export const queuesHaveDeadLetters: StackValidationPolicy = {
  name: "queues-have-dead-letters",
  description: "Every SQS queue has a dead-letter queue, or is itself a dead-letter queue or an on-failure destination.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const queues = ofType(args, "aws:sqs/queue:Queue");
    const configs = ofType(args, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    for (const q of queues) {
      const hasDlq = Boolean(q.props.redrivePolicy) || (q.propertyDependencies.redrivePolicy ?? []).length > 0;
      const isDlq = queues.some((other) => other !== q && refersTo(other, "redrivePolicy", q));
      const isFailureDestination = configs.some((c) => refersTo(c, "destinationConfig", q));
      if (!hasDlq && !isDlq && !isFailureDestination) report(`${q.name} has no dead-letter queue`, q.urn);
    }
  },
};

/**
 * The AWS managed policies a role may have attached, each with the reason. Managed policies change
 * when AWS changes them and are often broad (the FullAccess family); a new one needs a reason here.
 */
export const ALLOWED_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  "service-role/AmazonAPIGatewayPushToCloudWatchLogs":
    "API Gateway's account-wide logging role (access logs); AWS documents this policy for it and it names no wildcard action",
};

/** The AWS managed policy an ARN names ("service-role/Name"), or undefined for a customer policy. */
function awsManagedPolicyName(arn: string): string | undefined {
  return /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
}

/** Attachments of AWS managed policies (any form: attachment resources, a role's managedPolicyArns) only from the allow-list. */
export const managedPoliciesAllowed: ResourceValidationPolicy = {
  name: "managed-policies-allowed",
  description: "AWS managed policies are attached only from the pack's allow-list, each with its reason; customer policies are inline.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const attachments: Record<string, () => unknown[]> = {
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment": () => [args.props.policyArn],
      "aws:iam/userPolicyAttachment:UserPolicyAttachment": () => [args.props.policyArn],
      "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": () => [args.props.policyArn],
      "aws:iam/policyAttachment:PolicyAttachment": () => [args.props.policyArn],
      "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": () => list(args.props.policyArns as string[]),
      "aws:iam/role:Role": () => list(args.props.managedPolicyArns as string[] | undefined),
    };
    const arns = attachments[args.type]?.() ?? [];
    for (const arn of arns) {
      const managed = typeof arn === "string" ? awsManagedPolicyName(arn) : undefined;
      if (typeof arn !== "string") report(`${args.name} attaches a policy whose ARN is not a plain string`);
      else if (managed === undefined)
        report(`${args.name} attaches the customer managed policy ${arn}: grant inline (aws.iam.RolePolicy) instead`);
      else if (!Object.hasOwn(ALLOWED_MANAGED_POLICIES, managed))
        report(`${args.name} attaches the AWS managed policy ${managed}, which is not on the pack's allow-list (policy/policies.ts)`);
    }
  },
};

/** Every policy of the pack. */
export const POLICIES: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  noWildcardActions,
  noWildcardResources,
  singleServiceTrust,
  logRetentionSet,
  noPublicBuckets,
  bucketsBlockedAndEncrypted,
  queuesEncrypted,
  asyncLambdaOnFailure,
  queuesHaveDeadLetters,
  managedPoliciesAllowed,
];
