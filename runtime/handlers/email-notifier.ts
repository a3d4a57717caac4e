import { randomUUID } from "node:crypto";
import type { S3Event } from "aws-lambda";
import { SendEmailCommand, type SESClient } from "@aws-sdk/client-ses";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { once } from "../memo";
import { OrderStore, isIssued, type IssuedCreditNoteRecord, type OrderRecord } from "../domain/store";
import type { PricedOrder } from "../domain/order";
import { formatVatIn, interpolate, messages, moneyFormatterIn, t, taxNoteIn, type Lang, type MessageKey } from "../i18n";
import { type NotifierSettings } from "../settings";
import { CREDIT_NOTE_PREFIX, INVOICE_PREFIX } from "../contracts/env";
import { EMAIL_KIND_TAG, ORDER_ID_TAG } from "../contracts/email-events";
import { invoiceLink, type LinkSigner } from "../invoices/link";
import { errorFields, type Logger } from "../log";
import { refusedByService } from "../clients";
import { type MetricsEmitter } from "../metrics";
import { METRICS } from "../contracts/metrics";
import { CREDIT_NOTE_ID_PATTERN, ORDER_ID_PATTERN } from "../domain/ids";
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
const CREDIT_NOTE_KEY = new RegExp(`^${CREDIT_NOTE_PREFIX}(${CREDIT_NOTE_ID_PATTERN})\\.pdf$`);
/** The credit note a credit-note object is the PDF of; undefined for any other key. */
export const creditNoteIdOfKey = (key: string): string | undefined => CREDIT_NOTE_KEY.exec(key)?.[1];
/** How often and how long to re-read an order whose invoice is stored but not yet committed. */
const COMMIT_WAIT_STEPS = 5;
const COMMIT_WAIT_MS = 100;
/** Tries of the NOTIFIED write once SES has accepted (each with the SDK's own retries), and the first pause between them. */
const NOTIFIED_WRITE_TRIES = 5;
const NOTIFIED_WRITE_PAUSE_MS = 200;

/** Escapes text for HTML content and attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** One amount row of a document email: the text form, and the HTML form when it differs (HTML-escaped). */
interface AmountRow {
  readonly label: string;
  readonly amount: string;
  readonly html?: readonly [label: string, amount: string];
}

/**
 * Text and HTML of a document's email: greeting, the intro sentence (`intro` with `values` in text,
 * `htmlValues`, already escaped, in HTML), the amounts in one column, the tax notes, the link, the seller.
 */
function documentEmail(
  lang: Lang,
  m: {
    greeting: string;
    intro: MessageKey;
    values: Record<string, string>;
    htmlValues: Record<string, string>;
    rows: readonly AmountRow[];
    notes: readonly string[];
    download: MessageKey;
    link: string;
    sellerName: string;
    linkTtlDays: number;
  },
): { text: string; html: string } {
  // The amounts line up in a monospaced reader: each "label:" padded to the longest.
  const colon = (label: string) => t(lang, "labelColon", { label });
  const width = Math.max(...m.rows.map((r) => colon(r.label).length)) + 1;
  const lines = [
    m.greeting,
    "",
    interpolate(messages(lang)[m.intro], m.values),
    "",
    ...m.rows.map((r) => `${colon(r.label).padEnd(width)}${r.amount}`),
    ...(m.notes.length ? ["", ...m.notes] : []),
    "",
    `${colon(messages(lang)[m.download])} ${m.link}`,
    t(lang, "emailLinkValidity", { days: m.linkTtlDays }),
    "",
    m.sellerName,
  ];
  // Templates are escaped before the (already escaped) HTML fragments go into their placeholders.
  const html = (key: MessageKey, values: Record<string, string | number> = {}) => interpolate(escapeHtml(messages(lang)[key]), values);
  const row = (r: AmountRow) => {
    const [label, amount] = r.html ?? [escapeHtml(r.label), escapeHtml(r.amount)];
    return `<tr><td>${label}</td><td align="right">${amount}</td></tr>`;
  };
  const body = `<!doctype html><html><body style="font-family:sans-serif">
<p>${escapeHtml(m.greeting)}</p>
<p>${html(m.intro, m.htmlValues)}</p>
<table cellpadding="4">
${m.rows.map(row).join("\n")}
</table>
${m.notes.map((note) => `<p><strong>${escapeHtml(note)}</strong></p>`).join("\n")}
<p><a href="${escapeHtml(m.link)}">${html(m.download)}</a> &mdash; ${html("emailLinkValidityInline", { days: m.linkTtlDays })}</p>
<p>${escapeHtml(m.sellerName)}</p>
</body></html>`;
  return { text: lines.join("\n"), html: body };
}

