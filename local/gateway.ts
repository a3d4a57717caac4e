import * as http from "node:http";
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { JWTPayload } from "jose";
import { API_ROUTES, type ApiRoute } from "../runtime/handlers/order-api";
import { TokenRejected } from "./auth";
import { gatewayResponses } from "../components/api-routes";

/** What the local API gateway needs: the Lambda handler, a token verifier and extra local routes. */
export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly stage: string;
  readonly handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  readonly verify: (authorization: string | undefined) => Promise<JWTPayload>;
  /** Routes served by the gateway itself (under /_local/, and /openapi.json); return undefined to fall through. */
  readonly localRoutes?: (
    req: http.IncomingMessage,
    url: URL,
  ) => Promise<{ status: number; headers: Record<string, string>; body: string } | undefined>;
  readonly log: (msg: string, fields?: Record<string, unknown>) => void;
}

/** API Gateway's own limit is 10 MB; the handler enforces the API's 64 KB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The bodies, statuses and headers the deployed API Gateway answers with itself (components/api-routes.ts). */
const GATEWAY_RESPONSES = Object.fromEntries(gatewayResponses().map((r) => [r.responseType, r]));
/** The gateway's own answer of a type; `familyStatus` is the status API Gateway keeps for a family's default (e.g. 502). */
const gatewayAnswer = (
  type: "UNAUTHORIZED" | "MISSING_AUTHENTICATION_TOKEN" | "REQUEST_TOO_LARGE" | "DEFAULT_5XX",
  familyStatus?: number,
) => {
  const r = GATEWAY_RESPONSES[type];
  const status = typeof r.status === "number" ? r.status : familyStatus;
  if (status === undefined) throw new Error(`${type}: a family's default needs the status API Gateway would keep`);
  return { status, headers: { "content-type": "application/json", ...r.headers }, body: JSON.stringify(r.body) };
};

/** Each route's resource template as a regular expression, compiled once. */
const ROUTE_PATTERNS = API_ROUTES.map((route) => {
  const names: string[] = [];
  const re = new RegExp("^" + route.resource.replace(/\{(\w+)\}/g, (_, n: string) => (names.push(n), "([^/]+)")) + "/?$");
  return { route, re, names };
});

/**
 * Matches a request against the routes. Like API Gateway, an unknown path and a known path with
 * a method it does not define are both "no route".
 */
export function matchRoute(method: string, path: string): { route: ApiRoute; params: Record<string, string> } | undefined {
  for (const { route, re, names } of ROUTE_PATTERNS) {
    if (route.method !== method) continue;
    const m = re.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]);
      } catch {
        params[n] = m[i + 1];
      }
    });
    return { route, params };
  }
  return undefined;
}

function readBody(req: http.IncomingMessage): Promise<Buffer | "too-large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve("too-large");
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Claims as the REST API's Cognito authorizer hands them to Lambda: every value a string. */
function claimsOf(p: JWTPayload): Record<string, string> {
  // REST API authorizers hand every claim over as a string; a list (cognito:groups) as its items joined by commas.
  const text = (v: unknown) => (typeof v === "string" ? v : Array.isArray(v) ? v.join(",") : JSON.stringify(v));
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, text(v)]));
}

/** Turns an HTTP request into the REST proxy event API Gateway would send. */
export function toProxyEvent(
  req: http.IncomingMessage,
  url: URL,
  route: ApiRoute,
  params: Record<string, string>,
  body: Buffer,
  stage: string,
  claims: Record<string, string> | undefined,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const [k, v] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
    headers[k] = v;
    (multiValueHeaders[k] ??= []).push(v);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const text = body.toString("utf8");
  const isText = Buffer.from(text, "utf8").equals(body);
  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(params).length ? params : null,
    stageVariables: null,
    body: body.length ? (isText ? text : body.toString("base64")) : null,
    isBase64Encoded: body.length > 0 && !isText,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      stage,
      requestId: randomUUID(),
      httpMethod: route.method,
      path: `/${stage}${url.pathname}`,
      resourceId: "local",
      resourcePath: route.resource,
      protocol: `HTTP/${req.httpVersion}`,
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: req.socket.remoteAddress ?? "127.0.0.1", userAgent: req.headers["user-agent"] ?? null } as never,
      authorizer: claims ? { claims } : null,
    },
  } as APIGatewayProxyEvent;
}

/** Starts the local API gateway; resolves once it listens. */
export async function startGateway(o: GatewayOptions): Promise<{ server: http.Server; url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const started = Date.now();
    const send = (status: number, headers: Record<string, string>, body: string | Buffer) => {
      res.writeHead(status, headers);
      res.end(body);
      o.log(`${req.method} ${req.url?.split("?")[0]} -> ${status}`, { ms: Date.now() - started });
    };
    (async () => {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`);
      // The local pipeline's own pages, and the API's OpenAPI document beside the API it describes.
      if ((url.pathname.startsWith("/_local/") || url.pathname === "/openapi.json") && o.localRoutes) {
        const r = await o.localRoutes(req, url);
        if (r) return send(r.status, r.headers, r.body);
      }
      const match = matchRoute(req.method ?? "GET", url.pathname);
      if (!match) {
        const a = gatewayAnswer("MISSING_AUTHENTICATION_TOKEN");
        return send(a.status, a.headers, a.body);
      }
      let claims: Record<string, string> | undefined;
      if (match.route.auth === "cognito") {
        try {
          claims = claimsOf(await o.verify(req.headers.authorization));
        } catch (e) {
          if (!(e instanceof TokenRejected)) throw e;
          // The authorizer answers before the Lambda runs, as API Gateway does.
          const a = gatewayAnswer("UNAUTHORIZED");
          return send(a.status, { ...a.headers, "www-authenticate": "Bearer" }, a.body);
        }
      }
      const body = await readBody(req);
      if (body === "too-large") {
        const a = gatewayAnswer("REQUEST_TOO_LARGE");
        return send(a.status, a.headers, a.body);
      }
      const event = toProxyEvent(req, url, match.route, match.params, body, o.stage, claims);
      const result = await o.handler(event);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
      send(result.statusCode, headers, result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body);
    })().catch((e) => {
      o.log("gateway error", { error: (e as Error).message });
      const a = gatewayAnswer("DEFAULT_5XX", 502);
      if (!res.headersSent) send(a.status, a.headers, a.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://${o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
