import { CopyObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { OrderStore, type OrderRecord } from "../domain/store";
import { invoiceKey } from "../contracts/env";

/**
 * Re-sending an invoice email (the admin route POST /admin/orders/{orderId}/resend and `npm run resend`):
 * the order goes back to the notifier, which mails the invoice as it did the first time (its claim, a
 * fresh signed link, its configuration set), to the given address; SES's events for the new email then
 * tell the order how it went. The first email stays on record as an earlier one.
 */

/** Hands an order's invoice to the notifier again (it then reads the order and mails it). */
export type Notify = (orderId: string) => Promise<void>;

/**
 * Hands the order's invoice back to the notifier through the bucket, the way the worker first did: the
 * stored PDF is copied onto itself (the same bytes and metadata, marked `resent-at`; a new version, the
 * first one kept under the bucket's retention), which S3 announces to the notifier as ObjectCreated:Copy.
 * The API needs no way to the notifier itself (in the stack the notifier depends on the API's URL).
 */
export function notifyThroughBucket(s3: S3Client, bucket: string, now: () => Date): Notify {
  return async (orderId) => {
    const key = invoiceKey(orderId);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const copy = new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: `${bucket}/${key}`,
      MetadataDirective: "REPLACE",
      Metadata: { ...head.Metadata, "resent-at": now().toISOString() },
      ContentType: head.ContentType ?? "application/pdf",
      ChecksumAlgorithm: "CRC32",
    });
    // The bucket is under Object Lock: a write there names its checksum algorithm as the worker's PutObject does
    // (moto refuses a copy without this header; S3 takes it as the SDK's own note).
    copy.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers["x-amz-sdk-checksum-algorithm"] = "CRC32";
        return next(args);
      },
      { step: "build", name: "objectLockChecksumHeader" },
    );
    await s3.send(copy);
  };
}

/** Why a re-send was refused; nothing was changed. */
export class ResendRefused extends Error {
  override name = "ResendRefused";
  constructor(
    message: string,
    readonly reason: "no-order" | "not-invoiced" | "complained" | "changed" | "too-soon",
    /** For "too-soon": seconds until the next re-send may go. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** What the re-send changed. */
export interface ResendResult {
  readonly orderId: string;
  readonly to: string;
  /** The email it replaces, and what SES had reported for it. */
  readonly previous: { readonly messageId?: string; readonly to: string; readonly status?: string; readonly reason?: string };
}

/** How re-sends are limited. */
export interface ResendPolicy {
  /** The least time between two re-sends of one order, held by a conditional write (0: no limit). */
  readonly minIntervalMs: number;
  /** Whether an INVOICED order (its first email not sent yet, or failed every attempt) may be re-sent too. @default false: NOTIFIED only */
  readonly invoicedToo?: boolean;
}

/** One re-send per order per 10 minutes: the admin route's limit. */
export const ADMIN_RESEND_POLICY: ResendPolicy = { minIntervalMs: 10 * 60_000, invoicedToo: true };

/** Where the order's email went last: the corrected address, or the customer's. */
export const recipientOf = (rec: OrderRecord): string => rec.emailTo ?? rec.order.customer.email;

/** Seconds until `rec` may be re-sent under `policy`; 0 when it may now. */
function waitSeconds(rec: OrderRecord, now: Date, policy: ResendPolicy): number {
  if (!rec.resendRequestedAt || policy.minIntervalMs <= 0) return 0;
  const ms = Date.parse(rec.resendRequestedAt) + policy.minIntervalMs - now.getTime();
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

/**
 * Re-sends an invoiced order's invoice to `to`: reopens it for the notifier (under the policy's limit,
 * by a conditional write) and hands it over. Refuses an order that does not exist or has no invoice
 * emailed (or, with `invoicedToo`, no invoice), a re-send sooner than the limit, and a re-send to an
 * address that complained (marked the invoice as spam).
 */
export async function resendInvoice(
  store: OrderStore,
  orderId: string,
  to: string,
  now: Date,
  notify: Notify,
  policy: ResendPolicy = { minIntervalMs: 0 },
): Promise<ResendResult> {
  const rec = await store.get(orderId);
  if (!rec) throw new ResendRefused(`there is no order ${orderId}`, "no-order");
  const allowed = policy.invoicedToo ? ["INVOICED", "NOTIFIED"] : ["NOTIFIED"];
  if (!allowed.includes(rec.status))
    throw new ResendRefused(
      `order ${orderId} is ${rec.status}: its invoice was not emailed yet, so there is nothing to re-send (an email that failed every attempt waits in the email failure queue: npm run redrive -- --queue email-failures)`,
      "not-invoiced",
    );
  const wait = waitSeconds(rec, now, policy);
  if (wait > 0)
    throw new ResendRefused(
      `order ${orderId}'s invoice was re-sent less than ${policy.minIntervalMs / 60_000} minutes ago`,
      "too-soon",
      wait,
    );
  const previous = { messageId: rec.emailMessageId, to: recipientOf(rec), status: rec.emailStatus, reason: rec.emailFailure?.reason };
  if (rec.emailFailure?.event === "Complaint" && to.toLowerCase() === previous.to.toLowerCase())
    throw new ResendRefused(
      `the recipient of order ${orderId} marked its invoice email as spam: do not mail that address again`,
      "complained",
    );
  const notBefore = new Date(now.getTime() - policy.minIntervalMs);
  const reopened =
    rec.status === "NOTIFIED" ? await store.reopenForResend(rec, to, now, notBefore) : await store.requestResend(rec, to, now, notBefore);
  if (!reopened) {
    const again = await store.get(orderId);
    const later = again ? waitSeconds(again, now, policy) : 0;
    if (later > 0) throw new ResendRefused(`order ${orderId}'s invoice was just re-sent by someone else`, "too-soon", later);
    throw new ResendRefused(`order ${orderId} changed meanwhile: run the re-send again`, "changed");
  }
  await notify(orderId);
  return { orderId, to, previous };
}

/** The S3 notification of an invoice PDF, as S3 sends it when the worker stores it: what the notifier acts on. */
export function invoiceCreatedEvent(bucket: string, orderId: string, region: string, now = new Date()) {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: region,
        eventTime: now.toISOString(),
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          // S3 form-encodes keys, "/" included.
          object: { key: encodeURIComponent(invoiceKey(orderId)) },
        },
      },
    ],
  };
}
