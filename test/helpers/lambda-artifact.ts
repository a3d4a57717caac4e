import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { programRun, type MockedResource } from "./pulumi-mocks";
import { REGION } from "./aws";

/**
 * The code that would be deployed, executed: a Lambda's archive as the mocked stack holds it,
 * unpacked as Lambda unpacks it under its task root, and run by test/helpers/lambda-runtime.js in
 * a fresh node process that has nothing but the archive and Node itself: no NODE_PATH, no
 * node_modules above the task folder, no AWS SDK from a runtime.
 */

/** One deployed function: its archive's files, handler string and declared environment. */
export interface DeployedFunction {
  readonly files: Record<string, string>;
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly runtime: string;
  /** MB, as the stack sets it. @default 128 (Lambda's default) */
  readonly memorySize?: number;
}

/** Reads a function's deployment from a mocked stack's resource. */
export async function deployedFunction(fn: MockedResource): Promise<DeployedFunction> {
  const assets = (await fn.inputs.code.assets) as Record<string, { text?: Promise<string>; path?: Promise<string> }>;
  const files: Record<string, string> = {};
  for (const [name, asset] of Object.entries(assets)) {
    const text = await asset.text;
    if (text === undefined) throw new Error(`archive entry ${name} is not a text asset`);
    files[name] = text;
  }
  return {
    files,
    handler: fn.inputs.handler,
    environment: fn.inputs.environment?.variables ?? {},
    runtime: fn.inputs.runtime,
    memorySize: fn.inputs.memorySize,
  };
}

/** The deployed order API and email notifier of the dev stack (one mocked program run per process). */
export async function deployedLambdas(
  stack: "dev" | "prod" = "dev",
): Promise<{ api: DeployedFunction; notifier: DeployedFunction; emailEvents: DeployedFunction }> {
  const run = await programRun(stack);
  return {
    api: await deployedFunction(run.one("aws:lambda/function:Function", "-api-handler")),
    notifier: await deployedFunction(run.one("aws:lambda/function:Function", "-notify-handler")),
    emailEvents: await deployedFunction(run.one("aws:lambda/function:Function", "-mail-handler")),
  };
}

/** Writes the archive under a fresh /var/task-like folder outside the project. */
export function unpack(fn: DeployedFunction): string {
  const task = fs.mkdtempSync(path.join(os.tmpdir(), "shop-lambda-task-"));
  for (const [name, text] of Object.entries(fn.files)) {
    fs.mkdirSync(path.dirname(path.join(task, name)), { recursive: true });
    fs.writeFileSync(path.join(task, name), text);
  }
  return task;
}

/**
 * The function's environment in a test: every variable the stack declares, each resource name and
 * ARN pointed at the test's local one (`local`), plus what Lambda itself sets.
 */
export function lambdaEnv(fn: DeployedFunction, local: Record<string, string>, endpoint: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
    AWS_ENDPOINT_URL: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  for (const [k, v] of Object.entries(fn.environment)) env[k] = local[k] ?? v;
  return env;
}

/** One X-Ray segment document as the SDK sends it to the daemon (the fields the tests read). */
export interface TraceSegment {
  readonly id: string;
  readonly name: string;
  readonly trace_id: string;
  readonly parent_id?: string;
  readonly namespace?: string;
  readonly annotations?: Record<string, string | number | boolean>;
  readonly aws?: { operation?: string; table_name?: string; queue_url?: string };
  readonly error?: boolean;
  readonly fault?: boolean;
  readonly subsegments?: TraceSegment[];
  readonly type?: string;
}

/** A new X-Ray trace header, as Lambda hands one to a traced invocation: `Root=1-<time>-<96 bits>;Parent=...;Sampled=1`. */
export function newTraceHeader(): { root: string; header: string } {
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
  return { root, header: `Root=${root};Parent=${randomBytes(8).toString("hex")};Sampled=1` };
}

