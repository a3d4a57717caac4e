import { randomUUID } from "node:crypto";
import type { S3Event } from "aws-lambda";
import { SendEmailCommand, type SESClient } from "@aws-sdk/client-ses";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { once } from "../memo";
import { OrderStore, type OrderRecord } from "../domain/store";
import { formatVatIn, interpolate, messages, moneyFormatterIn, t, taxNoteIn, type Lang, type MessageKey } from "../i18n";
import { type NotifierSettings } from "../settings";
import { INVOICE_PREFIX } from "../contracts/env";
import { EMAIL_KIND_TAG, ORDER_ID_TAG } from "../contracts/email-events";
import { invoiceLink, type LinkSigner } from "../invoices/link";
import { errorFields, type Logger } from "../log";
import { refusedByService } from "../clients";
import { type MetricsEmitter } from "../metrics";
import { METRICS } from "../contracts/metrics";
import { ORDER_ID_PATTERN } from "../domain/ids";
import { emailSentEvent } from "../domain/events";
import { publishCommitted, type EventPublisher } from "../events";

/** What the email notifier needs from the outside world. */
export interface NotifierDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly ses: SESClient;
  readonly links: LinkSigner;
  readonly settings: NotifierSettings;
  readonly now: () => Date;
  readonly log: Logger;
  readonly metrics: MetricsEmitter;
  /** Identifies one attempt's claim. @default random UUID */
  readonly newClaimId?: () => string;
  /** Waits between tries of the NOTIFIED write. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Publishes email.sent for other systems (runtime/events.ts). @default none: nothing is published */
  readonly events?: EventPublisher;
}

/** The part of an S3 event record the notifier reads. */
const s3RecordSchema = () =>
  z.object({
    eventName: z.string(),
    s3: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string() }) }),
  });
/** An S3 notification as Lambda receives it; a `s3:TestEvent` has no Records. */
export const s3EventSchema = once(() => z.object({ Records: z.array(s3RecordSchema()).optional(), Event: z.string().optional() }));

/** The invoice arrived before the worker committed INVOICED; retrying later will succeed. */
export class InvoiceNotCommitted extends Error {
  override name = "InvoiceNotCommitted";
}

/**
 * Another attempt holds a live claim on this order and has not recorded NOTIFIED: it may be
 * sending right now, or it died. Failing the event (not counting it as done) makes a later
 * delivery, after the lease, send the email: a claim is never read as "sent".
 */
export class ClaimHeld extends Error {
  override name = "ClaimHeld";
}

/** SES accepted the email but NOTIFIED could not be recorded; the claim is kept so no retry sends before the lease ends. */
export class NotifiedNotRecorded extends Error {
  override name = "NotifiedNotRecorded";
}

/** Some records failed; thrown after every record was tried so the event is retried. */
export class NotificationFailures extends Error {
  override name = "NotificationFailures";
  constructor(readonly failures: { key: string; error: string }[]) {
    super(`${failures.length} invoice notification(s) failed: ${failures.map((f) => `${f.key} (${f.error})`).join(", ")}`);
  }
}

/** S3 sends keys form-encoded ("invoices%2Ford_1.pdf", spaces as "+"). */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

