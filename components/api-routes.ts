import { createHash } from "node:crypto";
import { API_ROUTE_CONTRACT, type RouteContract } from "../runtime/contracts/routes";
import type { ErrorCode } from "../runtime/contracts/error-codes";

/**
 * Pure decisions of the API tier: the resource tree and methods built from the route
 * contract, the redeployment trigger, the access-log format and the gateway's own error bodies.
 */

/** One method of the REST API, as the ApiTier creates it. */
export interface MethodSpec {
  readonly method: RouteContract["method"];
  readonly resource: RouteContract["resource"];
  /** COGNITO_USER_POOLS for the customer routes; NONE for the emailed link, whose HMAC signature is the credential. */
  readonly authorization: "COGNITO_USER_POOLS" | "NONE";
}

/** The methods of the API, one per route of the contract (runtime/contracts/routes.ts). */
export function methodSpecs(routes: readonly RouteContract[] = API_ROUTE_CONTRACT): MethodSpec[] {
  return routes.map((r) => ({
    method: r.method,
    resource: r.resource,
    authorization: r.auth === "cognito" ? "COGNITO_USER_POOLS" : "NONE",
  }));
}

/** Every resource path the routes need, parents first ("/orders" before "/orders/{orderId}"). */
export function resourcePaths(specs: readonly MethodSpec[]): string[] {
  const paths = new Set<string>();
  for (const s of specs) {
    const parts = s.resource.split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) paths.add(`/${parts.slice(0, i).join("/")}`);
  }
  return [...paths].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
}

/** A stable, name-safe slug of a resource path ("/orders/{orderId}" -> "orders-orderId"). */
export function pathSlug(resourcePath: string): string {
  return resourcePath.replace(/[{}]/g, "").split("/").filter(Boolean).join("-");
}

/** What the routes point at: a replaced function or authorizer also takes effect only through a new deployment. */
export interface DeploymentTargets {
  /** The integrations' Lambda invoke ARN. */
  readonly functionInvokeArn: string;
  /** The Cognito authorizer's id, and the user pools it trusts. */
  readonly authorizerId: string;
  readonly userPoolArns: readonly string[];
}

/**
 * Changes whenever a route, its method, its authorization, a gateway response, the function the
 * routes call or the authorizer they use changes (each takes effect only through a new
 * deployment); the order of the routes does not matter.
 */
export function deploymentTrigger(
  specs: readonly MethodSpec[],
  responses: readonly GatewayResponseSpec[],
  targets: DeploymentTargets,
): string {
  const routes = [...specs].map((s) => `${s.method} ${s.resource} ${s.authorization}`).sort();
  const { functionInvokeArn, authorizerId } = targets;
  const userPoolArns = [...targets.userPoolArns].sort();
  return createHash("sha256").update(JSON.stringify({ routes, responses, functionInvokeArn, authorizerId, userPoolArns })).digest("hex");
}

/**
 * One JSON object per request. The query string is left out on purpose: on the invoice-link
 * route it holds the signature, which is a credential.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  ip: "$context.identity.sourceIp",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  responseLength: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  integrationLatencyMs: "$context.integrationLatency",
  customer: "$context.authorizer.claims.sub",
  errorType: "$context.error.responseType",
});

/** A response API Gateway itself sends, shaped like the runtime's error body. */
export interface GatewayResponseSpec {
  readonly responseType: "UNAUTHORIZED" | "MISSING_AUTHENTICATION_TOKEN" | "DEFAULT_5XX";
  readonly statusCode?: string;
  readonly body: { readonly error: { readonly code: ErrorCode; readonly message: string } };
}

/** The gateway's own answers (no token, unknown route, its own failures) in the API's one JSON error shape. */
export function gatewayResponses(): GatewayResponseSpec[] {
  return [
    {
      responseType: "UNAUTHORIZED",
      statusCode: "401",
      body: { error: { code: "UNAUTHENTICATED", message: "Sign in and send your ID token as the Authorization header." } },
    },
    // API Gateway answers an unknown path or method with 403 "Missing Authentication Token".
    { responseType: "MISSING_AUTHENTICATION_TOKEN", statusCode: "404", body: { error: { code: "NOT_FOUND", message: "No such route." } } },
    {
      responseType: "DEFAULT_5XX",
      body: { error: { code: "INTERNAL", message: "Something went wrong on our side. Please retry later." } },
    },
  ];
}
