import type { PolicyDocument } from "../../components/policies";
import { PARTS, type Part } from "../../local/identities";
import { ACCOUNT, type ProgramRun } from "./pulumi-mocks";
import { localStackSettings } from "../../local/stack-settings";
import { defaultKeyPolicy, evaluate, iamRequestsOf, type IamRequest, type RecordedCall, type StackArns, type Verdict } from "./iam-calls";

/**
 * The IAM check over every AWS call a test run made: each call moto logged (local/moto_call_log.py)
 * that a part signed (local/identities.ts) is judged, with @cloud-copilot/iam-simulate, by the exact
 * policy the Pulumi program gives that part's role. test/helpers/iam-check.hooks.ts runs it at the
 * end of every mocha run (npm test, test:faults, test:load, test:browser, or a single file).
 */

/** Each part's role and inline policy in the mocked stack (their names end so). */
export const ROLE_OF: Record<Part, { readonly role: string; readonly policy: string }> = {
  "order-api": { role: "-api-handler-role", policy: "-api-handler-policy" },
  "invoice-worker": { role: "-worker-task-role", policy: "-worker-task-policy" },
  "email-notifier": { role: "-notify-handler-role", policy: "-notify-handler-policy" },
  "email-events": { role: "-mail-handler-role", policy: "-mail-handler-policy" },
};

/** Active tracing: the code hands its segments to Lambda's X-Ray daemon over UDP, which calls X-Ray with the function's role. */
const XRAY_DAEMON =
  "Lambda's X-Ray daemon sends the function's trace segments and telemetry with its role; the code reaches it over UDP, not through an AWS call";
const LAMBDA_LOGS = "the Lambda runtime writes the function's logs with its role; the code writes to stdout";

/**
 * Granted actions no call of a complete `npm test` makes, each with the reason it is granted anyway.
 * The check fails on a grant missing here, and on a reason for an action now called or no longer granted.
 */
export const GRANTED_BUT_NOT_CALLED: Record<Part, Record<string, string>> = {
  "order-api": {
    "logs:CreateLogStream": LAMBDA_LOGS,
    "logs:PutLogEvents": LAMBDA_LOGS,
    "xray:PutTelemetryRecords": XRAY_DAEMON,
    "xray:PutTraceSegments": XRAY_DAEMON,
  },
  "email-notifier": {
    "sqs:SendMessage":
      "Lambda sends a failed asynchronous event to the on-failure destination with the function's role (locally the notifier driver stands in for Lambda)",
    "logs:CreateLogStream": LAMBDA_LOGS,
    "logs:PutLogEvents": LAMBDA_LOGS,
    "xray:PutTelemetryRecords": XRAY_DAEMON,
    "xray:PutTraceSegments": XRAY_DAEMON,
  },
  "invoice-worker": {},
  "email-events": {
    "sqs:SendMessage":
      "Lambda sends a failed asynchronous event to the on-failure destination with the function's role (locally the email events driver stands in for Lambda)",
    "logs:CreateLogStream": LAMBDA_LOGS,
    "logs:PutLogEvents": LAMBDA_LOGS,
    "xray:PutTelemetryRecords": XRAY_DAEMON,
    "xray:PutTraceSegments": XRAY_DAEMON,
  },
};

/** The stack as the check needs it: each part's policy and role ARN, and the ARNs local resources stand for. */
export interface StackRoles {
  readonly stack: string;
  readonly arns: StackArns;
  readonly policies: Record<Part, PolicyDocument>;
  readonly principals: Record<Part, string>;
  readonly roleNames: Record<Part, string>;
}

/** Reads the roles, policies and resource ARNs from a mocked program run. */
export function stackRoles(run: ProgramRun): StackRoles {
  const key = run.one("aws:kms/key:Key"); // the only key: every local KMS key stands for it
  if (key.inputs.policy !== undefined)
    throw new Error("the link key has a key policy now: model it in the IAM check (it assumes KMS's default)");
  const policies = {} as Record<Part, PolicyDocument>;
  const principals = {} as Record<Part, string>;
  const roleNames = {} as Record<Part, string>;
  for (const part of PARTS) {
    policies[part] = JSON.parse(run.one("aws:iam/rolePolicy:RolePolicy", ROLE_OF[part].policy).inputs.policy);
    const role = run.one("aws:iam/role:Role", ROLE_OF[part].role);
    principals[part] = role.state.arn;
    roleNames[part] = role.name;
  }
  return {
    stack: run.stack,
    policies,
    principals,
    roleNames,
    arns: {
      table: run.one("aws:dynamodb/table:Table").state.arn,
      ordersQueue: run.one("aws:sqs/queue:Queue", "-orders").state.arn,
      dlq: run.one("aws:sqs/queue:Queue", "-dlq").state.arn,
      emailFailures: run.one("aws:sqs/queue:Queue", "-email-failures").state.arn,
      bucket: run.one("aws:s3/bucket:Bucket").state.arn,
      eventBus: run.one("aws:cloudwatch/eventBus:EventBus").state.arn,
      linkKey: key.state.arn,
      sesIdentityPrefix: run.one("aws:sesv2/emailIdentity:EmailIdentity").state.arn.replace(/identity\/.*$/, "identity/"),
      senders: { [localStackSettings(run.stack).sender]: run.one("aws:sesv2/emailIdentity:EmailIdentity").inputs.emailIdentity },
      paymentSecret: run.one("aws:secretsmanager/secret:Secret").state.arn,
      configurationSets: Object.fromEntries(
        run.ofType("aws:sesv2/configurationSet:ConfigurationSet").map((c) => [c.inputs.configurationSetName, c.state.arn]),
      ),
    },
  };
}

