import { expect } from "chai";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, tableItems, workerDeps } from "../../helpers/deps";
import { getOrder, orderBody, postOrder } from "../../helpers/events";
import type { FaultRule } from "../../helpers/fault-proxy";
import { useFaultProxy } from "../../helpers/faulty-aws";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { OrderNotConfirmed, processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { API_CLIENT_OPTIONS } from "../../../runtime/clients";

const GRACE_MS = 60_000;

describe("order intake: the order record is the outbox", () => {
  const ctx = useLocalAws();
  const f = useFaultProxy(ctx, "order-api", API_CLIENT_OPTIONS);
  const api = () => apiDeps(ctx, { ddb: f.clients.ddb, sqs: f.clients.sqs });
  const post = async (headers: Record<string, string> = {}) => {
    const r = await handleApiRequest(postOrder(orderBody(), { headers }), api());
    return { status: r.statusCode, body: JSON.parse(r.body), headers: r.headers ?? {} };
  };
  const orders = async () => (await tableItems(ctx)).filter((i) => i.type === "order");
  const pdfs = async () => (await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucket }))).KeyCount ?? 0;
  /** Runs the worker on every queued message, as it would see them `afterMs` from now. */
  const work = async (afterMs = 0) => {
    const deps = workerDeps(ctx, { now: () => new Date(Date.now() + afterMs) });
    const out: string[] = [];
    for (const m of await drainQueue(ctx)) {
      out.push(
        await processOrderMessage(m.body, deps).then(
          (r) => r.outcome,
          (e: Error) => e.name,
        ),
      );
    }
    return out.sort();
  };

  const keyless: {
    what: string;
    rule: FaultRule;
    also?: FaultRule;
    status: number;
    code?: string;
    /** When the worker sees the messages, from now. @default 0 */
    workAfterMs?: number;
    after: string[];
    left: number;
  }[] = [
    {
      what: "the order write committed but its answer was lost",
      rule: { service: "dynamodb", action: "PutItem", fault: { kind: "lost-ack" }, times: 1 },
      status: 202,
      after: ["invoiced"],
      left: 1,
    },
    {
      what: "the queue took the message but every answer was lost",
      rule: { service: "sqs", action: "SendMessage", fault: { kind: "lost-ack" } },
      status: 503,
      after: ["dropped", "dropped"],
      left: 0,
    },
    {
      what: "the confirmation committed but every answer was lost",
      rule: { service: "dynamodb", action: "UpdateItem", body: /enqueuedAt/, fault: { kind: "lost-ack" } },
      status: 202,
      after: ["invoiced"],
      left: 1,
    },
    {
      what: "the confirmation failed after the message was sent",
      rule: { service: "dynamodb", action: "UpdateItem", body: /enqueuedAt/, fault: { kind: "fail", status: 500 } },
      status: 503,
      after: ["dropped"],
      left: 0,
    },
    {
      what: "the confirmation committed unseen and the store then stopped answering",
      rule: { service: "dynamodb", action: "UpdateItem", body: /enqueuedAt/, fault: { kind: "lost-ack" } },
      also: { service: "dynamodb", action: "DeleteItem", fault: { kind: "fail", status: 500 } },
      status: 503,
      code: "ORDER_OUTCOME_UNKNOWN",
      after: ["invoiced"],
      left: 1,
    },
    {
      // The request died after sending: neither confirmed nor taken back. The worker abandons it after the grace.
      what: "the confirmation failed after the message was sent and the store then stopped answering",
      rule: { service: "dynamodb", action: "UpdateItem", body: /enqueuedAt/, fault: { kind: "fail", status: 500 } },
      also: { service: "dynamodb", action: "DeleteItem", fault: { kind: "fail", status: 500 } },
      status: 503,
      code: "ORDER_OUTCOME_UNKNOWN",
      workAfterMs: GRACE_MS + 1000,
      after: ["dropped"],
      left: 0,
    },
    {
      what: "the queue is unavailable",
      rule: { service: "sqs", action: "SendMessage", fault: { kind: "fail", status: 500, code: "InternalError" } },
      status: 503,
      after: [],
      left: 0,
    },
  ];
  for (const c of keyless) {
    it(`without a key, when ${c.what}: answers ${c.status}${c.code ? ` ${c.code}` : ""} and the end state agrees`, async () => {
      f.proxy.arm(c.rule);
      if (c.also) f.proxy.arm(c.also);
      const r = await post();
      f.proxy.clear();
      expect(r.status).to.equal(c.status);
      if (c.status === 503) expect(r.body.error.code).to.equal(c.code ?? "SERVICE_UNAVAILABLE");
      expect(await work(c.workAfterMs)).to.deep.equal(c.after);
      const left = await orders();
      expect(left).to.have.length(c.left);
      expect(await pdfs()).to.equal(c.left);
      if (c.left) expect([left[0].status, typeof left[0].enqueuedAt]).to.deep.equal(["INVOICED", "string"]);
      if (c.status === 202) expect((left[0].order as { orderId: string }).orderId).to.equal(r.body.orderId);
    });
  }

  it("with a key: a message sent for an unconfirmed order waits, is dropped after the grace, and the key's retry completes the order once", async () => {
    const headers = { "Idempotency-Key": "outbox-1" };
    f.proxy.arm({ service: "sqs", action: "SendMessage", fault: { kind: "lost-ack" } });
    expect((await post(headers)).status).to.equal(503);
    f.proxy.clear();
    const [orderId] = (await orders()).map((o) => (o.order as { orderId: string }).orderId);
    // GET does not show an order that was not accepted.
    expect((await handleApiRequest(getOrder(orderId), apiDeps(ctx))).statusCode).to.equal(404);
    // Within the grace the worker defers; after it, it drops the messages.
    const sent = await drainQueue(ctx); // one per SDK attempt: each was taken, each answer lost
    const early = await processOrderMessage(sent[0].body, workerDeps(ctx)).catch((e: unknown) => e);
    expect(early).to.be.instanceOf(OrderNotConfirmed);
    const late = workerDeps(ctx, { now: () => new Date(Date.now() + GRACE_MS + 1000) });
    const outcomes = await Promise.all(sent.map((m) => processOrderMessage(m.body, late).then((r) => r.outcome)));
    expect(outcomes).to.deep.equal(sent.map(() => "dropped"));
    // The retry with the key reopens and completes it.
    const retry = await post(headers);
    expect([retry.status, retry.body.orderId, retry.headers["idempotent-replayed"]]).to.deep.equal([202, orderId, "true"]);
    expect(await work()).to.deep.equal(["invoiced"]);
    expect(await pdfs()).to.equal(1);
    expect((await orders()).map((o) => o.status)).to.deep.equal(["INVOICED"]);
  });

  it("drops a message whose order does not exist with a log line, not as a poison message", async () => {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const [m] = await drainQueue(ctx);
    await ctx.clients.ddb.send(
      new (await import("@aws-sdk/lib-dynamodb")).DeleteCommand({
        TableName: ctx.resources.table,
        Key: { pk: `ORDER#${JSON.parse(r.body).orderId}` },
      }),
    );
    const { log, lines } = capturingLogger();
    expect((await processOrderMessage(m.body, workerDeps(ctx, { log }))).outcome).to.equal("dropped");
    expect(lines.some((l) => /never committed/.test(JSON.parse(l).msg))).to.equal(true);
  });

  it("answers 503 with a retry hint when the store does not answer at all, and confirms nothing", async () => {
    f.proxy.arm({ service: "dynamodb", fault: { kind: "freeze" } });
    const r = await post();
    expect([r.status, r.body.error.code, r.headers["retry-after"]]).to.deep.equal([503, "SERVICE_UNAVAILABLE", "2"]);
    f.proxy.clear(); // the held calls reach the store now, as a stopped server would process them
    expect(await drainQueue(ctx)).to.deep.equal([]);
    expect((await orders()).filter((o) => o.enqueuedAt)).to.deep.equal([]);
  });
});
