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
  sellerName: "SELLER_NAME",
  sellerAddress: "SELLER_ADDRESS",
  /** ISO 3166-1 alpha-2 of the seller's establishment: the tax engine's origin. */
  sellerCountry: "SELLER_COUNTRY",
  /** The seller's VAT ID (USt-IdNr.): printed, and sent to VIES as the requester. */
  sellerVatId: "SELLER_VAT_ID",
  /** The seller's national tax number (Steuernummer), printed when set. */
  sellerTaxNumber: "SELLER_TAX_NUMBER",
  /** Trade register entry and court, e.g. "Amtsgericht Charlottenburg, HRB 123456 B". */
  sellerRegister: "SELLER_REGISTER",
  /** Managing directors, as printed ("Erika Mustermann, Max Mustermann"). */
  sellerDirectors: "SELLER_DIRECTORS",
  sellerEmail: "SELLER_EMAIL",
  /** "true" when the shop is registered for the EU's One-Stop Shop: EU consumers abroad pay their country's VAT. */
  ossRegistered: "SHOP_OSS_REGISTERED",
  /** What the shop sells: "goods" (intra-Community supplies, exports) or "services" (reverse charge). */
  supplyKind: "SHOP_SUPPLY_KIND",
  /** What checkout does when VIES gives no answer about a buyer's VAT ID: "charge-vat" or "hold". */
  vatCheckPolicy: "VAT_CHECK_POLICY",
  /** Local only: VIES's REST API at the stand-in; unset in a stack (the EU's service). */
  viesApiBaseUrl: "VIES_API_BASE_URL",
  /** How long checkout waits for VIES, in milliseconds. */
  viesTimeoutMs: "VIES_TIMEOUT_MS",
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
  /** The stack's EventBridge bus for business events (runtime/events.ts). */
  eventBusName: "EVENT_BUS_NAME",
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
/** Where credit-note PDFs live: under the notifier's prefix, beside no invoice (the invoice key pattern does not match). */
export const CREDIT_NOTE_PREFIX = `${INVOICE_PREFIX}credit-notes/`;
/** Deterministic object key of a credit note's PDF, so a redelivered message overwrites, never duplicates. */
export const creditNoteKey = (creditNoteId: string): string => `${CREDIT_NOTE_PREFIX}${creditNoteId}${INVOICE_SUFFIX}`;
