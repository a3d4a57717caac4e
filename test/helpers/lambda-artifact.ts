import { fork, type ChildProcess } from "node:child_process";
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
  return { files, handler: fn.inputs.handler, environment: fn.inputs.environment?.variables ?? {}, runtime: fn.inputs.runtime };
}

/** The deployed order API and email notifier of the dev stack (one mocked program run per process). */
export async function deployedLambdas(stack: "dev" | "prod" = "dev"): Promise<{ api: DeployedFunction; notifier: DeployedFunction }> {
  const run = await programRun(stack);
  return {
    api: await deployedFunction(run.one("aws:lambda/function:Function", "-api-handler")),
    notifier: await deployedFunction(run.one("aws:lambda/function:Function", "-notify-handler")),
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

/** A warm Lambda container: one process serving invocations in order. */
export class LambdaProcess {
  /** stdout and stderr lines: what CloudWatch Logs would hold. */
  readonly logs: string[] = [];
  /** Modules the code required from outside its archive (other than Node built-ins). */
  external: string[] = [];
  private seq = 0;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess, readonly task: string) {}

  /** Starts a container for the unpacked archive; resolves once its handler module is loaded. */
  static async start(fn: DeployedFunction, env: Record<string, string>): Promise<LambdaProcess> {
    const task = unpack(fn);
    const child = fork(path.join(__dirname, "lambda-runtime.js"), [], {
      cwd: task,
      env: { ...env, LAMBDA_TASK_ROOT: task, _HANDLER: fn.handler, AWS_LAMBDA_FUNCTION_NAME: "test" },
      execArgv: [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const p = new LambdaProcess(child, task);
    const collect = (b: Buffer) => p.logs.push(...b.toString().split("\n").filter(Boolean));
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`Lambda process exited ${code} before it was ready:\n${p.logs.join("\n")}`)));
      child.on("message", (m: { ready?: boolean; id?: string; result?: unknown; error?: { errorType: string; errorMessage: string }; external?: string[] }) => {
        if (m.ready) return resolve();
        p.external = m.external ?? [];
        const waiter = p.pending.get(m.id!);
        p.pending.delete(m.id!);
        if (m.error) waiter?.reject(Object.assign(new Error(m.error.errorMessage), { name: m.error.errorType, lambdaError: true }));
        else waiter?.resolve(m.result);
      });
    });
    child.on("exit", (code) => {
      for (const w of p.pending.values()) w.reject(new Error(`Lambda process exited ${code}:\n${p.logs.join("\n")}`));
      p.pending.clear();
    });
    return p;
  }

  /** Invokes the handler with one event; rejects with the function error Lambda would report. */
  invoke<R = unknown>(event: unknown): Promise<R> {
    const id = `inv-${++this.seq}`;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, event });
    });
  }

  /** Stops the container and removes its task folder. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGKILL");
      await exited;
    }
    fs.rmSync(this.task, { recursive: true, force: true });
  }
}
