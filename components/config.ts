import { z } from "zod";
import type { WorkerSizing } from "./worker-tier";
import type { SenderIdentityConfig } from "./sender-identity";
import { SETTING_DEFAULTS as D } from "../runtime/contracts/defaults";
import { LOG_LEVELS, type LogLevel } from "../runtime/contracts/env";
import { fargateMemoryFits } from "./scaling";
import type { SellerConfig, TaxConfig } from "./environment";
import { isMemberState } from "../runtime/contracts/member-states";
import { WORKER_WAIT_SECONDS, drainFitsStopTimeout, maxDrainableBudgetSeconds } from "../invoice-container/drain";
import {
  INVOICE_RETENTION_LAW,
  OBJECT_LOCK_MODES,
  invoiceRetention,
  legalRetentionDays,
  retentionDays,
  type ObjectLockRetention,
  type RetentionJurisdiction,
} from "./data-plan";

/**
 * The stack's settings: every key the Pulumi program reads, parsed once into a typed StackConfig.
 * No Pulumi import here, so the local pipeline can parse Pulumi.<stack>.yaml with the same function.
 */

/** The Pulumi project name; stack files spell keys `shop-backend:<key>`. */
export const PROJECT = "shop-backend";
/** Prefix of every resource name of a stack; the local pipeline uses it too. */
export function resourcePrefix(stack: string): string {
  return `shop-${stack}`;
}

/** A production stack ("prod" or "prod-..."): stricter rules apply, e.g. someone must receive the alarms. */
export function isProductionStack(stack: string): boolean {
  return stack === "prod" || stack.startsWith("prod-");
}

/** The provider key that names the region. */
export const REGION_KEY = "aws:region";

/** Retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
/** How the SES sender identity comes to be (components/sender-identity.ts SenderIdentityKind). */
export const SENDER_IDENTITY_KINDS = ["address", "domain", "external"] as const;
/** Payment providers the order API can take payments with. */
export const PAYMENT_PROVIDERS = [D.paymentProvider] as const;
/**
 * Keys whose values are credentials: set only with `pulumi config set --secret` (never committed in
 * plain text), required for a deploy, optional locally (the local pipeline makes its own per run).
 */
export const SECRET_CONFIG_KEYS = ["stripeSecretKey", "stripeWebhookSecret"] as const;
/** Task CPU units Fargate offers. */
export const FARGATE_CPU = [256, 512, 1024, 2048, 4096] as const;

