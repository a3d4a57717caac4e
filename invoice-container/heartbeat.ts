/**
 * The worker's liveness contract between main.ts (writes the heartbeat on every poll), the image's
 * HEALTHCHECK and the ECS task definition's health check (both run healthcheck.ts).
 */

/** Env var naming the heartbeat file; main.ts reads the same name. */
export const HEARTBEAT_FILE_ENV = "WORKER_HEARTBEAT_FILE";
/** Env var giving the oldest acceptable heartbeat, in seconds. */
export const HEARTBEAT_MAX_AGE_ENV = "WORKER_HEARTBEAT_MAX_AGE_SECONDS";
/** Where the image puts the heartbeat (main.ts's default too). */
export const DEFAULT_HEARTBEAT_FILE = "/tmp/invoice-worker.heartbeat";

/**
 * The loop beats before every receive. With every slot busy it waits for one message to finish
 * (at most its budget) and then long-polls (at most waitSeconds): twice that sum is a dead loop.
 */
export function heartbeatMaxAgeSeconds(messageBudgetSeconds: number, waitSeconds: number): number {
  return 2 * (messageBudgetSeconds + waitSeconds);
}

/** Is the heartbeat (milliseconds since the epoch, as main.ts writes it) recent enough? */
export function heartbeatIsFresh(content: string, nowMs: number, maxAgeSeconds: number): boolean {
  const beat = Number(content.trim());
  return Number.isFinite(beat) && beat > 0 && nowMs - beat <= maxAgeSeconds * 1000;
}
