import { expect } from "chai";
import { spawn } from "node:child_process";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { DeleteIdentityCommand, VerifyEmailIdentityCommand } from "@aws-sdk/client-ses";
import { SENDER, useLocalAws, writeTestSession } from "../helpers/aws";
import { apiDeps, drainQueue, notifierDeps, queueDepth, tableItems, workerDeps } from "../helpers/deps";
import { orderBody, postOrder } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { handleS3Event } from "../../runtime/handlers/email-notifier";
import { motoSentEmails } from "../../local/moto";
import { failedEvent, failedFunctionOf, parseRedriveArgs, redrive, toLocalFunctions, toQueue } from "../../local/redrive";
import { LOCAL_FUNCTION_ARNS, onFailureRecord, startNotifierDriver } from "../../local/notifier-driver";
import { ROOT } from "../helpers/pulumi-mocks";
import { NOTIFIER_ASYNC_RETRIES, NOTIFIER_RETRY_DELAYS_SECONDS } from "../../components/scaling";

describe("npm run redrive against the local pipeline", function () {
  this.timeout(60000);
  const ctx = useLocalAws({ bucketEventsQueue: true });
  /** Each failed event back to the local driver of the function that failed it, as `--local` does. */
  const toDrivers = () =>
    toLocalFunctions(ctx.clients.sqs, {
      [LOCAL_FUNCTION_ARNS.notifier]: ctx.resources.bucketEventsQueueUrl!,
      [LOCAL_FUNCTION_ARNS.emailEvents]: ctx.resources.emailEventsQueueUrl!,
    });

  it("moves the orders DLQ back onto the orders queue, body unchanged, and empties the DLQ", async () => {
    // Prepare: two dead orders
    const bodies = ['{"order":"a"}', '{"order":"b"}'];
    for (const b of bodies) await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.dlqUrl, MessageBody: b }));
    // Act
    const r = await redrive(ctx.clients.sqs, ctx.resources.dlqUrl, toQueue(ctx.clients.sqs, ctx.resources.queueUrl));
    // Assess
    expect(r).to.deep.equal({ moved: 2, failed: 0 });
    expect((await drainQueue(ctx)).map((m) => m.body).sort()).to.deep.equal(bodies);
    expect(await queueDepth(ctx, ctx.resources.dlqUrl)).to.equal(0);
  });

  it("keeps an email event that failed every attempt, and mails the invoice once it is redriven through the notifier driver", async () => {
    // Prepare: an invoiced order whose PDF event reaches a notifier that SES refuses (its sender is not verified any more).
    await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const [msg] = await drainQueue(ctx);
    const { orderId } = await processOrderMessage(msg.body, workerDeps(ctx));
    await ctx.clients.ses.send(new DeleteIdentityCommand({ Identity: SENDER }));
    const logs: string[] = [];
    const driver = startNotifierDriver({
      sqs: ctx.clients.sqs,
      queueUrl: ctx.resources.bucketEventsQueueUrl!,
      failureQueueUrl: ctx.resources.emailFailureQueueUrl!,
      handler: (e) => handleS3Event(e, notifierDeps(ctx)),
      log: (m) => logs.push(m),
      retryDelaysSeconds: NOTIFIER_RETRY_DELAYS_SECONDS.map(() => 0), // Lambda's attempts, without its waits
    });
    try {
      // Act 1: Lambda's three attempts fail; the event lands in the failure queue, not away.
      expect(
        await waitUntil(async () => (await queueDepth(ctx, ctx.resources.emailFailureQueueUrl!)) === 1, 30000, 200),
        logs.join("\n"),
      ).to.equal(true);
      expect(logs.filter((l) => l.includes("redelivered"))).to.have.length(NOTIFIER_ASYNC_RETRIES);
      expect(await motoSentEmails(ctx.moto.endpoint)).to.deep.equal([]);
      // Act 2: the operator fixes the cause and redrives.
      await ctx.clients.ses.send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
      const r = await redrive(ctx.clients.sqs, ctx.resources.emailFailureQueueUrl!, toDrivers());
      // Assess: one mail, the order notified, nothing left in the failure queue.
      expect(r).to.deep.equal({ moved: 1, failed: 0 });
      expect(await waitUntil(async () => (await motoSentEmails(ctx.moto.endpoint)).length === 1, 20000, 200)).to.equal(true);
      const order = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`);
      expect(order?.status).to.equal("NOTIFIED");
      expect(await queueDepth(ctx, ctx.resources.emailFailureQueueUrl!)).to.equal(0);
    } finally {
      await driver.stop();
    }
  });

  it("leaves a message that is not an on-failure record in the queue, and says so", async () => {
    await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.emailFailureQueueUrl!, MessageBody: '{"Records":[]}' }));
    const logs: string[] = [];
    const r = await redrive(ctx.clients.sqs, ctx.resources.emailFailureQueueUrl!, toDrivers(), (m) => logs.push(m));
    expect(r).to.deep.equal({ moved: 0, failed: 1 });
    expect(logs).to.have.length(1);
    expect(() => failedEvent('{"Records":[]}')).to.throw(/not a Lambda on-failure record/);
  });

  it("hands each failed event back to the function that failed it: the notifier's S3 event, the email events handler's SNS event", async () => {
    // Prepare: the failure queue both functions share holds one record of each (as Lambda writes them).
    const s3 = { Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: "b" }, object: { key: "invoices/ord_x.pdf" } } }] };
    const sns = { Records: [{ Sns: { MessageId: "m-1", Message: "{}" } }] };
    for (const [event, fn] of [
      [s3, LOCAL_FUNCTION_ARNS.notifier],
      [sns, LOCAL_FUNCTION_ARNS.emailEvents],
    ] as const)
      await ctx.clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: ctx.resources.emailFailureQueueUrl!,
          MessageBody: JSON.stringify(onFailureRecord(event, new Error("boom"), 3, fn)),
        }),
      );
    // Act
    const r = await redrive(ctx.clients.sqs, ctx.resources.emailFailureQueueUrl!, toDrivers());
    // Assess
    expect(r).to.deep.equal({ moved: 2, failed: 0 });
    // (S3 put its s3:TestEvent on the notifier's queue when the bucket notification was configured.)
    const notifierEvents = (await drainQueue(ctx, ctx.resources.bucketEventsQueueUrl!)).map((m) => JSON.parse(m.body));
    expect(notifierEvents.filter((e) => e.Event !== "s3:TestEvent")).to.deep.equal([s3]);
    expect((await drainQueue(ctx, ctx.resources.emailEventsQueueUrl!)).map((m) => JSON.parse(m.body))).to.deep.equal([sns]);
  });

  it("refuses a record of a function that is not the stack's, by its name in the record's ARN", () => {
    const record = (arn: string) => JSON.stringify(onFailureRecord({}, new Error("x"), 3, arn));
    const stack = ["shop-dev-notify-handler-1a2b3c", "shop-dev-mail-handler-4d5e6f"];
    expect(
      failedFunctionOf(record("arn:aws:lambda:eu-central-1:123456789012:function:shop-dev-mail-handler-4d5e6f:$LATEST"), stack),
    ).to.equal("shop-dev-mail-handler-4d5e6f");
    expect(() => failedFunctionOf(record("arn:aws:lambda:eu-central-1:123456789012:function:someone-else"), stack)).to.throw(
      /names someone-else, not a function of this stack/,
    );
  });

  it("runs as `npm run redrive -- --queue dlq --local` against a running pipeline's session", async () => {
    // Prepare: a session file as npm start writes it (this process stands in for npm start).
    const session = writeTestSession(ctx);
    const r = ctx.resources;
    await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: r.dlqUrl, MessageBody: '{"order":"c"}' }));
    // Act
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/redrive-cli.ts", "--queue", "dlq", "--local"], {
      cwd: ROOT,
      env: { ...process.env, SHOP_LOCAL_SESSION: session.file },
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const code = await new Promise((res) => child.on("exit", res));
    // Assess
    expect(code, out).to.equal(0);
    expect(out).to.contain("redrive dlq: 1 moved, 0 left in the queue");
    expect((await drainQueue(ctx)).map((m) => m.body)).to.deep.equal(['{"order":"c"}']);
    session.remove();
  });

  const argCases: { argv: string[]; ok?: unknown; error?: RegExp }[] = [
    { argv: ["--queue", "dlq", "--local"], ok: { queue: "dlq", target: { local: true } } },
    { argv: ["--queue", "email-failures", "--stack", "prod"], ok: { queue: "email-failures", target: { stack: "prod" } } },
    { argv: ["--queue", "dlq"], ok: { queue: "dlq", target: { stack: "dev" } } },
    { argv: ["--queue", "orders"], error: /--queue must be dlq or email-failures/ },
    { argv: ["--queue", "dlq", "--local", "--stack", "dev"], error: /not both/ },
    { argv: ["--queue", "dlq", "--force"], error: /unknown argument "--force"/ },
  ];
  for (const c of argCases) {
    it(`parses ${c.argv.join(" ")}`, () => {
      if (c.error) expect(() => parseRedriveArgs(c.argv)).to.throw(c.error);
      else expect(parseRedriveArgs(c.argv)).to.deep.equal(c.ok);
    });
  }
});