/** Raised when the stack's configuration is incomplete or contradictory; lists every problem at once. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
}

// YAML gives booleans and numbers; `pulumi.Config.get` gives strings. Both are accepted.
const bool = (dflt: boolean) =>
  z.preprocess(
    (v) => (v === "true" ? true : v === "false" ? false : v),
    z.boolean({ invalid_type_error: "must be true or false" }).default(dflt),
  );
const int = (min: number, max: number, dflt?: number) => {
  const n = z.coerce
    .number({ invalid_type_error: "must be a whole number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
  return dflt === undefined ? n : n.default(dflt);
};
const text = () => z.string({ required_error: "is required" }).trim().min(1, "must not be empty");
const email = () => text().email("must be an email address");
const optionalText = () =>
  z
    .string()
    .trim()
    .optional()
    .transform((s) => s || undefined);

/** The keys of the project namespace, with their rules and defaults. Built by a function: zod objects stay out of module scope. */
const keySchema = () =>
  z
    .object({
      // The seller and the mail
      emailSender: email(),
      emailIdentity: z.enum(SENDER_IDENTITY_KINDS).default("address"),
      emailIdentityVerified: bool(false),
      emailMailFromSubdomain: z
        .string()
        .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i, "must be one DNS label such as mail")
        .default("mail"),
      sellerName: text(),
      sellerAddress: text(),
      // The seller's legal identity, printed on every invoice (EU VAT Directive Art. 226, § 14 UStG, § 35a GmbHG).
      sellerCountry: z
        .string({ required_error: "is required: the ISO 3166-1 alpha-2 code of the seller's establishment, such as DE" })
        .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as DE")
        .refine((c) => isMemberState(c), "must be an EU member state (GR for Greece): the tax rules are the EU's"),
      // Its shape here; its check digits when the functions start (runtime/settings.ts, with the maintained library).
      sellerVatId: optionalText().pipe(
        z
          .string()
          .regex(
            /^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[A-Z0-9+*]{2,13}$/,
            "must be an EU VAT ID: its country prefix (EL for Greece), then the number, no spaces, such as DE123456788",
          )
          .optional(),
      ),
      sellerTaxNumber: optionalText(),
      sellerRegister: optionalText(),
      sellerDirectors: optionalText(),
      sellerEmail: optionalText().pipe(z.string().email("must be an email address").optional()),
      // Tax: rates come from runtime/domain/tax/vat-rates.json by product category, destination and date.
      ossRegistered: bool(D.ossRegistered),
      supplyKind: z.enum(["goods", "services"]).default(D.supplyKind),
      vatCheckPolicy: z.enum(["charge-vat", "hold"]).default(D.vatCheckPolicy),
      logLevel: z.enum(LOG_LEVELS).default(D.logLevel),
      logRetentionDays: z.coerce
        .number()
        .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of ${LOG_RETENTION_DAYS.join(", ")}`)
        .default(30),
      alarmEmail: optionalText().pipe(z.string().email("must be an email address").optional()),
      // Order API
      apiMemoryMb: int(128, 10_240, 512),
      apiTimeoutSeconds: int(1, 29, 10),
      apiThrottleRateLimit: int(1, 10_000, 50),
      apiThrottleBurstLimit: int(1, 5_000, 100),
      apiGatewayAccountLogsRole: bool(true),
      cognitoEmailViaSes: bool(false),
      passwordSignIn: bool(true),
      invoicePresignTtlSeconds: int(10, 3600, D.presignTtlSeconds),
      // The shop and its payments
      shopCurrency: z
        .string()
        .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR")
        .default(D.shopCurrency),
      paymentProvider: z.enum(PAYMENT_PROVIDERS).default(D.paymentProvider),
      paymentExpiryMinutes: int(5, 24 * 60, D.paymentExpiryMinutes),
      // Secrets (pulumi config set --secret): plain strings here; index.ts wraps them as secret Outputs.
      // The messages never echo a value: these are credentials.
      stripeSecretKey: optionalText().pipe(
        z
          .string()
          .regex(/^(sk|rk)_(live|test)_\w+$/, "must be a Stripe secret or restricted key (sk_live_..., sk_test_..., rk_...)")
          .optional(),
      ),
      stripeWebhookSecret: optionalText().pipe(
        z
          .string()
          .regex(/^whsec_\w+$/, "must be a Stripe webhook signing secret (whsec_...)")
          .optional(),
      ),
      // Email notifier
      notifierMemoryMb: int(128, 10_240, 256),
      notifierTimeoutSeconds: int(1, 900, 30),
      invoiceLinkTtlDays: int(7, 365, D.linkTtlDays),
      // The account's SES maximum send rate (emails/s): the sandbox's is 1; production access starts at 14.
      sesMaxSendRate: int(1, 100_000, 1),
      // Data stores
      bucketVersioning: bool(true),
      invoiceExpireAfterDays: int(0, 36_500, 0),
      noncurrentVersionExpireDays: int(1, 3650, 30),
      deletionProtection: bool(true),
      pointInTimeRecovery: bool(true),
      // Invoice retention (S3 Object Lock): the law's period by jurisdiction, or a number of days (dev's short lock).
      // GOVERNANCE by default: a new stack is not locked for years by accident; a production stack must say COMPLIANCE.
      invoiceRetentionJurisdiction: z
        .enum(Object.keys(INVOICE_RETENTION_LAW) as [RetentionJurisdiction, ...RetentionJurisdiction[]])
        .default("DE"),
      invoiceRetentionMode: z.enum(OBJECT_LOCK_MODES).default("GOVERNANCE"),
      invoiceRetentionDays: z.preprocess((v) => (v === "" ? undefined : v), int(1, 36_500).optional()),
      // Queue
      maxReceiveCount: int(1, 1000, 5),
      oldestMessageAlarmSeconds: int(60, 1_209_600, 900),
      // Worker
      workerCpu: z.coerce
        .number()
        .refine((c) => (FARGATE_CPU as readonly number[]).includes(c), `must be one of ${FARGATE_CPU.join(", ")}`)
        .default(512),
      workerMemoryMb: int(512, 30_720, 1024),
      workerArchitecture: z.enum(["x86_64", "arm64"]).default("x86_64"),
      workerSpot: bool(false),
      workerMinTasks: int(0, 100, 0),
      workerMaxTasks: int(1, 100, 4),
      workerConcurrency: int(1, 64, D.workerConcurrency),
      workerMessageBudgetSeconds: int(5, 900, D.workerMessageBudgetSeconds),
      workerBacklogPerTask: int(2, 10_000, 20),
      workerScaleInIdleMinutes: int(1, 60, 5),
      // ECS's account-wide service-linked role: only for a first stack in an account that never ran ECS.
      ecsServiceLinkedRole: bool(false),
      // Network of the worker
      networkMode: z.enum(["public", "private"]).default("private"),
      vpcCidr: z
        .string()
        .regex(/^\d{1,3}\.\d{1,3}\.0\.0\/16$/, "must be a /16 such as 10.40.0.0/16")
        .default("10.40.0.0/16"),
    })
    .strict();

/** Keys the program once read, with what to do instead: a stack file that still sets one is refused with this. */
const RETIRED_KEYS: Readonly<Record<string, string>> = {
  taxRateBps: "is gone: VAT rates come from the rate table by product, destination and date (runtime/domain/tax); remove the key",
  sellerTaxId: "is now sellerVatId (the VAT ID); a national tax number goes in sellerTaxNumber",
};

/** Every key of the project namespace the program reads. */
export const CONFIG_KEYS = Object.keys(keySchema().shape) as readonly (keyof z.infer<ReturnType<typeof keySchema>>)[];

/** The typed settings of one stack. */
export interface StackConfig {
  /** Stack name; also the API stage name and the prefix of resource names. */
  readonly stack: string;
  readonly region: string;
  readonly logLevel: LogLevel;
  readonly logRetentionDays: number;
  /** Where CloudWatch alarms send mail (the topic exists either way); required in a production stack. */
  readonly alarmEmail?: string;
  readonly seller: SellerConfig;
  readonly emailSender: string;
  /** Which SES identity the sender is, whether the stack creates it, and whether SES has verified it. */
  readonly senderIdentity: SenderIdentityConfig;
  /** How the shop's sales are taxed (the rates themselves come from the rate table). */
  readonly tax: TaxConfig;
  readonly shop: {
    /** The shop's currency (ISO 4217) when an order names none. */
    readonly currency: string;
  };
  readonly payment: {
    readonly provider: (typeof PAYMENT_PROVIDERS)[number];
    /** Minutes an order may await payment before the scheduled task expires it. */
    readonly expiryMinutes: number;
    /**
     * The provider's API secret key and webhook signing secret, in plain text: index.ts wraps them with
     * pulumi.secret at once. Always set when parsed with `deploying`; unset locally unless configured.
     */
    readonly stripeSecretKey?: string;
    readonly stripeWebhookSecret?: string;
  };
  readonly api: {
    readonly memoryMb: number;
    readonly timeoutSeconds: number;
    readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
    /** Whether this stack sets the region's API Gateway CloudWatch role, which its access logs need (kept on destroy). */
    readonly manageAccountLogsRole: boolean;
    /** Cognito sends sign-up and recovery mail through SES as `emailSender` (no default sender's daily cap); needs a verified identity. */
    readonly cognitoEmailViaSes: boolean;
    /** The app client allows USER_PASSWORD_AUTH (the README's CLI sign-in); off, clients use SRP or admin sign-in. */
    readonly passwordSignIn: boolean;
    readonly presignTtlSeconds: number;
  };
  readonly notifier: {
    readonly memoryMb: number;
    readonly timeoutSeconds: number;
    readonly linkTtlDays: number;
    /** SES's maximum send rate of the account (emails per second); caps the notifier's concurrency. */
    readonly sesMaxSendRate: number;
  };
  readonly data: {
    readonly bucketVersioning: boolean;
    /** Days until invoices are deleted; 0 keeps them forever. */
    readonly expireAfterDays: number;
    readonly noncurrentVersionExpireDays: number;
    readonly deletionProtection: boolean;
    readonly pointInTimeRecovery: boolean;
    /** The invoices bucket's default Object Lock retention, and the jurisdiction whose law it keeps. */
    readonly retention: ObjectLockRetention;
    readonly retentionJurisdiction: RetentionJurisdiction;
  };
  readonly queue: { readonly maxReceiveCount: number; readonly oldestMessageAlarmSeconds: number };
  readonly worker: WorkerSizing;
  readonly network: { readonly mode: "public" | "private"; readonly vpcCidr: string };
}

/** Domains reserved for documentation and tests (RFC 2606, RFC 6761): mail to or from them is never delivered. */
const RESERVED_MAIL_DOMAIN = /(^|\.)(example|test|invalid|localhost)$|(^|\.)example\.(com|net|org)$/i;

/** Whether an address's domain is reserved (e.g. `invoices@shop.example`): a placeholder, not a mailbox. */
export function isPlaceholderAddress(address: string): boolean {
  return RESERVED_MAIL_DOMAIN.test(address.slice(address.lastIndexOf("@") + 1));
}

/**
 * Addresses a deployed stack cannot use: SES never verifies a sender on a reserved domain (every
 * invoice email would fail), and an alarm subscription there is never confirmed (alarms reach nobody).
 */
function placeholderProblems(c: z.infer<ReturnType<typeof keySchema>>): string[] {
  const keys = { emailSender: c.emailSender, sellerEmail: c.sellerEmail, alarmEmail: c.alarmEmail };
  return Object.entries(keys)
    .filter(([, v]) => v !== undefined && isPlaceholderAddress(v))
    .map(
      ([k, v]) =>
        `${PROJECT}:${k} "${v}" is a placeholder on a reserved domain that receives no mail; ` +
        `set the shop's own address: pulumi config set ${PROJECT}:${k} <address>`,
    );
}

