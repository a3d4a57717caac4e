import { expect } from "chai";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { useLocalAws, REGION } from "./aws";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import { createClients, destroyClients, type AwsClients } from "../../runtime/clients";
import { sleep } from "./wait";

describe("fault proxy", () => {
  const ctx = useLocalAws();
  let proxy: FaultProxy;
  let viaProxy: AwsClients;
  let once: AwsClients; // no SDK retries: each call is one request
  before(async () => {
    proxy = await startFaultProxy(ctx.moto.endpoint);
    viaProxy = createClients({ region: REGION, endpoint: proxy.url });
    once = createClients({ region: REGION, endpoint: proxy.url, maxAttempts: 1 });
  });
  afterEach(() => proxy.clear());
  after(async () => {
    destroyClients(viaProxy);
    destroyClients(once);
    await proxy.close();
  });
  const put = (c: AwsClients, pk: string, cond = false) =>
    c.ddb.send(
      new PutCommand({
        TableName: ctx.resources.table,
        Item: { pk, v: 1 },
        ...(cond ? { ConditionExpression: "attribute_not_exists(pk)" } : {}),
      }),
    );
  const get = async (pk: string) =>
    (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk }, ConsistentRead: true }))).Item;
  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => e,
    );

  it("passes unmatched calls through and counts them by service and action", async () => {
    const before = proxy.counts();
    await put(viaProxy, "p1");
    await viaProxy.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.queueUrl, MessageBody: "x" }));
    await viaProxy.s3.send(new PutObjectCommand({ Bucket: ctx.resources.bucket, Key: "a/b.txt", Body: "x" }));
    const after = proxy.counts();
    const delta = (k: string) => (after.calls[k] ?? 0) - (before.calls[k] ?? 0);
    expect([delta("dynamodb:PutItem"), delta("sqs:SendMessage"), delta(`s3:PUT /${ctx.resources.bucket}/a/b.txt`)]).to.deep.equal([
      1, 1, 1,
    ]);
    expect(await get("p1")).to.deep.include({ v: 1 });
  });

  it("fails the next N matching calls with the given status and AWS error code, before they reach AWS", async () => {
    const id = proxy.arm({
      service: "dynamodb",
      action: "PutItem",
      fault: { kind: "fail", status: 400, code: "ProvisionedThroughputExceededException" },
      times: 2,
    });
    const errors = [await errorOf(put(once, "n1")), await errorOf(put(once, "n2")), await errorOf(put(once, "n3"))];
    expect(errors.map((e) => e?.name)).to.deep.equal([
      "ProvisionedThroughputExceededException",
      "ProvisionedThroughputExceededException",
      undefined,
    ]);
    expect(errors[0]?.$metadata?.httpStatusCode).to.equal(400);
    expect([await get("n1"), await get("n2"), (await get("n3")) !== undefined]).to.deep.equal([undefined, undefined, true]);
    expect(proxy.injected(id)).to.equal(2);
  });

  it("speaks each protocol's error format: SQS JSON, S3 XML", async () => {
    proxy.arm({ service: "sqs", action: "SendMessage", fault: { kind: "fail", status: 500, code: "InternalError" } });
    proxy.arm({ service: "s3", action: /^PUT /, fault: { kind: "fail", status: 503, code: "SlowDown" } });
    const sqsErr = await errorOf(once.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.queueUrl, MessageBody: "x" })));
    const s3Err = await errorOf(once.s3.send(new PutObjectCommand({ Bucket: ctx.resources.bucket, Key: "k", Body: "x" })));
    expect([sqsErr?.name, sqsErr?.$metadata?.httpStatusCode]).to.deep.equal(["InternalError", 500]);
    expect([s3Err?.name, s3Err?.$metadata?.httpStatusCode]).to.deep.equal(["SlowDown", 503]);
  });

  it("faults an even share of calls with a ratio", async () => {
    const id = proxy.arm({ service: "dynamodb", action: "PutItem", fault: { kind: "fail" }, ratio: 0.5 });
    const results = [];
    for (let i = 0; i < 10; i++) results.push((await errorOf(put(once, `r${i}`))) === undefined);
    expect(results.filter(Boolean)).to.have.length(5);
    expect(proxy.injected(id)).to.equal(5);
  });

  it("loses the answer of a committed write, so the SDK retries into its own write", async () => {
    const id = proxy.arm({ service: "dynamodb", action: "PutItem", fault: { kind: "lost-ack" }, times: 1 });
    // The conditional create committed on the first attempt; the retry finds its own item.
    const err = await errorOf(put(viaProxy, "lost1", true));
    expect(err?.name).to.equal("ConditionalCheckFailedException");
    expect(await get("lost1")).to.deep.include({ v: 1 });
    expect(proxy.injected(id)).to.equal(1);
  });

  it("picks calls by their body", async () => {
    proxy.arm({ service: "dynamodb", action: "PutItem", body: /"only-me"/, fault: { kind: "fail", code: "InternalServerError" } });
    expect((await errorOf(put(once, "only-me")))?.name).to.equal("InternalServerError");
    expect(await errorOf(put(once, "someone-else"))).to.equal(undefined);
  });

  it("holds frozen calls until the rule is cleared, then forwards them", async () => {
    const id = proxy.arm({ service: "dynamodb", action: "PutItem", fault: { kind: "freeze" } });
    let settled = false;
    const p = put(viaProxy, "frozen1").finally(() => (settled = true));
    await sleep(300);
    expect([settled, await get("frozen1")]).to.deep.equal([false, undefined]);
    proxy.clear(id);
    await p;
    expect(await get("frozen1")).to.deep.include({ v: 1 });
  });

  it("delays calls and still forwards them", async () => {
    const id = proxy.arm({ service: "dynamodb", action: "PutItem", fault: { kind: "delay", ms: 50 }, times: 1 });
    await put(viaProxy, "late1");
    expect([proxy.injected(id), (await get("late1")) !== undefined]).to.deep.equal([1, true]);
  });
});
