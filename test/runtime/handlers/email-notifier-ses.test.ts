import { expect } from "chai";
import { SESClient } from "@aws-sdk/client-ses";
import { partClient, useLocalAws, REGION, SENDER, LINK_BASE } from "../../helpers/aws";
import { apiDeps, drainQueue, notifierDeps, workerDeps } from "../../helpers/deps";
import { orderBody, postOrder, ALICE } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { notifyInvoice } from "../../../runtime/handlers/email-notifier";
import { motoSentEmails } from "../../../local/moto";

/**
 * The notifier speaks SES v1 (`@aws-sdk/client-ses` SendEmail) with a text and an HTML part.
 * moto 5.2 keeps only the HTML part of a SendEmail, so the request itself is read on its way
 * to moto (a middleware on the real client), and moto's store is read for what it accepted.
 */
describe("email notifier: the SES v1 SendEmail it makes", function () {
  this.timeout(30000);
  const ctx = useLocalAws();

  it("sends one SendEmail from the sender to the customer with a text part and an HTML part, both with the link", async () => {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId;
    const [msg] = await drainQueue(ctx);
    await processOrderMessage(msg.body, workerDeps(ctx));

    const ses = partClient("email-notifier", (credentials) => new SESClient({ region: REGION, endpoint: ctx.moto.endpoint, credentials }));
    const sent: URLSearchParams[] = [];
    ses.middlewareStack.add(
      (next) => async (args) => {
        const body = (args.request as { body?: unknown }).body;
        if (typeof body === "string") sent.push(new URLSearchParams(body));
        return next(args);
      },
      { step: "finalizeRequest", name: "recordSesRequests" },
    );
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
});
