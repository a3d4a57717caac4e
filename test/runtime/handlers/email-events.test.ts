import { expect } from "chai";
import { useLocalAws, REGION, type LocalAws } from "../../helpers/aws";
import {
  apiDeps,
  capturingLogger,
  capturingMetrics,
  drainQueue,
  emailEventsDeps,
  notifierDeps,
  tableItems,
  workerDeps,
} from "../../helpers/deps";
import { ALICE, orderBody, postOrder, type Claims } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { notifyInvoice } from "../../../runtime/handlers/email-notifier";
import { EmailEventFailures, handleEmailEvents } from "../../../runtime/handlers/email-events";
import { OrderStore, type OrderRecord } from "../../../runtime/domain/store";
import { sentMessages, sesEventsFor, snsNotification, type SentMessage } from "../../../local/ses-events";
import { METRICS } from "../../../runtime/contracts/metrics";

const ACCOUNT = { region: REGION, accountId: "123456789012" };
const TOPIC = `arn:aws:sns:${REGION}:123456789012:shop-test-mail-events`;
const BOUNCE = "bounce@simulator.amazonses.com";
const COMPLAINT = "complaint@simulator.amazonses.com";

/** An order of a customer with `email`, invoiced and emailed through moto's SES; its id and the email SES accepted. */
async function emailedOrder(ctx: LocalAws, email: string): Promise<{ orderId: string; sent: SentMessage }> {
  const claims: Claims = { ...ALICE, email };
  const r = await handleApiRequest(postOrder(orderBody(), { claims }), apiDeps(ctx));
  const orderId = JSON.parse(r.body).orderId as string;
  const [msg] = await drainQueue(ctx);
  await processOrderMessage(msg.body, workerDeps(ctx));
  expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx))).to.equal("sent");
  const page = await sentMessages(ctx.moto.endpoint);
  return { orderId, sent: page!.messages[page!.messages.length - 1] };
}

/** The SES events SES would publish for `sent`, each as the SNS notification that invokes the handler. */
const notificationsFor = (sent: SentMessage) => sesEventsFor(sent, new Date(), ACCOUNT).map((e) => snsNotification(e, TOPIC));

