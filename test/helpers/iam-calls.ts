import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { AwsCallRecord } from "../../runtime/clients";
import type { PolicyDocument } from "../../components/policies";

/**
 * What IAM sees of a recorded AWS call: the action(s), the resource ARN each acts on, and the
 * condition keys the request carries. Local resource names are mapped to the stack's ARNs of the
 * same logical resource (orders table, orders queue, bucket, link key, SES identities), so a
 * call made against moto is judged by the policy the Pulumi program grants in AWS.
 */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  /** Why IAM checks this request ("call", or the modelled rule that adds it). */
  readonly origin: string;
}

/** The stack's ARN for each local resource the pipeline touched. */
export interface ArnMap {
  readonly tables: Record<string, string>;
  /** Queue URL -> queue ARN. */
  readonly queues: Record<string, string>;
  /** Bucket name -> bucket ARN. */
  readonly buckets: Record<string, string>;
  /** KMS key id or ARN as the code passes it -> key ARN. */
  readonly keys: Record<string, string>;
  /** `arn:aws:ses:<region>:<account>:identity/` of the stack. */
  readonly sesIdentityPrefix: string;
  /** Configuration set name -> the stack's configuration set ARN. */
  readonly configurationSets: Record<string, string>;
}

const need = (map: Record<string, string>, key: unknown, what: string): string => {
  const v = map[String(key)];
  if (!v) throw new Error(`no stack ARN for ${what} ${String(key)}`);
  return v;
};
/** "Name <a@b>" -> "a@b". */
const address = (s: string) => /<([^>]+)>/.exec(s)?.[1] ?? s.trim();

/**
 * Translates one recorded call. A call with no mapping throws: new code that calls a new API
 * must be added here (and so be checked), never pass unseen.
 */
export function iamRequestsOf(call: AwsCallRecord, arns: ArnMap): IamRequest[] {
  const i = call.input as Record<string, any>;
  const op = call.command.replace(/Command$/, "");
  const req = (action: string, resource: string, context: IamRequest["context"] = {}, origin = "call"): IamRequest => ({
    action,
    resource,
    context,
    origin,
  });
  switch (call.client) {
    case "DynamoDBClient": {
      const table = (name: unknown) => need(arns.tables, name, "table");
      if (["GetItem", "PutItem", "UpdateItem", "DeleteItem"].includes(op)) return [req(`dynamodb:${op}`, table(i.TableName))];
      if (op === "Query" || op === "Scan")
        return [req(`dynamodb:${op}`, `${table(i.TableName)}${i.IndexName ? `/index/${i.IndexName}` : ""}`)];
      // A transaction is authorized item by item, as the item's own action.
      if (op === "TransactWriteItems") {
        const actionOf: Record<string, string> = {
          Put: "PutItem",
          Update: "UpdateItem",
          Delete: "DeleteItem",
          ConditionCheck: "ConditionCheckItem",
        };
        return (i.TransactItems as Record<string, { TableName: string }>[]).map((item) => {
          const [kind, body] = Object.entries(item)[0];
          return req(`dynamodb:${actionOf[kind]}`, table(body.TableName));
        });
      }
      break;
    }
    case "SQSClient":
      if (["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility"].includes(op))
        return [req(`sqs:${op}`, need(arns.queues, i.QueueUrl, "queue"))];
      break;
    case "S3Client":
      if (op === "GetObject" || op === "PutObject") return [req(`s3:${op}`, `${need(arns.buckets, i.Bucket, "bucket")}/${i.Key}`)];
      break;
    case "KMSClient":
      if (op === "GenerateMac" || op === "VerifyMac") return [req(`kms:${op}`, need(arns.keys, i.KeyId, "key"))];
      break;
    case "SESClient":
      if (op === "SendEmail") {
        const from = address(i.Source);
        const recipients = ["ToAddresses", "CcAddresses", "BccAddresses"]
          .flatMap((k) => (i.Destination?.[k] ?? []) as string[])
          .map(address);
        const context = { "ses:FromAddress": from, "ses:Recipients": recipients };
        return [
          req("ses:SendEmail", `${arns.sesIdentityPrefix}${from}`, context),
          // The SES sandbox also authorizes the send against each recipient's identity.
          ...recipients.map((r) => req("ses:SendEmail", `${arns.sesIdentityPrefix}${r}`, context, "SES sandbox: recipient identity")),
          // A send that names a configuration set is authorized against the set as well.
          ...(i.ConfigurationSetName
            ? [
                req(
                  "ses:SendEmail",
                  need(arns.configurationSets, i.ConfigurationSetName, "configuration set"),
                  context,
                  "configuration set",
                ),
              ]
            : []),
        ];
      }
      break;
  }
  throw new Error(`no IAM mapping for ${call.client} ${call.command}: add it to test/helpers/iam-calls.ts`);
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
