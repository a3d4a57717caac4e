/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` every `everyMs` until it returns something truthy or `timeoutMs` has passed, and
 * returns its last result: the caller asserts on it, so a timeout fails with the real value.
 */
export async function waitUntil<T>(probe: () => T | Promise<T>, timeoutMs: number, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value || Date.now() >= end) return value;
    await sleep(everyMs);
  }
}
