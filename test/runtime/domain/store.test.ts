import { expect } from "chai";
import { useLocalAws } from "../../helpers/aws";
import { makePricedOrder } from "../../helpers/orders";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { MAX_NUMBERING_BATCH, OrderStore } from "../../../runtime/domain/store";

describe("OrderStore", () => {
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);

  it("lets exactly one of many concurrent claimants send an invoice's email", async () => {
    // Prepare: an invoiced order
    const order = makePricedOrder();
    await store().createOrder(order);
    await store().assignInvoiceNumber((await store().get(order.orderId))!, new Date());
    expect(await store().markInvoiced(order.orderId, new Date())).to.equal(true);
    // Act
    const wins = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store().claimNotification(order.orderId, new Date(), 60_000, `claim-${i}`)),
    );
    // Assess
    expect(wins.filter(Boolean)).to.have.length(1);
  });

  it("numbers orders numbered concurrently by independent workers 1..n, each once", async () => {
    const orders = Array.from({ length: 10 }, () => makePricedOrder());
    for (const o of orders) await store().createOrder(o);
    // Every order numbered twice at once, with no in-process serialization: only DynamoDB arbitrates.
    const results = await Promise.all(
      [...orders, ...orders].map(async (o) => store().assignInvoiceNumber((await store().get(o.orderId))!, new Date())),
    );
    const byOrder = new Map<string, Set<number>>();
    for (const r of results) byOrder.set(r.order.orderId, (byOrder.get(r.order.orderId) ?? new Set()).add(r.invoiceSeq!));
    expect([...byOrder.values()].map((s) => s.size)).to.deep.equal(Array(10).fill(1));
    expect([...byOrder.values()].map((s) => [...s][0]).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  describe("assignInvoiceNumbers", () => {
    const created = async (n: number) => {
      const orders = Array.from({ length: n }, () => makePricedOrder());
      for (const o of orders) await store().createOrder(o);
      return Promise.all(orders.map(async (o) => (await store().get(o.orderId))!));
    };
    const counter = async () =>
      (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk: "COUNTER#invoice" } }))).Item?.value;

    it("numbers a batch in the given order with one counter move, and the next batch after it", async () => {
      // Prepare
      const [first, second] = [await created(3), await created(2)];

      // Act
      const a = await store().assignInvoiceNumbers(first, new Date());
      const b = await store().assignInvoiceNumbers(second, new Date());

      // Assess
      expect([...a, ...b].map((r) => r.invoiceNumber)).to.deep.equal([
        "INV-000001",
        "INV-000002",
        "INV-000003",
        "INV-000004",
        "INV-000005",
      ]);
      expect((await store().get(first[2].order.orderId))?.invoiceSeq).to.equal(3);
      expect(await counter()).to.equal(5);
    });

    it("keeps the number an order already has and numbers only the others, without a gap", async () => {
      // Prepare: one order numbered earlier, then redelivered inside a batch, twice.
      const orders = await created(3);
      const [earlier] = await store().assignInvoiceNumbers([orders[1]], new Date());

      // Act: the batch still holds the stale, unnumbered read of orders[1].
      const batch = await store().assignInvoiceNumbers([orders[0], orders[1], orders[2], orders[1]], new Date());

      // Assess
      expect(earlier.invoiceSeq).to.equal(1);
      expect(batch.map((r) => r.invoiceSeq)).to.deep.equal([2, 1, 3, 1]);
      expect(await counter()).to.equal(3);
    });

    it("numbers overlapping batches from independent workers 1..n, each order once", async () => {
      // Prepare: 12 orders; four workers take overlapping batches at once.
      const orders = await created(12);
      const batches = [orders.slice(0, 6), orders.slice(3, 9), orders.slice(6, 12), [...orders].reverse()];

      // Act
      const results = (await Promise.all(batches.map((b) => store().assignInvoiceNumbers(b, new Date())))).flat();

      // Assess
      const byOrder = new Map<string, Set<number>>();
      for (const r of results) byOrder.set(r.order.orderId, (byOrder.get(r.order.orderId) ?? new Set()).add(r.invoiceSeq!));
      expect([...byOrder.values()].map((s) => s.size)).to.deep.equal(Array(12).fill(1));
      expect([...byOrder.values()].map((s) => [...s][0]).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(await counter()).to.equal(12);
    });

    it("refuses a batch larger than one transaction holds", async () => {
      const tooMany = Array.from({ length: MAX_NUMBERING_BATCH + 1 }, () => ({ order: makePricedOrder(), status: "PENDING" }) as const);
      const error = await store()
        .assignInvoiceNumbers(tooMany, new Date())
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error?.message).to.equal(`at most ${MAX_NUMBERING_BATCH} orders per numbering transaction, got ${MAX_NUMBERING_BATCH + 1}`);
    });
  });

  it("gives an idempotency record back only while it is live", async () => {
    const order = makePricedOrder();
    const now = new Date();
    const expires = Math.floor(now.getTime() / 1000) + 60;
    expect(await store().createOrderWithKey(order, "k", "h", expires, now)).to.equal("created");
    expect(await store().getIdempotency(order.customer.id, "k", now)).to.deep.include({ orderId: order.orderId, requestHash: "h" });
    expect(await store().getIdempotency(order.customer.id, "k", new Date(now.getTime() + 61_000))).to.equal(undefined);
    expect(await store().createOrderWithKey(makePricedOrder({ customer: order.customer }), "k", "h2", expires, now)).to.equal("conflict");
  });
});
