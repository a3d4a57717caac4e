import * as http from "node:http";
import type { APIGatewayProxyResult } from "aws-lambda";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { decodeJwt } from "jose";
import type { LocalAws } from "../helpers/aws";
import { partEnv, REGION } from "../helpers/aws";
import { apiEvent, ALICE, BOB, type Claims } from "../helpers/events";
import { deployedLambdas, lambdaEnv, LambdaProcess, type DeployedFunction } from "../helpers/lambda-artifact";
import { createOrderApiHandler } from "../../runtime/lambda/order-api";
import { createEmailNotifierHandler } from "../../runtime/lambda/email-notifier";
import { createEmailEventsHandler } from "../../runtime/lambda/email-events";
import type { EntryOptions } from "../../runtime/lambda/entry-options";
import { matchRoute, startGateway } from "../../local/gateway";
import { addLocalAdmin, cognitoVerifier, createLocalUser, createLocalUserPool, signIn } from "../../local/auth";
import { ADMIN_GROUP } from "../../runtime/contracts/routes";
import { gatewayResponses } from "../../components/api-routes";

/**
 * What the contract suites run against. Each suite is written once, at the level a client sees
 * (HTTP requests for the API, S3 events for the notifier); a target decides what answers:
 *
 * - `source`:   the handler from source, built by its Lambda entry factory, called in-process;
 * - `artifact`: the archive the stack deploys, in a fresh process with nothing but that archive
 *               and Node (test/helpers/lambda-artifact.ts);
 * - `gateway`:  (API only) the local API gateway over HTTP, with real Cognito ID tokens checked
 *               against the pool's JWKS, in front of the handler from source.
 *
 * `CONTRACT_TARGETS=source,artifact` narrows a run; by default every target runs.
 */
export type TargetName = "source" | "artifact" | "gateway";

/** The targets of this run, from CONTRACT_TARGETS or all of them. */
export function contractTargets(available: readonly TargetName[]): TargetName[] {
  const wanted = (process.env.CONTRACT_TARGETS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !available.includes(w as TargetName));
  if (unknown.length) throw new Error(`CONTRACT_TARGETS names unknown targets: ${unknown.join(", ")} (known: ${available.join(", ")})`);
  return wanted.length ? (wanted as TargetName[]) : [...available];
}

/** Users of the suites (two customers and a shop admin); each target turns one into the identity its handler sees. */
export type Persona = "alice" | "bob" | "admin";
const ADMIN: Claims = { sub: "4f1c2a9e-3333-4a1b-9c1d-cccccccccccc", email: "admin@shop.example", name: "Shop Admin" };
const PERSONAS: Record<Persona, Claims & { name: string }> = {
  alice: { ...ALICE, name: ALICE.name! },
  bob: { ...BOB, name: BOB.name! },
  admin: { ...ADMIN, name: ADMIN.name! },
};
/** The Cognito groups of each persona's token. */
const GROUPS: Record<Persona, string[]> = { alice: [], bob: [], admin: [ADMIN_GROUP] };

/** A request as a client sends it. `as` signs it in as a persona; null sends no credentials. */
export interface ApiRequest {
  readonly method: string;
  /** Path under the stage, with the query string if any (e.g. `/invoices/ord_1?expires=1&sig=x`). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A string or Buffer is sent as is (bytes that are not UTF-8 as API Gateway sends them: base64); anything else as JSON. */
  readonly body?: unknown;
  /** @default "alice" */
  readonly as?: Persona | null;
  /** Send `headers` exactly as given (no Content-Type added for a body). @default false */
  readonly exactHeaders?: boolean;
}

/** The answer a client gets. */
export interface ApiResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json(): any;
}