/** A deploy needs the payment provider's keys; each missing one is named with the command that sets it. */
function missingSecrets(c: z.infer<ReturnType<typeof keySchema>>): string[] {
  const what: Record<(typeof SECRET_CONFIG_KEYS)[number], string> = {
    stripeSecretKey: "the Stripe API secret key (sk_live_... or sk_test_...)",
    stripeWebhookSecret: "the Stripe webhook endpoint's signing secret (whsec_...)",
  };
  return SECRET_CONFIG_KEYS.filter((k) => !c[k]).map(
    (k) => `${PROJECT}:${k} is required to deploy: ${what[k]}; set it with: pulumi config set --secret ${PROJECT}:${k} <value>`,
  );
}

/** How a configuration is used. */
export interface ParseOptions {
  /**
   * For `pulumi up`/`preview`: placeholder addresses are refused and the payment secrets are required
   * (the local pipeline accepts placeholders and goes without the secrets). @default false
   */
  readonly deploying?: boolean;
}

/**
 * Parses a stack's raw configuration into a StackConfig. `raw` holds the project's keys with or
 * without the `shop-backend:` prefix, plus `aws:region`; other namespaces are ignored.
 * Unknown project keys are refused, so a misspelt key never silently falls back to its default.
 */
export function parseStackConfig(raw: Record<string, unknown>, stack: string, options: ParseOptions = {}): StackConfig {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || value === null) continue;
    if (key.startsWith(`${PROJECT}:`)) own[key.slice(PROJECT.length + 1)] = value;
    else if (!key.includes(":")) own[key] = value;
  }
  const problems: string[] = [];
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stack))
    problems.push(`stack name "${stack}" must be letters, digits, "-" or "_" (it names the API stage)`);
  const region = raw[REGION_KEY];
  if (typeof region !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    problems.push(`${REGION_KEY} must name an AWS region such as eu-central-1`);

  const parsed = keySchema().safeParse(own);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys.filter((k) => k in RETIRED_KEYS)) problems.push(`${PROJECT}:${k} ${RETIRED_KEYS[k]}`);
        const unknown = issue.keys.filter((k) => !(k in RETIRED_KEYS));
        if (unknown.length) problems.push(`unknown key(s): ${unknown.map((k) => `${PROJECT}:${k}`).join(", ")}`);
      } else problems.push(`${PROJECT}:${issue.path.join(".")} ${issue.message}`);
    }
  } else {
    problems.push(...contradictions(parsed.data));
    if (options.deploying) problems.push(...placeholderProblems(parsed.data), ...missingSecrets(parsed.data));
    if (isProductionStack(stack) && !parsed.data.alarmEmail)
      problems.push(`${PROJECT}:alarmEmail is required in a production stack: alarms must reach a person`);
    if (isProductionStack(stack)) problems.push(...productionRetentionProblems(parsed.data));
  }
  if (problems.length)
    throw new StackConfigError(`stack "${stack}": invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  const c = parsed.success ? parsed.data : (undefined as never);
  return {
    stack,
    region: region as string,
    logLevel: c.logLevel,
    logRetentionDays: c.logRetentionDays,
    alarmEmail: c.alarmEmail,
    seller: {
      name: c.sellerName,
      address: c.sellerAddress,
      country: c.sellerCountry,
      vatId: c.sellerVatId,
      taxNumber: c.sellerTaxNumber,
      register: c.sellerRegister,
      directors: c.sellerDirectors,
      email: c.sellerEmail,
    },
    emailSender: c.emailSender,
    senderIdentity: { kind: c.emailIdentity, verified: c.emailIdentityVerified, mailFromSubdomain: c.emailMailFromSubdomain },
    tax: { ossRegistered: c.ossRegistered, supplyKind: c.supplyKind, vatCheckPolicy: c.vatCheckPolicy },
    shop: { currency: c.shopCurrency },
    payment: {
      provider: c.paymentProvider,
      expiryMinutes: c.paymentExpiryMinutes,
      stripeSecretKey: c.stripeSecretKey,
      stripeWebhookSecret: c.stripeWebhookSecret,
    },
    api: {
      memoryMb: c.apiMemoryMb,
      timeoutSeconds: c.apiTimeoutSeconds,
      throttle: { rateLimit: c.apiThrottleRateLimit, burstLimit: c.apiThrottleBurstLimit },
      manageAccountLogsRole: c.apiGatewayAccountLogsRole,
      cognitoEmailViaSes: c.cognitoEmailViaSes,
      passwordSignIn: c.passwordSignIn,
      presignTtlSeconds: c.invoicePresignTtlSeconds,
    },
    notifier: {
      memoryMb: c.notifierMemoryMb,
      timeoutSeconds: c.notifierTimeoutSeconds,
      linkTtlDays: c.invoiceLinkTtlDays,
      sesMaxSendRate: c.sesMaxSendRate,
    },
    data: {
      bucketVersioning: c.bucketVersioning,
      expireAfterDays: c.invoiceExpireAfterDays,
      noncurrentVersionExpireDays: c.noncurrentVersionExpireDays,
      deletionProtection: c.deletionProtection,
      pointInTimeRecovery: c.pointInTimeRecovery,
      retention: invoiceRetention(c.invoiceRetentionJurisdiction, c.invoiceRetentionMode, c.invoiceRetentionDays),
      retentionJurisdiction: c.invoiceRetentionJurisdiction,
    },
    queue: { maxReceiveCount: c.maxReceiveCount, oldestMessageAlarmSeconds: c.oldestMessageAlarmSeconds },
    worker: {
      cpu: c.workerCpu,
      memoryMb: c.workerMemoryMb,
      architecture: c.workerArchitecture,
      spot: c.workerSpot,
      minTasks: c.workerMinTasks,
      maxTasks: c.workerMaxTasks,
      concurrency: c.workerConcurrency,
      messageBudgetSeconds: c.workerMessageBudgetSeconds,
      backlogPerTask: c.workerBacklogPerTask,
      scaleInIdleMinutes: c.workerScaleInIdleMinutes,
      ecsServiceLinkedRole: c.ecsServiceLinkedRole,
    },
    network: { mode: c.networkMode, vpcCidr: c.vpcCidr },
  };
}

/** Settings that are valid one by one but not together; each message names the keys involved. */
function contradictions(c: z.infer<ReturnType<typeof keySchema>>): string[] {
  const k = (name: string) => `${PROJECT}:${name}`;
  const out: string[] = [];
  // An invoice must carry the seller's VAT ID or tax number (Art. 226 (3), § 14 (4) Nr. 2 UStG), and a VAT ID is its country's.
  if (!c.sellerVatId && !c.sellerTaxNumber)
    out.push(`${k("sellerVatId")} or ${k("sellerTaxNumber")} is required: every invoice must name one of them`);
  const vatPrefix = c.sellerCountry === "GR" ? "EL" : c.sellerCountry;
  if (c.sellerVatId && !c.sellerVatId.startsWith(vatPrefix))
    out.push(
      `${k("sellerVatId")} ${c.sellerVatId} is not a VAT ID of ${k("sellerCountry")} ${c.sellerCountry} (it must start with ${vatPrefix})`,
    );
  if (c.workerMinTasks > c.workerMaxTasks)
    out.push(`${k("workerMinTasks")} (${c.workerMinTasks}) exceeds ${k("workerMaxTasks")} (${c.workerMaxTasks})`);
  if (!fargateMemoryFits(c.workerCpu, c.workerMemoryMb)) {
    out.push(`${k("workerMemoryMb")} ${c.workerMemoryMb} is not a Fargate size for ${k("workerCpu")} ${c.workerCpu}`);
  }
  if (!drainFitsStopTimeout(c.workerMessageBudgetSeconds, WORKER_WAIT_SECONDS)) {
    out.push(
      `${k("workerMessageBudgetSeconds")} (${c.workerMessageBudgetSeconds}) must be at most ${maxDrainableBudgetSeconds()}: a task stopped by a deploy or a Spot interruption must finish its messages within Fargate's 120 s stop timeout`,
    );
  }
  // Fargate Spot runs x86_64 tasks only.
  if (c.workerArchitecture === "arm64" && c.workerSpot)
    out.push(`${k("workerArchitecture")} arm64 cannot run with ${k("workerSpot")} true: Fargate Spot runs x86_64 tasks only`);
  if (c.apiThrottleBurstLimit < c.apiThrottleRateLimit)
    out.push(`${k("apiThrottleBurstLimit")} must be at least ${k("apiThrottleRateLimit")}`);
  if (c.cognitoEmailViaSes && !c.emailIdentityVerified) out.push(unverifiedCognitoSender(c.emailIdentity));
  out.push(...retentionContradictions(c));
  return out;
}

