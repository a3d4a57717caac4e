import { expect } from "chai";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { sleep, waitUntil } from "../helpers/wait";
import { partEnv, useLocalAws } from "../helpers/aws";
import { apiDeps, queueDepth, tableItems } from "../helpers/deps";
import { orderBody, postOrder } from "../helpers/events";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { spawnWorkerProcess } from "../../local/worker-process";

/** Starts the container's entry as its own process, as ECS would, collecting its log lines. */
function startWorkerProcess(env: Record<string, string>) {
  const lines: string[] = [];
  const stderr: string[] = [];
  const w = spawnWorkerProcess(env, { stdout: (l) => lines.push(l), stderr: (l) => stderr.push(l) });
  return { ...w, lines, stderr };
}

describe("invoice-container entry", function () {
  this.timeout(60000);
  const ctx = useLocalAws();

  it("on SIGTERM stops polling, finishes what is in flight and exits 0 within 30 s", async () => {
    // Prepare: a backlog bigger than one batch, and a worker busy with it.
    for (let i = 0; i < 12; i++) await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const w = startWorkerProcess({ ...partEnv(ctx, "invoice-worker"), WORKER_CONCURRENCY: "4", WORKER_WAIT_SECONDS: "20" });
    expect(await waitUntil(() => w.lines.some((l) => l.includes('"invoice stored"')), 20000)).to.equal(true);
    // Act
    const t0 = Date.now();
    w.child.kill("SIGTERM");
    const { code, at } = await w.exited;
    // Assess: clean exit, in time, and no order left half-done.
    expect(code).to.equal(0);
    expect(at - t0).to.be.lessThan(30000);
    expect(w.lines.some((l) => l.includes('"worker stopped"'))).to.equal(true);
    const orders = (await tableItems(ctx)).filter((i) => i.type === "order");
    const invoiced = orders.filter((o) => o.status === "INVOICED").length;
    expect(orders.filter((o) => o.invoiceNumber && o.status !== "INVOICED")).to.deep.equal([]);
    expect(invoiced).to.be.greaterThan(0);
    // Whatever was not finished is still on the queue for the next task.
    expect(await queueDepth(ctx)).to.equal(12 - invoiced);
  });

  it("on SIGTERM while idle in a long poll, lets the poll end and exits 0 within its wait", async () => {
    const w = startWorkerProcess({ ...partEnv(ctx, "invoice-worker"), WORKER_WAIT_SECONDS: "5" });
    expect(await waitUntil(() => w.lines.some((l) => l.includes('"worker started"')), 20000)).to.equal(true);
    await sleep(500);
    const t0 = Date.now();
    w.child.kill("SIGTERM");
    const { code, at } = await w.exited;
    expect(code).to.equal(0);
    // The poll is not aborted (see the next test); it ends within its 5 s wait.
    expect(at - t0).to.be.lessThan(5000 + 5000);
  });

  it("on SIGTERM leaves an order that arrives during the last long poll visible on the queue, not hidden", async () => {
    // Prepare: an idle worker in a long poll.
    const w = startWorkerProcess({ ...partEnv(ctx, "invoice-worker"), WORKER_WAIT_SECONDS: "5" });
    expect(await waitUntil(() => w.lines.some((l) => l.includes('"worker started"')), 20000)).to.equal(true);
    await sleep(500);
    // Act: stop it, and let an order arrive while that poll is still open at the queue.
    w.child.kill("SIGTERM");
    expect((await handleApiRequest(postOrder(orderBody()), apiDeps(ctx))).statusCode).to.equal(202);
    const { code } = await w.exited;
    // Assess: the message can be received at once by the next task (visibility timeout here is 30 s).
    expect(code).to.equal(0);
    const r = await ctx.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: ctx.resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    expect(r.Messages ?? [], "message left received but unprocessed").to.have.length(1);
  });

  it("refuses to start with a clear message when settings are missing", async () => {
    const w = startWorkerProcess({ ORDERS_TABLE: "", ORDERS_QUEUE_URL: "" });
    const { code } = await w.exited;
    expect(code).to.equal(78);
    expect(w.stderr.join("\n")).to.contain("invoice worker: invalid settings").and.contain("ORDERS_TABLE");
  });
});
