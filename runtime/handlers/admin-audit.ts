import type { APIGatewayProxyEvent } from "aws-lambda";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { recordAudit } from "../domain/audit";

/** What recording an admin action needs. */
export interface AdminAuditDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly settings: { readonly ordersTable: string };
  readonly now: () => Date;
}

/** Records what an admin did through this request (who, the route, API Gateway's request id) in the append-only audit trail. */
export async function auditAdminAction(
  deps: AdminAuditDeps,
  event: APIGatewayProxyEvent,
  who: { readonly sub: string; readonly email?: string },
  action: string,
  target: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await recordAudit(deps.ddb, deps.settings.ordersTable, deps.now(), {
    adminSub: who.sub,
    ...(who.email ? { adminEmail: who.email } : {}),
    action,
    target,
    route: `${event.httpMethod} ${event.resource}`,
    ...(event.requestContext?.requestId ? { requestId: event.requestContext.requestId } : {}),
    detail,
  });
}
