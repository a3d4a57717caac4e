import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { programRun, type MockedResource } from "./pulumi-mocks";
import { REGION } from "./aws";
import { lambdaRuntimeMajor, pinnedNode } from "../../local/pinned-node";
import { localCredentials, type Part } from "../../local/identities";
import { ENV } from "../../runtime/contracts/env";

/**
 * The code that would be deployed, executed: a Lambda's archive as the mocked stack holds it,
 * unpacked as Lambda unpacks it under its task root, and run by test/helpers/lambda-runtime.js in
 * a fresh node process that has nothing but the archive and Node itself: no NODE_PATH, no
 * node_modules above the task folder, no AWS SDK from a runtime. The process is the Node major of
 * the function's runtime (the pinned binary, local/pinned-node.ts), with the heap limits Lambda
 * derives from the function's memory, and an invocation that outlasts the function's timeout is
 * ended as Lambda ends it.
 */

/** One deployed function: its archive's files, handler string and declared environment. */
export interface DeployedFunction {
  /** The part of the pipeline it is (its role signs its calls). */
  readonly part: Part;
  readonly files: Record<string, string>;
  readonly handler: string;
  readonly environment: Record<string, string>;
  readonly runtime: string;
  /** MB, as the stack sets it. @default 128 (Lambda's default) */
  readonly memorySize?: number;
  /** Seconds an invocation may run, as the stack sets it. @default 3 (Lambda's default) */
  readonly timeout?: number;
}

/** Reads a function's deployment (the part `part` of the pipeline) from a mocked stack's resource. */
export async function deployedFunction(fn: MockedResource, part: Part): Promise<DeployedFunction> {
  const assets = (await fn.inputs.code.assets) as Record<string, { text?: Promise<string>; path?: Promise<string> }>;
  const files: Record<string, string> = {};
  for (const [name, asset] of Object.entries(assets)) {
    const text = await asset.text;
    if (text === undefined) throw new Error(`archive entry ${name} is not a text asset`);
    files[name] = text;
  }
  return {
    part,
    files,
    handler: fn.inputs.handler,
    environment: fn.inputs.environment?.variables ?? {},
    runtime: fn.inputs.runtime,
    memorySize: fn.inputs.memorySize,
    timeout: fn.inputs.timeout,
  };
}