/**
 * The X-Ray daemon's stand-in: the UDP socket Lambda's daemon listens on. The SDK sends each
 * closed (sub)segment as `{"format":"json","version":1}` and the segment's JSON, one datagram each.
 */
async function startTraceDaemon(): Promise<{ address: string; segments: TraceSegment[]; close(): void }> {
  const socket = dgram.createSocket("udp4");
  const segments: TraceSegment[] = [];
  socket.on("message", (m) => {
    const text = m.toString("utf8");
    const body = text.slice(text.indexOf("\n") + 1);
    try {
      segments.push(JSON.parse(body));
    } catch {
      // not a segment document: nothing to record
    }
  });
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  let open = true;
  const close = () => {
    if (open) socket.close();
    open = false;
  };
  return { address: `127.0.0.1:${socket.address().port}`, segments, close };
}

/** A warm Lambda container: one process serving invocations in order. */
export class LambdaProcess {
  /** stdout and stderr lines: what CloudWatch Logs would hold. */
  readonly logs: string[] = [];
  /** Modules the code required from outside its archive (other than Node built-ins). */
  external: string[] = [];
  /** The X-Ray segments the function sent to the daemon, in arrival order. */
  readonly segments: TraceSegment[];
  /** The trace id (Root) of each invocation, in order. */
  readonly traces: string[] = [];
  private seq = 0;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly task: string,
    private readonly daemon: { segments: TraceSegment[]; close(): void },
  ) {
    this.segments = daemon.segments;
  }

  /** Starts a container for the unpacked archive; resolves once its handler module is loaded. */
  static async start(fn: DeployedFunction, env: Record<string, string>): Promise<LambdaProcess> {
    const task = unpack(fn);
    const daemon = await startTraceDaemon();
    const child = fork(path.join(__dirname, "lambda-runtime.js"), [], {
      cwd: task,
      // What Lambda sets for a function with active tracing (Powertools' Tracer traces only where it sees Lambda).
      env: {
        ...env,
        LAMBDA_TASK_ROOT: task,
        _HANDLER: fn.handler,
        AWS_LAMBDA_FUNCTION_NAME: "test",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize ?? 128),
        AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        AWS_XRAY_DAEMON_ADDRESS: daemon.address,
      },
      execArgv: [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const p = new LambdaProcess(child, task, daemon);
    const collect = (b: Buffer) => p.logs.push(...b.toString().split("\n").filter(Boolean));
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => {
        daemon.close();
        fs.rmSync(task, { recursive: true, force: true });
        reject(new Error(`Lambda process exited ${code} before it was ready:\n${p.logs.join("\n")}`));
      });
      child.on(
        "message",
        (m: {
          ready?: boolean;
          id?: string;
          result?: unknown;
          error?: { errorType: string; errorMessage: string };
          external?: string[];
        }) => {
          if (m.ready) return resolve();
          p.external = m.external ?? [];
          const waiter = p.pending.get(m.id!);
          p.pending.delete(m.id!);
          if (m.error) waiter?.reject(Object.assign(new Error(m.error.errorMessage), { name: m.error.errorType, lambdaError: true }));
          else waiter?.resolve(m.result);
        },
      );
    });
    child.on("exit", (code) => {
      for (const w of p.pending.values()) w.reject(new Error(`Lambda process exited ${code}:\n${p.logs.join("\n")}`));
      p.pending.clear();
    });
    return p;
  }

  /** Invokes the handler with one event, traced as Lambda traces it; rejects with the function error Lambda would report. */
  invoke<R = unknown>(event: unknown): Promise<R> {
    const id = `inv-${++this.seq}`;
    const trace = newTraceHeader();
    this.traces.push(trace.root);
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, event, traceHeader: trace.header });
    });
  }

  /** Stops the container and removes its task folder. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGKILL");
      await exited;
    }
    this.daemon.close();
    fs.rmSync(this.task, { recursive: true, force: true });
  }
}
