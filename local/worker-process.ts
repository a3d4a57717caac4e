import { spawn, type ChildProcess } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { lineSplitter } from "./logfmt";
import { HEARTBEAT_FILE_ENV } from "../invoice-container/heartbeat";

const ROOT = path.resolve(__dirname, "..");

/** The invoice worker running from the container's entry as its own process, as ECS runs it. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code and the time it exited. */
  readonly exited: Promise<{ code: number | null; at: number }>;
  /** SIGTERM (the worker drains in-flight messages, as on ECS), SIGKILL after 30 s. */
  stop(): Promise<void>;
}

/** Spawns invoice-container/main.ts with `env` added to this process's, handing on its output line by line. */
export function spawnWorkerProcess(env: Record<string, string>, on: { stdout: (line: string) => void; stderr?: (line: string) => void }): WorkerProcess {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "invoice-container/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, [HEARTBEAT_FILE_ENV]: path.join(os.tmpdir(), `invoice-worker-${process.pid}-${Date.now()}.heartbeat`), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", lineSplitter(on.stdout));
  child.stderr!.on("data", lineSplitter(on.stderr ?? on.stdout));
  const exited = new Promise<{ code: number | null; at: number }>((r) => child.once("exit", (code) => r({ code, at: Date.now() })));
  return {
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 30000);
      await exited;
      clearTimeout(t);
    },
  };
}
