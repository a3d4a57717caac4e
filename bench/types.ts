/**
 * One figure of `npm run bench`: a measured value next to the baseline it is judged against,
 * both taken in the same run on the same machine. Figures are printed, never asserted.
 */
export interface BenchRow {
  /** The section the figure belongs to (e.g. "lambda archive", "rendering"). */
  readonly section: string;
  /** What was measured, in a few words. */
  readonly figure: string;
  /** The measured value, already rounded for display. */
  readonly value: number | string;
  /** Unit of `value` and of the baseline's value ("ms", "KiB", "invoices/s", "$"). */
  readonly unit: string;
  /** The same figure for the baseline, when there is one. */
  readonly baseline?: { readonly label: string; readonly value: number | string };
}

/** Options every bench section receives. */
export interface BenchOptions {
  /** `--quick`: fewer repetitions, smaller loads; the whole bench stays under a minute. */
  readonly quick: boolean;
}

/** A bench section: measures and returns its rows. */
export type BenchSection = (opts: BenchOptions) => Promise<BenchRow[]>;

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The p-th percentile (0..100) of a non-empty list, nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Rounds to `digits` significant decimals for display. */
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