/** One request IAM would authorize for a part's call, and the verdict of its role's policy. */
export interface JudgedRequest {
  readonly part: Part;
  readonly call: RecordedCall;
  readonly request: IamRequest;
  readonly verdict: Verdict;
}

/** What the check found. */
export interface CallCheck {
  readonly judged: readonly JudgedRequest[];
  /** Calls of a part that cannot be judged (no IAM mapping, no stack resource): each fails the check. */
  readonly unjudged: readonly { readonly part: Part; readonly call: RecordedCall; readonly reason: string }[];
  /** Distinct calls signed by keys that are no part (the tests' own setup and checks, the local pipeline's): not judged. */
  readonly notByParts: Readonly<Record<string, number>>;
}

const isPart = (key: string): key is Part => (PARTS as readonly string[]).includes(key);

/** Judges every call a part signed by its role's policy (and a KMS key's default key policy). */
export async function checkCalls(calls: readonly RecordedCall[], roles: StackRoles): Promise<CallCheck> {
  const judged: JudgedRequest[] = [];
  const unjudged: { part: Part; call: RecordedCall; reason: string }[] = [];
  const notByParts: Record<string, number> = {};
  const verdicts = new Map<string, Promise<Verdict>>();
  for (const call of calls) {
    if (!isPart(call.key)) {
      notByParts[call.key] = (notByParts[call.key] ?? 0) + 1;
      continue;
    }
    let requests: IamRequest[];
    try {
      requests = iamRequestsOf(call, roles.arns);
    } catch (e) {
      unjudged.push({ part: call.key, call, reason: (e as Error).message });
      continue;
    }
    for (const request of requests) {
      const id = JSON.stringify([call.key, request]);
      if (!verdicts.has(id)) {
        const resourcePolicy = request.action.startsWith("kms:") ? defaultKeyPolicy(ACCOUNT) : undefined;
        verdicts.set(id, evaluate(roles.policies[call.key], request, roles.principals[call.key], ACCOUNT, resourcePolicy));
      }
      judged.push({ part: call.key, call, request, verdict: await verdicts.get(id)! });
    }
  }
  return { judged, unjudged, notByParts };
}

/**
 * One line per distinct refused request (and per call that could not be judged): the part and its
 * role, the call, and the action its policy lacks; `during` names the test that first made it.
 */
export function refusals(check: CallCheck, roles: StackRoles, during: (t: number) => string = () => ""): string[] {
  const lines = new Map<string, string>();
  const where = (call: RecordedCall) => {
    const d = during(call.t);
    return d ? ` [first made during: ${d}]` : "";
  };
  for (const j of check.judged.filter((x) => x.verdict !== "Allowed")) {
    const origin = j.request.origin === "call" ? "" : ` (${j.request.origin})`;
    const context = Object.keys(j.request.context).length ? ` with ${JSON.stringify(j.request.context)}` : "";
    const id = `${j.part} ${j.request.action} ${j.request.resource}${context}`;
    if (!lines.has(id))
      lines.set(
        id,
        `${j.part} (role ${roles.roleNames[j.part]}): ${j.call.service}:${j.call.action} needs ${j.request.action} on ${j.request.resource}${context}` +
          `${origin}, which the ${roles.stack} stack's policy does not grant (${j.verdict})${where(j.call)}`,
      );
  }
  for (const u of check.unjudged) {
    const id = `${u.part} ${u.reason}`;
    if (!lines.has(id)) lines.set(id, `${u.part}: ${u.call.service}:${u.call.action} cannot be judged: ${u.reason}${where(u.call)}`);
  }
  return [...lines.values()];
}

/** Per part, the granted actions no judged request used: each needs a reason in GRANTED_BUT_NOT_CALLED, and no reason may be stale. */
export function unusedGrants(
  check: CallCheck,
  roles: StackRoles,
  reasons: Record<Part, Record<string, string>> = GRANTED_BUT_NOT_CALLED,
): { unused: Record<Part, string[]>; problems: string[] } {
  const unused = {} as Record<Part, string[]>;
  const problems: string[] = [];
  for (const part of PARTS) {
    const granted = [...new Set(roles.policies[part].Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action))].sort();
    const called = new Set(check.judged.filter((j) => j.part === part && j.verdict === "Allowed").map((j) => j.request.action));
    unused[part] = granted.filter((a) => !called.has(a));
    for (const a of unused[part].filter((x) => !reasons[part][x]))
      problems.push(`${part}: ${a} is granted but no recorded call uses it; remove the grant or give a reason in GRANTED_BUT_NOT_CALLED`);
    for (const a of Object.keys(reasons[part]).filter((x) => !unused[part].includes(x)))
      problems.push(
        `${part}: GRANTED_BUT_NOT_CALLED gives a reason for ${a}, which is ${granted.includes(a) ? "called" : "not granted"}: remove it`,
      );
  }
  return { unused, problems };
}

/** Distinct (action, resource) pairs each part was judged on, and its distinct actions. */
export function coverage(check: CallCheck): Record<Part, { requests: number; actions: string[] }> {
  const out = {} as Record<Part, { requests: number; actions: string[] }>;
  for (const part of PARTS) {
    const mine = check.judged.filter((j) => j.part === part);
    out[part] = {
      requests: new Set(mine.map((j) => `${j.request.action} ${j.request.resource}`)).size,
      actions: [...new Set(mine.map((j) => j.request.action))].sort(),
    };
  }
  return out;
}
