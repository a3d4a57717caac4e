import { expect } from "chai";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { partEnv, useLocalAws, type LocalAws } from "../helpers/aws";
import { apiDeps, drainQueue, queueDepth, tableItems } from "../helpers/deps";
import { orderBody, postOrder } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import { contractTargets } from "./targets";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { spawnWorkerProcess, type WorkerBuild } from "../../local/worker-process";

/**
 * The invoice worker's contract, as the queue and the stores see it, run against the container's
 * entry from source (ts-node) and as the image ships it (the esbuild bundle, in a folder without
 * node_modules): what it makes of waiting orders, duplicates and poison, and how it stops.
 */

/** Places `n` orders through the API (from source); returns their ids. */
async function placeOrders(ctx: LocalAws, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(JSON.parse((await handleApiRequest(postOrder(orderBody()), apiDeps(ctx))).body).orderId);
  return ids;
}
const orders = async (ctx: LocalAws) => (await tableItems(ctx)).filter((i) => i.type === "order");
const pdfKeys = async (ctx: LocalAws) =>
  ((await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucket }))).Contents ?? []).map((o) => o.Key!).sort();

const BUILDS: Record<"source" | "artifact", WorkerBuild> = { source: "source", artifact: "shipped" };

for (const target of contractTargets(["source", "artifact"]) as ("source" | "artifact")[]) {
  describe(`invoice worker contract [${target}]`, function () {
    this.timeout(90000);
    const ctx = useLocalAws();
    let worker: ReturnType<typeof start> | undefined;
    const start = (env: Record<string, string> = {}) => {
      const lines: string[] = [];
      const w = spawnWorkerProcess(
        { ...partEnv(ctx, "invoice-worker"), WORKER_WAIT_SECONDS: "1", ...env },
        { stdout: (l) => lines.push(l) },
        BUILDS[target],
      );
      return { ...w, lines };
    };
    afterEach(async () => {
      await worker?.stop();
      worker = undefined;
    });

    it("invoices every waiting order once: numbers 1..n without gaps, one PDF each, the queue emptied", async () => {
      const ids = await placeOrders(ctx, 6);
      worker = start({ WORKER_CONCURRENCY: "4" });
      expect(await waitUntil(async () => (await orders(ctx)).every((o) => o.status === "INVOICED"), 60000)).to.equal(true);
      const done = await orders(ctx);
      expect(done.map((o) => o.invoiceSeq as number).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(await pdfKeys(ctx)).to.deep.equal(ids.map((id) => `invoices/${id}.pdf`).sort());
      expect(await waitUntil(async () => (await queueDepth(ctx)) === 0, 10000)).to.equal(true);
    });

    it("makes one invoice of a message delivered twice", async () => {
      const [id] = await placeOrders(ctx, 1);
      const [msg] = await drainQueue(ctx); // hidden for 60 s: only the two copies below are visible
      for (let i = 0; i < 2; i++)
        await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.queueUrl, MessageBody: msg.body }));
      worker = start();
      expect(await waitUntil(async () => (await orders(ctx))[0]?.status === "INVOICED", 60000)).to.equal(true);
      expect(
        await waitUntil(
          async () => worker!.lines.filter((l) => /"(invoice stored|invoice re-stored|duplicate delivery)/.test(l)).length >= 2,
          30000,
        ),
      ).to.equal(true);
      expect(await pdfKeys(ctx)).to.deep.equal([`invoices/${id}.pdf`]);
      const counter = (await tableItems(ctx)).find((i) => i.pk === "COUNTER#invoice");
      expect(counter?.value).to.equal(1);
    });

    it("refuses a poison message without deleting it (the DLQ takes it after the configured receives) while the rest flow", async () => {
      await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.queueUrl, MessageBody: "not an order" }));
      await placeOrders(ctx, 2);
      worker = start();
      expect(await waitUntil(async () => (await orders(ctx)).every((o) => o.status === "INVOICED"), 60000)).to.equal(true);
      // Refused at each receive, never deleted: after the third (maxReceiveCount here) SQS moves it to the DLQ. Waited
      // for, not sampled: how many receives have passed once the orders are invoiced depends on the machine's speed.
      expect(await waitUntil(async () => (await queueDepth(ctx, ctx.resources.dlqUrl)) === 1, 30000)).to.equal(true);
      expect(await queueDepth(ctx)).to.equal(0);
      const refusals = worker.lines.filter((l) => l.includes('"PoisonMessage"')).map((l) => JSON.parse(l).receiveCount);
      expect(refusals).to.deep.equal([1, 2, 3]);
    });

    it("on SIGTERM finishes what it holds and exits 0", async () => {
      await placeOrders(ctx, 3);
      worker = start();
      expect(await waitUntil(() => worker!.lines.some((l) => l.includes('"worker started"')), 30000)).to.equal(true);
      worker.child.kill("SIGTERM");
      const { code, signal } = await worker.exited;
      expect(code, `ended by signal ${signal}; its last lines:\n${worker.lines.slice(-5).join("\n")}`).to.equal(0);
      const half = (await orders(ctx)).filter((o) => o.invoiceNumber && o.status !== "INVOICED");
      expect(half).to.deep.equal([]);
    });

    it("refuses to start without its settings, naming them, with exit code 78", async () => {
      worker = start({ ORDERS_TABLE: "", ORDERS_QUEUE_URL: "" });
      const { code } = await worker.exited;
      expect(code).to.equal(78);
    });
  });
}
