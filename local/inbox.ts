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

/** The emails SES (moto) accepted, newest first; remembers when each was first seen. */
export class LocalInbox {
  private readonly firstSeen = new Map<string, string>();
  constructor(private readonly endpoint: string) {}

  /** Reads the current mail from moto's store. */
  async list(): Promise<InboxEmail[]> {
    const sent = await motoSentEmails(this.endpoint);
    const out = sent.map((m) => {
      if (!this.firstSeen.has(m.id)) this.firstSeen.set(m.id, new Date().toISOString());
      const link = /href="([^"]*\/invoices\/[^"]+)"/.exec(m.body)?.[1]?.replace(/&amp;/g, "&");
      return {
        id: m.id,
        from: m.source,
        to: m.destinations.ToAddresses ?? [],
        subject: m.subject,
        receivedAt: this.firstSeen.get(m.id)!,
        html: m.body,
        invoiceLink: link,
      };
    });
    return out.reverse();
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
