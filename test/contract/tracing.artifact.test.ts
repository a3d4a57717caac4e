import { expect } from "chai";
import { DeleteIdentityCommand } from "@aws-sdk/client-ses";
import { SENDER, useLocalAws } from "../helpers/aws";
import { apiDeps, drainQueue, workerDeps } from "../helpers/deps";
import { orderBody, postOrder, getOrder, s3Event } from "../helpers/events";
import { deployedLambdas, lambdaEnv, LambdaProcess, type TraceSegment } from "../helpers/lambda-artifact";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";

/**
 * X-Ray tracing, as the deployed archives do it: each Lambda's bundle runs in its own process
 * with what Lambda sets for a function with active tracing (AWS_EXECUTION_ENV, a trace header per
 * invocation, the daemon's UDP address), and the segments it sends are read off a stand-in daemon.
 */

/** Every segment of one trace, subsegments flattened, as the daemon received them. */
function traceOf(segments: TraceSegment[], traceId: string): TraceSegment[] {
  const flat: TraceSegment[] = [];
  const walk = (s: TraceSegment) => {
    flat.push(s);
    for (const c of s.subsegments ?? []) walk({ ...c, trace_id: s.trace_id });
  };
  for (const s of segments.filter((x) => x.trace_id === traceId)) walk(s);
  return flat;
}
/** The AWS calls of a trace, as `Service.Operation`. */
const awsCalls = (spans: TraceSegment[]) => spans.filter((s) => s.namespace === "aws").map((s) => `${s.name}.${s.aws?.operation}`);

/** Waits until the daemon holds the invocation's own subsegment (`## <part>`): the SDK sends it on close, over UDP. */
async function handlerSpan(p: LambdaProcess, traceId: string, part: string): Promise<TraceSegment> {
  for (let i = 0; i < 100; i++) {
    const span = traceOf(p.segments, traceId).find((s) => s.name === `## ${part}`);
    if (span) return span;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `no "## ${part}" subsegment for trace ${traceId}; received: ${JSON.stringify(p.segments.map((s) => [s.trace_id, s.name]))}`,
  );
}

