import { randomBytes } from "node:crypto";
import { PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KEY_PREFIXES } from "../contracts/table";

/** One admin action as the audit trail keeps it: who, when, what, through which request and route. */
export interface AuditEntry {
  readonly adminSub: string;
  readonly adminEmail?: string;
  /** e.g. "product.replaced", "product.deactivated". */
  readonly action: string;
  /** What the action was on, e.g. "product:MUG-01". */
  readonly target: string;
  readonly route: string;
  readonly requestId?: string;
  /** A small summary of the change (versions, changed fields); never a secret. */
  readonly detail?: Record<string, unknown>;
}

/** A time-sortable id (milliseconds in base 36, then 80 random bits): records of one day sort by when they were written. */
export function auditId(at: Date): string {
  return `${at.getTime().toString(36).padStart(10, "0")}${randomBytes(10).toString("hex")}`;
}

/** The partition key of an audit record: `AUDIT#<yyyy-mm-dd>#<id>`. */
export const auditPk = (at: Date, id: string): string => `${KEY_PREFIXES.audit}${at.toISOString().slice(0, 10)}#${id}`;

/**
 * Writes an audit record once (attribute_not_exists: an id taken is never overwritten). IAM gives
 * the order API only PutItem on `AUDIT#*` keys and denies every role UpdateItem and DeleteItem on them
 * (components/policies.ts), so a record stands as written.
 */
export async function recordAudit(ddb: DynamoDBDocumentClient, table: string, at: Date, e: AuditEntry): Promise<string> {
  const pk = auditPk(at, auditId(at));
  await ddb.send(
    new PutCommand({
      TableName: table,
      Item: { pk, type: "audit", at: at.toISOString(), ...e },
      ConditionExpression: "attribute_not_exists(pk)",
    }),
  );
  return pk;
}
