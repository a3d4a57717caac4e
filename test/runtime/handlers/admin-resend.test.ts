import { expect } from "chai";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, notifierDeps, tableItems, workerDeps } from "../../helpers/deps";
import { ADMIN, ALICE, apiEvent, orderBody, postOrder, type Claims } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { handleS3Event, notifyInvoice } from "../../../runtime/handlers/email-notifier";
import { GetObjectCommand, ListObjectVersionsCommand } from "@aws-sdk/client-s3";
import { OrderStore } from "../../../runtime/domain/store";
import { sentMessages } from "../../../local/ses-events";

const CORRECTED = "alice.corrected@example.com";

const resendEvent = (orderId: string, o: { body?: unknown; claims?: Claims } = {}) =>
  apiEvent({
    method: "POST",
    resource: "/admin/orders/{orderId}/resend",
    path: `/admin/orders/${orderId}/resend`,
    pathParameters: { orderId },
    headers: o.body === undefined ? {} : { "Content-Type": "application/json" },
    body: o.body === undefined ? null : JSON.stringify(o.body),
    claims: o.claims ?? ADMIN,
  });

describe("admin API: POST /admin/orders/{orderId}/resend", function () {
  this.timeout(60000);
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  /** The notifier, handed the order as the S3 event of its invoice would (the deployed path invokes it the same way). */
  const notifier = async (orderId: string) => {
    await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx));
  };
  const call = async (e: ReturnType<typeof apiEvent>, now = new Date()) => {
    const r = await handleApiRequest(e, apiDeps(ctx, { now: () => now, notifyInvoice: notifier }));
    return { status: r.statusCode, body: JSON.parse(r.body), headers: r.headers ?? {} };
  };
  const sent = async () => (await sentMessages(ctx.moto.endpoint))?.messages ?? [];
  /** An order paid and invoiced by the worker; mailed too unless `mail` is false. Its id. */
  const invoicedOrder = async (mail = true) => {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId as string;
    await processOrderMessage((await drainQueue(ctx))[0]!.body, workerDeps(ctx));
    if (mail) await notifier(orderId);
    return orderId;
  };

  it("mails the invoice again, to a corrected address, with a new email recorded on the order (202)", async () => {
    const orderId = await invoicedOrder();
    const first = (await store().get(orderId))!;

    const r = await call(resendEvent(orderId, { body: { email: CORRECTED } }));

    expect(r.status).to.equal(202);
    expect(r.body).to.deep.equal({ orderId, status: "INVOICED", to: CORRECTED });
    const mails = await sent();
    expect(mails.map((m) => m.destinations.ToAddresses)).to.deep.equal([[ALICE.email], [CORRECTED]]);
    expect(mails[1]!.tags).to.deep.equal({ kind: "invoice", orderId });
    const after = (await store().get(orderId))!;
    expect(after).to.deep.include({ status: "NOTIFIED", emailTo: CORRECTED, emailMessageId: mails[1]!.id });
    expect(after.previousEmailMessageIds).to.deep.equal([first.emailMessageId]);
  });

  it("without a body sends to the last recipient", async () => {
    const orderId = await invoicedOrder();

    const r = await call(resendEvent(orderId));

    expect(r.status).to.equal(202);
    expect((await sent()).map((m) => m.destinations.ToAddresses)).to.deep.equal([[ALICE.email], [ALICE.email]]);
  });

  it("a second re-send within 10 minutes is 429 RESEND_TOO_SOON with Retry-After, and sends nothing; after 10 minutes it goes", async () => {
    const orderId = await invoicedOrder();
    const t0 = new Date();
    expect((await call(resendEvent(orderId), t0)).status).to.equal(202);

    const soon = await call(resendEvent(orderId), new Date(t0.getTime() + 4 * 60_000));
    const later = await call(resendEvent(orderId), new Date(t0.getTime() + 10 * 60_000 + 1000));

    expect(soon.status).to.equal(429);
    expect(soon.body.error.code).to.equal("RESEND_TOO_SOON");
    expect(soon.headers["retry-after"]).to.equal("360");
    expect(later.status).to.equal(202);
    expect(await sent()).to.have.length(3);
  });

  it("two re-sends at once: one goes, the other is 429 (the limit is a conditional write, not a read)", async () => {
    const orderId = await invoicedOrder();

    const answers = await Promise.all([call(resendEvent(orderId)), call(resendEvent(orderId))]);

    expect(answers.map((a) => a.status).sort()).to.deep.equal([202, 429]);
    expect(await sent()).to.have.length(2);
  });

  it("re-sends an INVOICED order whose email has not gone out", async () => {
    const orderId = await invoicedOrder(false);

    const r = await call(resendEvent(orderId, { body: { email: CORRECTED } }));

    expect(r.status).to.equal(202);
    expect((await sent()).map((m) => m.destinations.ToAddresses)).to.deep.equal([[CORRECTED]]);
    expect((await store().get(orderId))!.status).to.equal("NOTIFIED");
  });

  it("an order without an invoice is 409 NOT_INVOICED", async () => {
    const r0 = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r0.body).orderId as string;

    const r = await call(resendEvent(orderId));

    expect(r.status).to.equal(409);
    expect(r.body.error.code).to.equal("NOT_INVOICED");
    expect(await sent()).to.deep.equal([]);
  });

  it("a customer's token is 403 and nothing is sent", async () => {
    const orderId = await invoicedOrder();

    const r = await call(resendEvent(orderId, { claims: ALICE }));

    expect(r.status).to.equal(403);
    expect(r.body.error.code).to.equal("FORBIDDEN");
    expect(await sent()).to.have.length(1);
  });

  it("a body that is not {email} is 400", async () => {
    const orderId = await invoicedOrder();

    const r = await call(resendEvent(orderId, { body: { email: "not-an-address" } }));

    expect(r.status).to.equal(400);
    expect(await sent()).to.have.length(1);
  });

  it("records who re-sent it, to whom, from which request", async () => {
    const orderId = await invoicedOrder();
    const e = resendEvent(orderId, { body: { email: CORRECTED } });

    await call(e);

    const audits = (await tableItems(ctx)).filter((i) => i.type === "audit");
    expect(audits).to.have.length(1);
    expect(audits[0]).to.deep.include({
      action: "order.invoice-resent",
      target: `order:${orderId}`,
      adminSub: ADMIN.sub,
      route: "POST /admin/orders/{orderId}/resend",
      requestId: e.requestContext.requestId,
    });
    expect(audits[0]!.detail).to.deep.include({ to: CORRECTED, previousTo: ALICE.email });
  });
});

