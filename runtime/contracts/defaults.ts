import type { LogLevel } from "./env";

/**
 * The default of every setting that both a stack's config (components/config.ts) and a process's
 * environment (runtime/settings.ts) can leave out, written once. A stack always sets these in
 * the environment it deploys; the runtime falls back to the same values when run by hand.
 */
export const SETTING_DEFAULTS = {
  logLevel: "info" satisfies LogLevel,
  presignTtlSeconds: 300,
  linkTtlDays: 30,
  workerConcurrency: 4,
  workerMessageBudgetSeconds: 60,
  /** SQS's longest long-poll, also the worker's drain arithmetic (invoice-container/drain.ts). */
  workerWaitSeconds: 20,
  /** SQS's largest receive batch. */
  workerBatchSize: 10,
  shopCurrency: "EUR",
  shopLanguage: "en",
  paymentProvider: "stripe",
  paymentExpiryMinutes: 30,
  ossRegistered: false,
  supplyKind: "goods",
  vatCheckPolicy: "charge-vat",
  /** VIES's wait at checkout: with Stripe after it (3 s, one retry) it stays inside the order API's 10 s. */
  viesTimeoutMs: 2000,
} as const;
