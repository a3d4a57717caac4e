import * as os from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { ENV } from "../contracts/env";
import type { InvoiceDocument } from "./document";
import { renderInvoicePdf } from "./pdf";

/**
 * Renders invoices on worker threads, so the worker loop's event loop stays free for its AWS calls
 * and a task renders on every vCPU it has. Each thread parses the fonts once and keeps its caches.
 */
export interface RenderPool {
  /** Renders on the next free thread; the bytes are those renderInvoicePdf gives. */
  render(doc: InvoiceDocument): Promise<Uint8Array>;
  /** Threads in the pool. */
  readonly size: number;
  /** Ends the threads once their current work is done; renders asked for later fail. */
  close(): Promise<void>;
}

/** Settings variable for the thread count; unset means one thread per whole vCPU of the task. */
export const RENDER_THREADS_ENV = ENV.workerRenderThreads;
/** CPU units per vCPU, as ECS counts them. */
const CPU_UNITS_PER_VCPU = 1024;

/**
 * Threads to start: WORKER_RENDER_THREADS (1-64); else one per whole vCPU of the task's
 * WORKER_TASK_CPU_UNITS, at least one (a Fargate task of 0.25 vCPU sees the host's CPUs, which
 * os.availableParallelism() would count); else, outside a task, os.availableParallelism().
 */
export function renderThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[RENDER_THREADS_ENV]?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`${RENDER_THREADS_ENV} must be a whole number from 1 to 64, got "${raw}"`);
    return n;
  }
  const units = env[ENV.workerTaskCpuUnits]?.trim();
  if (units) {
    const n = Number(units);
    if (!/^\d+$/.test(units) || n < 128 || n > 65_536)
      throw new Error(`${ENV.workerTaskCpuUnits} must be a whole number of CPU units from 128 to 65536, got "${units}"`);
    return Math.min(64, Math.max(1, Math.floor(n / CPU_UNITS_PER_VCPU)));
  }
  return Math.max(1, os.availableParallelism());
}

interface Job {
  readonly id: number;
  readonly doc: InvoiceDocument;
  resolve(pdf: Uint8Array): void;
  reject(e: Error): void;
}
type Reply = { id: number; pdf: Uint8Array } | { id: number; error: string };

/**
 * Starts `size` threads running `entry` (a script that calls `serveRenderRequests` when it is not
 * the main thread; a .ts entry runs through ts-node). A thread that dies fails its job and is replaced.
 */
export function createRenderPool(opts: { size: number; entry: string }): RenderPool {
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Job>();
  const threads = new Set<Worker>();
  let nextId = 0;
  let closed = false;
  const execArgv = opts.entry.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];

  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const job = queue.shift()!;
      busy.set(worker, job);
      worker.postMessage({ id: job.id, doc: job.doc });
    }
  };
  const start = () => {
    const worker = new Worker(opts.entry, { execArgv, workerData: { role: RENDER_ROLE } });
    threads.add(worker);
    worker.on("message", (reply: Reply) => {
      const job = busy.get(worker);
      busy.delete(worker);
      idle.push(worker);
      if (job && job.id === reply.id) {
        if ("pdf" in reply) job.resolve(reply.pdf);
        else job.reject(new Error(`rendering failed: ${reply.error}`));
      }
      dispatch();
    });
    const lost = (why: string) => {
      if (!threads.delete(worker)) return;
      const job = busy.get(worker);
      busy.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      job?.reject(new Error(`render thread ended: ${why}`));
      if (!closed) start();
    };
    worker.on("error", (e) => lost(e.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    idle.push(worker);
    dispatch();
  };
  for (let i = 0; i < opts.size; i++) start();

  return {
    size: opts.size,
    render(doc) {
      if (closed) return Promise.reject(new Error("render pool is closed"));
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ id: nextId++, doc, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error("render pool is closed"));
      while (busy.size > 0) await new Promise((r) => setTimeout(r, 10));
      await Promise.all([...threads].map((t) => t.terminate()));
    },
  };
}

/** workerData.role of a render thread. */
const RENDER_ROLE = "invoice-render";

/** True in a thread the pool started: the entry should serve renders and nothing else. */
export function isRenderThread(): boolean {
  return !isMainThread && (workerData as { role?: string } | undefined)?.role === RENDER_ROLE;
}

/** The render thread's loop: renders each document it is sent and posts the bytes back. */
export function serveRenderRequests(): void {
  parentPort!.on("message", ({ id, doc }: { id: number; doc: InvoiceDocument }) => {
    let reply: Reply;
    try {
      reply = { id, pdf: renderInvoicePdf(doc) };
    } catch (e) {
      reply = { id, error: e instanceof Error ? e.message : String(e) };
    }
    parentPort!.postMessage(reply, "pdf" in reply ? [reply.pdf.buffer as ArrayBuffer] : []);
  });
}
