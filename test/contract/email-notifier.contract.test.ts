import { expect } from "chai";
import { eventInbox, useLocalAws, SENDER, LINK_BASE, type LocalAws } from "../helpers/aws";
import { receiveEvents } from "../../local/event-log";
import { apiDeps, drainQueue, tableItems, workerDeps } from "../helpers/deps";
import { ALICE, linkEvent, orderBody, postOrder, s3Event } from "../helpers/events";
import { contractTargets, notifierTarget, type NotifierTarget } from "./targets";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { motoSentEmails } from "../../local/moto";
import { processQueueMessage } from "../../runtime/handlers/worker-loop";
import { enqueueCreditNote } from "../../runtime/handlers/credit-note-queue";
import { OrderStore } from "../../runtime/domain/store";
import { creditNoteOf, creditNoteRequestSchema } from "../../runtime/domain/credit-note";

const ADMIN = { by: "admin", adminSub: "contract" } as const;

/**
 * The email notifier's contract, run against the handler from source and the archive the stack
 * deploys: what S3 events it acts on, what it mails, that it mails once, and how it fails.
 */

/** Places an order (API from source) and, unless told not to, invoices it (worker from source). */
async function placedOrder(ctx: LocalAws, invoice = true): Promise<string> {
  const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
  const [msg] = await drainQueue(ctx);
  if (invoice) await processOrderMessage(msg.body, workerDeps(ctx));
  return JSON.parse(r.body).orderId;
}

const linkIn = (text: string) =>
  text.match(new RegExp(`${LINK_BASE.replace(/[/.]/g, "\\$&")}/invoices/[^\\s"<]+`))![0].replace(/&amp;/g, "&");

/** What the API answers to an emailed link (the API's own contract suite covers the rest). */
function followLink(ctx: LocalAws, link: string) {
  return handleApiRequest(linkEvent(link), apiDeps(ctx));
}