/** One target of the order API contract. */
export interface ApiTarget {
  readonly name: TargetName;
  /** Sends one request. */
  request(r: ApiRequest): Promise<ApiResponse>;
  /** Who a persona is to the handler (the authorizer's claims). */
  identity(p: Persona): Promise<Claims>;
  /** Every log line the API wrote so far in this test. */
  logs(): string[];
  /** Points the API's AWS calls at another endpoint (a fault proxy) from its next start on. */
  useEndpoint(endpoint: string): void;
  /**
   * Delivers the schedule's event (EventBridge invokes the function directly, no gateway) and returns
   * what the handler returned; the gateway target runs it through the same handler it serves.
   */
  scheduled(event: object): Promise<unknown>;
  /** Stops what the target started for this test. */
  stop(): Promise<void>;
}

/** One target of the email notifier contract (or the email events contract: an SNS event in place of S3's). */
export interface NotifierTarget {
  readonly name: TargetName;
  /** Delivers one event; resolves with the handler's result or rejects with its error. */
  deliver(event: unknown): Promise<unknown>;
  logs(): string[];
  stop(): Promise<void>;
}

const bodyText = (b: unknown) =>
  b === undefined ? undefined : typeof b === "string" ? b : Buffer.isBuffer(b) ? b.toString("utf8") : JSON.stringify(b);
/** Bytes that do not survive a UTF-8 round trip reach the Lambda base64-encoded, as API Gateway sends them. */
const isBinary = (b: unknown) => Buffer.isBuffer(b) && !Buffer.from(b.toString("utf8"), "utf8").equals(b);

function withDefaultContentType(r: ApiRequest): Record<string, string> {
  const h = { ...(r.headers ?? {}) };
  if (r.exactHeaders) return h;
  if (r.body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["Content-Type"] = "application/json";
  return h;
}

function response(status: number, headers: Record<string, unknown>, text: string): ApiResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { status, headers: lower, text, json: () => JSON.parse(text) };
}

/** The gateway's own answers (no route, no token), as the stack's gateway responses define them. */
const GATEWAY = Object.fromEntries(gatewayResponses().map((g) => [g.responseType, g]));
function gatewayAnswer(type: "UNAUTHORIZED" | "MISSING_AUTHENTICATION_TOKEN"): ApiResponse {
  const g = GATEWAY[type];
  return response(Number(g.status), { "content-type": "application/json", ...g.headers }, JSON.stringify(g.body));
}

/**
 * The proxy event API Gateway would send for a request, or the answer it gives itself: routing
 * and the authorizer's yes/no are API Gateway's (emulated here exactly as the local gateway does);
 * everything after is the handler's.
 */
function toEvent(r: ApiRequest, persona: Persona | null) {
  const claims = persona ? PERSONAS[persona] : null;
  const url = new URL(r.path, "http://api.test");
  const match = matchRoute(r.method, url.pathname);
  if (!match) return { answer: gatewayAnswer("MISSING_AUTHENTICATION_TOKEN") };
  if (match.route.auth === "cognito" && !claims) return { answer: gatewayAnswer("UNAUTHORIZED") };
  const query = Object.fromEntries(url.searchParams);
  const event = apiEvent({
    method: r.method,
    resource: match.route.resource,
    path: url.pathname,
    body: bodyText(r.body) ?? null,
    headers: withDefaultContentType(r),
    claims: match.route.auth === "cognito" ? claims : null,
    pathParameters: Object.keys(match.params).length ? match.params : null,
    query: Object.keys(query).length ? query : null,
  });
  if (isBinary(r.body)) Object.assign(event, { body: (r.body as Buffer).toString("base64"), isBase64Encoded: true });
  // The REST authorizer hands every claim over as a string: a list (cognito:groups) as its items joined by commas.
  const authorizer = event.requestContext.authorizer as { claims?: Record<string, string> } | null;
  if (authorizer?.claims && persona && GROUPS[persona].length) authorizer.claims["cognito:groups"] = GROUPS[persona].join(",");
  return { event };
}

/** A handler running for one test: in-process or in its own container process. */
interface RunningHandler {
  /** An API Gateway event gets an APIGatewayProxyResult; the schedule's event gets the sweep's summary. */
  invoke(event: unknown): Promise<APIGatewayProxyResult | object>;
  /** Log lines so far. */
  logs(): string[];
  stop(): Promise<void>;
}

