import * as fs from "node:fs";
import * as path from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../components/policies";
import { LOCAL_NAME_SUFFIX } from "../../local/provision";

/**
 * What IAM sees of a recorded AWS call: the action(s), the resource ARN each acts on, and the
 * condition keys the request carries. Local resource names are mapped to the stack's ARNs of the
 * same logical resource (orders table, queues, bucket, link key, SES identities), so a call made
 * against moto is judged by the policy the Pulumi program grants in AWS.
 */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  /** Why IAM checks this request ("call", or the modelled rule that adds it). */
  readonly origin: string;
}

/**
 * One line of moto's call log (local/moto_call_log.py): a distinct call as IAM sees it, read from
 * the request alone (SigV4 credential, X-Amz-Target or Action=, S3 method and path).
 */
export interface RecordedCall {
  /** The access key id that signed it: a part's name (local/identities.ts), or the test's own. */
  readonly key: string;
  readonly region: string;
  /** SigV4 service name: "dynamodb", "sqs", "s3", "ses", "kms"... */
  readonly service: string;
  /** The API action ("PutItem", "SendMessage", "GetObject"...). */
  readonly action: string;
  /** The fields IAM authorizes on (TableName, LeadingKeys, QueueUrl, Bucket, Key, KeyId, Source, Destination...). */
  readonly params: Record<string, any>;
  /** When moto first saw it (epoch ms). */
  readonly t: number;
  /** Set when the log could not read the request. */
  readonly error?: string;
}

/** Every call the moto_servers (and fault proxies) of a run logged under `dir`, in the order first seen. */
export function readRecordedCalls(dir: string): RecordedCall[] {
  if (!fs.existsSync(dir)) return [];
  const calls: RecordedCall[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) {
    for (const line of fs.readFileSync(path.join(dir, file), "utf8").split("\n")) if (line.trim()) calls.push(JSON.parse(line));
  }
  return calls.sort((a, b) => a.t - b.t);
}

/** The stack's ARN of each logical resource a part may call. */
export interface StackArns {
  readonly table: string;
  readonly ordersQueue: string;
  readonly dlq: string;
  /** The notifier's on-failure destination. */
  readonly emailFailures: string;
  readonly bucket: string;
  /** The link-signing key: the stack's only KMS key, so every local key maps to it. */
  /** The business events bus. */
  readonly eventBus: string;
  readonly linkKey: string;
  /** `arn:aws:ses:<region>:<account>:identity/` of the stack. */
  readonly sesIdentityPrefix: string;
  /**
   * Local sender -> the stack's sender. Locally the parts send from the stack file's placeholder
   * address; a deployed stack sends from the shop's own (placeholders are refused by `pulumi up`).
   */
  readonly senders: Readonly<Record<string, string>>;
  /** Configuration set name (local or the stack's) -> the stack's configuration set ARN. */
  readonly configurationSets: Readonly<Record<string, string>>;
  /** The payment provider's keys (Secrets Manager): the stack's only secret. */
  readonly paymentSecret: string;
}

/** The stack resource a local name stands for, by the suffix local/provision.ts gives each (`<prefix>-orders`...). */
function stackArnOf(kind: "table" | "queue" | "bucket" | "eventBus", localName: string, arns: StackArns): string {
  const s = LOCAL_NAME_SUFFIX;
  const byKind: Record<typeof kind, [string, string | undefined][]> = {
    table: [[s.table, arns.table]],
    queue: [
      [s.dlq, arns.dlq],
      [s.queue, arns.ordersQueue],
      [s.emailFailures, arns.emailFailures],
      [s.invoiceEvents, undefined],
      [s.emailEvents, undefined],
    ],
    bucket: [[s.bucket, arns.bucket]],
    eventBus: [[s.eventBus, arns.eventBus]],
  };
  const match = byKind[kind].find(([suffix]) => localName.endsWith(suffix));
  if (!match) throw new Error(`no stack ${kind} for the local ${kind} ${localName}: local/provision.ts names none like it`);
  if (!match[1]) throw new Error(`the local ${kind} ${localName} has no counterpart in the stack (a local stand-in): no part may call it`);
  return match[1];
}

/**
 * The stack's configuration set a send names: the stack's own by its name, or the one the local
 * pipeline made in its stead (`<prefix>-mail`, local/provision.ts), when the stack has exactly one.
 */