for (const target of contractTargets(["source", "artifact"]) as ("source" | "artifact")[]) {
  describe(`email notifier contract [${target}]`, function () {
    this.timeout(60000);
    const ctx = useLocalAws();
    let n: NotifierTarget;
    beforeEach(() => (n = notifierTarget(target, ctx)));
    afterEach(() => n.stop());

    it("mails the customer once, from the sender, with the invoice number, total and a 30-day link to the PDF; publishes email.sent", async () => {
      const orderId = await placedOrder(ctx);
      const inbox = await eventInbox(ctx);
      const counts = (await n.deliver(s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`]))) as Record<string, number>;
      expect(counts).to.include({ sent: 1, ignored: 0 });
      const mails = await motoSentEmails(ctx.moto.endpoint);
      expect(mails).to.have.length(1);
      expect(mails[0].source).to.equal(SENDER);
      expect(mails[0].destinations.ToAddresses).to.deep.equal([ALICE.email]);
      expect(mails[0].subject).to.equal("Your invoice INV-000001 from Acme Shop GmbH");
      expect(mails[0].body).to.contain("€68.28"); // the demo catalog's prices, shipping and Germany's 19 % (57.38 + 10.90)
      const link = linkIn(mails[0].body);
      const days = (Number(new URL(link).searchParams.get("expires")) * 1000 - Date.now()) / 86400_000;
      expect(days).to.be.within(29.9, 30);
      expect((await followLink(ctx, link)).statusCode).to.equal(302);
      const item = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;
      expect(item.status).to.equal("NOTIFIED");
      const events = await receiveEvents(ctx.clients.sqs, inbox, 1);
      expect(events.map((e) => [e.detailType, e.detail.orderId, e.detail.messageId])).to.deep.equal([
        ["email.sent", orderId, item.emailMessageId],
      ]);
    });

    it("mails a credit note once, in the order's language, with a link that opens it; an event before it is ISSUED fails for a retry", async () => {
      // Prepare: a German order, invoiced; a full credit note reserved and numbered, its PDF not yet committed
      const r = await handleApiRequest(postOrder(orderBody({ locale: "de-DE" })), apiDeps(ctx));
      const orderId = JSON.parse(r.body).orderId as string;
      await processQueueMessage((await drainQueue(ctx))[0].body, workerDeps(ctx));
      const store = new OrderStore(ctx.clients.ddb, ctx.resources.table);
      const request = creditNoteRequestSchema().parse({ id: "cn_contract2", kind: "full", reason: "Storniert" });
      await store.reserveCreditNote(orderId, creditNoteOf((await store.get(orderId))!.order, request), new Date(), ADMIN);
      await enqueueCreditNote(ctx.clients.sqs, ctx.resources.queueUrl, orderId, "cn_contract2");
      const [message] = await drainQueue(ctx);
      await store.numberCreditNote("cn_contract2", new Date());
      const event = s3Event(ctx.resources.bucket, ["invoices/credit-notes/cn_contract2.pdf"]);
      // Act
      const early = await n.deliver(event).catch((e: unknown) => e);
      expect((await processQueueMessage(message.body, workerDeps(ctx))).outcome).to.equal("issued");
      const counts = (await n.deliver(event)) as Record<string, number>;
      const again = (await n.deliver(event)) as Record<string, number>;
      // Assess
      expect(String(early)).to.contain("InvoiceNotCommitted");
      expect([counts.sent, again["already-notified"]]).to.deep.equal([1, 1]);
      const mails = await motoSentEmails(ctx.moto.endpoint);
      // Only the credit note's email: this test never delivers the invoice's event.
      expect(mails.map((m) => m.subject)).to.deep.equal(["Ihre Rechnungskorrektur CN-000001 zur Rechnung INV-000001 von Acme Shop GmbH"]);
      const link = linkIn(mails[0].body);
      const opened = await followLink(ctx, link);
      expect(opened.statusCode).to.equal(302);
      expect(String(opened.headers!.location)).to.contain("invoices/credit-notes/cn_contract2.pdf");
      expect((await store.getCreditNote("cn_contract2"))?.status).to.equal("NOTIFIED");
    });

    it("never mails twice for one invoice: a doubled record, a repeated event, events at once", async () => {
      const orderId = await placedOrder(ctx);
      const key = `invoices/${orderId}.pdf`;
      const other = notifierTarget(target, ctx); // a second container receiving the same event
      try {
        await Promise.all([n.deliver(s3Event(ctx.resources.bucket, [key])), other.deliver(s3Event(ctx.resources.bucket, [key, key]))]);
      } finally {
        await other.stop();
      }
      const again = (await n.deliver(s3Event(ctx.resources.bucket, [key]))) as Record<string, number>;
      expect(again).to.include({ sent: 0, "already-notified": 1 });
      expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(1);
    });

    it("handles every record of an event, not only the first", async () => {
      const ids = [await placedOrder(ctx), await placedOrder(ctx), await placedOrder(ctx)];
      const counts = (await n.deliver(
        s3Event(
          ctx.resources.bucket,
          ids.map((id) => `invoices/${id}.pdf`),
        ),
      )) as Record<string, number>;
      expect(counts.sent).to.equal(3);
      const subjects = (await motoSentEmails(ctx.moto.endpoint)).map((m) => m.subject).sort();
      expect(subjects).to.deep.equal(["INV-000001", "INV-000002", "INV-000003"].map((no) => `Your invoice ${no} from Acme Shop GmbH`));
    });

    it("ignores keys that are not invoices, other buckets and the s3:TestEvent", async () => {
      const counts = (await n.deliver(
        s3Event(ctx.resources.bucket, ["exports/report.csv", "invoices/readme.txt", "invoices/sub dir/ord_AAAAAAAAAAAAAAAAAAAA.pdf"]),
      )) as Record<string, number>;
      expect(counts.ignored).to.equal(3);
      const orderId = await placedOrder(ctx);
      expect(await n.deliver(s3Event("someone-elses-bucket", [`invoices/${orderId}.pdf`]))).to.include({ ignored: 1, sent: 0 });
      await n.deliver({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: ctx.resources.bucket });
      expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(0);
    });

    it("fails the event with NotificationFailures, for Lambda to retry, while the invoice is not committed, and mails nothing", async () => {
      const orderId = await placedOrder(ctx, false);
      let err: (Error & { lambdaError?: boolean }) | undefined;
      await n.deliver(s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`])).catch((e) => (err = e));
      expect(err?.name).to.equal("NotificationFailures");
      expect(err?.message).to.contain(`invoices/${orderId}.pdf`);
      expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(0);
      expect(n.logs().join("\n")).to.contain("notification failed");
    });

    it("mails nothing for an invoice of an unknown order, and says so in its log", async () => {
      const counts = (await n.deliver(s3Event(ctx.resources.bucket, ["invoices/ord_ZZZZZZZZZZZZZZZZZZZZ.pdf"]))) as Record<string, number>;
      expect(counts["unknown-order"]).to.equal(1);
      expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(0);
      expect(n.logs().join("\n")).to.contain("invoice for an unknown order");
    });
  });
}