/** The source and artifact targets share everything but how the handler runs. */
function eventTarget(name: TargetName, ctx: LocalAws, start: (endpoint: string) => Promise<RunningHandler>): ApiTarget {
  let endpoint = ctx.moto.endpoint;
  let starting: Promise<RunningHandler> | undefined;
  let running: RunningHandler | undefined;
  return {
    name,
    async request(r) {
      const persona = r.as === undefined ? "alice" : r.as;
      const built = toEvent(r, persona);
      if (built.answer) return built.answer;
      starting ??= start(endpoint).then((h) => (running = h));
      const res = (await (await starting).invoke(built.event)) as APIGatewayProxyResult;
      return response(res.statusCode, res.headers ?? {}, res.body);
    },
    identity: async (p) => PERSONAS[p],
    async scheduled(e) {
      starting ??= start(endpoint).then((h) => (running = h));
      return (await starting).invoke(e);
    },
    logs: () => running?.logs() ?? [],
    useEndpoint(e) {
      endpoint = e;
    },
    async stop() {
      const h = await starting;
      starting = running = undefined;
      await h?.stop();
    },
  };
}

/** The handler from source, built by the same entry factory the Lambda runs. */
export function sourceApi(ctx: LocalAws): ApiTarget {
  return eventTarget("source", ctx, async (endpoint) => {
    const lines: string[] = [];
    const handler = createOrderApiHandler({ ...partEnv(ctx, "order-api"), AWS_ENDPOINT_URL: endpoint }, { writeLog: (l) => lines.push(l) });
    return { invoke: handler, logs: () => lines, stop: async () => undefined };
  });
}

let deployed: ReturnType<typeof deployedLambdas> | undefined;
/** The dev stack's Lambda deployments, built once per test process. */
export const deployedFunctions = () => (deployed ??= deployedLambdas("dev"));

/** Starts the deployed archive of a function as a container; its stop fails if it reached outside its archive. */
async function container(fn: DeployedFunction, env: Record<string, string>): Promise<RunningHandler> {
  const p = await LambdaProcess.start(fn, env);
  return {
    invoke: (e) => p.invoke(e),
    logs: () => p.logs,
    async stop() {
      await p.stop();
      if (p.external.length) throw new Error(`the deployed function required modules from outside its archive: ${p.external.join(", ")}`);
    },
  };
}

/** The deployed archive in its own process: a cold start per test, warm within it. */
export function artifactApi(ctx: LocalAws): ApiTarget {
  return eventTarget("artifact", ctx, async (endpoint) => {
    const fn = (await deployedFunctions()).api;
    return container(fn, lambdaEnv(fn, ctx.env, endpoint));
  });
}

