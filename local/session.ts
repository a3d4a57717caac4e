import * as fs from "node:fs";
import * as path from "node:path";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { localUserToken, signIn } from "./auth";
import type { LocalPipeline } from "./pipeline";

/** What `npm start` writes for `npm run token` and `npm run demo` to find the running pipeline. */
export interface LocalSession {
  readonly apiUrl: string;
  readonly inboxUrl: string;
  readonly endpoint: string;
  readonly region: string;
  readonly poolId: string;
  readonly clientId: string;
  readonly demoUser: { email: string; password: string };
  /** The orders table (the read-only smoke reads its probe's receipt there, `npm run resend -- --local` the order) and invoices bucket. */
  readonly table: string;
  readonly bucket: string;
  /** The worker's release, which the read-only smoke expects its probe's receipt to name. */
  readonly workerRelease: string;
  /** The queues `npm run redrive -- --local` works on; notifierEvents and emailEvents feed the two email handlers. */
  readonly queues: {
    readonly orders: string;
    readonly dlq: string;
    readonly emailFailures: string;
    readonly notifierEvents: string;
    readonly emailEvents: string;
  };
  /** The `npm start` process. */
  readonly pid: number;
  /** Processes it started and will stop: moto_server (when it owns one) and the worker. */
  readonly children: { readonly moto?: number; readonly worker: number };
}

/** The session of a running pipeline, started by the process `pid`. */
export function sessionOf(p: LocalPipeline, pid = process.pid): LocalSession {
  return {
    apiUrl: p.apiUrl,
    inboxUrl: p.inboxUrl,
    endpoint: p.endpoint,
    region: p.region,
    poolId: p.pool.poolId,
    clientId: p.pool.clientId,
    demoUser: { email: p.demoUser.email, password: p.demoUser.password },
    table: p.resources.table,
    bucket: p.resources.bucket,
    workerRelease: p.workerRelease,
    queues: {
      orders: p.resources.queueUrl,
      dlq: p.resources.dlqUrl,
      emailFailures: p.resources.emailFailureQueueUrl!,
      notifierEvents: p.resources.bucketEventsQueueUrl!,
      emailEvents: p.resources.emailEventsQueueUrl!,
    },
    pid,
    children: p.pids,
  };
}

/** Where the session file lives (gitignored); SHOP_LOCAL_SESSION moves it (tests use that). */
export const SESSION_FILE = process.env.SHOP_LOCAL_SESSION ?? path.resolve(__dirname, "..", ".local-state", "session.json");

/** Writes the session file atomically, readable only by this user (it holds the demo password). */
export function writeSession(s: LocalSession, file = SESSION_FILE): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written aside and renamed: a reader that sees the file sees all of it.
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, JSON.stringify(s, null, 2), { mode: 0o600 });
  fs.renameSync(partial, file);
}

/** Reads the session of a running `npm start`, or explains what to do. */
export function readSession(file = SESSION_FILE): LocalSession {
  let s: LocalSession;
  try {
    s = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    throw new Error("The local pipeline is not running: start it with `npm start` in another terminal.");
  }
  try {
    process.kill(s.pid, 0);
  } catch {
    throw new Error(`The local pipeline that wrote ${file} (pid ${s.pid}) is gone: start it again with \`npm start\`.`);
  }
  return s;
}

/** Removes the session file if it is ours. */
export function removeSession(pid = process.pid, file = SESSION_FILE): void {
  try {
    if (JSON.parse(fs.readFileSync(file, "utf8")).pid === pid) fs.unlinkSync(file);
  } catch {
    // nothing to remove
  }
}

/** Client settings that reach the session's local AWS (moto accepts any credentials; never real ones). */
export function localAwsConfig(s: LocalSession) {
  return { region: s.region, endpoint: s.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } };
}

/** Runs `f` with a Cognito client of the session's endpoint, closed after. */
async function withCognito<T>(s: LocalSession, f: (c: CognitoIdentityProviderClient) => Promise<T>): Promise<T> {
  const cognito = new CognitoIdentityProviderClient(localAwsConfig(s));
  try {
    return await f(cognito);
  } finally {
    cognito.destroy();
  }
}

/** Signs the session's demo user in and returns a fresh ID token. */
export function demoUserToken(s: LocalSession): Promise<string> {
  return withCognito(s, (c) => signIn(c, { clientId: s.clientId }, s.demoUser.email, s.demoUser.password));
}

/** A fresh ID token of another local user of the session's pool, created on first use. */
export function userToken(s: LocalSession, email: string): Promise<string> {
  return withCognito(s, (c) => localUserToken(c, { poolId: s.poolId, clientId: s.clientId }, email));
}
