/**
 * The invoice worker's process entry (the ECS task's command). The worker's logic lives in
 * runtime/handlers/invoice-worker.ts; this file only wires settings, clients and signals.
 */
import { writeFileSync } from "node:fs";
import { clientConfig, createClients, destroyClients } from "../runtime/clients";
import { eventPublisherFromEnv } from "../runtime/events";
import { createLogger, errorFields } from "../runtime/log";
import { createEmfEmitter, metricsStack } from "../runtime/metrics";
import { METRICS } from "../runtime/contracts/metrics";
import { loadWorkerSettings, SettingsError } from "../runtime/settings";
import { startWorkerLoop } from "../runtime/handlers/worker-loop";
import { createRenderPool, isRenderThread, renderThreadCount, serveRenderRequests } from "../runtime/invoices/render-pool";
import { DEFAULT_HEARTBEAT_FILE, HEARTBEAT_FILE_ENV } from "./heartbeat";
import { drainDeadlineSeconds } from "./drain";

/** Where the loop records that it is alive; the container's HEALTHCHECK reads its age. */
const HEARTBEAT_FILE = process.env[HEARTBEAT_FILE_ENV] || DEFAULT_HEARTBEAT_FILE;

function main(): void {
  let settings;
  try {
    settings = loadWorkerSettings();
  } catch (e) {
    process.stderr.write(`${e instanceof SettingsError ? e.message : String(e)}\n`);
    process.exit(78); // EX_CONFIG
  }
  let renderThreads;
  try {
    renderThreads = renderThreadCount();
  } catch (e) {
    process.stderr.write(`invoice worker: invalid settings: ${(e as Error).message}\n`);
    process.exit(78);
  }
  // This file is also each render thread's entry (see the end); process.exit ends the threads.
  const pool = createRenderPool({ size: renderThreads, entry: __filename });
  const log = createLogger("invoice-worker", settings.logLevel);
  const metrics = createEmfEmitter(metricsStack());
  const clients = createClients({ region: settings.region });
  const beat = () => {
    try {
      writeFileSync(HEARTBEAT_FILE, String(Date.now()));
    } catch {
      // a read-only filesystem must not stop the worker
    }
  };
  const loop = startWorkerLoop(
    {
      ddb: clients.ddb,
      sqs: clients.sqs,
      s3: clients.s3,
      settings,
      render: pool.render,
      now: () => new Date(),
      log,
      metrics,
      events: eventPublisherFromEnv(clientConfig({ region: settings.region })),
    },
    { onPoll: beat },
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // A message started just before the signal may take its whole budget; ECS's stopTimeout (120 s) leaves room for it.
    const deadlineSeconds = drainDeadlineSeconds(settings.messageBudgetSeconds, settings.waitSeconds);
    log.info("stopping: draining in-flight messages", { signal, deadlineSeconds, ...loop.stats() });
    const force = setTimeout(() => {
      log.error("drain deadline passed; exiting with work in flight", loop.stats());
      metrics.emit(METRICS.workerCrashed, 1, {}, { reason: "drain-deadline" });
      process.exit(1);
    }, deadlineSeconds * 1000);
    force.unref();
    loop.stop().then(() => {
      log.info("worker stopped", loop.stats());
      destroyClients(clients);
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  // Logged only once the signal handlers are in place: whoever waits for this line (ECS, the local
  // pipeline, the contract tests) may stop the worker at once, and a SIGTERM before the handler
  // would kill it with no drain.
  log.info("worker started", {
    concurrency: settings.concurrency,
    renderThreads,
    waitSeconds: settings.waitSeconds,
    release: settings.release,
    pid: process.pid,
    node: process.version,
  });
  loop.done.catch((e) => {
    log.error("worker loop crashed", errorFields(e));
    metrics.emit(METRICS.workerCrashed, 1, {}, { reason: "loop-crashed" }); // stdout to a pipe is written synchronously, before the exit
    process.exit(1);
  });
}

if (isRenderThread()) serveRenderRequests();
else main();
