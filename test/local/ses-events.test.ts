import { expect } from "chai";
import { CreateConfigurationSetEventDestinationCommand, SendEmailCommand } from "@aws-sdk/client-ses";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { useLocalAws, REGION, type LocalAws } from "../helpers/aws";
import { apiDeps, drainQueue, notifierDeps, workerDeps } from "../helpers/deps";
import { ALICE, orderBody, postOrder } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { notifyInvoice } from "../../runtime/handlers/email-notifier";
import { sesEventSchema } from "../../runtime/handlers/email-events";
import { sentMessages, sesEventsFor, simulatedOutcome, startSesEventPublisher, type SentMessage } from "../../local/ses-events";

const ACCOUNT = { region: REGION, accountId: "123456789012" };

/** One call of SNS's query API on moto (the project has no SNS client: only this test talks to SNS). */
async function sns(ctx: LocalAws, action: string, params: Record<string, string>): Promise<string> {
  const r = await fetch(ctx.moto.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${REGION}/sns/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: "2010-03-31", ...params }).toString(),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`SNS ${action}: ${r.status} ${text}`);
  return text;
}

/** An invoiced order of a customer with `email`, mailed by the notifier through moto's SES. */
async function mailedOrder(ctx: LocalAws, email: string): Promise<string> {
  const r = await handleApiRequest(postOrder(orderBody(), { claims: { ...ALICE, email } }), apiDeps(ctx));
  const orderId = JSON.parse(r.body).orderId as string;
  await processOrderMessage((await drainQueue(ctx))[0].body, workerDeps(ctx));
  expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx))).to.equal("sent");
  return orderId;
}

const message = (to: string, tags: Record<string, string> = { orderId: "ord_0123456789ab", kind: "invoice" }): SentMessage => ({
  id: "0102019a-local-000000",
  source: "invoices@shop.example",
  destinations: { ToAddresses: [to] },
  subject: "Your invoice INV-000001 from Acme Shop GmbH",
  configurationSet: "shop-dev-mail",
  tags,
});