/** The amount rows of an invoice or credit note: items and shipping (net, when there is shipping), subtotal, VAT per rate, `totalKey`. */
function amountRows(
  lang: Lang,
  d: { lines: readonly { lineTotalMinor: number }[]; shipping?: { name: string; priceMinor: number }; currency: string },
  totals: { subtotalMinor: number; totalMinor: number; tax: PricedOrder["tax"] },
  totalKey: MessageKey,
): AmountRow[] {
  const fm = moneyFormatterIn(d.currency, lang);
  const itemsNet = d.lines.reduce((sum, l) => sum + l.lineTotalMinor, 0);
  const total = messages(lang)[totalKey];
  return [
    { label: t(lang, "emailItems"), amount: fm(itemsNet) },
    ...(d.shipping
      ? [
          {
            label: t(lang, "emailShipping"),
            amount: `${fm(d.shipping.priceMinor)} (${d.shipping.name})`,
            html: [
              `${escapeHtml(t(lang, "emailShipping"))} (${escapeHtml(d.shipping.name)})`,
              escapeHtml(fm(d.shipping.priceMinor)),
            ] as const,
          },
        ]
      : []),
    { label: t(lang, "subtotal"), amount: fm(totals.subtotalMinor) },
    // The VAT per rate, as the document's breakdown has it; an untaxed group shows its code ("0 % (K)") and its note below.
    ...totals.tax.groups.map((g) => ({ label: t(lang, "taxWithRate", { rate: formatVatIn(g, lang) }), amount: fm(g.taxMinor) })),
    {
      label: total,
      amount: fm(totals.totalMinor),
      html: [`<strong>${escapeHtml(total)}</strong>`, `<strong>${escapeHtml(fm(totals.totalMinor))}</strong>`] as const,
    },
  ];
}

/** Subject, text and HTML of the invoice email, in `lang`. */
export function composeInvoiceEmail(
  rec: OrderRecord,
  link: string,
  sellerName: string,
  linkTtlDays: number,
  lang: Lang = rec.order.lang ?? "en",
) {
  const o = rec.order;
  const number = String(rec.invoiceNumber);
  const body = documentEmail(lang, {
    greeting: t(lang, "emailGreeting", { name: o.customer.name ?? o.shippingAddress.name }),
    intro: "emailInvoiceReady",
    values: { orderId: o.orderId, number },
    htmlValues: { orderId: `<code>${escapeHtml(o.orderId)}</code>`, number: `<strong>${escapeHtml(rec.invoiceNumber ?? "")}</strong>` },
    rows: amountRows(lang, o, o, "total"),
    notes: o.tax.notes.map((note) => taxNoteIn(note, lang)),
    download: "emailDownload",
    link,
    sellerName,
    linkTtlDays,
  });
  return { subject: t(lang, "emailSubject", { number, seller: sellerName }), ...body };
}

/** Subject, text and HTML of a credit note's email, in `lang` (the order's): its number, the invoice it corrects, the credited amounts. */
export function composeCreditNoteEmail(
  rec: IssuedCreditNoteRecord,
  order: OrderRecord,
  link: string,
  sellerName: string,
  linkTtlDays: number,
  lang: Lang = rec.creditNote.lang ?? order.order.lang ?? "en",
) {
  const o = order.order;
  const c = rec.creditNote;
  const number = rec.creditNoteNumber;
  const invoice = rec.invoiceNumber;
  const strong = (v: string) => `<strong>${escapeHtml(v)}</strong>`;
  const body = documentEmail(lang, {
    greeting: t(lang, "emailGreeting", { name: o.customer.name ?? o.shippingAddress.name }),
    intro: "emailCreditNoteReady",
    values: { orderId: o.orderId, number, invoice },
    htmlValues: { orderId: `<code>${escapeHtml(o.orderId)}</code>`, number: strong(number), invoice: strong(invoice) },
    rows: amountRows(lang, c, c, "emailCreditedTotal"),
    notes: c.tax.notes.map((note) => taxNoteIn(note, lang)),
    download: "emailCreditNoteDownload",
    link,
    sellerName,
    linkTtlDays,
  });
  return { subject: t(lang, "emailCreditNoteSubject", { number, invoice, seller: sellerName }), ...body };
}

/** What happened to one record. */
export type RecordOutcome = "sent" | "ignored" | "already-notified" | "unknown-order";

/**
 * One document's email as the claim -> send -> NOTIFIED flow sees it: the order's invoice (claimed on
 * the order) or a credit note (claimed on its own item). The flow is the same for both.
 */