const INVOICE_KEY = new RegExp(`^${INVOICE_PREFIX}(${ORDER_ID_PATTERN})\\.pdf$`);
/** The order an invoice object belongs to; undefined for any other key. */
export const orderIdOfInvoiceKey = (key: string): string | undefined => INVOICE_KEY.exec(key)?.[1];
/** How often and how long to re-read an order whose invoice is stored but not yet committed. */
const COMMIT_WAIT_STEPS = 5;
const COMMIT_WAIT_MS = 100;
/** Tries of the NOTIFIED write once SES has accepted (each with the SDK's own retries), and the first pause between them. */
const NOTIFIED_WRITE_TRIES = 5;
const NOTIFIED_WRITE_PAUSE_MS = 200;

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Subject, text and HTML of the invoice email, in `lang`. */
export function composeInvoiceEmail(
  rec: OrderRecord,
  link: string,
  sellerName: string,
  linkTtlDays: number,
  lang: Lang = rec.order.lang ?? "en",
) {
  const o = rec.order;
  const fm = moneyFormatterIn(o.currency, lang);
  const number = String(rec.invoiceNumber);
  const greeting = t(lang, "emailGreeting", { name: o.customer.name ?? o.shippingAddress.name });
  const subject = t(lang, "emailSubject", { number, seller: sellerName });
  const itemsNet = o.lines.reduce((sum, l) => sum + l.lineTotalMinor, 0);
  // The VAT per rate, as the invoice's breakdown has it; an untaxed group shows its code ("0 % (K)") and its note below.
  const vat = o.tax.groups.map((g) => [t(lang, "taxWithRate", { rate: formatVatIn(g, lang) }), g.taxMinor] as const);
  const notes = o.tax.notes.map((note) => taxNoteIn(note, lang));
  const amounts: [label: string, amount: string][] = [
    [t(lang, "emailItems"), fm(itemsNet)],
    [t(lang, "emailShipping"), `${fm(o.shipping.priceMinor)} (${o.shipping.name})`],
    [t(lang, "subtotal"), fm(o.subtotalMinor)],
    ...vat.map(([label, amount]): [string, string] => [label, fm(amount)]),
    [t(lang, "total"), fm(o.totalMinor)],
  ];
  // The amounts line up in a monospaced reader: each "label:" padded to the longest.
  const colon = (label: string) => t(lang, "labelColon", { label });
  const width = Math.max(...amounts.map(([label]) => colon(label).length)) + 1;
  const lines = [
    greeting,
    "",
    t(lang, "emailInvoiceReady", { orderId: o.orderId, number }),
    "",
    ...amounts.map(([label, amount]) => `${colon(label).padEnd(width)}${amount}`),
    ...(notes.length ? ["", ...notes] : []),
    "",
    `${colon(t(lang, "emailDownload"))} ${link}`,
    t(lang, "emailLinkValidity", { days: linkTtlDays }),
    "",
    sellerName,
  ];
  // Templates are escaped before the (already escaped) HTML fragments go into their placeholders.
  const html = (key: MessageKey, values: Record<string, string | number> = {}) => interpolate(escapeHtml(messages(lang)[key]), values);
  const row = (label: string, amount: string) => `<tr><td>${label}</td><td align="right">${amount}</td></tr>`;
  const body = `<!doctype html><html><body style="font-family:sans-serif">
<p>${escapeHtml(greeting)}</p>
<p>${html("emailInvoiceReady", { orderId: `<code>${escapeHtml(o.orderId)}</code>`, number: `<strong>${escapeHtml(rec.invoiceNumber ?? "")}</strong>` })}</p>
<table cellpadding="4">
${row(html("emailItems"), escapeHtml(fm(itemsNet)))}
${row(`${html("emailShipping")} (${escapeHtml(o.shipping.name)})`, escapeHtml(fm(o.shipping.priceMinor)))}
${row(html("subtotal"), escapeHtml(fm(o.subtotalMinor)))}
${vat.map(([label, amount]) => row(escapeHtml(label), escapeHtml(fm(amount)))).join("\n")}
${row(`<strong>${html("total")}</strong>`, `<strong>${escapeHtml(fm(o.totalMinor))}</strong>`)}
</table>
${notes.map((note) => `<p><strong>${escapeHtml(note)}</strong></p>`).join("\n")}
<p><a href="${escapeHtml(link)}">${html("emailDownload")}</a> &mdash; ${html("emailLinkValidityInline", { days: linkTtlDays })}</p>
<p>${escapeHtml(sellerName)}</p>
</body></html>`;
  return { subject, text: lines.join("\n"), html: body };
}

/** What happened to one record. */
export type RecordOutcome = "sent" | "ignored" | "already-notified" | "unknown-order";

