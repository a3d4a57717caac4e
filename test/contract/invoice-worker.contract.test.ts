import { expect } from "chai";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { MAX_RECEIVE_COUNT, partEnv, useLocalAws, type LocalAws } from "../helpers/aws";
import { apiDeps, drainQueue, queueDepth, tableItems } from "../helpers/deps";
import { orderBody, postOrder } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import { contractTargets } from "./targets";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { spawnWorkerProcess, type WorkerBuild } from "../../local/worker-process";
import { OrderStore } from "../../runtime/domain/store";
import { creditNoteOf, creditNoteRequestSchema } from "../../runtime/domain/credit-note";
import { enqueueCreditNote } from "../../runtime/handlers/credit-note-queue";

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

    it("issues a queued credit note: numbered CN-000001 once, its PDF stored beside the invoice, ISSUED", async () => {
      // Prepare: an invoiced order and a credit note reserved as the admin API does, its message sent twice
      const [id] = await placeOrders(ctx, 1);
      worker = start();
      expect(await waitUntil(async () => (await orders(ctx))[0]?.status === "INVOICED", 60000)).to.equal(true);
      const store = new OrderStore(ctx.clients.ddb, ctx.resources.table);
      const order = (await store.get(id))!.order;
      const request = creditNoteRequestSchema().parse({ id: "cn_contract1", kind: "full", reason: "Cancelled" });
      await store.reserveCreditNote(id, creditNoteOf(order, request), new Date(), { by: "admin", adminSub: "contract" });
      // Act
      for (let i = 0; i < 2; i++) await enqueueCreditNote(ctx.as["order-api"].sqs, ctx.resources.queueUrl, id, "cn_contract1");
      // Assess
      expect(await waitUntil(async () => (await store.getCreditNote("cn_contract1"))?.status === "ISSUED", 60000)).to.equal(true);
      expect(await waitUntil(async () => (await queueDepth(ctx)) === 0, 30000)).to.equal(true);
      expect(await store.getCreditNote("cn_contract1")).to.deep.include({ creditNoteNumber: "CN-000001", creditNoteSeq: 1 });
      expect(await pdfKeys(ctx)).to.deep.equal(["invoices/credit-notes/cn_contract1.pdf", `invoices/${id}.pdf`]);
      expect((await tableItems(ctx)).find((i) => i.pk === "COUNTER#creditNote")?.value).to.equal(1);
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
      // The poison comes back a second after each refusal, so where it is depends on the machine's speed: wait for
      // the end state (the DLQ holds it, each receive refused) rather than read the queue at one moment.
      const refusals = () =>
        worker!.lines.filter((l) => l.includes('"PoisonMessage"')).map((l) => (JSON.parse(l) as { receiveCount: number }).receiveCount);
      expect(
        await waitUntil(async () => (await queueDepth(ctx, ctx.resources.dlqUrl)) === 1 && refusals().length >= MAX_RECEIVE_COUNT, 60000),
        `refused at receives ${refusals().join(",")}`,
      ).to.equal(true);
      expect(refusals(), "one refusal per receive, never a delete").to.deep.equal(
        Array.from({ length: MAX_RECEIVE_COUNT }, (_, i) => i + 1),
      );
      expect(await queueDepth(ctx)).to.equal(0);
      expect(
        (await drainQueue(ctx, ctx.resources.dlqUrl)).map((m) => m.body),
        "the message in the DLQ as sent",
      ).to.deep.equal(["not an order"]);
    });

    it("records a probe as PROBE#<id> and makes nothing else: no order, no invoice number, no PDF; the queue emptied", async () => {
      const probe = { kind: "probe", v: 1, probeId: "smoke-contract-01", sentAt: new Date().toISOString() };
      await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.queueUrl, MessageBody: JSON.stringify(probe) }));
      worker = start();
      const items = await waitUntil(async () => {
        const all = await tableItems(ctx);
        return all.some((i) => i.pk === "PROBE#smoke-contract-01") && all;
      }, 60000);
      // The catalog every test stack loads is not the worker's: besides it, only the probe.
      const made = items && items.filter((i) => i.type !== "product" && i.type !== "shipping").map((i) => i.type);
      expect(made, worker.lines.slice(-5).join("\n")).to.deep.equal(["probe"]);
      expect(await pdfKeys(ctx)).to.deep.equal([]);
      expect(await waitUntil(async () => (await queueDepth(ctx)) === 0, 10000)).to.equal(true);
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