interface EmailJob {
  /** In log lines and errors: "invoice" or "credit note". */
  readonly what: string;
  /** The EMAIL_KIND_TAG of the send. */
  readonly kind: "invoice" | "credit-note";
  /** Names the claimed item in errors: "order ord_…", "credit note cn_…". */
  readonly subject: string;
  readonly orderId: string;
  readonly to: string;
  claim(now: Date, leaseMs: number, claimId: string): Promise<boolean>;
  release(claimId: string): Promise<void>;
  markNotified(at: Date, messageId: string | undefined): Promise<boolean>;
  /** Reads the item again: is the email still due (and since when claimed), or sent? */
  reread(): Promise<{ due: boolean; notified: boolean; claimedAt?: string }>;
  link(expires: number): Promise<string>;
  compose(link: string): { subject: string; text: string; html: string };
}

/** Claims the job's email, sends it, records NOTIFIED: never twice while the claim is live, never lost if the sender dies. */
async function sendOnce(job: EmailJob, deps: NotifierDeps, log: Logger): Promise<"sent" | "already-notified"> {
  const s = deps.settings;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const claimId = (deps.newClaimId ?? randomUUID)();
  if (!(await job.claim(deps.now(), s.claimLeaseSeconds * 1000, claimId))) {
    // A parallel delivery usually finishes within moments: wait for its NOTIFIED before failing the event.
    let now = await job.reread();
    for (let i = 0; now.due && i < COMMIT_WAIT_STEPS * 2; i++) {
      await sleep(COMMIT_WAIT_MS * 2);
      now = await job.reread();
    }
    if (now.notified) return "already-notified";
    log.warn(`${job.what} email claimed by another attempt that has not finished; retrying later`, { claimedAt: now.claimedAt });
    throw new ClaimHeld(`${job.subject}: another attempt holds the email claim since ${now.claimedAt}`);
  }
  const expires = Math.floor(deps.now().getTime() / 1000) + s.linkTtlDays * 86400;
  const link = await job.link(expires).catch(async (e) => {
    await job.release(claimId).catch(() => undefined); // nothing was sent
    throw e;
  });
  const mail = job.compose(link);
  let messageId: string | undefined;
  try {
    const sent = await deps.ses.send(
      new SendEmailCommand({
        Source: s.sender,
        Destination: { ToAddresses: [job.to] },
        Message: {
          Subject: { Data: mail.subject, Charset: "UTF-8" },
          Body: { Text: { Data: mail.text, Charset: "UTF-8" }, Html: { Data: mail.html, Charset: "UTF-8" } },
        },
        // The set publishes the email's delivery, bounce and complaint; its events carry these tags back.
        ConfigurationSetName: s.configurationSet,
        Tags: [
          { Name: EMAIL_KIND_TAG, Value: job.kind },
          { Name: ORDER_ID_TAG, Value: job.orderId },
        ],
      }),
    );
    messageId = sent.MessageId;
  } catch (e) {
    if (refusedByService(e)) {
      // SES refused it (4xx): certainly not sent, so a retry may send at once.
      await job.release(claimId).catch(() => undefined);
    } else {
      // A timeout or 5xx: SES may have accepted it. Keep the claim; a retry after the lease sends (at-least-once).
      log.error(`${job.what} email may or may not have been sent; a retry after the claim lease sends it`, {
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
      await job.markNotified(notifiedAt, messageId);
      break;
    } catch (e) {
      if (attempt >= NOTIFIED_WRITE_TRIES) {
        log.error(`${job.what} email sent but NOTIFIED not recorded; a retry after the claim lease may send it again`, {
          alarm: "email-notified-unrecorded",
          messageId,
          ...errorFields(e),
        });
        throw new NotifiedNotRecorded(`${job.subject}: email ${messageId} sent, NOTIFIED not recorded`);
      }
      await sleep(NOTIFIED_WRITE_PAUSE_MS * 2 ** (attempt - 1));
    }
  }
  log.info(`${job.what} email sent`, { messageId });
  if (messageId) await publishCommitted(deps.events, emailSentEvent(job.orderId, job.kind, messageId, notifiedAt.toISOString()), log);
  return "sent";
}

/** Handles one object of the bucket: an invoice or a credit note is emailed (once); any other key is ignored. */
export function notifyDocument(key: string, deps: NotifierDeps): Promise<RecordOutcome> {
  const creditNoteId = creditNoteIdOfKey(key);
  return creditNoteId ? notifyCreditNote(creditNoteId, key, deps) : notifyInvoice(key, deps);
}

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
  const invoiced = rec;
  const s = deps.settings;
  const outcome = await sendOnce(
    {
      what: "invoice",
      kind: "invoice",
      subject: `order ${orderId}`,
      orderId,
      // The customer's address, or the one the back office corrected it to (npm run resend).
      to: invoiced.emailTo ?? invoiced.order.customer.email,
      claim: (now, leaseMs, claimId) => store.claimNotification(orderId, now, leaseMs, claimId),
      release: (claimId) => store.releaseNotification(orderId, claimId),
      markNotified: (at, messageId) => store.markNotified(orderId, at, messageId),
      reread: async () => {
        const now = await store.get(orderId);
        return { due: now?.status === "INVOICED", notified: now?.status === "NOTIFIED", claimedAt: now?.notifyClaimedAt };
      },
      link: (expires) => invoiceLink(deps.links, s.linkBaseUrl, orderId, expires),
      compose: (link) => composeInvoiceEmail(invoiced, link, s.seller.name, s.linkTtlDays),
    },
    deps,
    log.child({ invoiceNumber: invoiced.invoiceNumber }),
  );
  if (outcome !== "sent") return outcome;
  const props = { orderId, invoiceNumber: rec.invoiceNumber };
  deps.metrics.emit(METRICS.emailsSent, 1, {}, props);
  // A re-send is the back office's, days later: it says nothing about the pipeline's latency.
  if (!rec.resendRequestedAt)
    deps.metrics.emit(METRICS.orderToEmailLatency, Math.max(0, deps.now().getTime() - Date.parse(rec.order.createdAt)), {}, props);
  return "sent";
}

/**
 * Handles one credit-note object: emails the customer (the order's address, or the one the back office
 * set) the credit note with a signed link, in the order's language; claimed on the credit note's item,
 * so never twice for one credit note.
 */
export async function notifyCreditNote(creditNoteId: string, key: string, deps: NotifierDeps): Promise<RecordOutcome> {
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  let cn = await store.getCreditNote(creditNoteId);
  const log = deps.log.child({ orderId: cn?.orderId, creditNoteId });
  // The PDF lands a moment before the worker commits ISSUED: wait briefly before failing the event.
  for (let i = 0; cn?.status === "REQUESTED" && i < COMMIT_WAIT_STEPS; i++) {
    await new Promise((r) => setTimeout(r, COMMIT_WAIT_MS));
    cn = await store.getCreditNote(creditNoteId);
  }
  if (!cn) {
    log.warn("credit note PDF of an unknown credit note; nothing to send", { key });
    return "unknown-order";
  }
  if (cn.status === "NOTIFIED") return "already-notified";
  if (!isIssued(cn)) throw new InvoiceNotCommitted(`credit note ${creditNoteId} is ${cn.status}, not yet ISSUED`);
  const order = await store.get(cn.orderId);
  if (!order) {
    log.warn("credit note of an unknown order; nothing to send", { key });
    return "unknown-order";
  }
  const issued = cn;
  const s = deps.settings;
  const outcome = await sendOnce(
    {
      what: "credit note",
      kind: "credit-note",
      subject: `credit note ${creditNoteId}`,
      orderId: issued.orderId,
      to: order.emailTo ?? order.order.customer.email,
      claim: (now, leaseMs, claimId) => store.claimCreditNoteNotification(creditNoteId, now, leaseMs, claimId),
      release: (claimId) => store.releaseCreditNoteNotification(creditNoteId, claimId),
      markNotified: (at, messageId) => store.markCreditNoteNotified(creditNoteId, at, messageId),
      reread: async () => {
        const now = await store.getCreditNote(creditNoteId);
        return { due: now?.status === "ISSUED", notified: now?.status === "NOTIFIED", claimedAt: now?.notifyClaimedAt };
      },
      link: (expires) => invoiceLink(deps.links, s.linkBaseUrl, issued.orderId, expires, creditNoteId),
      compose: (link) => composeCreditNoteEmail(issued, order, link, s.seller.name, s.linkTtlDays),
    },
    deps,
    log.child({ creditNoteNumber: issued.creditNoteNumber }),
  );
  if (outcome === "sent")
    deps.metrics.emit(METRICS.emailsSent, 1, {}, { orderId: issued.orderId, creditNoteNumber: issued.creditNoteNumber });
  return outcome;
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
      counts[await notifyDocument(key, deps)]++;
    } catch (e) {
      deps.log.error("notification failed", { key, ...errorFields(e) });
      deps.metrics.emit(METRICS.emailsFailed, 1, {}, { key, errorName: e instanceof Error ? e.name : "Error" });
      failures.push({ key, error: e instanceof Error ? e.name : "Error" });
    }
  }
  if (failures.length) throw new NotificationFailures(failures);
  return counts;
}
