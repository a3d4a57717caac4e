import { expect } from "chai";
import { waitUntil } from "../../helpers/wait";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, drainQueue, queueDepth, tableItems, workerDeps, capturingLogger } from "../../helpers/deps";
import { orderBody, postOrder } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { createNumberingBatcher, PoisonMessage, processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { retryDelaySeconds, startWorkerLoop } from "../../../runtime/handlers/worker-loop";
import type { LocalAws } from "../../helpers/aws";
import { renderInvoicePdf } from "../../../runtime/invoices/pdf";
import { OrderStore } from "../../../runtime/domain/store";
// pdf-parse's package index runs a self-test when loaded without a parent; its lib entry does not.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pdfParse: (b: Buffer) => Promise<{ numpages: number; text: string }> = require("pdf-parse/lib/pdf-parse.js");

/** Places `n` orders through the API handler and returns the queued message bodies. */
async function placeOrders(ctx: LocalAws, n: number): Promise<string[]> {
  for (let i = 0; i < n; i++) {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    expect(r.statusCode).to.equal(202);
  }
  return (await drainQueue(ctx)).map((m) => m.body);
}

async function orderItem(ctx: LocalAws, orderId: string) {
  return (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk: `ORDER#${orderId}` } }))).Item!;
}

async function pdfAt(ctx: LocalAws, key: string): Promise<Buffer> {
  const o = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: key }));
  return Buffer.from(await o.Body!.transformToByteArray());
}