/** Object Lock needs versioning; an expiry before the lock ends would hide invoices the bucket still keeps (and bills). */
function retentionContradictions(c: z.infer<ReturnType<typeof keySchema>>): string[] {
  const k = (name: string) => `${PROJECT}:${name}`;
  const out: string[] = [];
  if (!c.bucketVersioning)
    out.push(
      `${k("bucketVersioning")} must be true: the invoices bucket is under S3 Object Lock (${k("invoiceRetentionMode")}), which needs versioning`,
    );
  const locked = retentionDays(invoiceRetention(c.invoiceRetentionJurisdiction, c.invoiceRetentionMode, c.invoiceRetentionDays));
  if (c.invoiceExpireAfterDays > 0 && c.invoiceExpireAfterDays < locked)
    out.push(
      `${k("invoiceExpireAfterDays")} (${c.invoiceExpireAfterDays}) ends before the invoices' Object Lock retention (${locked} days): ` +
        `expiry would only hide invoices the bucket must keep; set it to 0 (keep) or at least ${locked}`,
    );
  return out;
}

/** A production stack keeps its invoices as the law says: COMPLIANCE mode (no one can delete them early), for at least the law's period. */
function productionRetentionProblems(c: z.infer<ReturnType<typeof keySchema>>): string[] {
  const k = (name: string) => `${PROJECT}:${name}`;
  const out: string[] = [];
  if (c.invoiceRetentionMode !== "COMPLIANCE")
    out.push(
      `${k("invoiceRetentionMode")} must be COMPLIANCE in a production stack: in GOVERNANCE mode a role with s3:BypassGovernanceRetention can delete invoices the law requires kept`,
    );
  const legal = legalRetentionDays(c.invoiceRetentionJurisdiction);
  if (c.invoiceRetentionDays !== undefined && c.invoiceRetentionDays < legal)
    out.push(
      `${k("invoiceRetentionDays")} (${c.invoiceRetentionDays}) is shorter than the law of ${c.invoiceRetentionJurisdiction} requires (${legal} days): ` +
        `remove it to keep ${INVOICE_RETENTION_LAW[c.invoiceRetentionJurisdiction].source.split(":")[0]}'s period`,
    );
  return out;
}

