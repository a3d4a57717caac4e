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