describe("invoice worker", () => {
  const ctx = useLocalAws();

  describe("processOrderMessage", () => {
    it("stores the invoice PDF at invoices/{orderId}.pdf and moves the order to INVOICED", async () => {
      // Prepare
      const [body] = await placeOrders(ctx, 1);
      const orderId = JSON.parse(body).order.orderId;
      // Act
      const r = await processOrderMessage(body, workerDeps(ctx));
      // Assess
      expect(r).to.deep.equal({ orderId, outcome: "invoiced" });
      const item = await orderItem(ctx, orderId);
      expect(item).to.include({ status: "INVOICED", invoiceNumber: "INV-000001", invoiceKey: `invoices/${orderId}.pdf` });
      const head = await ctx.clients.s3.send(new HeadObjectCommand({ Bucket: ctx.resources.bucket, Key: `invoices/${orderId}.pdf` }));
      expect(head.ContentType).to.equal("application/pdf");
      expect(head.Metadata).to.include({ "order-id": orderId, "invoice-number": "INV-000001" });
      const pdf = await pdfParse(await pdfAt(ctx, `invoices/${orderId}.pdf`));
      expect(pdf.text).to.contain("INV-000001").and.contain(orderId).and.contain("TSHIRT-RED-M");
    });

    it("makes one invoice with one number when a message is delivered twice", async () => {
      const [body] = await placeOrders(ctx, 1);
      const first = await processOrderMessage(body, workerDeps(ctx));
      const second = await processOrderMessage(body, workerDeps(ctx));
      expect([first.outcome, second.outcome]).to.deep.equal(["invoiced", "duplicate"]);
      const objects = await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucket }));
      expect(objects.KeyCount).to.equal(1);
      const counter = (await tableItems(ctx)).find((i) => i.pk === "COUNTER#invoice");
      expect(counter?.value).to.equal(1);
    });

    it("gives one number when two workers take the same message at once", async () => {
      const [body] = await placeOrders(ctx, 1);
      const results = await Promise.all([processOrderMessage(body, workerDeps(ctx)), processOrderMessage(body, workerDeps(ctx))]);
      const orderId = results[0].orderId;
      expect((await orderItem(ctx, orderId)).invoiceNumber).to.equal("INV-000001");
      const counter = (await tableItems(ctx)).find((i) => i.pk === "COUNTER#invoice");
      expect(counter?.value).to.equal(1);
    });

    it("numbers concurrent orders uniquely and without gaps, as the loop runs them", async () => {
      // Prepare
      const bodies = await placeOrders(ctx, 8);
      const deps = workerDeps(ctx, {
        numberInvoice: createNumberingBatcher(new OrderStore(ctx.as["invoice-worker"].ddb, ctx.resources.table), () => new Date()),
      });
      // Act: every message processed concurrently, each delivered twice.
      await Promise.all([...bodies, ...bodies].map((b) => processOrderMessage(b, deps)));
      // Assess
      const numbers = (await tableItems(ctx))
        .filter((i) => i.type === "order")
        .map((i) => i.invoiceSeq as number)
        .sort((a, b) => a - b);
      expect(numbers).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it("numbers the orders asked for together in one transaction, a duplicate with its twin's number", async () => {
      // Prepare: a store that counts numbering transactions; five recorded orders.
      await placeOrders(ctx, 5);
      const store = new OrderStore(ctx.as["invoice-worker"].ddb, ctx.resources.table);
      const batches: number[] = [];
      const counting = Object.assign(Object.create(store), {
        assignInvoiceNumbers: (batch: Parameters<OrderStore["assignInvoiceNumbers"]>[0], now: Date) => {
          batches.push(batch.length);
          return store.assignInvoiceNumbers(batch, now);
        },
      }) as OrderStore;
      const number = createNumberingBatcher(counting, () => new Date());
      const records = (await tableItems(ctx)).filter((i) => i.type === "order").map((i) => i.pk as string);
      const current = await Promise.all(records.map((pk) => store.get(pk.slice("ORDER#".length)).then((r) => r!)));

      // Act: all asked for in one turn of the event loop, the first one twice.
      const numbered = await Promise.all([...current, current[0]].map((r) => number(r)));

      // Assess
      expect(batches).to.deep.equal([6]);
      expect(numbered.map((r) => r.invoiceSeq)).to.deep.equal([1, 2, 3, 4, 5, 1]);
    });

    const poison: [string, string][] = [
      ["not JSON", "hello"],
      ["JSON of the wrong shape", JSON.stringify({ v: 1, order: { orderId: "x" } })],
      ["an unknown message version", JSON.stringify({ v: 2, order: {} })],
    ];
    for (const [what, body] of poison) {
      it(`refuses a message that is ${what}`, async () => {
        let err: unknown;
        await processOrderMessage(body, workerDeps(ctx)).catch((e) => (err = e));
        expect(err).to.be.instanceOf(PoisonMessage);
        expect((await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucket }))).KeyCount).to.equal(0);
      });
    }
  });

  describe("the polling loop", () => {
    it("consumes the queue, deletes finished messages and stops when asked", async () => {
      // Prepare
      const n = 5;
      for (let i = 0; i < n; i++) await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      // Act
      const loop = startWorkerLoop(workerDeps(ctx));
      await waitUntil(() => loop.stats().processed >= n, 20000);
      await loop.stop();
      // Assess
      expect(loop.stats()).to.deep.equal({ processed: n, failed: 0, inFlight: 0 });
      expect(await queueDepth(ctx)).to.equal(0);
      const statuses = (await tableItems(ctx)).filter((i) => i.type === "order").map((i) => i.status);
      expect(statuses).to.deep.equal(Array(n).fill("INVOICED"));
    });

    it("leaves a failing message on the queue for a retry instead of deleting it", async () => {
      await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.queueUrl, MessageBody: "not an order" }));
      const { log, lines } = capturingLogger();
      const loop = startWorkerLoop(workerDeps(ctx, { log }));
      await waitUntil(() => loop.stats().failed >= 1, 10000);
      await loop.stop();
      expect(loop.stats().failed).to.equal(1);
      expect(await queueDepth(ctx)).to.equal(1);
      expect(lines.some((l) => JSON.parse(l).errorName === "PoisonMessage")).to.equal(true);
    });

    it("does not delete a message whose processing overran its budget", async () => {
      // Prepare: a renderer slower than the budget (a fault moto cannot produce).
      await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
      const { log, lines } = capturingLogger();
      const deps = workerDeps(ctx, {
        log,
        render: (doc) => {
          const end = Date.now() + 400;
          while (Date.now() < end);
          return renderInvoicePdf(doc);
        },
      });
      const loop = startWorkerLoop({ ...deps, settings: { ...deps.settings, messageBudgetSeconds: 0.2 } });
      // Act
      await waitUntil(() => loop.stats().failed >= 1, 10000);
      await loop.stop();
      // Assess: counted as failed and left on the queue for a retry.
      expect(loop.stats()).to.include({ failed: 1, processed: 0 });
      expect(await queueDepth(ctx)).to.equal(1);
      expect(lines.some((l) => JSON.parse(l).errorName === "MessageOverBudget")).to.equal(true);
    });

    it("backs off retries exponentially up to five minutes", () => {
      expect([1, 2, 3, 4, 10].map(retryDelaySeconds)).to.deep.equal([10, 20, 40, 80, 300]);
    });
  });
});