describe("email events: what SES reports after accepting an invoice email", function () {
  this.timeout(30000);
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const order = async (orderId: string): Promise<OrderRecord> => (await store().get(orderId))!;

  it("marks the order's email FAILED with the bounce's reason, keeps the event on its message, counts it and logs an alarm line", async () => {
    // Prepare: a customer whose address bounces (SES's mailbox simulator)
    const { orderId, sent } = await emailedOrder(ctx, BOUNCE);
    const [bounce] = notificationsFor(sent);
    const { log, lines } = capturingLogger();
    const m = capturingMetrics();
    // Act
    const counts = await handleEmailEvents(bounce, emailEventsDeps(ctx, { log, metrics: m.metrics }));
    // Assess
    expect(counts.failed).to.equal(1);
    const rec = await order(orderId);
    expect([rec.status, rec.emailMessageId, rec.emailStatus]).to.deep.equal(["NOTIFIED", sent.id, "FAILED"]);
    expect(rec.emailFailure).to.deep.include({
      event: "Bounce",
      reason: "Permanent/General: smtp; 550 5.1.1 user unknown",
      messageId: sent.id,
    });
    expect(await store().emailEvents(sent.id)).to.deep.equal({
      orderId,
      events: [{ type: "Bounce", at: JSON.parse(bounce.Records[0].Sns.Message).bounce.timestamp, detail: rec.emailFailure!.reason }],
    });
    expect(m.points().map((p) => p.name)).to.deep.equal([METRICS.emailsBounced.name]);
    const alarm = lines.map((l) => JSON.parse(l)).find((l) => l.alarm === "invoice-email-failed");
    expect(alarm).to.deep.include({ orderId, messageId: sent.id, event: "Bounce", level: "error" });
    // No address in the log: the order and message ids find it.
    expect(lines.join("\n")).to.not.include(BOUNCE);
  });

  it("keeps a credit note's email events on their message only: the order's invoice email outcome is not theirs", async () => {
    // Prepare: the order's invoice email went out; then a credit note's email (kind "credit-note") to the same bouncing address
    const { orderId, sent } = await emailedOrder(ctx, BOUNCE);
    const creditNoteMail: SentMessage = { ...sent, id: `${sent.id}-cn`, tags: { ...sent.tags, kind: "credit-note" } };
    const [bounce] = notificationsFor(creditNoteMail);
    const { log, lines } = capturingLogger();
    // Act
    const counts = await handleEmailEvents(bounce, emailEventsDeps(ctx, { log }));
    // Assess
    expect(counts).to.include({ "credit-note": 1, failed: 0, superseded: 0 });
    const rec = await order(orderId);
    expect([rec.emailMessageId, rec.emailStatus]).to.deep.equal([sent.id, undefined]);
    expect((await store().emailEvents(creditNoteMail.id))?.events.map((e) => e.type)).to.deep.equal(["Bounce"]);
    expect(lines.map((l) => JSON.parse(l)).find((l) => l.alarm === "credit-note-email-failed")).to.deep.include({
      orderId,
      event: "Bounce",
    });
  });

  it("marks it DELIVERED on a delivery; the complaint that follows marks it FAILED", async () => {
    const { orderId, sent } = await emailedOrder(ctx, COMPLAINT);
    const [delivery, complaint] = notificationsFor(sent);
    const deps = emailEventsDeps(ctx);
    expect((await handleEmailEvents(delivery, deps)).delivered).to.equal(1);
    expect((await order(orderId)).emailStatus).to.equal("DELIVERED");
    expect((await handleEmailEvents(complaint, deps)).failed).to.equal(1);
    const rec = await order(orderId);
    expect([rec.emailStatus, rec.emailFailure?.event, rec.emailFailure?.reason]).to.deep.equal(["FAILED", "Complaint", "complaint: abuse"]);
    expect((await store().emailEvents(sent.id))!.events.map((e) => e.type)).to.deep.equal(["Delivery", "Complaint"]);
  });

  it("keeps the failure when the delivery arrives after the complaint (SNS does not keep order)", async () => {
    const { orderId, sent } = await emailedOrder(ctx, COMPLAINT);
    const [delivery, complaint] = notificationsFor(sent);
    const deps = emailEventsDeps(ctx);
    await handleEmailEvents(complaint, deps);
    expect((await handleEmailEvents(delivery, deps))["kept-failed"]).to.equal(1);
    expect((await order(orderId)).emailStatus).to.equal("FAILED");
  });

  it("records an event SNS delivers twice once: one entry, one metric point", async () => {
    const { sent } = await emailedOrder(ctx, ALICE.email);
    const [delivery] = notificationsFor(sent);
    const m = capturingMetrics();
    const deps = emailEventsDeps(ctx, { metrics: m.metrics });
    await handleEmailEvents(delivery, deps);
    await handleEmailEvents(delivery, deps);
    expect((await store().emailEvents(sent.id))!.events).to.have.length(1);
    expect(m.points().map((p) => p.name)).to.deep.equal([METRICS.emailsDelivered.name]);
  });

  it("keeps a late event of an email replaced by a re-send on its message only: the order shows the re-sent email's outcome", async () => {
    // Prepare: the first email bounced and was recorded; the back office re-sent it to a good address, which was delivered.
    const { orderId, sent: first } = await emailedOrder(ctx, BOUNCE);
    const [bounce] = notificationsFor(first);
    const deps = emailEventsDeps(ctx);
    expect(await store().reopenForResend(await order(orderId), ALICE.email, new Date())).to.equal(true);
    expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx))).to.equal("sent");
    const second = (await sentMessages(ctx.moto.endpoint))!.messages[1];
    await handleEmailEvents(notificationsFor(second)[0], deps);
    // Act: the first email's bounce arrives late
    const counts = await handleEmailEvents(bounce, deps);
    // Assess
    expect(counts.superseded).to.equal(1);
    const rec = await order(orderId);
    expect([rec.emailMessageId, rec.emailStatus, rec.emailFailure, rec.previousEmailMessageIds]).to.deep.equal([
      second.id,
      "DELIVERED",
      undefined,
      [first.id],
    ]);
    expect((await store().emailEvents(first.id))!.events.map((e) => e.type)).to.deep.equal(["Bounce"]);
  });

  it("fails the event (Lambda retries it) when the order has not recorded the email yet", async () => {
    // Prepare: an invoiced order, and an event of an email the notifier has not recorded as NOTIFIED yet
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId as string;
    await processOrderMessage((await drainQueue(ctx))[0].body, workerDeps(ctx));
    const unrecorded: SentMessage = {
      id: "0102019a-not-recorded-000000",
      source: ctx.resources.sender,
      destinations: { ToAddresses: [ALICE.email] },
      subject: "Your invoice",
      configurationSet: ctx.resources.configurationSet,
      tags: { orderId, kind: "invoice" },
    };
    // Act
    let error: unknown;
    await handleEmailEvents(notificationsFor(unrecorded)[0], emailEventsDeps(ctx)).catch((e) => (error = e));
    // Assess: failed for a retry, the order untouched, the event kept on its message
    expect(error).to.be.instanceOf(EmailEventFailures);
    expect((error as EmailEventFailures).failures.map((f) => f.error)).to.deep.equal(["EmailNotYetRecorded"]);
    expect((await order(orderId)).emailStatus).to.equal(undefined);
    expect((await store().emailEvents(unrecorded.id))!.events).to.have.length(1);
  });

  it("ignores an event of a message no order claims (no orderId tag), and writes nothing", async () => {
    const before = await tableItems(ctx);
    const stray: SentMessage = {
      id: "0102019a-stray-000000",
      source: ctx.resources.sender,
      destinations: { ToAddresses: [BOUNCE] },
      subject: "Welcome",
      configurationSet: ctx.resources.configurationSet,
      tags: {},
    };
    expect((await handleEmailEvents(notificationsFor(stray)[0], emailEventsDeps(ctx)))["no-order"]).to.equal(1);
    expect(await tableItems(ctx)).to.deep.equal(before);
  });

  it("fails an SNS message that is no SES event, so it ends in the failure queue rather than nowhere", async () => {
    const notSes = snsNotification({ hello: "world" }, TOPIC);
    let error: unknown;
    await handleEmailEvents(notSes, emailEventsDeps(ctx)).catch((e) => (error = e));
    expect((error as EmailEventFailures).failures.map((f) => f.error)).to.deep.equal(["ZodError"]);
  });
});
