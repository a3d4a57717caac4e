import { expect } from "chai";
import { API_CLIENT_OPTIONS, clientConfig, eventBridgeClient } from "../../../runtime/clients";
import { useFaultProxy } from "../../helpers/faulty-aws";
import { eventSource, type EventType } from "../../../runtime/contracts/events";
import { EVENT_DETAIL_SCHEMAS, orderPaidEvent } from "../../../runtime/domain/events";
import { OrderStore } from "../../../runtime/domain/store";
import { eventBridgePublisher, EventPublishError, type EventPublisher } from "../../../runtime/events";
import { handleApiRequest, handleOrderApiEvent } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { notifyInvoice } from "../../../runtime/handlers/email-notifier";
import { handleEmailEvents } from "../../../runtime/handlers/email-events";
import { EXPIRE_PAYMENTS_TASK } from "../../../runtime/contracts/payments";
import { receiveEvents, type ReceivedEvent } from "../../../local/event-log";
import { sentMessages, sesEventsFor, snsNotification, type SentMessage } from "../../../local/ses-events";
import type { Part } from "../../../local/identities";
import { eventInbox, partClient, REGION, useLocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, emailEventsDeps, notifierDeps, workerDeps } from "../../helpers/deps";
import { ALICE, orderBody, postOrder, webhookEvent, type Claims } from "../../helpers/events";
import { eventsOf, signedWebhook } from "../../helpers/stripe";

const SOURCE = eventSource("test");
const ACCOUNT = { region: REGION, accountId: "123456789012" };
const TOPIC = `arn:aws:sns:${REGION}:123456789012:shop-test-mail-events`;
const THREE_DS = { provider: "stripe", paymentMethod: "pm_card_threeDSecure2Required" };

/** A publisher that refuses everything, as EventBridge does when it is down. */
const refusing: EventPublisher = {
  publish: async (events) => {
    throw new EventPublishError(events.map((e) => ({ type: e.type, eventId: e.detail.eventId, errorCode: "InternalFailure" })));
  },
};

/**
 * The business events of the order API, the notifier and the email events handler, published through
 * moto's EventBridge by each part's own role and read back from an ERP's rule -> SQS queue.
 */
