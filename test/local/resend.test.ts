import { expect } from "chai";
import { spawn } from "node:child_process";
import { useLocalAws, writeTestSession, REGION, type LocalAws } from "../helpers/aws";
import { apiDeps, capturingMetrics, drainQueue, emailEventsDeps, notifierDeps, workerDeps } from "../helpers/deps";
import { ALICE, orderBody, postOrder } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import { ROOT } from "../helpers/pulumi-mocks";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { handleS3Event, notifyInvoice } from "../../runtime/handlers/email-notifier";
import { handleEmailEvents } from "../../runtime/handlers/email-events";
import { OrderStore } from "../../runtime/domain/store";
import { METRICS } from "../../runtime/contracts/metrics";
import { startNotifierDriver } from "../../local/notifier-driver";
import { sentMessages, sesEventsFor, snsNotification } from "../../local/ses-events";
import { notifyLocal, parseResendArgs, resendInvoice, ResendRefused } from "../../local/resend";
import { NOTIFIER_RETRY_DELAYS_SECONDS } from "../../components/scaling";

const TOPIC = `arn:aws:sns:${REGION}:123456789012:test-mail-events`;
const BOUNCE = "bounce@simulator.amazonses.com";
const CORRECTED = "alice.corrected@example.com";

/** An order of a customer with `email`, invoiced, mailed, and SES's events for that email recorded; its id. */
async function mailedAndReported(ctx: LocalAws, email: string): Promise<string> {
  const r = await handleApiRequest(postOrder(orderBody(), { claims: { ...ALICE, email } }), apiDeps(ctx));
  const orderId = JSON.parse(r.body).orderId as string;
  await processOrderMessage((await drainQueue(ctx))[0].body, workerDeps(ctx));
  expect(await notifyInvoice(`invoices/${orderId}.pdf`, notifierDeps(ctx))).to.equal("sent");
  const page = (await sentMessages(ctx.moto.endpoint))!;
  for (const e of sesEventsFor(page.messages[page.messages.length - 1], new Date(), { region: REGION, accountId: "123456789012" }))
    await handleEmailEvents(snsNotification(e, TOPIC), emailEventsDeps(ctx));
  return orderId;
}