describe("admin API: a re-send through the bucket, as deployed (the invoice copied onto itself wakes the notifier)", function () {
  this.timeout(60000);
  const ctx = useLocalAws({ bucketEventsQueue: true });
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const sent = async () => (await sentMessages(ctx.moto.endpoint))?.messages ?? [];
  /** Feeds the bucket's ObjectCreated events to the notifier, as S3 invokes it. */
  const deliverBucketEvents = async () => {
    const events = await drainQueue(ctx, ctx.resources.bucketEventsQueueUrl!);
    for (const m of events) await handleS3Event(JSON.parse(m.body), notifierDeps(ctx));
    return events.map((m) => (JSON.parse(m.body).Records ?? []).map((r: { eventName: string }) => r.eventName)).flat();
  };

  it("re-sends the invoice to the corrected address: the same PDF bytes, a new version marked resent-at, one more email", async () => {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId as string;
    for (const m of await drainQueue(ctx)) await processOrderMessage(m.body, workerDeps(ctx));
    expect(await deliverBucketEvents()).to.deep.equal(["ObjectCreated:Put"]);
    expect((await store().get(orderId))!.status).to.equal("NOTIFIED");
    const before = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: `invoices/${orderId}.pdf` }));
    const originalBytes = Buffer.from(await before.Body!.transformToByteArray());

    const log = capturingLogger("order-api");
    const resend = await handleApiRequest(resendEvent(orderId, { body: { email: CORRECTED } }), apiDeps(ctx, { log: log.log }));
    expect(resend.statusCode, `${resend.body} ${log.lines.join("\n")}`).to.equal(202);

    expect(await deliverBucketEvents()).to.deep.equal(["ObjectCreated:Copy"]);
    const mails = await sent();
    expect(mails.map((m) => m.destinations.ToAddresses)).to.deep.equal([[ALICE.email], [CORRECTED]]);
    const after = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: `invoices/${orderId}.pdf` }));
    expect(Buffer.from(await after.Body!.transformToByteArray()).equals(originalBytes)).to.equal(true);
    expect(after.Metadata).to.include({ "order-id": orderId });
    expect(after.Metadata!["resent-at"]).to.match(/^\d{4}-\d{2}-\d{2}T/);
    const versions = await ctx.clients.s3.send(
      new ListObjectVersionsCommand({ Bucket: ctx.resources.bucket, Prefix: `invoices/${orderId}.pdf` }),
    );
    expect(versions.Versions).to.have.length(2); // the first one is kept
    expect((await store().get(orderId))!.status).to.equal("NOTIFIED");
  });
});