describe("business events from the order API, the notifier and the email events handler", function () {
  this.timeout(30000);
  const ctx = useLocalAws();
  const f = useFaultProxy(ctx, "order-api", API_CLIENT_OPTIONS);
  let inbox: string;
  const made: { destroy(): void }[] = [];

  beforeEach(async () => (inbox = await eventInbox(ctx)));
  afterEach(() => made.splice(0).forEach((c) => c.destroy()));

  /** A publisher on the test's bus whose PutEvents signs as `part` (the IAM check judges it by that role). */
  function publisherOf(part: Part): EventPublisher {
    const client = partClient(part, (keys) =>
      eventBridgeClient(
        clientConfig(
          { region: REGION, endpoint: ctx.moto.endpoint },
          { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
        ),
      ),
    );
    made.push(client);
    return eventBridgePublisher({ client, busName: ctx.resources.eventBus, source: SOURCE });
  }

  /** What the ERP's queue received of type `type` (polling until `n` arrived, or a few empty polls), each detail checked by its schema. */
  async function received(type: EventType, n = 1): Promise<Record<string, unknown>[]> {
    const got: ReceivedEvent[] = [];
    for (let empty = 0; empty < 2 && got.filter((e) => e.detailType === type).length < n;) {
      const batch = await receiveEvents(ctx.clients.sqs, inbox, 1);
      if (!batch.length) empty++;
      got.push(...batch);
    }
    const ofType = got.filter((e) => e.detailType === type);
    for (const e of ofType) {
      expect(e.source).to.equal(SOURCE);
      EVENT_DETAIL_SCHEMAS[type].parse(e.detail);
    }
    return ofType.map((e) => e.detail);
  }

  const api = (o: Parameters<typeof apiDeps>[1] = {}) => apiDeps(ctx, { events: publisherOf("order-api"), ...o });
  const post = async (body: unknown = orderBody(), deps = api(), claims: Claims = ALICE) => {
    const r = await handleApiRequest(postOrder(body, { claims }), deps);
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const deliver = async (raw: string, signature: string) => JSON.parse((await handleApiRequest(webhookEvent(raw, signature), api())).body);
  const record = async (orderId: string) => (await new OrderStore(ctx.clients.ddb, ctx.resources.table).get(orderId))!;
  /** The signed payment_intent.succeeded webhook of a 3-D Secure order the customer authenticated. */
  const authenticated = async (orderId: string) => {
    const paymentId = (await record(orderId)).paymentId as string;
    await ctx.stripe.authenticate(paymentId, "succeed");
    return signedWebhook(eventsOf(ctx.stripe, paymentId, "payment_intent.succeeded")[0]);
  };

  describe("order.paid", () => {
    it("is published by checkout when the card succeeds at once, with the order's total and the time it became PAID", async () => {
      const r = await post();

      expect([r.status, r.body.status]).to.deep.equal([202, "PAID"]);
      const rec = await record(r.body.orderId);
      expect(rec.paidAt).to.be.a("string");
      expect(await received("order.paid", 2)).to.deep.equal([orderPaidEvent(rec, rec.paidAt!).detail]);
    });

    it("is published once by the webhook that made the order PAID, not by its redeliveries or racing copies", async () => {
      const r = await post(orderBody({ payment: THREE_DS }));
      expect(await received("order.paid")).to.deep.equal([]);
      const s = await authenticated(r.body.orderId);

      const outcomes = await Promise.all(Array.from({ length: 4 }, () => deliver(s.raw, s.signature).then((b) => b.outcome)));
      expect((await deliver(s.raw, s.signature)).outcome).to.equal("already-paid");

      expect(outcomes.filter((o) => o === "paid")).to.have.length(1);
      const events = await received("order.paid", 2);
      expect(events).to.have.length(1);
      expect(events[0]).to.deep.include({ eventId: `order.paid:${r.body.orderId}`, orderId: r.body.orderId, customerId: ALICE.sub });
    });

    it("is published by the sweep when it finds the overdue order's payment succeeded, and not again by the late webhook", async () => {
      const r = await post(orderBody({ payment: THREE_DS }));
      const s = await authenticated(r.body.orderId); // its webhook is not delivered yet
      const later = api().settings.paymentExpiryMinutes * 60_000 + 1000;

      const swept = await handleOrderApiEvent(
        { action: EXPIRE_PAYMENTS_TASK.action },
        { ...api(), now: () => new Date(Date.now() + later) },
      );
      expect((await deliver(s.raw, s.signature)).outcome).to.equal("already-paid");

      expect(swept).to.deep.equal({ swept: { expired: 0, paid: 1, sent: 0 } });
      expect((await received("order.paid", 2)).map((d) => d.orderId)).to.deep.equal([r.body.orderId]);
    });

    it("is published when the store stops answering right after the PAID write, and not again by the webhook that follows", async () => {
      f.proxy.arm({ service: "dynamodb", action: "GetItem", fault: { kind: "fail", status: 500, code: "InternalServerError" } });
      const { log, lines } = capturingLogger("order-api");

      const r = await post(orderBody(), api({ ddb: f.clients.ddb, log }));
      f.proxy.clear();

      // The answer could not read the order back; the order is PAID all the same, and said so on the bus.
      expect([r.status, r.body.payment.status]).to.deep.equal([202, "succeeded"]);
      expect(lines.some((l) => l.includes('"alarm":"paid-not-recorded"'))).to.equal(true);
      expect((await record(r.body.orderId)).status).to.equal("PAID");
      const paymentId = (await record(r.body.orderId)).paymentId as string;
      const s = signedWebhook(eventsOf(ctx.stripe, paymentId, "payment_intent.succeeded")[0]);
      expect((await deliver(s.raw, s.signature)).outcome).to.equal("already-paid");
      expect((await received("order.paid", 2)).map((d) => d.orderId)).to.deep.equal([r.body.orderId]);
    });

    it("never fails checkout when EventBridge refuses it: 202 PAID, the order queued, an alarm line logged", async () => {
      const { log, lines } = capturingLogger("order-api");

      const r = await post(orderBody(), api({ events: refusing, log }));

      expect([r.status, r.body.status]).to.deep.equal([202, "PAID"]);
      expect((await drainQueue(ctx)).map((m) => JSON.parse(m.body).order.orderId)).to.deep.equal([r.body.orderId]);
      const alarm = lines.map((l) => JSON.parse(l)).find((l) => l.alarm === "event-not-published");
      expect(alarm).to.deep.include({
        level: "error",
        event: "order.paid",
        eventId: `order.paid:${r.body.orderId}`,
        orderId: r.body.orderId,
      });
    });
  });

  /** An order of a customer at `email`, paid and invoiced; the notifier has not run yet. */
  async function invoicedOrder(email = ALICE.email): Promise<string> {
    const r = await post(orderBody(), apiDeps(ctx), { ...ALICE, email });
    const [m] = await drainQueue(ctx);
    expect((await processOrderMessage(m.body, workerDeps(ctx))).outcome).to.equal("invoiced");
    return r.body.orderId;
  }

  describe("email.sent", () => {
    it("is published by the notifier once NOTIFIED is recorded, naming the SES message the order keeps", async () => {
      const orderId = await invoicedOrder();

      expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx, { events: publisherOf("email-notifier") }))).to.equal("sent");

      const rec = await record(orderId);
      expect(rec.status).to.equal("NOTIFIED");
      const [detail] = await received("email.sent");
      expect(detail).to.deep.include({
        orderId,
        kind: "invoice",
        messageId: rec.emailMessageId,
        eventId: `email.sent:${rec.emailMessageId}`,
      });
    });

    it("never fails the email when EventBridge refuses it: sent, NOTIFIED, an alarm line logged", async () => {
      const orderId = await invoicedOrder();
      const { log, lines } = capturingLogger("email-notifier");

      expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx, { events: refusing, log }))).to.equal("sent");

      expect((await record(orderId)).status).to.equal("NOTIFIED");
      expect(lines.map((l) => JSON.parse(l)).find((l) => l.alarm === "event-not-published")).to.deep.include({
        event: "email.sent",
        orderId,
      });
    });
  });

  describe("email.failed", () => {
    /** An order emailed to `email` through moto's SES, and the SNS notifications of what SES would report about it. */
    async function emailed(email: string): Promise<{ orderId: string; sent: SentMessage; reports: ReturnType<typeof snsNotification>[] }> {
      const orderId = await invoicedOrder(email);
      expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx))).to.equal("sent");
      const page = await sentMessages(ctx.moto.endpoint);
      const sent = page!.messages[page!.messages.length - 1];
      return { orderId, sent, reports: sesEventsFor(sent, new Date(), ACCOUNT).map((e) => snsNotification(e, TOPIC)) };
    }

    it("is published when a bounce is recorded, without the address or SES's diagnostic; SNS's redelivery is the same event", async () => {
      const { orderId, sent, reports } = await emailed("bounce@simulator.amazonses.com");
      const deps = emailEventsDeps(ctx, { events: publisherOf("email-events") });

      expect((await handleEmailEvents(reports[0], deps)).failed).to.equal(1);
      await handleEmailEvents(reports[0], deps);

      const events = await received("email.failed", 2);
      expect(events.map((d) => d.eventId))
        .to.have.length(2)
        .and.satisfy((ids: unknown[]) => new Set(ids).size === 1);
      expect(events[0]).to.deep.include({ orderId, kind: "invoice", messageId: sent.id, reason: "Bounce" });
      expect(JSON.stringify(events)).to.not.include("bounce@").and.not.include("550");
    });

    it("is published for a complaint after the delivery; the delivery itself publishes nothing", async () => {
      const { orderId, sent, reports } = await emailed("complaint@simulator.amazonses.com");
      const [delivery, complaint] = reports;
      const deps = emailEventsDeps(ctx, { events: publisherOf("email-events") });

      expect((await handleEmailEvents(delivery, deps)).delivered).to.equal(1);
      expect(await received("email.failed")).to.deep.equal([]);
      expect((await handleEmailEvents(complaint, deps)).failed).to.equal(1);

      expect(await received("email.failed")).to.deep.equal([
        {
          version: 1,
          eventId: `email.failed:${sent.id}:Complaint#${JSON.parse(complaint.Records[0].Sns.Message).complaint.feedbackId}`,
          occurredAt: new Date(JSON.parse(complaint.Records[0].Sns.Message).complaint.timestamp).toISOString(),
          orderId,
          kind: "invoice",
          messageId: sent.id,
          reason: "Complaint",
        },
      ]);
    });

    it("never fails the SES event when EventBridge refuses it: the failure is recorded, an alarm line logged", async () => {
      const { orderId, reports } = await emailed("bounce@simulator.amazonses.com");
      const { log, lines } = capturingLogger("email-events");

      expect((await handleEmailEvents(reports[0], emailEventsDeps(ctx, { events: refusing, log }))).failed).to.equal(1);

      expect((await record(orderId)).emailStatus).to.equal("FAILED");
      expect(lines.map((l) => JSON.parse(l)).find((l) => l.alarm === "event-not-published")).to.deep.include({
        event: "email.failed",
        orderId,
      });
    });
  });
});