/** The deployed order API and email notifier of the dev stack (one mocked program run per process). */
export async function deployedLambdas(
  stack: "dev" | "prod" = "dev",
): Promise<{ api: DeployedFunction; notifier: DeployedFunction; emailEvents: DeployedFunction }> {
  const run = await programRun(stack);
  return {
    api: await deployedFunction(run.one("aws:lambda/function:Function", "-api-handler"), "order-api"),
    notifier: await deployedFunction(run.one("aws:lambda/function:Function", "-notify-handler"), "email-notifier"),
    emailEvents: await deployedFunction(run.one("aws:lambda/function:Function", "-mail-handler"), "email-events"),
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
 * ARN pointed at the test's local one (`local`), plus what Lambda itself sets (its role's credentials:
 * locally, keys that name the part).
 */
export function lambdaEnv(fn: DeployedFunction, local: Record<string, string>, endpoint: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    AWS_REGION: REGION,
    ...localCredentials(fn.part),
    AWS_ENDPOINT_URL: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  for (const [k, v] of Object.entries(fn.environment)) env[k] = local[k] ?? v;
  // The payment provider's endpoint override, as AWS_ENDPOINT_URL is AWS's: unset in the stack (the real API), the stand-in here.
  if (fn.environment[ENV.paymentProvider] !== undefined && local[ENV.paymentApiBaseUrl]) {
    env[ENV.paymentApiBaseUrl] = local[ENV.paymentApiBaseUrl];
  }
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

/**
 * The V8 flags Lambda's Node.js runtime starts with (its bootstrap script): a tenth of the
 * function's memory for the young generation (half of it per semi-space), the rest for the old one.
 */
export function lambdaNodeArgs(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    "--expose-gc",
    "--max-http-header-size=81920",
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}

/** What a container reported from inside when its handler had loaded. */
export interface ContainerReport {
  /** `process.version` */
  readonly nodeVersion: string;
  /** `v8.getHeapStatistics().heap_size_limit`, bytes */
  readonly heapSizeLimit: number;
  readonly execArgv: readonly string[];
}

/** A function error as Lambda reports it to the invoker: `name` is its errorType, `message` its errorMessage. */
export type LambdaError = Error & { lambdaError: true };
const lambdaError = (errorType: string, errorMessage: string): LambdaError =>
  Object.assign(new Error(errorMessage), { name: errorType, lambdaError: true as const });

/** How Lambda words a runtime process's end (Go's exit status text): `exit status 1`, `signal: aborted`. */
function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  const names: Partial<Record<NodeJS.Signals, string>> = {
    SIGABRT: "aborted",
    SIGKILL: "killed",
    SIGSEGV: "segmentation fault",
    SIGTERM: "terminated",
  };
  return signal ? `signal: ${names[signal] ?? signal}` : `exit status ${code}`;
}

interface Pending {
  /** The process the invocation was sent to. */
  child: ChildProcess;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A Lambda function's execution environment: one process serving invocations in order, warm
 * between them. An invocation that outlasts the function's timeout, or whose process dies (out of
 * memory), fails as Lambda reports it, and the environment is reset: the next invocation cold-starts
 * a new process.
 */
export class LambdaProcess {
  /** stdout and stderr lines, and the lines Lambda itself writes on a timeout or crash: what CloudWatch Logs would hold. */
  readonly logs: string[] = [];
  /** Modules the code required from outside its archive (other than Node built-ins). */
  external: string[] = [];
  /** The X-Ray segments the function sent to the daemon, in arrival order. */
  readonly segments: TraceSegment[];
  /** The trace id (Root) of each invocation, in order. */
  readonly traces: string[] = [];
  /** What each cold start reported from inside (Node version, heap limit), in order. */
  readonly coldStarts: ContainerReport[] = [];
  private child: ChildProcess | undefined;
  private booting: Promise<void> | undefined;
  private seq = 0;
  private readonly pending = new Map<string, Pending>();

  private constructor(
    private readonly fn: DeployedFunction,
    private readonly env: Record<string, string>,
    private readonly node: string,
    readonly task: string,
    private readonly daemon: { address: string; segments: TraceSegment[]; close(): void },
  ) {
    this.segments = daemon.segments;
  }

  /** Starts a container for the unpacked archive; resolves once its handler module is loaded. */
  static async start(fn: DeployedFunction, env: Record<string, string>): Promise<LambdaProcess> {
    const node = pinnedNode(lambdaRuntimeMajor(fn.runtime), `the function's runtime ${fn.runtime}`);
    const daemon = await startTraceDaemon();
    const p = new LambdaProcess(fn, env, node, unpack(fn), daemon);
    try {
      await p.coldStart();
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  /** Starts the runtime process; resolves once it has loaded the handler. */
  private coldStart(): Promise<void> {
    const memoryMb = this.fn.memorySize ?? 128;
    const child = fork(path.join(__dirname, "lambda-runtime.js"), [], {
      cwd: this.task,
      execPath: this.node,
      execArgv: lambdaNodeArgs(memoryMb),
      // What Lambda sets for a function with active tracing (Powertools' Tracer traces only where it sees Lambda).
      env: {
        ...this.env,
        LAMBDA_TASK_ROOT: this.task,
        _HANDLER: this.fn.handler,
        AWS_LAMBDA_FUNCTION_NAME: "test",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_EXECUTION_ENV: `AWS_Lambda_${this.fn.runtime}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        AWS_XRAY_DAEMON_ADDRESS: this.daemon.address,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.child = child;
    const collect = (b: Buffer) => this.logs.push(...b.toString().split("\n").filter(Boolean));
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      child.once("exit", (code, signal) => {
        if (this.child === child) this.child = undefined;
        if (!ready) return reject(new Error(`Lambda process exited ${code ?? signal} before it was ready:\n${this.logs.join("\n")}`));
        // Whatever was still running in it dies with it, as Lambda reports a runtime that exits mid-invocation.
        for (const [id, w] of this.pending) {
          if (w.child === child) this.fail(id, w, "Runtime.ExitError", `Error: Runtime exited with error: ${exitText(code, signal)}`);
        }
      });
      child.on(
        "message",
        (m: {
          ready?: boolean;
          report?: ContainerReport;
          id?: string;
          result?: unknown;
          error?: { errorType: string; errorMessage: string };
          external?: string[];
        }) => {
          if (m.ready) {
            ready = true;
            this.coldStarts.push(m.report!);
            return resolve();
          }
          this.external = m.external ?? [];
          const w = this.pending.get(m.id!);
          if (!w) return;
          this.pending.delete(m.id!);
          clearTimeout(w.timer);
          if (m.error) w.reject(lambdaError(m.error.errorType, m.error.errorMessage));
          else w.resolve(m.result);
        },
      );
    });
  }

  /** Ends an invocation with a Lambda error, logged as Lambda logs it: `RequestId: <id> <text>`. */
  private fail(id: string, w: Pending, errorType: string, text: string): void {
    this.pending.delete(id);
    clearTimeout(w.timer);
    this.logs.push(`RequestId: ${id} ${text}`, errorType);
    w.reject(lambdaError(errorType, `RequestId: ${id} ${text}`));
  }

  /**
   * Invokes the handler with one event, traced as Lambda traces it; rejects with the function error
   * Lambda would report, `Sandbox.Timedout` once the function's timeout has passed. Cold-starts a new
   * process first if the last one was ended.
   */
  async invoke<R = unknown>(event: unknown): Promise<R> {
    if (!this.child) await (this.booting ??= this.coldStart().finally(() => (this.booting = undefined)));
    const child = this.child!;
    const id = `inv-${++this.seq}`;
    const trace = newTraceHeader();
    this.traces.push(trace.root);
    const timeoutMs = (this.fn.timeout ?? 3) * 1000;
    const t0 = performance.now();
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        const w = this.pending.get(id);
        if (!w) return;
        const seconds = ((performance.now() - t0) / 1000).toFixed(2);
        this.logs.push(`${new Date().toISOString()} ${id} Task timed out after ${seconds} seconds`);
        this.pending.delete(id);
        w.reject(lambdaError("Sandbox.Timedout", `RequestId: ${id} Error: Task timed out after ${seconds} seconds`));
        // Lambda stops the environment: nothing the handler left running goes on, and the next invocation starts cold.
        if (this.child === child) this.child = undefined;
        child.kill("SIGKILL");
      }, timeoutMs);
      this.pending.set(id, { child, resolve: resolve as (v: unknown) => void, reject, timer });
      child.send({ id, event, traceHeader: trace.header, deadline: Date.now() + timeoutMs });
    });
  }

  /** Stops the container and removes its task folder. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    for (const w of this.pending.values()) clearTimeout(w.timer);
    this.daemon.close();
    fs.rmSync(this.task, { recursive: true, force: true });
  }
}
