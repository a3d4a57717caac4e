import { INVOICE_PREFIX } from "../runtime/settings";

/** Pure decisions of the data stores, tested without Pulumi. */

/** The invoices' lifecycle: optional move to STANDARD_IA, optional expiry, old versions pruned (when versioned), stray uploads aborted. */
export function lifecycleRule(archiveAfterDays: number, expireAfterDays: number, noncurrentVersionExpireDays: number | undefined) {
  return {
    id: "invoices",
    status: "Enabled",
    filter: { prefix: INVOICE_PREFIX },
    transitions: archiveAfterDays > 0 ? [{ days: archiveAfterDays, storageClass: "STANDARD_IA" }] : [],
    ...(expireAfterDays > 0 ? { expiration: { days: expireAfterDays } } : {}),
    ...(noncurrentVersionExpireDays !== undefined ? { noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpireDays } } : {}),
    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
  };
}
