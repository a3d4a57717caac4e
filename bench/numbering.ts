/**
 * Invoice numbering at fleet scale, by simulation (no real DynamoDB is reachable here). Every
 * number comes from one counter item through an optimistic transaction: read the counter, then a
 * transaction that moves it, which fails if another task moved it in between (or, with probability
 * `conflict`, for DynamoDB's own reasons: TransactionConflict, throttling). A failed task backs off
 * (random, up to 20 ms x attempt, as the store does) and reads again.
 * Figures: the batch design (one transaction numbers every order waiting in the task, at most 99)
 * beside today's one invoice per transaction, for the same latencies, tasks and conflict rate.
 */
import { MAX_NUMBERING_BATCH } from "../runtime/domain/store";
import { seededRandom } from "../test/helpers/seeded-random";
import { percentile, round, type BenchRow, type BenchSection } from "./types";

export interface NumberingScenario {
  /** Worker tasks numbering against the one counter. */
  readonly tasks: number;
  /** Consistent GetItem of the counter, ms (median; each call varies +-20 %). */
  readonly readMs: number;
  /** TransactWriteItems, ms (median; each call varies +-20 %). */
  readonly transactionMs: number;
  /** Share of transactions DynamoDB cancels even when the counter did not move. */
  readonly conflict: number;
  /** Orders arriving per second across the fleet; Infinity: every task always has orders waiting. */
  readonly offeredPerSecond: number;
  /** Orders one transaction may number: 1 today, MAX_NUMBERING_BATCH with batching. */
  readonly maxBatch: number;
  /** Simulated seconds. */
  readonly seconds: number;
}

export interface NumberingResult {
  readonly numberedPerSecond: number;
  readonly transactionsPerSecond: number;
  readonly cancelledShare: number;
  /** Arrival to number assigned, ms. */
  readonly waitP50: number;
  readonly waitP99: number;
}

/** Discrete-event simulation of the fleet numbering against one counter item. */
export function simulateNumbering(s: NumberingScenario, seed = 1): NumberingResult {
  const rnd = seededRandom(seed);
  const vary = (ms: number) => ms * (0.8 + 0.4 * rnd());
  const end = s.seconds * 1000;
  const saturated = !Number.isFinite(s.offeredPerSecond);
  // Arrivals per task, evenly spread with random phase (saturated: always waiting).
  const gap = saturated ? 0 : (1000 * s.tasks) / s.offeredPerSecond;
  const nextArrival = Array.from({ length: s.tasks }, () => (saturated ? 0 : rnd() * gap));
  const waiting: number[][] = Array.from({ length: s.tasks }, () => []);
  const arrive = (task: number, until: number) => {
    if (saturated) {
      while (waiting[task].length < s.maxBatch) waiting[task].push(until);
      return;
    }
    while (nextArrival[task] <= until) {
      waiting[task].push(nextArrival[task]);
      nextArrival[task] += gap;
    }
  };
  let version = 0;
  let numbered = 0;
  let committed = 0;
  let cancelled = 0;
  const waits: number[] = [];
  // Each task's next event: a read finishing (with the version it saw) or a transaction finishing.
  type Step = { at: number; task: number; kind: "read" | "commit"; seen: number; batch: number; attempt: number };
  const steps: Step[] = [];
  const startAttempt = (task: number, at: number, attempt: number) => {
    arrive(task, at);
    if (waiting[task].length === 0) {
      if (!saturated && nextArrival[task] < end) steps.push({ at: nextArrival[task], task, kind: "read", seen: -1, batch: 0, attempt: 0 });
      return;
    }
    const batch = Math.min(s.maxBatch, waiting[task].length);
    steps.push({ at: at + vary(s.readMs), task, kind: "read", seen: -2, batch, attempt });
  };
  for (let t = 0; t < s.tasks; t++) startAttempt(t, 0, 1);
  while (steps.length > 0) {
    steps.sort((a, b) => a.at - b.at);
    const step = steps.shift()!;
    if (step.at > end) break;
    if (step.seen === -1) {
      startAttempt(step.task, step.at, 1); // idle task woken by an arrival
    } else if (step.kind === "read") {
      steps.push({ ...step, kind: "commit", seen: version, at: step.at + vary(s.transactionMs) });
    } else if (step.seen === version && rnd() >= s.conflict) {
      version++;
      committed++;
      numbered += step.batch;
      for (const arrivedAt of waiting[step.task].splice(0, step.batch)) waits.push(step.at - arrivedAt);
      startAttempt(step.task, step.at, 1);
    } else {
      cancelled++;
      const backoff = rnd() * 20 * step.attempt;
      steps.push({
        at: step.at + backoff + vary(s.readMs),
        task: step.task,
        kind: "read",
        seen: -2,
        batch: step.batch,
        attempt: step.attempt + 1,
      });
    }
  }
  const secs = s.seconds;
  return {
    numberedPerSecond: numbered / secs,
    transactionsPerSecond: committed / secs,
    cancelledShare: cancelled / Math.max(1, cancelled + committed),
    waitP50: waits.length ? percentile(waits, 50) : NaN,
    waitP99: waits.length ? percentile(waits, 99) : NaN,
  };
}

