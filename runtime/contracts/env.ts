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
  emailConfigurationSet: "EMAIL_CONFIGURATION_SET",
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
  /** Which task definition the worker runs (a hash the stack also exports): the smoke's probe receipt names it. */
  workerRelease: "WORKER_RELEASE",
  /** Threads rendering PDFs; unset: one per whole vCPU of the task. */
  workerRenderThreads: "WORKER_RENDER_THREADS",
  /** The task's CPU units (1024 = 1 vCPU), set by the stack: ECS gives a container no CPU count of its own. */
  workerTaskCpuUnits: "WORKER_TASK_CPU_UNITS",
  notifyClaimLeaseSeconds: "NOTIFY_CLAIM_LEASE_SECONDS",
  logLevel: "LOG_LEVEL",
  /** The shop's currency when an order names none (ISO 4217). */
  shopCurrency: "SHOP_CURRENCY",
  /** The shop's language (ISO 639-1): product names are snapshotted on orders in it. */
  shopLanguage: "SHOP_LANGUAGE",
  /** The payment provider orders are paid with: "stripe". */
  paymentProvider: "PAYMENT_PROVIDER",
  /** Secrets Manager secret (name or ARN) holding the provider's keys as JSON: {"secretKey", "webhookSecret"}. */
  paymentSecretId: "PAYMENT_SECRET_ID",
  /** Local only: the provider's API base URL (the stand-in); unset in a stack, where the SDK's default host is used. */
  paymentApiBaseUrl: "PAYMENT_API_BASE_URL",
  /** Minutes an order may await payment before it expires (its payment is cancelled). */
  paymentExpiryMinutes: "PAYMENT_EXPIRY_MINUTES",
} as const;

/** Log levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Prefix under which invoice PDFs live in the bucket; the notifier ignores every other key. */
export const INVOICE_PREFIX = "invoices/";
/** Only finished invoices wake the notifier. */
export const INVOICE_SUFFIX = ".pdf";
/** Deterministic object key of an order's invoice, so a redelivered message overwrites, never duplicates. */
export const invoiceKey = (orderId: string): string => `${INVOICE_PREFIX}${orderId}${INVOICE_SUFFIX}`;
