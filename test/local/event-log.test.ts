import { expect } from "chai";
import { EVENT_LOG_LIMIT, LocalEventLog, parseEnvelope, type ReceivedEvent } from "../../local/event-log";

const event = (n: number): ReceivedEvent => ({
  id: `id-${n}`,
  source: "shop-backend.local",
  detailType: "order.paid",
  time: "2026-12-05T06:00:00Z",
  detail: { eventId: `order.paid:${n}` },
});

describe("the local event log (GET /_local/api/events)", () => {
  it("lists the newest first and keeps only the last 200", () => {
    const log = new LocalEventLog();

    for (let n = 1; n <= EVENT_LOG_LIMIT + 5; n++) log.add(event(n));

    const ids = log.list().map((e) => e.id);
    expect(EVENT_LOG_LIMIT).to.equal(200);
    expect(ids).to.have.length(200);
    expect([ids[0], ids[199]]).to.deep.equal(["id-205", "id-6"]);
  });

  it("reads EventBridge's envelope as a rule's SQS target gets it, and skips a message that is not one", () => {
    const body = JSON.stringify({
      version: "0",
      id: "e-1",
      "detail-type": "email.sent",
      source: "shop-backend.dev",
      account: "123456789012",
      time: "2026-12-05T06:00:00Z",
      region: "eu-central-1",
      resources: [],
      detail: { orderId: "ord_x", messageId: "m-1" },
    });

    expect(parseEnvelope(body)).to.deep.equal({
      id: "e-1",
      source: "shop-backend.dev",
      detailType: "email.sent",
      time: "2026-12-05T06:00:00Z",
      detail: { orderId: "ord_x", messageId: "m-1" },
    });
    for (const other of ["not json", "{}", JSON.stringify({ source: "x", "detail-type": "y", detail: "text" })])
      expect(parseEnvelope(other), other).to.equal(undefined);
  });
});
