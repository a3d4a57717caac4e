import { z } from "zod";

/**
 * The environment variables every part of the pipeline reads, named in one place.
 * The Pulumi components and the local pipeline set them; the runtime only reads them.
 */
export const ENV = {
  region: "AWS_REGION",
  endpoint: "AWS_ENDPOINT_URL",
  ordersTable: "ORDERS_TABLE",
  ordersQueueUrl: "ORDERS_QUEUE_URL",
  invoicesBucket: "INVOICES_BUCKET",
  emailSender: "EMAIL_SENDER",
  taxRateBps: "TAX_RATE_BPS",
  sellerName: "SELLER_NAME",
  sellerAddress: "SELLER_ADDRESS",
  sellerTaxId: "SELLER_TAX_ID",
  sellerEmail: "SELLER_EMAIL",
  linkKeyId: "INVOICE_LINK_KEY_ID",
  linkBaseUrl: "INVOICE_LINK_BASE_URL",
  linkTtlDays: "INVOICE_LINK_TTL_DAYS",
  presignTtlSeconds: "INVOICE_PRESIGN_TTL_SECONDS",
  workerConcurrency: "WORKER_CONCURRENCY",
  workerWaitSeconds: "WORKER_WAIT_SECONDS",
  workerBatchSize: "WORKER_BATCH_SIZE",
  workerMessageBudgetSeconds: "WORKER_MESSAGE_BUDGET_SECONDS",
  workerIntakeGraceSeconds: "WORKER_INTAKE_GRACE_SECONDS",
  notifyClaimLeaseSeconds: "NOTIFY_CLAIM_LEASE_SECONDS",
  logLevel: "LOG_LEVEL",
} as const;

/** Prefix under which invoice PDFs live in the bucket; the notifier ignores every other key. */
export const INVOICE_PREFIX = "invoices/";
/** Deterministic object key of an order's invoice, so a redelivered message overwrites, never duplicates. */
export const invoiceKey = (orderId: string): string => `${INVOICE_PREFIX}${orderId}.pdf`;
/**
 * How long a notifier attempt's email claim blocks other attempts: longer than one attempt runs (the function's
 * timeout), and over before Lambda's last asynchronous retry, 3 minutes after the first attempt, which then sends.
 */
export const NOTIFY_CLAIM_LEASE_DEFAULT_SECONDS = 120;
/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

const str = (name: string) =>
  z
    .string({ required_error: `${name} is not set` })
    .trim()
    .min(1, `${name} is empty`);