function configurationSetArn(name: string, arns: StackArns): string {
  if (arns.configurationSets[name]) return arns.configurationSets[name];
  const sets = Object.values(arns.configurationSets);
  if (!name.endsWith(LOCAL_NAME_SUFFIX.configurationSet))
    throw new Error(`no stack configuration set for ${name}: local/provision.ts names none like it`);
  if (sets.length !== 1) throw new Error(`the local configuration set ${name} stands for one stack set; the stack has ${sets.length}`);
  return sets[0];
}

/**
 * The stack's secret a GetSecretValue names: the local payment secret (`<prefix>-payment-keys`,
 * local/provision.ts) by its name or by its ARN (Secrets Manager appends "-" and six characters).
 */
function secretArnOf(secretId: string, arns: StackArns): string {
  const name = /^arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:(.+)-[A-Za-z0-9]{6}$/.exec(secretId)?.[1] ?? secretId;
  if (!name.endsWith(LOCAL_NAME_SUFFIX.paymentSecret))
    throw new Error(`no stack secret for ${secretId}: local/provision.ts names none like it`);
  return arns.paymentSecret;
}

/** "Name <a@b>" -> "a@b". */
const address = (s: string) => /<([^>]+)>/.exec(s)?.[1] ?? s.trim();

/** The partition key values of a DynamoDB item call: IAM's dynamodb:LeadingKeys, without which a condition on it passes vacuously. */
function leadingKeys(call: RecordedCall, values: unknown): Record<string, string[]> {
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === "string"))
    throw new Error(`the call log has no partition key for ${call.service}:${call.action} on ${call.params.TableName}`);
  return { "dynamodb:LeadingKeys": values };
}

/** The queue URL's last path segment: the queue's name. */
const queueName = (url: unknown) => String(url).split("/").pop() ?? "";

/**
 * Translates one recorded call. A call with no mapping throws: code that calls a new API must be
 * added here (and so be checked), never pass unseen.
 */
