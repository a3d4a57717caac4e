import { expect } from "chai";
import { PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { clientConfig, eventBridgeClient } from "../../../runtime/clients";
import { eventSource } from "../../../runtime/contracts/events";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { eventBridgePublisher, EventPublishError, type EventPublisher } from "../../../runtime/events";
import { partClient, REGION, useLocalAws, type LocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, workerDeps } from "../../helpers/deps";
import { orderBody, postOrder } from "../../helpers/events";

const SOURCE = eventSource("test");

/** Places one order through the API handler and returns its queued message body. */
async function placeOrder(ctx: LocalAws): Promise<string> {
  expect((await handleApiRequest(postOrder(orderBody()), apiDeps(ctx))).statusCode).to.equal(202);
  const [m] = await drainQueue(ctx);
  return m.body;
}

describe("invoice worker: invoice.issued", () => {
  const ctx = useLocalAws();
  let inbox: string;
  let publisher: EventPublisher;
  let destroy: () => void;

  beforeEach(async () => {
    // An ERP's rule on the bus, into its queue (set up by the test itself, not by the worker).
    const setup = eventBridgeClient(clientConfig({ region: REGION, endpoint: ctx.moto.endpoint }));
    inbox = (await ctx.clients.sqs.send(new CreateQueueCommand({ QueueName: "erp-inbox" }))).QueueUrl!;
    const arn = (await ctx.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ["QueueArn"] }))).Attributes!
      .QueueArn;
    const bus = ctx.resources.eventBus;
    await setup.send(new PutRuleCommand({ Name: "erp", EventBusName: bus, EventPattern: JSON.stringify({ source: [SOURCE] }) }));
    await setup.send(new PutTargetsCommand({ Rule: "erp", EventBusName: bus, Targets: [{ Id: "inbox", Arn: arn! }] }));
    setup.destroy();
    const client = partClient("invoice-worker", (keys) =>
      eventBridgeClient(
        clientConfig(
          { region: REGION, endpoint: ctx.moto.endpoint },
          { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
        ),
      ),
    );
    publisher = eventBridgePublisher({ client, busName: bus, source: SOURCE });
    destroy = () => client.destroy();
  });
  afterEach(() => destroy());

  /** Every event in the ERP's inbox after a short wait. */
  async function delivered(): Promise<Array<{ "detail-type": string; detail: Record<string, unknown> }>> {
    const r = await ctx.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    return (r.Messages ?? []).map((m) => JSON.parse(m.Body!));
  }

  it("publishes invoice.issued with the invoice's number and totals once the invoice is committed", async () => {
    const body = await placeOrder(ctx);
    const order = JSON.parse(body).order;

    const r = await processOrderMessage(body, workerDeps(ctx, { events: publisher }));

    expect(r.outcome).to.equal("invoiced");
    const [event] = await delivered();
    expect(event["detail-type"]).to.equal("invoice.issued");
    expect(event.detail).to.deep.include({
      eventId: "invoice.issued:INV-000001",
      orderId: order.orderId,
      invoiceNumber: "INV-000001",
      totalMinor: order.totalMinor,
      currency: order.currency,
    });
  });

  it("publishes nothing for a duplicate delivery", async () => {
    const body = await placeOrder(ctx);
    await processOrderMessage(body, workerDeps(ctx, { events: publisher }));
    await delivered();

    const again = await processOrderMessage(body, workerDeps(ctx, { events: publisher }));

    expect(again.outcome).to.equal("duplicate");
    expect(await delivered()).to.deep.equal([]);
  });

  it("keeps the invoice when publishing fails, and logs the alarm field", async () => {
    const body = await placeOrder(ctx);
    const refusing: EventPublisher = {
      publish: async () => {
        throw new EventPublishError([{ type: "invoice.issued", eventId: "x", errorCode: "InternalFailure" }]);
      },
    };
    const logger = capturingLogger("invoice-worker");

    const r = await processOrderMessage(body, workerDeps(ctx, { events: refusing, log: logger.log }));

    expect(r.outcome).to.equal("invoiced");
    const line = logger.lines.map((l) => JSON.parse(l)).find((l) => l.msg === "invoice.issued not published");
    expect(line).to.include({ level: "error", alarm: "event-not-published", event: "invoice.issued" });
    expect(
      (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk: `ORDER#${r.orderId}` } }))).Item,
    ).to.include({
      status: "INVOICED",
    });
  });
});
