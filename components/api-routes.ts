import { createHash } from "node:crypto";
import { API_ROUTE_CONTRACT, type RouteContract } from "../runtime/contracts/routes";
import type { ErrorCode } from "../runtime/contracts/error-codes";

/**
 * Pure decisions of the API tier: the resource tree and methods built from the route
 * contract, the redeployment trigger, the access-log format, the gateway's own error bodies and the
 * period of the order API's schedule.
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

/** Seconds between two runs of an EventBridge `rate(...)` schedule. */
export function rateSeconds(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m || Number(m[1]) < 1) throw new Error(`not an EventBridge rate expression: ${expression}`);
  return Number(m[1]) * { minute: 60, hour: 3600, day: 86_400 }[m[2].replace(/s$/, "") as "minute" | "hour" | "day"];
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
  readonly responseType:
    "UNAUTHORIZED" | "MISSING_AUTHENTICATION_TOKEN" | "THROTTLED" | "REQUEST_TOO_LARGE" | "DEFAULT_4XX" | "DEFAULT_5XX";
  /** The status a client gets: one status, or for a family's default the family (API Gateway keeps its own status). */
  readonly status: number | "4XX" | "5XX";
  /** The status API Gateway is told to answer with; unset for a family's default. */
  readonly statusCode?: string;
  /** Headers beside Content-Type, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: { readonly code: ErrorCode; readonly message: string } };
}

/** Seconds a throttled client is told to wait: the stage's token bucket refills every second. */
export const THROTTLED_RETRY_AFTER_SECONDS = 1;

const spec = (
  responseType: GatewayResponseSpec["responseType"],
  status: GatewayResponseSpec["status"],
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): GatewayResponseSpec => ({
  responseType,
  status,
  ...(typeof status === "number" ? { statusCode: String(status) } : {}),
  headers,
  body: { error: { code, message } },
});

/**
 * The gateway's own answers in the API's one JSON error shape: no token, unknown route, stage
 * throttling, a body over API Gateway's 10 MB, any other 4xx (request validation, WAF, ...) and its own failures.
 */
export function gatewayResponses(): GatewayResponseSpec[] {
  return [
    spec("UNAUTHORIZED", 401, "UNAUTHENTICATED", "Sign in and send your ID token as the Authorization header."),
    // API Gateway answers an unknown path or method with 403 "Missing Authentication Token".
    spec("MISSING_AUTHENTICATION_TOKEN", 404, "NOT_FOUND", "No such route."),
    spec("THROTTLED", 429, "THROTTLED", "Too many requests. Retry after the Retry-After seconds, with the same Idempotency-Key.", {
      "Retry-After": String(THROTTLED_RETRY_AFTER_SECONDS),
    }),
    // The same code the API gives a body over its own 64 KB.
    spec("REQUEST_TOO_LARGE", 413, "PAYLOAD_TOO_LARGE", "The request body is too large."),
    spec("DEFAULT_4XX", "4XX", "REQUEST_REFUSED", "API Gateway refused the request before the API saw it; the status says why."),
    spec("DEFAULT_5XX", "5XX", "INTERNAL", "Something went wrong on our side. Please retry later."),
  ];
}

/** A gateway response's headers as API Gateway's response parameters (static values are quoted). */
export function gatewayResponseParameters(r: GatewayResponseSpec): Record<string, string> {
  const headers = { "Content-Type": "application/json", ...r.headers };
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]));
}