describe("npm run resend: the back office re-sends an invoice to a corrected address", function () {
  this.timeout(60000);
  const ctx = useLocalAws({ bucketEventsQueue: true });
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const toNotifier = () => notifyLocal(ctx.clients.sqs, ctx.resources.bucketEventsQueueUrl!, ctx.resources.bucket, REGION);
  /** The local notifier driver, as npm start runs it, with the metrics it emits kept. */
  const runNotifier = () => {
    const m = capturingMetrics();
    const driver = startNotifierDriver({
      sqs: ctx.clients.sqs,
      queueUrl: ctx.resources.bucketEventsQueueUrl!,
      handler: (e) => handleS3Event(e, notifierDeps(ctx, { metrics: m.metrics })),
      log: () => undefined,
      retryDelaysSeconds: NOTIFIER_RETRY_DELAYS_SECONDS.map(() => 0), // Lambda's attempts, without its waits
    });
    return { driver, points: m.points };
  };

  it("mails a bounced invoice to the corrected address through the notifier: NOTIFIED again with the new email, the bounced one kept as earlier", async () => {
    // Prepare: the first email bounced, and the order says so
    const orderId = await mailedAndReported(ctx, BOUNCE);
    const bounced = (await store().get(orderId))!;
    expect(bounced.emailStatus).to.equal("FAILED");
    const { driver, points } = runNotifier();
    try {
      // Act
      const r = await resendInvoice(store(), orderId, CORRECTED, new Date(), toNotifier());
      const notified = await waitUntil(
        async () => ((await store().get(orderId))?.status === "NOTIFIED" ? store().get(orderId) : undefined),
        20000,
        100,
      );
      // Assess: the second email went to the corrected address, and the order names it as its current email
      expect(r.previous).to.deep.equal({
        messageId: bounced.emailMessageId,
        to: BOUNCE,
        status: "FAILED",
        reason: "Permanent/General: smtp; 550 5.1.1 user unknown",
      });
      const sent = (await sentMessages(ctx.moto.endpoint))!.messages;
      expect(sent.map((m) => m.destinations.ToAddresses)).to.deep.equal([[BOUNCE], [CORRECTED]]);
      expect(sent[1].tags).to.deep.equal({ kind: "invoice", orderId });
      expect(notified).to.deep.include({ emailTo: CORRECTED, emailMessageId: sent[1].id, previousEmailMessageIds: [sent[0].id] });
      expect([notified!.emailStatus, notified!.emailFailure]).to.deep.equal([undefined, undefined]);
      // A re-send counts as an email sent, not in the pipeline's order-to-email latency (it is the back office's, days later).
      expect(points().map((p) => p.name)).to.deep.equal([METRICS.emailsSent.name]);
    } finally {
      await driver.stop();
    }
  });

  it("refuses an unknown order, and an order not emailed yet, changing nothing", async () => {
    const notified: string[] = [];
    const notify = async (id: string) => void notified.push(id);
    let error: unknown;
    await resendInvoice(store(), "ord_0000000000unknown", CORRECTED, new Date(), notify).catch((e) => (error = e));
    expect(error).to.be.instanceOf(ResendRefused);
    expect((error as Error).message).to.match(/there is no order ord_0000000000unknown/);
    // An invoiced order whose email has not gone out yet
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId as string;
    await processOrderMessage((await drainQueue(ctx))[0].body, workerDeps(ctx));
    await resendInvoice(store(), orderId, CORRECTED, new Date(), notify).catch((e) => (error = e));
    expect((error as Error).message).to.match(/is INVOICED: its invoice was not emailed yet/);
    expect((await store().get(orderId))!.emailTo).to.equal(undefined);
    expect(notified).to.deep.equal([]);
  });

  it("refuses to mail an address that marked the invoice as spam again, but re-sends to another one", async () => {
    const orderId = await mailedAndReported(ctx, "complaint@simulator.amazonses.com");
    expect((await store().get(orderId))!.emailFailure?.event).to.equal("Complaint");
    const notified: string[] = [];
    let error: unknown;
    await resendInvoice(store(), orderId, "Complaint@simulator.amazonses.com", new Date(), async (id) => void notified.push(id)).catch(
      (e) => (error = e),
    );
    expect((error as Error).message).to.match(/marked its invoice email as spam/);
    await resendInvoice(store(), orderId, CORRECTED, new Date(), async (id) => void notified.push(id));
    expect(notified).to.deep.equal([orderId]);
  });

  it("runs as `npm run resend -- --order ID --to ADDRESS --local` against a running pipeline's session", async () => {
    // Prepare: a bounced order, and a session file as npm start writes it (this process stands in for npm start and its notifier)
    const orderId = await mailedAndReported(ctx, BOUNCE);
    const session = writeTestSession(ctx);
    const { driver } = runNotifier();
    try {
      // Act
      const child = spawn(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", "local/resend-cli.ts", "--order", orderId, "--to", CORRECTED, "--local"],
        { cwd: ROOT, env: { ...process.env, SHOP_LOCAL_SESSION: session.file } },
      );
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      child.stderr.on("data", (b: Buffer) => (out += b.toString()));
      const code = await new Promise((res) => child.on("exit", res));
      // Assess
      expect(code, out).to.equal(0);
      const rec = (await store().get(orderId))!;
      expect(out).to.contain(
        `resend ${orderId}: handed to the notifier for ${CORRECTED} (the email to ${BOUNCE} was FAILED: Permanent/General`,
      );
      expect(out).to.contain(`resend ${orderId}: sent to ${CORRECTED}, SES message id ${rec.emailMessageId}`);
    } finally {
      await driver.stop();
      session.remove();
    }
  });

  const argCases: { argv: string[]; ok?: unknown; error?: RegExp }[] = [
    {
      argv: ["--order", "ord_0123456789ab", "--to", "a@b.example", "--local"],
      ok: { orderId: "ord_0123456789ab", to: "a@b.example", target: { local: true } },
    },
    {
      argv: ["--order", "ord_0123456789ab", "--to", "a@b.example", "--stack", "prod"],
      ok: { orderId: "ord_0123456789ab", to: "a@b.example", target: { stack: "prod" } },
    },
    {
      argv: ["--order", "ord_0123456789ab", "--to", "a@b.example"],
      ok: { orderId: "ord_0123456789ab", to: "a@b.example", target: { stack: "dev" } },
    },
    { argv: ["--order", "42", "--to", "a@b.example"], error: /--order needs an order id/ },
    { argv: ["--order", "ord_0123456789ab", "--to", "not an address"], error: /--to needs an email address/ },
    { argv: ["--order", "ord_0123456789ab", "--to", "a@b.example", "--local", "--stack", "dev"], error: /not both/ },
    { argv: ["--order", "ord_0123456789ab", "--to", "a@b.example", "--force"], error: /unknown argument "--force"/ },
  ];
  for (const c of argCases) {
    it(`parses ${c.argv.join(" ")}`, () => {
      if (c.error) expect(() => parseResendArgs(c.argv)).to.throw(c.error);
      else expect(parseResendArgs(c.argv)).to.deep.equal(c.ok);
    });
  }
});
