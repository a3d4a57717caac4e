import { motoSentEmails } from "./moto";
import { escapeHtml } from "../runtime/handlers/email-notifier";

/** One email as the local inbox shows it. */
export interface InboxEmail {
  readonly id: string;
  readonly from: string;
  readonly to: string[];
  readonly subject: string;
  /** When the local pipeline first saw it (moto keeps no timestamp). */
  readonly receivedAt: string;
  readonly html: string;
  readonly invoiceLink: string | undefined;
}

/** What the launcher (local/moto_server.py) answers at /_local/ses/messages. */
interface SentMessages {
  /** Messages sent since moto started or was reset. */
  readonly total: number;
  readonly messages: Array<{ id: string; source: string; destinations?: { ToAddresses?: string[] }; subject: string; body: string }>;
}

/**
 * The emails SES (moto) accepted, newest first; remembers when each was first seen. Each call
 * fetches only the messages sent since the previous one, not moto's whole state.
 */
export class LocalInbox {
  private mails: InboxEmail[] = [];
  constructor(private readonly endpoint: string) {}

  /** Reads the mail sent since the last call and returns all of it. */
  async list(): Promise<InboxEmail[]> {
    const r = await fetch(`${this.endpoint}/_local/ses/messages?from=${this.mails.length}`);
    let sent: SentMessages;
    if (r.status === 404) {
      // Plain moto_server, without our launcher: only the whole state dump has the mail.
      const all = await motoSentEmails(this.endpoint);
      sent = { total: all.length, messages: all.slice(Math.min(this.mails.length, all.length)) };
    } else if (!r.ok) throw new Error(`moto answered ${r.status} for the sent emails`);
    else sent = (await r.json()) as SentMessages;
    if (sent.total < this.mails.length) {
      // moto was reset: start over.
      this.mails = [];
      return this.list();
    }
    const receivedAt = new Date().toISOString();
    for (const m of sent.messages) {
      const link = /href="([^"]*\/invoices\/[^"]+)"/.exec(m.body)?.[1]?.replace(/&amp;/g, "&");
      this.mails.push({
        id: m.id,
        from: m.source,
        to: m.destinations?.ToAddresses ?? [],
        subject: m.subject,
        receivedAt,
        html: m.body,
        invoiceLink: link,
      });
    }
    return [...this.mails].reverse();
  }
}

/** The inbox as an HTML page; each email's own HTML is shown sandboxed in an iframe. */
export function inboxHtml(mails: InboxEmail[]): string {
  const items = mails
    .map(
      (m) => `<article>
<h2>${escapeHtml(m.subject)}</h2>
<p class="meta">to ${escapeHtml(m.to.join(", "))} &middot; from ${escapeHtml(m.from)} &middot; ${escapeHtml(m.receivedAt)}</p>
${m.invoiceLink ? `<p><a href="${escapeHtml(m.invoiceLink)}">Open the invoice (PDF)</a></p>` : ""}
<iframe sandbox srcdoc="${escapeHtml(m.html)}"></iframe>
</article>`,
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Local inbox (${mails.length})</title>
<meta http-equiv="refresh" content="5">
<style>body{font-family:sans-serif;max-width:860px;margin:2em auto}article{border:1px solid #ccc;border-radius:6px;padding:1em;margin:1em 0}
.meta{color:#666;font-size:90%}iframe{width:100%;height:260px;border:1px solid #eee}</style></head>
<body><h1>Local inbox</h1><p>${mails.length} email(s), newest first. This page refreshes every 5 s.</p>${items || "<p>No email yet. Place an order.</p>"}</body></html>`;
}
