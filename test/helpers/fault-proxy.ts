import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An HTTP proxy in front of the local AWS endpoint that injects faults moto cannot produce.
 * Point AWS_ENDPOINT_URL (or a client's `endpoint`) at `proxy.url`; unmatched calls pass through.
 *
 * A call is identified by its SigV4 service (from the Authorization header's credential scope:
 * "dynamodb", "sqs", "s3", "ses", ...) and its action: the `X-Amz-Target` suffix for JSON
 * protocols (DynamoDB, SQS), `Action=` for query protocols, else "<METHOD> <path>" (S3, SES v2).
 */

/** What a matched call suffers. */
export type Fault =
  /**
   * Answer with this status and an AWS error body, without forwarding (nothing reaches AWS). The
   * call is still handed to the moto launcher's call log (`POST /_local/calls`): the code made it.
   */
  | { readonly kind: "fail"; readonly status?: number; readonly code?: string; readonly message?: string }
  /** Forward, let AWS commit it, then answer 500 instead: the client retries into its own write. */
  | { readonly kind: "lost-ack" }
  /** Forward after `ms` milliseconds. */
  | { readonly kind: "delay"; readonly ms: number }
  /** Hold the call unanswered until the rule is cleared, then forward it (as a stopped server would). */
  | { readonly kind: "freeze" }
  /** Answer 200 with an empty JSON object, without forwarding: a DynamoDB GetItem that finds nothing (a write not visible yet). */
  | { readonly kind: "not-found" };

/** One armed rule. A call matches when every given field matches. */
export interface FaultRule {
  /** SigV4 service name: "dynamodb", "sqs", "s3", "ses", "kms"... @default any */
  readonly service?: string;
  /** Action name ("PutItem", "SendMessage") or, for REST calls, "<METHOD> <path>"; a RegExp is tested. @default any */
  readonly action?: string | RegExp;
  /** Tested against the raw request body (e.g. /notifyClaimedAt/ picks one kind of UpdateItem). @default any */
  readonly body?: RegExp;
  readonly fault: Fault;
  /** Fault only the next N matching calls, then pass through. @default unlimited */
  readonly times?: number;
  /** Fault this fraction of matching calls, spread evenly (0.5 = every second one). @default 1 */
  readonly ratio?: number;
}

/** What the proxy did, per rule and overall. */
export interface FaultCounts {
  /** Calls seen, by "service:action". */
  readonly calls: Record<string, number>;
  /** Calls passed to AWS (including lost-ack and released frozen calls). */
  forwarded: number;
  /** Faults injected, by rule id. */
  readonly injected: Record<string, number>;
}

/** A running fault proxy. */
export interface FaultProxy {
  readonly url: string;
  /** Arms a rule (checked in arming order, first match wins); returns its id. */
  arm(rule: FaultRule): string;
  /** Clears one rule, or every rule; frozen calls of a cleared rule are forwarded then. */
  clear(id?: string): void;
  /** Faults injected by one rule so far. */
  injected(id: string): number;
  /** A snapshot of the counters. */
  counts(): FaultCounts;
  close(): Promise<void>;
}

interface Armed {
  readonly id: string;
  readonly rule: FaultRule;
  matched: number;
  injected: number;
  readonly frozen: (() => void)[];
}

/** The call's SigV4 service and action. */
export function classify(req: http.IncomingMessage, body: Buffer): { service: string; action: string } {
  const auth = String(req.headers.authorization ?? "");
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? "unknown";
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") return { service, action: target.slice(target.lastIndexOf(".") + 1) };
  if (String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
    const action = new URLSearchParams(body.toString("utf8")).get("Action");
    if (action) return { service, action };
  }
  return { service, action: `${req.method} ${(req.url ?? "/").split("?")[0]}` };
}

/** An error response in the wire format the calling protocol expects. */
function errorResponse(
  req: http.IncomingMessage,
  status: number,
  code: string,
  message: string,
): { headers: Record<string, string>; body: string } {
  const requestId = `fault-${Math.random().toString(36).slice(2, 10)}`;
  const ct = String(req.headers["content-type"] ?? "");
  if (req.headers["x-amz-target"]) {
    return {
      headers: {
        "content-type": ct || "application/x-amz-json-1.0",
        "x-amzn-errortype": code,
        "x-amzn-requestid": requestId,
        "x-amzn-query-error": `${code};Receiver`,
      },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  if (ct.startsWith("application/x-www-form-urlencoded")) {
    return {
      headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
      body: `<ErrorResponse><Error><Type>Receiver</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  if (/\/s3\//.test(String(req.headers.authorization ?? ""))) {
    return {
      headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  return {
    headers: { "content-type": "application/json", "x-amzn-errortype": code, "x-amzn-requestid": requestId },
    body: JSON.stringify({ message }),
  };
}

const matches = (r: FaultRule, service: string, action: string, body: Buffer) =>
  (r.service === undefined || r.service === service) &&
  (r.action === undefined || (typeof r.action === "string" ? r.action === action : r.action.test(action))) &&
  (r.body === undefined || r.body.test(body.toString("utf8")));

/** Starts the proxy on a free loopback port in front of `target` (e.g. moto's endpoint). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const rules: Armed[] = [];
  const counts: FaultCounts = { calls: {}, forwarded: 0, injected: {} };
  let nextId = 1;

  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse | undefined, lostAck: boolean) => {
    counts.forwarded++;
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (ur) => {
        if (!res || res.destroyed) return void ur.resume();
        if (lostAck) {
          ur.resume();
          ur.on("end", () => {
            const e = errorResponse(req, 500, "InternalServerError", "injected fault: the write committed, its answer was lost");
            res.writeHead(500, e.headers).end(e.body);
          });
          return;
        }
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on("error", () => {
      if (res && !res.headersSent && !res.destroyed) res.writeHead(502).end();
      else res?.destroy();
    });
    // A client that gives up (abort, timeout) takes its upstream call with it, as a closed socket would.
    res?.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    up.end(body);
  };

  /** Hands a call the proxy answers itself to the launcher's call log (a plain moto_server has none: ignored). */
  const logUnforwarded = (req: http.IncomingMessage, body: Buffer) =>
    fetch(`${upstream.origin}/_local/calls`, {
      method: "POST",
      body: JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body: body.toString("utf8") }),
    }).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const { service, action } = classify(req, body);
      const name = `${service}:${action}`;
      counts.calls[name] = (counts.calls[name] ?? 0) + 1;
      const armed = rules.find((a) => matches(a.rule, service, action, body) && (a.rule.times === undefined || a.injected < a.rule.times));
      if (armed) {
        armed.matched++;
        const ratio = armed.rule.ratio ?? 1;
        // Even spread: the n-th match is faulted when floor(n * ratio) steps up.
        if (Math.floor(armed.matched * ratio) > Math.floor((armed.matched - 1) * ratio)) {
          armed.injected++;
          counts.injected[armed.id] = armed.injected;
          const f = armed.rule.fault;
          switch (f.kind) {
            case "fail": {
              const e = errorResponse(req, f.status ?? 500, f.code ?? "InternalServerError", f.message ?? "injected fault");
              void logUnforwarded(req, body).then(() => res.writeHead(f.status ?? 500, e.headers).end(e.body));
              return;
            }
            case "lost-ack":
              return forward(req, body, res, true);
            case "delay":
              setTimeout(() => forward(req, body, res, false), f.ms);
              return;
            case "freeze":
              armed.frozen.push(() => forward(req, body, res.destroyed ? undefined : res, false));
              return;
            case "not-found":
              void logUnforwarded(req, body).then(() =>
                res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "fault-not-found" }).end("{}"),
              );
              return;
          }
        }
      }
      forward(req, body, res, false);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const release = (a: Armed) => a.frozen.splice(0).forEach((go) => go());
  return {
    url,
    arm(rule) {
      const id = `rule-${nextId++}`;
      rules.push({ id, rule, matched: 0, injected: 0, frozen: [] });
      counts.injected[id] = 0;
      return id;
    },
    clear(id) {
      for (let i = rules.length - 1; i >= 0; i--) {
        if (id === undefined || rules[i].id === id) release(rules.splice(i, 1)[0]);
      }
    },
    injected: (id) => counts.injected[id] ?? 0,
    counts: () => ({ calls: { ...counts.calls }, forwarded: counts.forwarded, injected: { ...counts.injected } }),
    close() {
      for (const a of rules.splice(0)) release(a);
      agent.destroy();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