const section: BenchSection = async ({ quick }) => {
  const rows: BenchRow[] = [];
  const seconds = quick ? 5 : 30;
  const batchLabel = "one invoice per transaction (before)";
  const compare = (
    label: string,
    scenario: Omit<NumberingScenario, "maxBatch" | "seconds">,
    pick: (r: NumberingResult) => number,
    unit: string,
    digits = 0,
  ) => {
    const batched = simulateNumbering({ ...scenario, maxBatch: MAX_NUMBERING_BATCH, seconds });
    const single = simulateNumbering({ ...scenario, maxBatch: 1, seconds });
    rows.push({
      section: "numbering (simulated)",
      figure: label,
      value: round(pick(batched), digits),
      unit,
      baseline: { label: batchLabel, value: round(pick(single), digits) },
    });
  };
  const numbered = (r: NumberingResult) => r.numberedPerSecond;
  for (const tasks of [1, 8, 32]) {
    compare(
      `capacity, ${tasks} task(s), read 5 ms, transaction 10 ms, 1 % conflicts`,
      { tasks, readMs: 5, transactionMs: 10, conflict: 0.01, offeredPerSecond: Infinity },
      numbered,
      "invoices/s",
    );
  }
  compare(
    "capacity, 8 tasks, read 10 ms, transaction 25 ms, 5 % conflicts",
    { tasks: 8, readMs: 10, transactionMs: 25, conflict: 0.05, offeredPerSecond: Infinity },
    numbered,
    "invoices/s",
  );
  const atTarget = { tasks: 8, readMs: 5, transactionMs: 10, conflict: 0.01, offeredPerSecond: 1000 };
  compare("1,000 orders/s offered, 8 tasks: numbered", atTarget, numbered, "invoices/s");
  compare("1,000 orders/s offered, 8 tasks: wait for a number p50", atTarget, (r) => r.waitP50, "ms");
  compare("1,000 orders/s offered, 8 tasks: wait for a number p99", atTarget, (r) => r.waitP99, "ms");
  compare(
    "1,000 orders/s offered, 8 tasks: counter writes (2 WCU each; one item takes 1,000 WCU/s)",
    atTarget,
    (r) => r.transactionsPerSecond * 2,
    "WCU/s",
  );
  compare("1,000 orders/s offered, 8 tasks: cancelled transactions", atTarget, (r) => r.cancelledShare * 100, "%", 1);
  // Closed form for the saturated counter: one commit per read + transaction round-trip.
  const round15 = 1000 / (5 + 10);
  rows.push({
    section: "numbering (closed form)",
    figure: "ceiling: commits/s x invoices per commit, read 5 ms + transaction 10 ms",
    value: round(round15 * MAX_NUMBERING_BATCH, 0),
    unit: "invoices/s",
    baseline: { label: batchLabel, value: round(round15, 0) },
  });
  return rows;
};

export default section;