describe("SES events, locally (local/ses-events.ts)", function () {
  this.timeout(30000);
  const ctx = useLocalAws();

  it("moto keeps a configuration set's SNS event destination but publishes nothing to it: why the local publisher exists", async () => {
    // Prepare: a topic with a queue subscribed, the set's destination on it, and proof that the topic delivers.
    const topicArn = /<TopicArn>(.*)<\/TopicArn>/.exec(await sns(ctx, "CreateTopic", { Name: "ses-events" }))![1];
    const q = await ctx.clients.sqs.send(new CreateQueueCommand({ QueueName: "ses-events-probe" }));
    const queueArn = (await ctx.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl!, AttributeNames: ["QueueArn"] })))
      .Attributes!.QueueArn!;
    await sns(ctx, "Subscribe", {
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: queueArn,
      "Attributes.entry.1.key": "RawMessageDelivery",
      "Attributes.entry.1.value": "true",
    });
    await ctx.clients.ses.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: ctx.resources.configurationSet,
        EventDestination: {
          Name: "order-email-events",
          Enabled: true,
          MatchingEventTypes: ["bounce", "complaint", "delivery", "reject"],
          SNSDestination: { TopicARN: topicArn },
        },
      }),
    );
    const receive = async () =>
      (await ctx.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: q.QueueUrl!, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })))
        .Messages ?? [];
    await sns(ctx, "Publish", { TopicArn: topicArn, Message: "control" });
    expect((await receive()).map((m) => m.Body)).to.deep.equal(["control"]);
    // Act: an invoice email to SES's bounce address, with the set
    await mailedOrder(ctx, "bounce@simulator.amazonses.com");
    // Assess: moto accepted it, with the set, and published no event
    const [sent] = (await sentMessages(ctx.moto.endpoint))!.messages;
    expect(sent.configurationSet).to.equal(ctx.resources.configurationSet);
    expect(await receive()).to.deep.equal([]);
  });

  const outcomes = [
    { to: "bounce@simulator.amazonses.com", events: ["Bounce"], outcome: "bounce" },
    { to: "bounce+order42@simulator.amazonses.com", events: ["Bounce"], outcome: "bounce" },
    { to: "complaint@simulator.amazonses.com", events: ["Delivery", "Complaint"], outcome: "complaint" },
    { to: "suppressionlist@simulator.amazonses.com", events: ["Bounce"], outcome: "suppressed" },
    { to: "success@simulator.amazonses.com", events: ["Delivery"], outcome: "delivery" },
    { to: "alice@example.com", events: ["Delivery"], outcome: "delivery" },
  ];
  for (const c of outcomes) {
    it(`publishes ${c.events.join(" then ")} for ${c.to}, as SES's mailbox simulator does, in the shape SES writes`, () => {
      expect(simulatedOutcome(c.to)).to.equal(c.outcome);
      const events = sesEventsFor(message(c.to), new Date("2026-12-01T10:00:00.000Z"), ACCOUNT);
      expect(events.map((e) => e.eventType)).to.deep.equal(c.events);
      for (const e of events) {
        // The handler's own schema reads it; the mail object carries the send's tags, as arrays, beside SES's own.
        const parsed = sesEventSchema().parse(e);
        expect(parsed.mail).to.deep.include({
          messageId: "0102019a-local-000000",
          destination: [c.to],
          timestamp: "2026-12-01T10:00:00.000Z",
        });
        expect(parsed.mail.tags).to.deep.include({
          "ses:configuration-set": ["shop-dev-mail"],
          orderId: ["ord_0123456789ab"],
          kind: ["invoice"],
        });
      }
    });
  }

  it("writes a bounce as SES does: type, subtype, the recipient with its status and diagnostic code, a feedback id", () => {
    const [bounce] = sesEventsFor(message("bounce@simulator.amazonses.com"), new Date("2026-12-01T10:00:00.000Z"), ACCOUNT);
    expect(bounce.bounce).to.deep.include({ bounceType: "Permanent", bounceSubType: "General", timestamp: "2026-12-01T10:00:00.800Z" });
    expect((bounce.bounce as { bouncedRecipients: unknown[] }).bouncedRecipients).to.deep.equal([
      { emailAddress: "bounce@simulator.amazonses.com", action: "failed", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" },
    ]);
    // The same message gives the same event: a retried hand-over is recognised as a duplicate.
    const again = sesEventsFor(message("bounce@simulator.amazonses.com"), new Date("2026-12-01T10:00:00.000Z"), ACCOUNT);
    expect(again).to.deep.equal([bounce]);
  });

  it("publishes the events of emails sent with the stack's set only, each once, as SNS notifications", async () => {
    // Prepare: one invoice email (with the set) and one email sent without it
    const delivered: { Records: { Sns: { Message: string } }[] }[] = [];
    const publisher = startSesEventPublisher({
      endpoint: ctx.moto.endpoint,
      configurationSet: ctx.resources.configurationSet,
      account: ACCOUNT,
      topicArn: `arn:aws:sns:${REGION}:123456789012:test-mail-events`,
      deliver: async (e) => void delivered.push(e as (typeof delivered)[number]),
      log: () => undefined,
      intervalMs: 50,
    });
    try {
      const orderId = await mailedOrder(ctx, "complaint@simulator.amazonses.com");
      await ctx.clients.ses.send(
        new SendEmailCommand({
          Source: ctx.resources.sender,
          Destination: { ToAddresses: ["bounce@simulator.amazonses.com"] },
          Message: { Subject: { Data: "no set" }, Body: { Text: { Data: "x" } } },
        }),
      );
      // Act: wait until the publisher has passed both emails
      await waitUntil(() => delivered.length >= 2, 10000);
      await new Promise((r) => setTimeout(r, 300));
      // Assess
      const events = delivered.map((d) => JSON.parse(d.Records[0].Sns.Message));
      expect(events.map((e) => [e.eventType, e.mail.tags.orderId[0]])).to.deep.equal([
        ["Delivery", orderId],
        ["Complaint", orderId],
      ]);
      expect(publisher.published()).to.equal(2);
    } finally {
      await publisher.stop();
    }
  });
});