/** Handles one invoice object: claim, mail, mark NOTIFIED; never mails twice for one invoice. */
export async function notifyInvoice(key: string, deps: NotifierDeps): Promise<RecordOutcome> {
  const orderId = orderIdOfInvoiceKey(key);
  if (!orderId) return "ignored";
  const log = deps.log.child({ orderId });
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  let rec = await store.get(orderId);
  // The PDF lands a moment before the worker commits INVOICED: wait briefly before failing the event.
  for (let i = 0; rec?.status === "PAID" && rec.invoiceNumber && i < COMMIT_WAIT_STEPS; i++) {
    await new Promise((r) => setTimeout(r, COMMIT_WAIT_MS));
    rec = await store.get(orderId);
  }
  if (!rec) {
    log.warn("invoice for an unknown order; nothing to send", { key });
    return "unknown-order";
  }
  if (rec.status === "NOTIFIED") return "already-notified";
  if (rec.status !== "INVOICED") throw new InvoiceNotCommitted(`order ${orderId} is ${rec.status}, not yet INVOICED`);
  const s = deps.settings;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const claimId = (deps.newClaimId ?? randomUUID)();
  if (!(await store.claimNotification(orderId, deps.now(), s.claimLeaseSeconds * 1000, claimId))) {
    // A parallel delivery usually finishes within moments: wait for its NOTIFIED before failing the event.
    let now = await store.get(orderId);
    for (let i = 0; now?.status === "INVOICED" && i < COMMIT_WAIT_STEPS * 2; i++) {
      await sleep(COMMIT_WAIT_MS * 2);
      now = await store.get(orderId);
    }
    if (now?.status === "NOTIFIED") return "already-notified";
    log.warn("invoice email claimed by another attempt that has not finished; retrying later", { claimedAt: now?.notifyClaimedAt });
    throw new ClaimHeld(`order ${orderId}: another attempt holds the email claim since ${now?.notifyClaimedAt}`);
  }
  const expires = Math.floor(deps.now().getTime() / 1000) + s.linkTtlDays * 86400;
  const link = await invoiceLink(deps.links, s.linkBaseUrl, orderId, expires).catch(async (e) => {
    await store.releaseNotification(orderId, claimId).catch(() => undefined); // nothing was sent
    throw e;
  });
  const mail = composeInvoiceEmail(rec, link, s.seller.name, s.linkTtlDays);
  let messageId: string | undefined;
  try {
    const sent = await deps.ses.send(
      new SendEmailCommand({
        Source: s.sender,
        // The customer's address, or the one the back office corrected it to (npm run resend).
        Destination: { ToAddresses: [rec.emailTo ?? rec.order.customer.email] },
        Message: {
          Subject: { Data: mail.subject, Charset: "UTF-8" },
          Body: { Text: { Data: mail.text, Charset: "UTF-8" }, Html: { Data: mail.html, Charset: "UTF-8" } },
        },
        // The set publishes the email's delivery, bounce and complaint; its events carry these tags back.
        ConfigurationSetName: s.configurationSet,
        Tags: [
          { Name: EMAIL_KIND_TAG, Value: "invoice" },
          { Name: ORDER_ID_TAG, Value: orderId },
        ],
      }),
    );
    messageId = sent.MessageId;
  } catch (e) {
    if (refusedByService(e)) {
      // SES refused it (4xx): certainly not sent, so a retry may send at once.
      await store.releaseNotification(orderId, claimId).catch(() => undefined);
    } else {
      // A timeout or 5xx: SES may have accepted it. Keep the claim; a retry after the lease sends (at-least-once).
      log.error("invoice email may or may not have been sent; a retry after the claim lease sends it", {
        alarm: "email-outcome-unknown",
        leaseSeconds: s.claimLeaseSeconds,
        ...errorFields(e),
      });
    }
    throw e;
  }
  // SES accepted: never release the claim now; record NOTIFIED, retrying through a brown-out.
  let notifiedAt = deps.now();
  for (let attempt = 1; ; attempt++) {
    try {
      notifiedAt = deps.now();
      await store.markNotified(orderId, notifiedAt, messageId);
      break;
    } catch (e) {
      if (attempt >= NOTIFIED_WRITE_TRIES) {
        log.error("invoice email sent but NOTIFIED not recorded; a retry after the claim lease may send it again", {
          alarm: "email-notified-unrecorded",
          messageId,
          ...errorFields(e),
        });
        throw new NotifiedNotRecorded(`order ${orderId}: email ${messageId} sent, NOTIFIED not recorded`);
      }
      await sleep(NOTIFIED_WRITE_PAUSE_MS * 2 ** (attempt - 1));
    }
  }
  log.info("invoice email sent", { invoiceNumber: rec.invoiceNumber, messageId });
  if (messageId) await publishCommitted(deps.events, emailSentEvent(orderId, "invoice", messageId, notifiedAt.toISOString()), log);
  const props = { orderId, invoiceNumber: rec.invoiceNumber };
  deps.metrics.emit(METRICS.emailsSent, 1, {}, props);
  // A re-send is the back office's, days later: it says nothing about the pipeline's latency.
  if (!rec.resendRequestedAt)
    deps.metrics.emit(METRICS.orderToEmailLatency, Math.max(0, deps.now().getTime() - Date.parse(rec.order.createdAt)), {}, props);
  return "sent";
}

/**
 * The S3 ObjectCreated handler: every record, not only the first. Failures are collected and
 * thrown at the end so the event is retried; records already done are skipped on the retry.
 */
export async function handleS3Event(event: unknown, deps: NotifierDeps): Promise<Record<RecordOutcome, number>> {
  const parsed = s3EventSchema().parse(event) as S3Event & { Event?: string };
  const counts: Record<RecordOutcome, number> = { sent: 0, ignored: 0, "already-notified": 0, "unknown-order": 0 };
  const failures: { key: string; error: string }[] = [];
  for (const r of parsed.Records ?? []) {
    const key = decodeS3Key(r.s3.object.key);
    if (!r.eventName.startsWith("ObjectCreated") || r.s3.bucket.name !== deps.settings.invoicesBucket) {
      counts.ignored++;
      continue;
    }
    try {
      counts[await notifyInvoice(key, deps)]++;
    } catch (e) {
      deps.log.error("notification failed", { key, ...errorFields(e) });
      deps.metrics.emit(METRICS.emailsFailed, 1, {}, { key, errorName: e instanceof Error ? e.name : "Error" });
      failures.push({ key, error: e instanceof Error ? e.name : "Error" });
    }
  }
  if (failures.length) throw new NotificationFailures(failures);
  return counts;
}
