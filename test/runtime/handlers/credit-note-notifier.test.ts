import { expect } from "chai";
import { useLocalAws, type LocalAws } from "../../helpers/aws";
import { apiDeps, drainQueue, notifierDeps, workerDeps } from "../../helpers/deps";
import { ALICE, linkEvent, orderBody, postOrder, s3Event } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processQueueMessage } from "../../../runtime/handlers/worker-loop";
import { enqueueCreditNote } from "../../../runtime/handlers/credit-note-queue";
import { handleS3Event, NotificationFailures } from "../../../runtime/handlers/email-notifier";
import { creditNoteOf, creditNoteRequestSchema } from "../../../runtime/domain/credit-note";
import { OrderStore } from "../../../runtime/domain/store";
import { invoiceLink, kmsLinkSigner } from "../../../runtime/invoices/link";
import { motoSentEmails } from "../../../local/moto";

const ADMIN = { by: "admin", adminSub: "admin-sub-1" } as const;
/** One mug (line 1) and the shipping taken back. */
const MUG_AND_SHIPPING = { kind: "partial", reason: "Mug arrived broken", lines: [{ line: 1, quantity: 1 }], shipping: true };
/** One of the two shirts (line 0) taken back. */
const ONE_SHIRT = { kind: "partial", reason: "Shirt returned", lines: [{ line: 0, quantity: 1 }] };

/** Places an order through the API (paid at once) and invoices it through the worker; returns its id. */
async function invoicedOrder(ctx: LocalAws, body: Record<string, unknown> = {}): Promise<string> {
  const r = await handleApiRequest(postOrder(orderBody(body)), apiDeps(ctx));
  expect(r.statusCode).to.equal(202);
  const [msg] = await drainQueue(ctx);
  expect((await processQueueMessage(msg.body, workerDeps(ctx))).outcome).to.equal("invoiced");
  return JSON.parse(r.body).orderId;
}

/** Reserves a credit note of the order (as the admin API does) and, unless `issue` is false, has the worker issue it. */
async function creditNote(ctx: LocalAws, orderId: string, id: string, issue = true, request: object = MUG_AND_SHIPPING): Promise<void> {
  const store = new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const order = (await store.get(orderId))!.order;
  await store.reserveCreditNote(orderId, creditNoteOf(order, creditNoteRequestSchema().parse({ id, ...request })), new Date(), ADMIN);
  await enqueueCreditNote(ctx.as["order-api"].sqs, ctx.resources.queueUrl, orderId, id);
  const [msg] = await drainQueue(ctx);
  if (issue) expect((await processQueueMessage(msg.body, workerDeps(ctx))).outcome).to.equal("issued");
}