const int = (name: string, min: number, max: number, dflt: number) =>
  z.coerce
    .number({ invalid_type_error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`)
    .default(dflt);

const common = () => ({
  [ENV.region]: str(ENV.region).default("us-east-1"),
  [ENV.ordersTable]: str(ENV.ordersTable),
  [ENV.logLevel]: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

const seller = () => ({
  [ENV.sellerName]: str(ENV.sellerName),
  [ENV.sellerAddress]: str(ENV.sellerAddress),
  [ENV.sellerTaxId]: z.string().trim().optional(),
  [ENV.sellerEmail]: z.string().trim().email(`${ENV.sellerEmail} must be an email address`).optional(),
});

// Built by functions: each process reads its settings once, at start.
const apiSchema = () =>
  z.object({
    ...common(),
    [ENV.ordersQueueUrl]: str(ENV.ordersQueueUrl).url(`${ENV.ordersQueueUrl} must be a URL`),
    [ENV.invoicesBucket]: str(ENV.invoicesBucket),
    [ENV.taxRateBps]: int(ENV.taxRateBps, 0, 10_000, 0),
    [ENV.linkKeyId]: str(ENV.linkKeyId),
    [ENV.presignTtlSeconds]: int(ENV.presignTtlSeconds, 10, 3600, 300),
  });

const workerSchema = () =>
  z.object({
    ...common(),
    ...seller(),
    [ENV.ordersQueueUrl]: str(ENV.ordersQueueUrl).url(`${ENV.ordersQueueUrl} must be a URL`),
    [ENV.invoicesBucket]: str(ENV.invoicesBucket),
    [ENV.workerConcurrency]: int(ENV.workerConcurrency, 1, 64, 4),
    [ENV.workerWaitSeconds]: int(ENV.workerWaitSeconds, 0, 20, 20),
    [ENV.workerBatchSize]: int(ENV.workerBatchSize, 1, 10, 10),
    [ENV.workerMessageBudgetSeconds]: int(ENV.workerMessageBudgetSeconds, 5, 900, 60),
    [ENV.workerIntakeGraceSeconds]: int(ENV.workerIntakeGraceSeconds, 1, 3600, 60),
  });

const notifierSchema = () =>
  z.object({
    ...common(),
    ...seller(),
    [ENV.invoicesBucket]: str(ENV.invoicesBucket),
    [ENV.emailSender]: str(ENV.emailSender).email(`${ENV.emailSender} must be an email address`),
    [ENV.linkKeyId]: str(ENV.linkKeyId),
    [ENV.linkBaseUrl]: str(ENV.linkBaseUrl).url(`${ENV.linkBaseUrl} must be a URL`),
    [ENV.linkTtlDays]: int(ENV.linkTtlDays, 7, 365, 30),
    [ENV.notifyClaimLeaseSeconds]: int(ENV.notifyClaimLeaseSeconds, 1, 3600, NOTIFY_CLAIM_LEASE_DEFAULT_SECONDS),
  });

/** Raised at start-up when the environment is incomplete; lists every problem at once. */
export class SettingsError extends Error {
  override name = "SettingsError";
}

function parse<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv, part: string): z.infer<T> {
  const r = schema.safeParse(env);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `  - ${i.message}`).join("\n");
    throw new SettingsError(`${part}: invalid settings:\n${problems}`);
  }
  return r.data;
}

/** The seller printed on invoices and emails. */
export interface Seller {
  readonly name: string;
  readonly addressLines: string[];
  readonly taxId?: string;
  readonly email?: string;
}

function toSeller(e: z.infer<ReturnType<typeof workerSchema>> | z.infer<ReturnType<typeof notifierSchema>>): Seller {
  return {
    name: e[ENV.sellerName],
    // Multi-line addresses travel through one env var, lines separated by "|" or newlines.
    addressLines: e[ENV.sellerAddress].split(/\s*(?:\||\n)\s*/).filter(Boolean),
    taxId: e[ENV.sellerTaxId] || undefined,
    email: e[ENV.sellerEmail] || undefined,
  };
}

/** Settings of the order API Lambda (POST/GET orders, invoice links). */
export interface ApiSettings {
  readonly region: string;
  readonly ordersTable: string;
  readonly ordersQueueUrl: string;
  readonly invoicesBucket: string;
  readonly taxRateBps: number;
  readonly linkKeyId: string;
  readonly presignTtlSeconds: number;
  readonly logLevel: LogLevel;
}
/** Settings of the ECS invoice worker. */
export interface WorkerSettings {
  readonly region: string;
  readonly ordersTable: string;
  readonly ordersQueueUrl: string;
  readonly invoicesBucket: string;
  readonly seller: Seller;
  readonly concurrency: number;
  readonly waitSeconds: number;
  readonly batchSize: number;
  readonly messageBudgetSeconds: number;
  /** How long after an intake attempt began its order may stay unconfirmed before the worker drops its message. */
  readonly intakeGraceSeconds: number;
  readonly logLevel: LogLevel;
}
/** Settings of the email notifier Lambda. */
export interface NotifierSettings {
  readonly region: string;
  readonly ordersTable: string;
  readonly invoicesBucket: string;
  readonly sender: string;
  readonly seller: Seller;
  readonly linkKeyId: string;
  readonly linkBaseUrl: string;
  readonly linkTtlDays: number;
  /** How long a claim to send an email protects it; after that a retry may send (at-least-once). */
  readonly claimLeaseSeconds: number;
  readonly logLevel: LogLevel;
}
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Reads and validates the API Lambda's settings. */
export function loadApiSettings(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const e = parse(apiSchema(), env, "order API");
  return {
    region: e[ENV.region],
    ordersTable: e[ENV.ordersTable],
    ordersQueueUrl: e[ENV.ordersQueueUrl],
    invoicesBucket: e[ENV.invoicesBucket],
    taxRateBps: e[ENV.taxRateBps],
    linkKeyId: e[ENV.linkKeyId],
    presignTtlSeconds: e[ENV.presignTtlSeconds],
    logLevel: e[ENV.logLevel],
  };
}

/** Reads and validates the invoice worker's settings. */
export function loadWorkerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const e = parse(workerSchema(), env, "invoice worker");
  return {
    region: e[ENV.region],
    ordersTable: e[ENV.ordersTable],
    ordersQueueUrl: e[ENV.ordersQueueUrl],
    invoicesBucket: e[ENV.invoicesBucket],
    seller: toSeller(e),
    concurrency: e[ENV.workerConcurrency],
    waitSeconds: e[ENV.workerWaitSeconds],
    batchSize: e[ENV.workerBatchSize],
    messageBudgetSeconds: e[ENV.workerMessageBudgetSeconds],
    intakeGraceSeconds: e[ENV.workerIntakeGraceSeconds],
    logLevel: e[ENV.logLevel],
  };
}

/** Reads and validates the email notifier's settings. */
export function loadNotifierSettings(env: NodeJS.ProcessEnv = process.env): NotifierSettings {
  const e = parse(notifierSchema(), env, "email notifier");
  return {
    region: e[ENV.region],
    ordersTable: e[ENV.ordersTable],
    invoicesBucket: e[ENV.invoicesBucket],
    sender: e[ENV.emailSender],
    seller: toSeller(e),
    linkKeyId: e[ENV.linkKeyId],
    linkBaseUrl: e[ENV.linkBaseUrl].replace(/\/+$/, ""),
    linkTtlDays: e[ENV.linkTtlDays],
    claimLeaseSeconds: e[ENV.notifyClaimLeaseSeconds],
    logLevel: e[ENV.logLevel],
  };
}
