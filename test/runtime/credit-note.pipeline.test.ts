/**
 * A credit note end to end on the local pipeline (npm start): reserved as the admin API does
 * (reserveCreditNote) and put on the orders queue (enqueueCreditNote), it goes through the worker
 * process (number, PDF at invoices/credit-notes/<id>.pdf), the bucket's notification and the
 * notifier (email with a signed link) to the customer, in the order's language (French here).
 */
import { expect } from "chai";
import { usePipeline } from "../helpers/pipeline";
import { waitUntil } from "../helpers/wait";
import { orderBody } from "../helpers/events";
import { readPdf } from "./invoices/invoices";
import { creditNoteOf, creditNoteRequestSchema } from "../../runtime/domain/credit-note";
import { OrderStore } from "../../runtime/domain/store";
import { enqueueCreditNote } from "../../runtime/handlers/credit-note-queue";

type Mail = { subject: string; to: string[]; invoiceLink?: string; html: string };

describe("a credit note through queue, worker, S3 and notifier (local pipeline)", function () {
  this.timeout(180_000);
  const ctx = usePipeline();
  const inbox = async () =>
    ((await (await fetch(ctx.p.inboxUrl, { headers: { accept: "application/json" } })).json()) as { emails: Mail[] }).emails;

  it("turns a REQUESTED credit note into CN-000001, a PDF naming the invoice it corrects, and one email whose link opens it", async () => {
    // Prepare: a French customer's order, invoiced and emailed
    const placed = await fetch(`${ctx.p.apiUrl}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.token}` },
      body: JSON.stringify(orderBody({ locale: "fr-FR" })),
    });
    expect(placed.status).to.equal(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    const invoiceMail = await waitUntil(async () => (await inbox()).find((m) => m.invoiceLink?.includes(orderId)), 60_000, 250);
    expect(invoiceMail, "the invoice email").to.not.equal(undefined);
    const store = new OrderStore(ctx.clients.ddb, ctx.p.resources.table);
    const rec = (await store.get(orderId))!;
    expect(rec.order.lang).to.equal("fr");
    // Act: reserve (as the admin API does) and enqueue
    const request = creditNoteRequestSchema().parse({
      id: "cn_pipeline01",
      kind: "partial",
      reason: "Tasse cassée",
      lines: [{ line: 1, quantity: 1 }],
      shipping: true,
    });
    const reserved = await store.reserveCreditNote(orderId, creditNoteOf(rec.order, request), new Date(), {
      by: "admin",
      adminSub: "admin-1",
    });
    expect(reserved).to.include({ status: "REQUESTED" });
    await enqueueCreditNote(ctx.clients.sqs, ctx.p.resources.queueUrl, orderId, "cn_pipeline01");
    // Assess: the email, in French, naming both numbers
    const mail = await waitUntil(async () => (await inbox()).find((m) => m.invoiceLink?.includes("document=cn_pipeline01")), 60_000, 250);
    expect(mail, "the credit note's email").to.not.equal(undefined);
    expect(mail!.to).to.deep.equal([ctx.p.demoUser.email]);
    expect(mail!.subject).to.match(new RegExp(`^Votre avoir CN-000001 sur la facture ${rec.invoiceNumber} – `));
    expect(mail!.html).to.contain("Télécharger votre avoir (PDF)");
    // The link: gateway -> signed-link route -> redirect -> moto S3 -> the credit note's PDF
    const pdfRes = await fetch(mail!.invoiceLink!);
    expect(pdfRes.status).to.equal(200);
    const { text } = await readPdf(new Uint8Array(await pdfRes.arrayBuffer()));
    expect(text).to.contain("Avoir CN-000001").and.contain(`${rec.invoiceNumber}`).and.contain("Tasse cassée").and.contain("MUG-01");
    expect(text).to.not.contain("TSHIRT-RED-M");
    const cn = await store.getCreditNote("cn_pipeline01");
    expect(cn).to.deep.include({
      status: "NOTIFIED",
      creditNoteNumber: "CN-000001",
      documentKey: "invoices/credit-notes/cn_pipeline01.pdf",
    });
    // One email for the credit note, and the order's own invoice email untouched
    const all = await inbox();
    expect(all.filter((m) => m.invoiceLink?.includes("document=cn_pipeline01"))).to.have.length(1);
    expect((await store.get(orderId))?.status).to.equal("NOTIFIED");
  });
});