const pdfEvent = (ctx: LocalAws, id: string) => s3Event(ctx.resources.bucket, [`invoices/credit-notes/${id}.pdf`]);
const linkIn = (html: string) => /href="([^"]*\/invoices\/[^"]+)"/.exec(html)![1].replace(/&amp;/g, "&");

/** The API's answer to a link. */
const follow = (ctx: LocalAws, link: string) => handleApiRequest(linkEvent(link), apiDeps(ctx));

describe("email notifier: credit notes", () => {
  const ctx = useLocalAws();
  const seller = () => notifierDeps(ctx).settings.seller.name;

  it("emails the customer once: subject with the credit note's and the invoice's numbers, the credited amounts, a link to the credit note", async () => {
    // Prepare
    const orderId = await invoicedOrder(ctx);
    await creditNote(ctx, orderId, "cn_mail00001");
    // Act
    const first = await handleS3Event(pdfEvent(ctx, "cn_mail00001"), notifierDeps(ctx));
    const again = await handleS3Event(pdfEvent(ctx, "cn_mail00001"), notifierDeps(ctx));
    // Assess
    expect([first.sent, again.sent, again["already-notified"]]).to.deep.equal([1, 0, 1]);
    const mails = await motoSentEmails(ctx.moto.endpoint);
    expect(mails).to.have.length(1);
    expect(mails[0].destinations.ToAddresses).to.deep.equal([ALICE.email]);
    expect(mails[0].subject).to.equal(`Your credit note CN-000001 for invoice INV-000001 from ${seller()}`);
    const cn = (await new OrderStore(ctx.clients.ddb, ctx.resources.table).getCreditNote("cn_mail00001"))!;
    expect(cn).to.deep.include({ status: "NOTIFIED", emailMessageId: mails[0].id });
    const euro = (minor: number) => `€${(minor / 100).toFixed(2)}`;
    expect(mails[0].body)
      .to.contain("<strong>CN-000001</strong>")
      .and.contain("<strong>INV-000001</strong>")
      .and.contain(`<td><strong>Total credited</strong></td><td align="right"><strong>${euro(cn.creditNote.totalMinor)}</strong></td>`)
      .and.contain("Download your credit note (PDF)");
    // The order's own invoice email is another matter: the credit note's email leaves the order as it was.
    expect((await new OrderStore(ctx.clients.ddb, ctx.resources.table).get(orderId))?.status).to.equal("INVOICED");
  });

  it("writes the email in the order's language", async () => {
    const orderId = await invoicedOrder(ctx, { locale: "de-DE" });
    await creditNote(ctx, orderId, "cn_deutsch01");
    await handleS3Event(pdfEvent(ctx, "cn_deutsch01"), notifierDeps(ctx));
    const [mail] = await motoSentEmails(ctx.moto.endpoint);
    expect(mail.subject).to.equal(`Ihre Rechnungskorrektur CN-000001 zur Rechnung INV-000001 von ${seller()}`);
    expect(mail.body).to.contain("Rechnungskorrektur herunterladen (PDF)").and.contain("Gesamtbetrag der Korrektur");
  });

  it("links to the credit note's PDF; the link is bound to its document, and the invoice's links keep working", async () => {
    // Prepare
    const orderId = await invoicedOrder(ctx);
    await creditNote(ctx, orderId, "cn_linked001");
    await creditNote(ctx, orderId, "cn_other0001", false, ONE_SHIRT); // reserved, not issued
    await handleS3Event(pdfEvent(ctx, "cn_linked001"), notifierDeps(ctx));
    const link = linkIn((await motoSentEmails(ctx.moto.endpoint))[0].body);
    const u = new URL(link);
    // Act
    const ok = await follow(ctx, link);
    const swapped = new URL(link);
    swapped.searchParams.set("document", "cn_other0001");
    const dropped = new URL(link);
    dropped.searchParams.delete("document");
    const answers = await Promise.all([follow(ctx, swapped.toString()), follow(ctx, dropped.toString())]);
    // Assess
    expect(u.searchParams.get("document")).to.equal("cn_linked001");
    expect(ok.statusCode).to.equal(302);
    expect(String(ok.headers!.location)).to.contain("invoices/credit-notes/cn_linked001.pdf").and.contain("CN-000001.pdf");
    expect(answers.map((a) => a.statusCode)).to.deep.equal([403, 403]);
    for (const a of answers) expect(JSON.parse(a.body).error.code).to.equal("LINK_INVALID");
    const expires = Number(u.searchParams.get("expires"));
    const signer = kmsLinkSigner(ctx.clients.kms, ctx.resources.linkKeyId);
    const invoice = await follow(ctx, await invoiceLink(signer, "https://shop.example", orderId, expires));
    expect(String(invoice.headers!.location)).to.contain(`invoices/${orderId}.pdf`).and.not.contain("credit-notes");
  });

  it("answers 404 for a validly signed link to a credit note not yet issued, or of another order", async () => {
    const orderId = await invoicedOrder(ctx);
    const otherOrder = await invoicedOrder(ctx);
    await creditNote(ctx, orderId, "cn_pending01", false);
    await creditNote(ctx, otherOrder, "cn_theirs001");
    const signer = kmsLinkSigner(ctx.clients.kms, ctx.resources.linkKeyId);
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const answers = await Promise.all([
      follow(ctx, await invoiceLink(signer, "https://shop.example", orderId, expires, "cn_pending01")),
      follow(ctx, await invoiceLink(signer, "https://shop.example", orderId, expires, "cn_theirs001")),
      follow(ctx, await invoiceLink(signer, "https://shop.example", orderId, expires, "cn_nonesuch1")),
    ]);
    expect(answers.map((a) => [a.statusCode, JSON.parse(a.body).error.code])).to.deep.equal([
      [404, "NOT_FOUND"],
      [404, "NOT_FOUND"],
      [404, "NOT_FOUND"],
    ]);
  });

  it("fails the event (for a retry) and sends nothing while the credit note is numbered and stored but not yet ISSUED", async () => {
    // Prepare: numbered and PDF stored, the worker died before ISSUED
    const orderId = await invoicedOrder(ctx);
    await creditNote(ctx, orderId, "cn_early0001", false);
    await new OrderStore(ctx.clients.ddb, ctx.resources.table).numberCreditNote("cn_early0001", new Date());
    // Act
    const err = await handleS3Event(pdfEvent(ctx, "cn_early0001"), notifierDeps(ctx)).catch((e: unknown) => e);
    // Assess
    expect(err).to.be.instanceOf(NotificationFailures);
    expect((err as NotificationFailures).failures).to.deep.equal([
      { key: "invoices/credit-notes/cn_early0001.pdf", error: "InvoiceNotCommitted" },
    ]);
    expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(0);
  });
});