export function iamRequestsOf(call: RecordedCall, arns: StackArns): IamRequest[] {
  const p = call.params;
  const req = (action: string, resource: string, context: IamRequest["context"] = {}, origin = "call"): IamRequest => ({
    action,
    resource,
    context,
    origin,
  });
  if (call.error) throw new Error(`the call log could not read ${call.action}: ${call.error}`);
  switch (call.service) {
    case "dynamodb": {
      const table = (name: unknown) => stackArnOf("table", String(name), arns);
      if (["GetItem", "PutItem", "UpdateItem", "DeleteItem"].includes(call.action))
        return [req(`dynamodb:${call.action}`, table(p.TableName), leadingKeys(call, p.LeadingKeys))];
      if (call.action === "Query")
        return [
          req("dynamodb:Query", `${table(p.TableName)}${p.IndexName ? `/index/${p.IndexName}` : ""}`, leadingKeys(call, p.LeadingKeys)),
        ];
      // A batch read is authorized table by table, as dynamodb:BatchGetItem with the items' partition keys.
      if (call.action === "BatchGetItem") {
        const keys = (p.BatchLeadingKeys ?? {}) as Record<string, string[]>;
        return (p.RequestItems as string[]).map((name) =>
          req("dynamodb:BatchGetItem", table(name), leadingKeys({ ...call, params: { TableName: name } }, keys[name])),
        );
      }
      if (call.action === "Scan") return [req("dynamodb:Scan", `${table(p.TableName)}${p.IndexName ? `/index/${p.IndexName}` : ""}`)];
      // A transaction is authorized item by item, as the item's own action.
      if (call.action === "TransactWriteItems" || call.action === "TransactGetItems") {
        const actionOf: Record<string, string> = {
          Put: "PutItem",
          Update: "UpdateItem",
          Delete: "DeleteItem",
          ConditionCheck: "ConditionCheckItem",
          Get: "GetItem",
        };
        return (p.TransactItems as Record<string, { TableName: string; LeadingKeys: string[] }>[]).map((item) => {
          const [kind, body] = Object.entries(item)[0];
          return req(`dynamodb:${actionOf[kind]}`, table(body.TableName), leadingKeys(call, body.LeadingKeys));
        });
      }
      break;
    }
    case "sqs": {
      // A batch is authorized as its single-message action.
      const single = call.action.replace(/Batch$/, "");
      if (["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility"].includes(single))
        return [req(`sqs:${single}`, stackArnOf("queue", queueName(p.QueueUrl), arns))];
      break;
    }
    case "s3": {
      // HeadObject is authorized as s3:GetObject.
      const action = call.action === "HeadObject" ? "GetObject" : call.action;
      if (action === "GetObject" || action === "PutObject")
        return [req(`s3:${action}`, `${stackArnOf("bucket", p.Bucket, arns)}/${p.Key}`)];
      if (action === "CopyObject") {
        // A copy is a PutObject of the destination (with the copy's condition keys) and a GetObject of the source.
        const [srcBucket, ...srcKey] = String(p.CopySource).split("/");
        const source = `${stackArnOf("bucket", srcBucket, arns)}/${srcKey.join("/")}`;
        const bucketName = source.slice("arn:aws:s3:::".length).split("/")[0];
        return [
          req(`s3:PutObject`, `${stackArnOf("bucket", p.Bucket, arns)}/${p.Key}`, {
            "s3:x-amz-copy-source": `${bucketName}/${srcKey.join("/")}`,
            "s3:x-amz-metadata-directive": String(p.MetadataDirective),
          }),
          req("s3:GetObject", source),
        ];
      }
      break;
    }
    case "secretsmanager":
      if (call.action === "GetSecretValue") return [req("secretsmanager:GetSecretValue", secretArnOf(String(p.SecretId), arns))];
      break;
    case "events":
      // A bus is named by name or ARN; the account's default bus has no counterpart in the stack.
      if (call.action === "PutEvents")
        return (p.EventBusNames as string[]).map((bus) => req("events:PutEvents", stackArnOf("eventBus", bus.replace(/^.*\//, ""), arns)));
      break;
    case "kms":
      if (call.action === "GenerateMac" || call.action === "VerifyMac") return [req(`kms:${call.action}`, arns.linkKey)];
      break;
    case "ses":
      if (call.action === "SendEmail") {
        const local = address(String(p.Source));
        const from = arns.senders[local] ?? local;
        const recipients = ["ToAddresses", "CcAddresses", "BccAddresses"]
          .flatMap((k) => (p.Destination?.[k] ?? []) as string[])
          .map(address);
        const context = { "ses:FromAddress": from, "ses:Recipients": recipients };
        return [
          req("ses:SendEmail", `${arns.sesIdentityPrefix}${from}`, context),
          // The SES sandbox also authorizes the send against each recipient's identity.
          ...recipients.map((r) => req("ses:SendEmail", `${arns.sesIdentityPrefix}${r}`, context, "SES sandbox: recipient identity")),
          // A send that names a configuration set is authorized against the set as well.
          ...(p.ConfigurationSetName
            ? [req("ses:SendEmail", configurationSetArn(String(p.ConfigurationSetName), arns), context, "configuration set")]
            : []),
        ];
      }
      break;
  }
  throw new Error(`no IAM mapping for ${call.service} ${call.action}: add it to test/helpers/iam-calls.ts`);
}

/** The evaluator's verdict on one request under one identity policy. */
export type Verdict = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** The key policy KMS gives a key created without one: the account's IAM policies decide. */
export function defaultKeyPolicy(account: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Enable IAM User Permissions",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: ["kms:*"],
        Resource: "*",
      },
    ],
  };
}

/**
 * Evaluates a request against a role's identity policy with @cloud-copilot/iam-simulate, and the
 * resource's own policy where the service always has one (a KMS key's key policy).
 */
export async function evaluate(
  policy: PolicyDocument,
  r: IamRequest,
  principal: string,
  account: string,
  resourcePolicy?: PolicyDocument,
): Promise<Verdict> {
  const out = await runSimulation(
    {
      identityPolicies: [{ name: "role-policy", policy: policy as never }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: resourcePolicy as never } : {}),
      request: { action: r.action, principal, resource: { resource: r.resource, accountId: account }, contextVariables: r.context },
    } as never,
    {},
  );
  if (out.resultType === "error") throw new Error(`the simulator refused ${r.action} on ${r.resource}: ${JSON.stringify(out.errors)}`);
  return out.overallResult as Verdict;
}
