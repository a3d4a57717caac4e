import { expect } from "chai";
import { SESClient } from "@aws-sdk/client-ses";
import { partClient, useLocalAws, settingsOf, REGION, SENDER, LINK_BASE } from "../../helpers/aws";
import { apiDeps, drainQueue, notifierDeps, tableItems, workerDeps } from "../../helpers/deps";
import { orderBody, postOrder, ALICE } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { notifyInvoice } from "../../../runtime/handlers/email-notifier";
import { motoSentEmails } from "../../../local/moto";
import { sentMessages } from "../../../local/ses-events";

/**
 * The notifier speaks SES v1 (`@aws-sdk/client-ses` SendEmail) with a text and an HTML part.
 * moto 5.2 keeps only the HTML part of a SendEmail, so the request itself is read on its way
 * to moto (a middleware on the real client), and moto's store is read for what it accepted.
 */
describe("email notifier: the SES v1 SendEmail it makes", function () {
  this.timeout(30000);
  const ctx = useLocalAws();

  /**
   * An invoiced order's id, and an SES client that records each request it sends: signed as the
   * notifier (its calls judged by the IAM check), or with the test's own key when `signedAsNotifier` is false.
   */
  async function invoicedOrderAndRecordingSes(signedAsNotifier = true) {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId as string;
    await processOrderMessage((await drainQueue(ctx))[0].body, workerDeps(ctx));
    const ses = signedAsNotifier
      ? partClient("email-notifier", (credentials) => new SESClient({ region: REGION, endpoint: ctx.moto.endpoint, credentials }))
      : new SESClient({ region: REGION, endpoint: ctx.moto.endpoint });
    const sent: URLSearchParams[] = [];
    ses.middlewareStack.add(
      (next) => async (args) => {
        const body = (args.request as { body?: unknown }).body;
        if (typeof body === "string") sent.push(new URLSearchParams(body));
        return next(args);
      },
      { step: "finalizeRequest", name: "recordSesRequests" },
    );
    return { orderId, ses, sent };
  }

  it("sends one SendEmail from the sender to the customer with a text part and an HTML part, both with the link", async () => {
    const { orderId, ses, sent } = await invoicedOrderAndRecordingSes();
    try {
      expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx, { ses }))).to.equal("sent");
    } finally {
      ses.destroy();
    }

    expect(sent).to.have.length(1);
    const q = sent[0];
    expect(q.get("Action")).to.equal("SendEmail");
    expect(q.get("Source")).to.equal(SENDER);
    expect(q.get("Destination.ToAddresses.member.1")).to.equal(ALICE.email);
    expect(q.get("Message.Subject.Data")).to.match(/^Your invoice INV-000001 from /);
    const text = q.get("Message.Body.Text.Data")!;
    const html = q.get("Message.Body.Html.Data")!;
    expect(text).to.contain(`${LINK_BASE}/invoices/${orderId}?`).and.not.contain("<");
    expect(html)
      .to.match(/^<!doctype html>/)
      .and.contain(`href="${LINK_BASE}/invoices/${orderId}?`);
    expect(q.get("Message.Body.Text.Charset")).to.equal("UTF-8");
    const stored = await motoSentEmails(ctx.moto.endpoint);
    expect(stored.map((m) => [m.source, m.destinations.ToAddresses, m.body])).to.deep.equal([[SENDER, [ALICE.email], html]]);
  });

  it("names the stack's configuration set and tags the email with its order: SES's delivery, bounce and complaint events find the order", async () => {
    const { orderId, ses, sent } = await invoicedOrderAndRecordingSes();
    try {
      expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx, { ses }))).to.equal("sent");
    } finally {
      ses.destroy();
    }
    const q = sent[0];
    expect(q.get("ConfigurationSetName")).to.equal(ctx.resources.configurationSet);
    expect([1, 2].map((i) => [q.get(`Tags.member.${i}.Name`), q.get(`Tags.member.${i}.Value`)])).to.deep.equal([
      ["kind", "invoice"],
      ["orderId", orderId],
    ]);
    // What SES (the launcher) accepted it with.
    const [accepted] = (await sentMessages(ctx.moto.endpoint))!.messages;
    expect([accepted.configurationSet, accepted.tags]).to.deep.equal([ctx.resources.configurationSet, { kind: "invoice", orderId }]);
  });

  it("is refused, as SES refuses it, when its configuration set does not exist: nothing sent, the order still INVOICED for a retry", async () => {
    // The send is signed with the test's key, not the notifier's (so notifierDeps' signer guard is passed around on
    // purpose, for `ses` only): in AWS the notifier's role may name only the stack's own set, so IAM would refuse this
    // send (AccessDenied) before SES could. The test is of SES's own refusal, which moto's launcher models; the IAM
    // check counts the call as the test's, not the notifier's.
    const { orderId, ses } = await invoicedOrderAndRecordingSes(false);
    const settings = { ...settingsOf(ctx).notifier, configurationSet: "no-such-set" };
    const deps = { ...notifierDeps(ctx, { settings }), ses };
    let error: unknown;
    try {
      await notifyInvoice(`invoices/${orderId}.pdf`, deps).catch((e) => (error = e));
    } finally {
      ses.destroy();
    }
    expect((error as Error).name).to.equal("ConfigurationSetDoesNotExistException");
    expect(await motoSentEmails(ctx.moto.endpoint)).to.deep.equal([]);
    const item = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;
    expect([item.status, item.notifyClaimId]).to.deep.equal(["INVOICED", undefined]);
  });
});
