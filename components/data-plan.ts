import { INVOICE_PREFIX } from "../runtime/contracts/env";

/** Pure decisions of the data stores, tested without Pulumi. */

/**
 * The invoices' lifecycle: optional expiry, old versions pruned (when versioned), stray uploads
 * aborted. No STANDARD_IA transition: S3 skips objects under 128 KB by default, and were it forced
 * (objectSizeGreaterThan) STANDARD_IA bills each object as 128 KB, so a ~55 KB invoice would cost
 * more there (plus a per-object transition fee), not less.
 */
export function lifecycleRule(expireAfterDays: number, noncurrentVersionExpireDays: number | undefined) {
  return {
    id: "invoices",
    status: "Enabled",
    filter: { prefix: INVOICE_PREFIX },
    ...(expireAfterDays > 0 ? { expiration: { days: expireAfterDays } } : {}),
    ...(noncurrentVersionExpireDays !== undefined ? { noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpireDays } } : {}),
    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
  };
}

/**
 * How long each jurisdiction's law keeps an issued invoice, with the statute that says so. Written
 * 2026-12-05 from the cited provisions without re-reading them online (these machines have no
 * internet): a tax adviser should confirm an entry before a shop relies on it. Every period runs
 * from the end of the year of issue (calendar or financial year), not from the day it was stored.
 */
export const INVOICE_RETENTION_LAW = {
  DE: {
    years: 8,
    fromYearEnd: true,
    source:
      "§14b Abs. 1 UStG and §147 Abs. 1 Nr. 4, Abs. 3 AO: 8 years for invoices and Buchungsbelege since 2025-01-01 (Viertes Bürokratieentlastungsgesetz), from the end of the calendar year of issue",
  },
  AT: {
    years: 7,
    fromYearEnd: true,
    source:
      "§132 Abs. 1 BAO (with §11 Abs. 2 UStG 1994): 7 years from the end of the calendar year; 22 years for invoices on immovable property",
  },
  FR: {
    years: 10,
    fromYearEnd: true,
    source:
      "Code de commerce art. L123-22: 10 years for accounting records and supporting documents, from the close of the financial year (the tax right of inspection, LPF art. L102 B, is 6 years: the longer one governs)",
  },
} as const satisfies Record<string, { years: number; fromYearEnd: boolean; source: string }>;

/** A jurisdiction whose invoice retention period the table above holds. */
export type RetentionJurisdiction = keyof typeof INVOICE_RETENTION_LAW;
/** The Object Lock modes: COMPLIANCE (nobody, root included, can shorten or delete) or GOVERNANCE (s3:BypassGovernanceRetention can). */
export const OBJECT_LOCK_MODES = ["COMPLIANCE", "GOVERNANCE"] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

/** The invoices bucket's default Object Lock retention: exactly one of `years` and `days`. */
export type ObjectLockRetention = { readonly mode: ObjectLockMode } & ({ readonly years: number } | { readonly days: number });

/**
 * The default retention for a jurisdiction, or `days` when set (dev's short governance lock). S3
 * counts a default retention from each version's upload, the law from the end of the year of
 * issue: one year more covers an invoice issued on 1 January until the law's 31 December.
 */
export function invoiceRetention(jurisdiction: RetentionJurisdiction, mode: ObjectLockMode, days?: number): ObjectLockRetention {
  if (days !== undefined) return { mode, days };
  const law = INVOICE_RETENTION_LAW[jurisdiction];
  return { mode, years: law.years + (law.fromYearEnd ? 1 : 0) };
}

/** The shortest default retention that covers the law's period, in days (a year counted as 365, the lower bound S3 uses). */
export function legalRetentionDays(jurisdiction: RetentionJurisdiction): number {
  const r = invoiceRetention(jurisdiction, "COMPLIANCE") as { years: number };
  return r.years * 365;
}

/** Days a default retention lasts at least (years as 365 days). */
export function retentionDays(r: ObjectLockRetention): number {
  return "days" in r ? r.days : r.years * 365;
}
