import { z } from "zod";

import { SETTING_DEFAULTS as D } from "./contracts/defaults";
import { ENV, LOG_LEVELS, type LogLevel } from "./contracts/env";
import { isMemberState } from "./domain/tax/member-states";
import { parseVatId } from "./domain/vat-id";

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
  [ENV.logLevel]: z.enum(LOG_LEVELS).default(D.logLevel),
});

const optionalText = () => z.string().trim().optional();
const sellerCountry = () =>
  z
    .string({ required_error: `${ENV.sellerCountry} is not set` })
    .regex(/^[A-Z]{2}$/, `${ENV.sellerCountry} must be an ISO 3166-1 alpha-2 code such as DE`)
    .refine((c) => isMemberState(c), `${ENV.sellerCountry} must be an EU member state (GR for Greece): the tax rules are the EU's`);
const sellerVatId = () =>
  optionalText().superRefine((v, ctx) => {
    if (!v) return;
    const parsed = parseVatId(v);
    if (!parsed.ok) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${ENV.sellerVatId} is not a valid VAT ID: ${parsed.message}` });
  });

const seller = () => ({
  [ENV.sellerName]: str(ENV.sellerName),
  [ENV.sellerAddress]: str(ENV.sellerAddress),
  [ENV.sellerCountry]: sellerCountry(),
  [ENV.sellerVatId]: sellerVatId(),
  [ENV.sellerTaxNumber]: optionalText(),
  [ENV.sellerRegister]: optionalText(),
  [ENV.sellerDirectors]: optionalText(),
  [ENV.sellerEmail]: z.string().trim().email(`${ENV.sellerEmail} must be an email address`).optional(),
});

const bool = (name: string, dflt: boolean) =>
  z
    .enum(["true", "false"], { errorMap: () => ({ message: `${name} must be true or false` }) })
    .default(dflt ? "true" : "false")
    .transform((v) => v === "true");

// Built by functions: each process reads its settings once, at start.
const apiSchema = () =>
  z.object({
    ...common(),
    [ENV.ordersQueueUrl]: str(ENV.ordersQueueUrl).url(`${ENV.ordersQueueUrl} must be a URL`),
    [ENV.invoicesBucket]: str(ENV.invoicesBucket),
    [ENV.sellerCountry]: sellerCountry(),
    [ENV.sellerVatId]: sellerVatId(),
    [ENV.ossRegistered]: bool(ENV.ossRegistered, D.ossRegistered),
    [ENV.supplyKind]: z
      .enum(["goods", "services"], { errorMap: () => ({ message: `${ENV.supplyKind} must be goods or services` }) })
      .default(D.supplyKind),
    [ENV.vatCheckPolicy]: z
      .enum(["charge-vat", "hold"], { errorMap: () => ({ message: `${ENV.vatCheckPolicy} must be charge-vat or hold` }) })
      .default(D.vatCheckPolicy),
    [ENV.viesApiBaseUrl]: z.string().trim().url(`${ENV.viesApiBaseUrl} must be a URL`).optional(),
    [ENV.viesTimeoutMs]: int(ENV.viesTimeoutMs, 100, 20_000, D.viesTimeoutMs),
    [ENV.linkKeyId]: str(ENV.linkKeyId),
    [ENV.presignTtlSeconds]: int(ENV.presignTtlSeconds, 10, 3600, D.presignTtlSeconds),
    [ENV.shopCurrency]: z
      .string()
      .regex(/^[A-Z]{3}$/, `${ENV.shopCurrency} must be an ISO 4217 code such as EUR`)
      .default(D.shopCurrency),
    [ENV.shopLanguage]: z
      .string()
      .regex(/^[a-z]{2}$/, `${ENV.shopLanguage} must be an ISO 639-1 code such as de`)
      .default(D.shopLanguage),
    [ENV.paymentProvider]: z
      .literal("stripe", { errorMap: () => ({ message: `${ENV.paymentProvider} must be stripe` }) })
      .default(D.paymentProvider),
    [ENV.paymentSecretId]: str(ENV.paymentSecretId),
    [ENV.paymentApiBaseUrl]: z.string().trim().url(`${ENV.paymentApiBaseUrl} must be a URL`).optional(),
    [ENV.paymentExpiryMinutes]: int(ENV.paymentExpiryMinutes, 5, 7 * 24 * 60, D.paymentExpiryMinutes),
  });

const workerSchema = () =>
  z.object({
    ...common(),
    ...seller(),
    [ENV.ordersQueueUrl]: str(ENV.ordersQueueUrl).url(`${ENV.ordersQueueUrl} must be a URL`),
    [ENV.invoicesBucket]: str(ENV.invoicesBucket),
    [ENV.workerConcurrency]: int(ENV.workerConcurrency, 1, 64, D.workerConcurrency),
    [ENV.workerWaitSeconds]: int(ENV.workerWaitSeconds, 0, 20, D.workerWaitSeconds),
    [ENV.workerBatchSize]: int(ENV.workerBatchSize, 1, 10, D.workerBatchSize),
    [ENV.workerMessageBudgetSeconds]: int(ENV.workerMessageBudgetSeconds, 5, 900, D.workerMessageBudgetSeconds),
    [ENV.workerRelease]: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, `${ENV.workerRelease} must be 1-64 of A-Z a-z 0-9 _ . -`)
      .optional(),
  });

const notifierSchema = () =>
  z.object({
    ...common(),
    ...seller(),
    [ENV.invoicesBucket]: str(ENV.invoicesBucket),
    [ENV.emailSender]: str(ENV.emailSender).email(`${ENV.emailSender} must be an email address`),
    [ENV.emailConfigurationSet]: str(ENV.emailConfigurationSet),
    [ENV.linkKeyId]: str(ENV.linkKeyId),
    [ENV.linkBaseUrl]: str(ENV.linkBaseUrl).url(`${ENV.linkBaseUrl} must be a URL`),
    [ENV.linkTtlDays]: int(ENV.linkTtlDays, 7, 365, D.linkTtlDays),
    [ENV.notifyClaimLeaseSeconds]: int(ENV.notifyClaimLeaseSeconds, 1, 3600, NOTIFY_CLAIM_LEASE_DEFAULT_SECONDS),
  });

const emailEventsSchema = () => z.object({ ...common() });

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

/** The seller printed on invoices and emails: its full legal identity (EU VAT Directive Art. 226, § 14 UStG, § 35a GmbHG). */
export interface Seller {
  readonly name: string;
  readonly addressLines: string[];
  /** ISO 3166-1 alpha-2 of the establishment. */
  readonly country: string;
  /** The VAT ID, normalized (DE123456788). */
  readonly vatId?: string;
  /** The national tax number. */
  readonly taxNumber?: string;
  /** Trade register entry and court. */
  readonly register?: string;
  /** Managing directors. */
  readonly directors?: string;
  readonly email?: string;
}

function toSeller(e: z.infer<ReturnType<typeof workerSchema>> | z.infer<ReturnType<typeof notifierSchema>>): Seller {
  return {
    name: e[ENV.sellerName],
    // Multi-line addresses travel through one env var, lines separated by "|" or newlines.
    addressLines: e[ENV.sellerAddress].split(/\s*(?:\||\n)\s*/).filter(Boolean),
    country: e[ENV.sellerCountry],
    vatId: normalizedVatId(e[ENV.sellerVatId]),
    taxNumber: e[ENV.sellerTaxNumber] || undefined,
    register: e[ENV.sellerRegister] || undefined,
    directors: e[ENV.sellerDirectors] || undefined,
    email: e[ENV.sellerEmail] || undefined,
  };
}

/** A VAT ID the settings checked already, in its normalized form. */
function normalizedVatId(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const parsed = parseVatId(v);
  return parsed.ok ? parsed.vatId.full : undefined;
}

/** What checkout needs to decide the VAT rules of an order. */
export interface TaxSettings {
  readonly sellerCountry: string;
  /** The seller's VAT ID: VIES's requester, without which it gives no consultation number. */
  readonly sellerVatId?: string;
  readonly ossRegistered: boolean;
  readonly supplyKind: "goods" | "services";
  readonly vatCheckPolicy: "charge-vat" | "hold";
  /** Local only: the VIES stand-in. */
  readonly viesApiBaseUrl?: string;
  readonly viesTimeoutMs: number;
}

/** Settings of the order API Lambda (POST/GET orders, invoice links). */
export interface ApiSettings {
  readonly region: string;
  readonly ordersTable: string;
  readonly ordersQueueUrl: string;
  readonly invoicesBucket: string;
  readonly tax: TaxSettings;
  readonly linkKeyId: string;
  readonly presignTtlSeconds: number;
  /** The currency of an order that names none. */
  readonly shopCurrency: string;
  /** The language product names are snapshotted in. */
  readonly shopLanguage: string;
  readonly paymentProvider: "stripe";
  /** The Secrets Manager secret with the provider's keys (PaymentSecret JSON). */
  readonly paymentSecretId: string;
  /** Local only: the provider's API at the stand-in. */
  readonly paymentApiBaseUrl?: string;
  /** How long an order may await payment before it expires. */
  readonly paymentExpiryMinutes: number;
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
  /** The task definition's release (set by the stack, and locally by npm start); a probe's receipt names it. */
  readonly release?: string;
  readonly logLevel: LogLevel;
}
/** Settings of the email notifier Lambda. */
export interface NotifierSettings {
  readonly region: string;
  readonly ordersTable: string;
  readonly invoicesBucket: string;
  readonly sender: string;
  /** The SES configuration set every send names: it publishes the email's delivery, bounce and complaint events. */
  readonly configurationSet: string;
  readonly seller: Seller;
  readonly linkKeyId: string;
  readonly linkBaseUrl: string;
  readonly linkTtlDays: number;
  /** How long a claim to send an email protects it; after that a retry may send (at-least-once). */
  readonly claimLeaseSeconds: number;
  readonly logLevel: LogLevel;
}

/** Reads and validates the API Lambda's settings. */
export function loadApiSettings(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const e = parse(apiSchema(), env, "order API");
  return {
    region: e[ENV.region],
    ordersTable: e[ENV.ordersTable],
    ordersQueueUrl: e[ENV.ordersQueueUrl],
    invoicesBucket: e[ENV.invoicesBucket],
    tax: {
      sellerCountry: e[ENV.sellerCountry],
      sellerVatId: normalizedVatId(e[ENV.sellerVatId]),
      ossRegistered: e[ENV.ossRegistered],
      supplyKind: e[ENV.supplyKind],
      vatCheckPolicy: e[ENV.vatCheckPolicy],
      viesApiBaseUrl: e[ENV.viesApiBaseUrl] || undefined,
      viesTimeoutMs: e[ENV.viesTimeoutMs],
    },
    linkKeyId: e[ENV.linkKeyId],
    presignTtlSeconds: e[ENV.presignTtlSeconds],
    shopCurrency: e[ENV.shopCurrency],
    shopLanguage: e[ENV.shopLanguage],
    paymentProvider: e[ENV.paymentProvider],
    paymentSecretId: e[ENV.paymentSecretId],
    paymentApiBaseUrl: e[ENV.paymentApiBaseUrl] || undefined,
    paymentExpiryMinutes: e[ENV.paymentExpiryMinutes],
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
    release: e[ENV.workerRelease],
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
    configurationSet: e[ENV.emailConfigurationSet],
    seller: toSeller(e),
    linkKeyId: e[ENV.linkKeyId],
    linkBaseUrl: e[ENV.linkBaseUrl].replace(/\/+$/, ""),
    linkTtlDays: e[ENV.linkTtlDays],
    claimLeaseSeconds: e[ENV.notifyClaimLeaseSeconds],
    logLevel: e[ENV.logLevel],
  };
}

/** Settings of the email events Lambda (SES delivery, bounce and complaint events). */
export interface EmailEventsSettings {
  readonly region: string;
  readonly ordersTable: string;
  readonly logLevel: LogLevel;
}

/** Reads and validates the email events Lambda's settings. */
export function loadEmailEventsSettings(env: NodeJS.ProcessEnv = process.env): EmailEventsSettings {
  const e = parse(emailEventsSchema(), env, "email events");
  return { region: e[ENV.region], ordersTable: e[ENV.ordersTable], logLevel: e[ENV.logLevel] };
}
