/**
 * The worker's stop contract between main.ts (drain deadline after SIGTERM), the ECS task
 * definition (stopTimeout: SIGTERM to SIGKILL) and the stack config (the message budget).
 * No Pulumi import: main.ts and components/config.ts both read it.
 */

import { SETTING_DEFAULTS } from "../runtime/contracts/defaults";

/** The deployed worker's long-poll wait (the SQS maximum); the task definition sets it. */
export const WORKER_WAIT_SECONDS = SETTING_DEFAULTS.workerWaitSeconds;
/** The longest stopTimeout Fargate allows; a Spot interruption also gives two minutes. */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;
/** Room after the last message for its DeleteMessage (with SDK retries) and the last poll's release. */
const DRAIN_MARGIN_SECONDS = 10;
/** Room between the drain deadline and SIGKILL for the process to log and exit. */
const EXIT_MARGIN_SECONDS = 5;

/**
 * How long main.ts waits for the loop to drain after SIGTERM. A message started just before the
 * signal may take its whole budget; the poll in progress ends within waitSeconds and what it got
 * is released at once; both run in parallel.
 */
export function drainDeadlineSeconds(messageBudgetSeconds: number, waitSeconds: number): number {
  return Math.max(messageBudgetSeconds, waitSeconds) + DRAIN_MARGIN_SECONDS;
}

/** The task's stopTimeout: Fargate's maximum, so the drain deadline decides; the task exits as soon as it drained. */
export function stopTimeoutSeconds(messageBudgetSeconds: number, waitSeconds: number): number {
  if (!drainFitsStopTimeout(messageBudgetSeconds, waitSeconds)) {
    throw new RangeError(
      `a ${messageBudgetSeconds} s message budget cannot drain within Fargate's ${FARGATE_MAX_STOP_TIMEOUT_SECONDS} s stop timeout (at most ${maxDrainableBudgetSeconds()} s)`,
    );
  }
  return FARGATE_MAX_STOP_TIMEOUT_SECONDS;
}

/** Can a message started just before SIGTERM finish before ECS kills the task? */
export function drainFitsStopTimeout(messageBudgetSeconds: number, waitSeconds: number): boolean {
  return drainDeadlineSeconds(messageBudgetSeconds, waitSeconds) + EXIT_MARGIN_SECONDS <= FARGATE_MAX_STOP_TIMEOUT_SECONDS;
}

/** The longest message budget a stop can wait for. */
export function maxDrainableBudgetSeconds(): number {
  return FARGATE_MAX_STOP_TIMEOUT_SECONDS - EXIT_MARGIN_SECONDS - DRAIN_MARGIN_SECONDS;
}
