import { expect } from "chai";
import { PutRuleCommand, PutTargetsCommand, type EventBridgeClient, type PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { clientConfig, eventBridgeClient } from "../../runtime/clients";
import { eventSource } from "../../runtime/contracts/events";
import { EVENT_DETAIL_SCHEMAS, invoiceIssuedEvent, type ShopEvent } from "../../runtime/domain/events";
import { eventBridgePublisher, isEventPublishError } from "../../runtime/events";
import type { InvoicedRecord } from "../../runtime/domain/store";
import { partClient, REGION, useLocalAws } from "../helpers/aws";
import { domesticMixedRateOrder, exportOrder } from "../helpers/tax-orders";

const SOURCE = eventSource("test");

/** An invoiced record of an order, numbered `n`. */
const invoiced = (n: number, order = domesticMixedRateOrder()): InvoicedRecord => ({
  order,
  status: "INVOICED",
  invoiceNumber: `INV-2025-${String(n).padStart(6, "0")}`,
  invoiceKey: `invoices/${n}.pdf`,
  invoiceIssuedAt: "2025-03-14T09:26:53.000Z",
});

/**
 * EventBridge answers the first PutEvents as if it refused the entries at `refuse` (positions), sending
 * only the others to moto: a partial failure moto cannot produce on demand. Later calls go through.
 */
function refusingFirstCall(real: EventBridgeClient, refuse: number[], calls = 1): EventBridgeClient & { sent: number[] } {
  let left = calls;
  const sent: number[] = [];
  return new Proxy(real, {
    get(target, prop, recv) {
      if (prop === "sent") return sent;
      if (prop !== "send") return Reflect.get(target, prop, recv);
      return async (cmd: PutEventsCommand) => {
        const entries = cmd.input.Entries ?? [];
        sent.push(entries.length);
        if (left-- <= 0) return target.send(cmd);
        const kept = entries.filter((_, i) => !refuse.includes(i));
        if (kept.length) await target.send(new (cmd.constructor as typeof PutEventsCommand)({ Entries: kept }));
        return {
          FailedEntryCount: refuse.length,
          Entries: entries.map((_, i) =>
            refuse.includes(i) ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" } : { EventId: `ok-${i}` },
          ),
        };
      };
    },
  }) as EventBridgeClient & { sent: number[] };
}

describe("eventBridgePublisher against moto", () => {
  const ctx = useLocalAws({ catalog: false });
  let events: EventBridgeClient;
  /** The worker's client: its PutEvents calls are judged by the worker's task policy (test/helpers/iam-check.ts). */
  let asWorker: EventBridgeClient;
  let queueUrl: string;

  beforeEach(async () => {
    events = eventBridgeClient(clientConfig({ region: REGION, endpoint: ctx.moto.endpoint }));
    asWorker = partClient("invoice-worker", (keys) =>
      eventBridgeClient(
        clientConfig(
          { region: REGION, endpoint: ctx.moto.endpoint },
          { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
        ),
      ),
    );
    // An ERP's rule: every event of this shop, into its queue.
    const q = await ctx.clients.sqs.send(new CreateQueueCommand({ QueueName: "erp-inbox" }));
    queueUrl = q.QueueUrl!;
    const attrs = await ctx.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
    await events.send(
      new PutRuleCommand({ Name: "erp", EventBusName: ctx.resources.eventBus, EventPattern: JSON.stringify({ source: [SOURCE] }) }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: "erp",
        EventBusName: ctx.resources.eventBus,
        Targets: [{ Id: "inbox", Arn: attrs.Attributes!.QueueArn }],
      }),
    );
  });
  afterEach(() => {
    events.destroy();
    asWorker.destroy();
  });

  /** The events the rule delivered, until `n` arrived. */
  async function received(n: number): Promise<Array<{ source: string; "detail-type": string; detail: unknown }>> {
    const got: Array<{ source: string; "detail-type": string; detail: unknown }> = [];
    for (let i = 0; i < 10 && got.length < n; i++) {
      const r = await ctx.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      got.push(...(r.Messages ?? []).map((m) => JSON.parse(m.Body!)));
    }
    return got;
  }

  it("publishes invoice.issued on the stack's bus, where a rule on its source delivers it with the detail intact", async () => {
    const event = invoiceIssuedEvent(invoiced(1));
    const publisher = eventBridgePublisher({ client: asWorker, busName: ctx.resources.eventBus, source: SOURCE });

    await publisher.publish([event]);

    const [got] = await received(1);
    expect(got.source).to.equal(SOURCE);
    expect(got["detail-type"]).to.equal("invoice.issued");
    expect(EVENT_DETAIL_SCHEMAS["invoice.issued"].parse(got.detail)).to.deep.equal(event.detail);
    expect(got.detail).to.deep.include({ invoiceNumber: "INV-2025-000001", currency: "EUR", totalMinor: 6270, version: 1 });
  });

  it("sends 12 events in two calls of at most ten", async () => {
    const client = refusingFirstCall(asWorker, [], 0);
    const batch = Array.from({ length: 12 }, (_, i) => invoiceIssuedEvent(invoiced(i + 1)));

    await eventBridgePublisher({ client, busName: ctx.resources.eventBus, source: SOURCE }).publish(batch);

    expect(client.sent).to.deep.equal([10, 2]);
    expect((await received(12)).map((e) => (e.detail as { invoiceNumber: string }).invoiceNumber).sort()).to.deep.equal(
      batch.map((e) => e.detail.eventId.replace("invoice.issued:", "")).sort(),
    );
  });

  it("retries only the entries EventBridge refused, and every event arrives once", async () => {
    const client = refusingFirstCall(asWorker, [1]);
    const batch = [invoiceIssuedEvent(invoiced(1)), invoiceIssuedEvent(invoiced(2, exportOrder())), invoiceIssuedEvent(invoiced(3))];

    await eventBridgePublisher({ client, busName: ctx.resources.eventBus, source: SOURCE, sleep: async () => {} }).publish(batch);

    expect(client.sent).to.deep.equal([3, 1]);
    const numbers = (await received(3)).map((e) => (e.detail as { invoiceNumber: string }).invoiceNumber);
    expect(numbers.sort()).to.deep.equal(["INV-2025-000001", "INV-2025-000002", "INV-2025-000003"]);
  });

  it("names the events still refused after the last attempt in an EventPublishError", async () => {
    const client = refusingFirstCall(asWorker, [0], 3);
    const batch: ShopEvent[] = [invoiceIssuedEvent(invoiced(7)), invoiceIssuedEvent(invoiced(8))];

    const error = await eventBridgePublisher({ client, busName: ctx.resources.eventBus, source: SOURCE, sleep: async () => {} })
      .publish(batch)
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(isEventPublishError(error)).to.equal(true);
    expect(isEventPublishError(error) && error.failed).to.deep.equal([
      {
        type: "invoice.issued",
        eventId: "invoice.issued:INV-2025-000007",
        errorCode: "ThrottlingException",
        errorMessage: "Rate exceeded",
      },
    ]);
    expect(client.sent).to.deep.equal([2, 1, 1]);
  });

  it("refuses an event whose detail breaks its schema before sending anything", async () => {
    const client = refusingFirstCall(asWorker, [], 0);
    const bad = invoiceIssuedEvent(invoiced(1));
    const broken = { ...bad, detail: { ...bad.detail, totalMinor: -1 } } as ShopEvent;

    const error = await eventBridgePublisher({ client, busName: ctx.resources.eventBus, source: SOURCE })
      .publish([broken])
      .catch((e: unknown) => e);

    expect(error).to.be.instanceOf(Error);
    expect(client.sent).to.deep.equal([]);
  });
});
