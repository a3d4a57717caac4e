/**
 * Builds a value on first use and keeps it for the process. For zod schemas: one is immutable, and
 * building the order schemas costs about 0.4 ms, too much to pay on every request, message and read.
 */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