/** The local gateway over HTTP with real tokens of a Cognito pool in moto. */
export function gatewayApi(ctx: LocalAws): ApiTarget {
  const lines: string[] = [];
  let endpoint = ctx.moto.endpoint;
  let started:
    | Promise<{
        url: string;
        close(): Promise<void>;
        tokens: Record<Persona, string>;
        claims: Record<Persona, Claims>;
        handler: ReturnType<typeof createOrderApiHandler>;
      }>
    | undefined;
  const start = () =>
    (started ??= (async () => {
      const cognito = new CognitoIdentityProviderClient({ region: REGION, endpoint: ctx.moto.endpoint });
      const pool = await createLocalUserPool(cognito, ctx.moto.endpoint, REGION, "contract");
      const tokens = {} as Record<Persona, string>;
      const claims = {} as Record<Persona, Claims>;
      for (const [p, c] of Object.entries(PERSONAS) as [Persona, Claims & { name: string }][]) {
        const password = "Contract-Test-Password-1";
        await createLocalUser(cognito, pool, { email: c.email, name: c.name, password });
        if (GROUPS[p].includes(ADMIN_GROUP)) await addLocalAdmin(cognito, pool, c.email);
        tokens[p] = await signIn(cognito, pool, c.email, password);
        const jwt = decodeJwt(tokens[p]);
        claims[p] = { sub: String(jwt.sub), email: String(jwt.email), name: String(jwt.name) };
      }
      cognito.destroy();
      const handler = createOrderApiHandler(
        { ...partEnv(ctx, "order-api"), AWS_ENDPOINT_URL: endpoint },
        { writeLog: (l) => lines.push(l) },
      );
      const gw = await startGateway({
        host: "127.0.0.1",
        port: 0,
        stage: "test",
        // An API Gateway event always gets an API Gateway answer (only the schedule's event gets another).
        handler: (e) => handler(e) as Promise<APIGatewayProxyResult>,
        verify: await cognitoVerifier(pool),
        log: () => undefined,
      });
      return { url: gw.url, close: gw.close, tokens, claims, handler };
    })());
  return {
    name: "gateway",
    async request(r) {
      const g = await start();
      const persona = r.as === undefined ? "alice" : r.as;
      const headers: Record<string, string> = { ...withDefaultContentType(r) };
      if (persona) headers.Authorization = `Bearer ${g.tokens[persona]}`;
      return httpRequest(`${g.url}${r.path}`, r.method, headers, Buffer.isBuffer(r.body) ? r.body : bodyText(r.body));
    },
    identity: async (p) => (await start()).claims[p],
    scheduled: async (e) => (await start()).handler(e as never),
    logs: () => lines,
    useEndpoint(e) {
      endpoint = e;
    },
    async stop() {
      if (started) await (await started).close();
      started = undefined;
    },
  };
}

/** A raw HTTP request: no redirect following, no header normalisation beyond Node's. */
function httpRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve(response(res.statusCode ?? 0, res.headers as Record<string, string>, Buffer.concat(chunks).toString("utf8"))),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The API target of a name. */
export function apiTarget(name: TargetName, ctx: LocalAws): ApiTarget {
  return name === "source" ? sourceApi(ctx) : name === "artifact" ? artifactApi(ctx) : gatewayApi(ctx);
}

/** The notifier target of a name (the notifier has no gateway: S3 invokes it directly). */
export function notifierTarget(name: Exclude<TargetName, "gateway">, ctx: LocalAws): NotifierTarget {
  return invokedTarget("notifier", createEmailNotifierHandler, name, ctx);
}

/** The email events target of a name (SNS invokes it with SES's events). */
export function emailEventsTarget(name: Exclude<TargetName, "gateway">, ctx: LocalAws): NotifierTarget {
  return invokedTarget("emailEvents", createEmailEventsHandler, name, ctx);
}

/** The part (IAM role) each invoked function signs as. */
const PART_OF = { notifier: "email-notifier", emailEvents: "email-events" } as const;

/** A function an AWS service invokes with an event: its entry factory from source, or its deployed archive. */
function invokedTarget(
  fn: "notifier" | "emailEvents",
  factory: (env: NodeJS.ProcessEnv, opts: EntryOptions) => (event: unknown) => Promise<unknown>,
  name: Exclude<TargetName, "gateway">,
  ctx: LocalAws,
): NotifierTarget {
  let starting: Promise<RunningHandler> | undefined;
  let running: RunningHandler | undefined;
  const start = async (): Promise<RunningHandler> => {
    if (name === "source") {
      const lines: string[] = [];
      const handler = factory(partEnv(ctx, PART_OF[fn]), { writeLog: (l) => lines.push(l) });
      return { invoke: handler as RunningHandler["invoke"], logs: () => lines, stop: async () => undefined };
    }
    const deployed = (await deployedFunctions())[fn];
    return container(deployed, lambdaEnv(deployed, ctx.env, ctx.moto.endpoint));
  };
  return {
    name,
    async deliver(e) {
      starting ??= start().then((h) => (running = h));
      return (await starting).invoke(e);
    },
    logs: () => running?.logs() ?? [],
    async stop() {
      const h = await starting;
      starting = running = undefined;
      await h?.stop();
    },
  };
}
