import { expect } from "chai";
import { eventInbox, useLocalAws, REGION, type LocalAws } from "../helpers/aws";
import { receiveEvents } from "../../local/event-log";
import { apiDeps, drainQueue, notifierDeps, tableItems, workerDeps } from "../helpers/deps";
import { ALICE, orderBody, postOrder } from "../helpers/events";
import { contractTargets, emailEventsTarget, type NotifierTarget } from "./targets";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { notifyInvoice } from "../../runtime/handlers/email-notifier";
import { sentMessages, sesEventsFor, snsNotification } from "../../local/ses-events";

/**
 * The email events Lambda's contract, run against the handler from source and the archive the
 * stack deploys: an SNS notification of an SES event in, the order's email outcome out, and a
 * failure for Lambda to retry (its error name intact, however the archive was built).
 */

const TOPIC = `arn:aws:sns:${REGION}:123456789012:shop-dev-mail-events`;

/** An invoiced order of a customer with `email`, mailed through moto's SES; its id and the SNS notifications SES would send. */
async function mailedOrder(ctx: LocalAws, email: string) {
  const r = await handleApiRequest(postOrder(orderBody(), { claims: { ...ALICE, email } }), apiDeps(ctx));
  const orderId = JSON.parse(r.body).orderId as string;
  await processOrderMessage((await drainQueue(ctx))[0].body, workerDeps(ctx));
  await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx));
  const [sent] = (await sentMessages(ctx.moto.endpoint))!.messages;
  const notifications = sesEventsFor(sent, new Date(), { region: REGION, accountId: "123456789012" }).map((e) => snsNotification(e, TOPIC));
  return { orderId, messageId: sent.id, notifications };
}

for (const target of contractTargets(["source", "artifact"]) as ("source" | "artifact")[]) {
  describe(`email events contract [${target}]`, function () {
    this.timeout(60000);
    const ctx = useLocalAws();
    let t: NotifierTarget;
    beforeEach(() => (t = emailEventsTarget(target, ctx)));
    afterEach(() => t.stop());
    const order = async (orderId: string) => (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;

    it("marks the order's email FAILED with the reason when SES reports a bounce, and publishes email.failed", async () => {
      const { orderId, messageId, notifications } = await mailedOrder(ctx, "bounce@simulator.amazonses.com");
      const inbox = await eventInbox(ctx);
      expect(await t.deliver(notifications[0])).to.include({ failed: 1 });
      const item = await order(orderId);
      expect([item.status, item.emailStatus]).to.deep.equal(["NOTIFIED", "FAILED"]);
      expect(item.emailFailure).to.deep.include({ event: "Bounce", reason: "Permanent/General: smtp; 550 5.1.1 user unknown", messageId });
      const events = await receiveEvents(ctx.clients.sqs, inbox, 1);
      expect(events.map((e) => [e.detailType, e.detail.orderId, e.detail.messageId, e.detail.reason])).to.deep.equal([
        ["email.failed", orderId, messageId, "Bounce"],
      ]);
    });

    it("marks it DELIVERED on a delivery", async () => {
      const { orderId, notifications } = await mailedOrder(ctx, ALICE.email);
      expect(await t.deliver(notifications[0])).to.include({ delivered: 1 });
      expect((await order(orderId)).emailStatus).to.equal("DELIVERED");
    });

    it("fails an event it cannot record yet, by name, so Lambda retries it", async () => {
      const { notifications } = await mailedOrder(ctx, ALICE.email);
      const message = JSON.parse(notifications[0].Records[0].Sns.Message);
      message.mail.messageId = "0102019a-unknown-000000";
      // The order's current email is another one, so this is an earlier email's event: not a failure.
      expect(await t.deliver(snsNotification(message, TOPIC))).to.include({ superseded: 1 });
      let error: Error | undefined;
      await t.deliver({ Records: [{ Sns: { MessageId: "m-1", Message: "not json" } }] }).catch((e) => (error = e));
      expect(error?.name).to.equal("EmailEventFailures");
      expect(error?.message).to.match(/1 email event\(s\) failed: m-1 \(SyntaxError\)/);
    });
  });
}