describe("X-Ray tracing of the deployed Lambdas (the archives, with Lambda's tracing environment)", function () {
  this.timeout(60000);
  const ctx = useLocalAws();
  let p: LambdaProcess | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  it("order API: one '## order-api' subsegment per invocation, annotated with the order, route and status; the DynamoDB and SQS calls inside it", async () => {
    const fn = (await deployedLambdas("dev")).api;
    p = await LambdaProcess.start(fn, lambdaEnv(fn, ctx.env, ctx.moto.endpoint));
    const placed = await p.invoke<{ statusCode: number; body: string }>(postOrder(orderBody()));
    expect(placed.statusCode).to.equal(202);
    const orderId = JSON.parse(placed.body).orderId;
    const first = await handlerSpan(p, p.traces[0], "order-api");
    expect(first.annotations).to.deep.equal({ ColdStart: true, Service: "order-api", route: "POST /orders", statusCode: 202, orderId });
    const calls = awsCalls(traceOf(p.segments, p.traces[0]));
    expect(calls).to.include("SQS.SendMessage");
    expect(calls.filter((c) => c.startsWith("DynamoDB."))).to.not.be.empty;
    // Each AWS call hangs under the invocation's subsegment, not beside it.
    for (const s of traceOf(p.segments, p.traces[0]).filter((x) => x.namespace === "aws")) expect(s.parent_id, s.name).to.equal(first.id);

    // A refusal is traced too, with its error code; the second invocation is warm.
    const refused = await p.invoke<{ statusCode: number; body: string }>(postOrder(orderBody({ items: [] })));
    expect(refused.statusCode).to.equal(400);
    const second = await handlerSpan(p, p.traces[1], "order-api");
    expect(second.annotations).to.include({ ColdStart: false, statusCode: 400, errorCode: JSON.parse(refused.body).error.code });
    expect(second.annotations).to.not.have.property("orderId");
    expect([second.error, second.fault], "a 4xx is an error, not a fault").to.deep.equal([true, undefined]);
    expect([first.error, first.fault]).to.deep.equal([undefined, undefined]);

    // An invoiced order read by id carries the id it was asked for; presigning its PDF link is no S3 call.
    const [msg] = await drainQueue(ctx);
    await processOrderMessage(msg.body, workerDeps(ctx));
    const read = await p.invoke<{ statusCode: number; body: string }>(getOrder(orderId));
    expect(read.statusCode).to.equal(200);
    expect(JSON.parse(read.body).invoice.url).to.match(/X-Amz-Signature=/);
    expect((await handlerSpan(p, p.traces[2], "order-api")).annotations).to.include({ orderId, route: "GET /orders/{orderId}" });
    expect(awsCalls(traceOf(p.segments, p.traces[2])).filter((c) => c.startsWith("S3."))).to.deep.equal([]);
    expect(new Set(p.traces).size).to.equal(3);
  });

  it("order API: an answered 503 (the store unreachable) is flagged a fault on its subsegment", async () => {
    const fn = (await deployedLambdas("dev")).api;
    p = await LambdaProcess.start(fn, lambdaEnv(fn, ctx.env, "http://127.0.0.1:9")); // nothing listens on port 9
    const r = await p.invoke<{ statusCode: number; body: string }>(postOrder(orderBody()));
    expect(r.statusCode).to.equal(503);
    const span = await handlerSpan(p, p.traces[0], "order-api");
    expect(span.fault).to.equal(true);
    expect(span.annotations).to.include({ statusCode: 503, errorCode: JSON.parse(r.body).error.code });
  });

  it("order API: the log lines of a traced invocation carry its trace id and Lambda's request id", async () => {
    const fn = (await deployedLambdas("dev")).api;
    p = await LambdaProcess.start(fn, lambdaEnv(fn, ctx.env, ctx.moto.endpoint));
    await p.invoke(postOrder(orderBody({ items: [] })));
    const lines = p.logs.map((l) => JSON.parse(l)).filter((l) => l.msg);
    expect(lines).to.not.be.empty;
    for (const l of lines) expect(l).to.include({ traceId: p.traces[0], functionRequestId: "inv-1", coldStart: true, part: "order-api" });
  });

  it("email notifier: the invoice's order as annotation; the DynamoDB, KMS and SES calls inside its subsegment", async () => {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId;
    const [msg] = await drainQueue(ctx);
    await processOrderMessage(msg.body, workerDeps(ctx));
    const fn = (await deployedLambdas("dev")).notifier;
    p = await LambdaProcess.start(fn, lambdaEnv(fn, ctx.env, ctx.moto.endpoint));
    expect(await p.invoke(s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`]))).to.include({ sent: 1 });
    const span = await handlerSpan(p, p.traces[0], "email-notifier");
    expect(span.annotations).to.deep.equal({ ColdStart: true, Service: "email-notifier", orderId, records: 1 });
    const calls = awsCalls(traceOf(p.segments, p.traces[0]));
    expect(calls).to.include.members(["SES.SendEmail", "KMS.GenerateMac"]);
    expect(calls.filter((c) => c.startsWith("DynamoDB."))).to.not.be.empty;
  });

  it("email notifier: a failed invocation is marked on its subsegment and still throws to Lambda (so the event is retried)", async () => {
    const fn = (await deployedLambdas("dev")).notifier;
    // SES refuses: the sender is no longer verified in this moto.
    await ctx.clients.ses.send(new DeleteIdentityCommand({ Identity: SENDER }));
    p = await LambdaProcess.start(fn, lambdaEnv(fn, ctx.env, ctx.moto.endpoint));
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(r.body).orderId;
    const [msg] = await drainQueue(ctx);
    await processOrderMessage(msg.body, workerDeps(ctx));
    const err = await p.invoke(s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`])).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err, "the invocation must fail").to.be.instanceOf(Error);
    const span = await handlerSpan(p, p.traces[0], "email-notifier");
    expect(span.error || span.fault, JSON.stringify(span)).to.equal(true);
    expect(span.annotations).to.include({ orderId });
    // SES's refusal names the address it refused; neither the trace nor the log line may keep it.
    const ses = traceOf(p.segments, p.traces[0]).find((x) => x.name === "SES");
    expect(JSON.stringify(ses), "SES refused, and its subsegment says why").to.match(/MessageRejected/);
    const everything = JSON.stringify(p.segments) + p.logs.join("\n");
    expect(everything).to.not.match(/[\w.+-]+@[\w-]+\.[\w.]+/);
    expect(p.logs.join("\n")).to.contain("<email>");
  });
});
