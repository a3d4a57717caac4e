import { expect } from "chai";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { useLocalAws, SENDER, LINK_BASE, type LocalAws } from "../../helpers/aws";
import { apiDeps, drainQueue, notifierDeps, tableItems, workerDeps } from "../../helpers/deps";
import { ALICE, apiEvent, orderBody, postOrder, s3Event } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { decodeS3Key, handleS3Event, NotificationFailures } from "../../../runtime/handlers/email-notifier";
import { motoSentEmails } from "../../../local/moto";

/** Places an order and runs the worker on it; returns the order id. */
async function invoicedOrder(ctx: LocalAws, invoice = true): Promise<string> {
  const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
  const [msg] = await drainQueue(ctx);
  if (invoice) await processOrderMessage(msg.body, workerDeps(ctx));
  return JSON.parse(r.body).orderId;
}

/** Turns an emailed link into the API event the invoice route receives. */
function linkEvent(link: string) {
  const u = new URL(link);
  const orderId = decodeURIComponent(u.pathname.split("/").pop()!);
  return apiEvent({
    method: "GET",
    resource: "/invoices/{orderId}",
    path: `/invoices/${orderId}`,
    pathParameters: { orderId },
    query: Object.fromEntries(u.searchParams),
    claims: null,
  });
}

const linkIn = (text: string) => text.match(new RegExp(`${LINK_BASE.replace(/[/.]/g, "\\$&")}/invoices/[^\\s"<]+`))![0].replace(/&amp;/g, "&");

describe("email notifier", () => {
  const ctx = useLocalAws();

  it("mails the customer once, with the invoice number, totals and a link that leads to the PDF", async () => {
    // Prepare
    const orderId = await invoicedOrder(ctx);
    // Act
    const counts = await handleS3Event(s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`]), notifierDeps(ctx));
    // Assess: one email in moto's SES store
    expect(counts.sent).to.equal(1);
    const mails = await motoSentEmails(ctx.moto.endpoint);
    expect(mails).to.have.length(1);
    const mail = mails[0];
    expect(mail.source).to.equal(SENDER);
    expect(mail.destinations.ToAddresses).to.deep.equal([ALICE.email]);
    expect(mail.subject).to.equal("Your invoice INV-000001 from Acme Shop GmbH");
    expect(mail.body).to.contain("€58.18");
    // The link: signed, valid for 30 days, redirects to a presigned URL serving the PDF bytes.
    const link = linkIn(mail.body);
    const expires = Number(new URL(link).searchParams.get("expires"));
    expect(expires * 1000 - Date.now()).to.be.greaterThan(7 * 86400 * 1000);
    const redirect = await handleApiRequest(linkEvent(link), apiDeps(ctx));
    expect(redirect.statusCode).to.equal(302);
    const res = await fetch(redirect.headers!.location as string);
    expect(res.status).to.equal(200);
    const served = Buffer.from(await res.arrayBuffer());
    const stored = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: `invoices/${orderId}.pdf` }));
    expect(served.equals(Buffer.from(await stored.Body!.transformToByteArray()))).to.equal(true);
    expect(served.subarray(0, 5).toString()).to.equal("%PDF-");
    const item = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;
    expect(item.status).to.equal("NOTIFIED");
  });

  it("never mails twice for the same invoice, even for a repeated or doubled event", async () => {
    const orderId = await invoicedOrder(ctx);
    const key = `invoices/${orderId}.pdf`;
    await Promise.all([
      handleS3Event(s3Event(ctx.resources.bucket, [key]), notifierDeps(ctx)),
      handleS3Event(s3Event(ctx.resources.bucket, [key, key]), notifierDeps(ctx)),
    ]);
    await handleS3Event(s3Event(ctx.resources.bucket, [key]), notifierDeps(ctx));
    expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(1);
  });

  it("handles every record of an event, not only the first", async () => {
    const ids = [await invoicedOrder(ctx), await invoicedOrder(ctx), await invoicedOrder(ctx)];
    const counts = await handleS3Event(s3Event(ctx.resources.bucket, ids.map((id) => `invoices/${id}.pdf`)), notifierDeps(ctx));
    expect(counts.sent).to.equal(3);
    const subjects = (await motoSentEmails(ctx.moto.endpoint)).map((m) => m.subject).sort();
    expect(subjects).to.deep.equal(["INV-000001", "INV-000002", "INV-000003"].map((n) => `Your invoice ${n} from Acme Shop GmbH`));
  });

  it("ignores keys that are not invoices and the s3:TestEvent", async () => {
    const counts = await handleS3Event(
      s3Event(ctx.resources.bucket, ["exports/report.csv", "invoices/readme.txt", "invoices/sub dir/ord_AAAAAAAAAAAAAAAAAAAA.pdf"]),
      notifierDeps(ctx),
    );
    expect(counts.ignored).to.equal(3);
    await handleS3Event({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: ctx.resources.bucket }, notifierDeps(ctx));
    expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(0);
  });

  it("fails the event for a retry when the invoice is not committed yet, and mails nothing", async () => {
    const orderId = await invoicedOrder(ctx, false);
    let err: unknown;
    await handleS3Event(s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`]), notifierDeps(ctx)).catch((e) => (err = e));
    expect(err).to.be.instanceOf(NotificationFailures);
    expect(await motoSentEmails(ctx.moto.endpoint)).to.have.length(0);
  });

  it("decodes form-encoded keys as S3 sends them", () => {
    expect(decodeS3Key("invoices%2Ford_1.pdf")).to.equal("invoices/ord_1.pdf");
    expect(decodeS3Key("a+b%2Bc")).to.equal("a b+c");
  });

  describe("invoice links", () => {
    it("refuses a tampered signature with 403 and an expired link with 410", async () => {
      const orderId = await invoicedOrder(ctx);
      await handleS3Event(s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`]), notifierDeps(ctx));
      const link = linkIn((await motoSentEmails(ctx.moto.endpoint))[0].body);
      const tampered = new URL(link);
      tampered.searchParams.set("expires", String(Number(tampered.searchParams.get("expires")) + 86400));
      expect((await handleApiRequest(linkEvent(tampered.toString()), apiDeps(ctx))).statusCode).to.equal(403);
      const other = new URL(link);
      other.pathname = other.pathname.replace(orderId, "ord_ZZZZZZZZZZZZZZZZZZZZ");
      expect((await handleApiRequest(linkEvent(other.toString()), apiDeps(ctx))).statusCode).to.equal(403);
      const later = () => new Date(Date.now() + 31 * 86400 * 1000);
      const expired = await handleApiRequest(linkEvent(link), apiDeps(ctx, { now: later }));
      expect(expired.statusCode).to.equal(410);
      expect(JSON.parse(expired.body).error.code).to.equal("LINK_EXPIRED");
    });
  });
});