/**
 * Cognito checks its SES sender when the user pool is created or updated (InvalidParameterException
 * "... not verified"): the identity must be verified before that `up`, which a stack that creates
 * the identity in the same `up` cannot have done. The message gives the way out in two steps.
 */
function unverifiedCognitoSender(kind: SenderIdentityConfig["kind"]): string {
  const k = (name: string) => `${PROJECT}:${name}`;
  const verify = {
    address: "click the link SES mails to emailSender",
    domain: "publish the DNS records of the stack output emailDnsRecords",
    external: "verify the address or its domain in SES yourself",
  }[kind];
  const why =
    kind === "external"
      ? `with ${k("emailIdentity")}: external the stack creates no identity and relies on one you verified`
      : `with ${k("emailIdentity")}: ${kind} this stack creates that identity in the same up, so SES cannot have verified it`;
  const byHand =
    kind === "external"
      ? ""
      : ` Verified by hand already? Set emailIdentity: external (the stack then creates none) and emailIdentityVerified: true.`;
  return (
    `${k("cognitoEmailViaSes")} is true but ${k("emailIdentityVerified")} is false: Cognito refuses a user pool whose SES sender is ` +
    `not verified (InvalidParameterException), and ${why}. Two steps: (1) up with cognitoEmailViaSes: false and ${verify}; ` +
    `(2) once SES shows the identity verified, set emailIdentityVerified: true and cognitoEmailViaSes: true and up again.${byHand}`
  );
}
