import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lineSplitter } from "./logfmt";
import { HEARTBEAT_FILE_ENV } from "../invoice-container/heartbeat";
import { buildWorker, imageNodeVersion } from "../invoice-container/build";
import { nodeMajor, pinnedNode } from "./pinned-node";

let built: string | undefined;
/**
 * The worker entry as the image ships it (invoice-container/build.ts), built once per process into
 * a folder of its own, outside the project: it must run without node_modules, as in the image.
 */
function shippedEntry(): string {
  if (!built) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "invoice-worker-image-"));
    buildWorker(out);
    process.once("exit", () => fs.rmSync(out, { recursive: true, force: true }));
    built = path.join(out, "invoice-container/main.js");
  }
  return built;
}

/** The invoice worker running from the container's entry as its own process, as ECS runs it. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it, then `signal` names it) and the time it exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** SIGTERM (the worker drains in-flight messages, as on ECS), SIGKILL after 30 s. */
  stop(): Promise<void>;
}

/** Which build of the worker's entry runs: the image's bundle (what ships) or the TypeScript source. */
export type WorkerBuild = "shipped" | "source";

const ROOT = path.resolve(__dirname, "..");

/** The Node the worker image runs, stood in for by the pinned binary of the same major (the Dockerfile's `NODE_IMAGE`). */
export function imageNode(): string {
  return pinnedNode(nodeMajor(imageNodeVersion()), `the worker image (invoice-container/Dockerfile, node:${imageNodeVersion()})`);
}

/**
 * Spawns the worker image's entry (invoice-container/main.ts, bundled) on the image's Node major
 * with `env` added to this process's, handing on its output line by line. `build: "source"` runs
 * the same entry from source through ts-node, on the Node running this process, instead (the
 * worker contract suite runs both).
 */
export function spawnWorkerProcess(
  env: Record<string, string>,
  on: { stdout: (line: string) => void; stderr?: (line: string) => void },
  build: WorkerBuild = "shipped",
): WorkerProcess {
  const entry = build === "shipped" ? shippedEntry() : path.join(ROOT, "invoice-container/main.ts");
  const args = build === "shipped" ? [entry] : ["-r", "ts-node/register/transpile-only", entry];
  const child = spawn(build === "shipped" ? imageNode() : process.execPath, args, {
    cwd: build === "shipped" ? path.dirname(entry) : ROOT,
    env: { ...process.env, [HEARTBEAT_FILE_ENV]: path.join(os.tmpdir(), `invoice-worker-${process.pid}-${Date.now()}.heartbeat`), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", lineSplitter(on.stdout));
  child.stderr!.on("data", lineSplitter(on.stderr ?? on.stdout));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal, at: Date.now() })),
  );
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
