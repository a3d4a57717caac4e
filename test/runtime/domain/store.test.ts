import { expect } from "chai";
import { useLocalAws } from "../../helpers/aws";
import { makePricedOrder } from "../../helpers/orders";
import { OrderStore } from "../../../runtime/domain/store";

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
    const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store().claimNotification(order.orderId, new Date(), 60_000, `claim-${i}`)));
    // Assess
    expect(wins.filter(Boolean)).to.have.length(1);
  });

  it("numbers orders numbered concurrently by independent workers 1..n, each once", async () => {
    const orders = Array.from({ length: 10 }, () => makePricedOrder());
    for (const o of orders) await store().createOrder(o);
    // Every order numbered twice at once, with no in-process serialization: only DynamoDB arbitrates.
    const results = await Promise.all([...orders, ...orders].map(async (o) => store().assignInvoiceNumber((await store().get(o.orderId))!, new Date())));
    const byOrder = new Map<string, Set<number>>();
    for (const r of results) byOrder.set(r.order.orderId, (byOrder.get(r.order.orderId) ?? new Set()).add(r.invoiceSeq!));
    expect([...byOrder.values()].map((s) => s.size)).to.deep.equal(Array(10).fill(1));
    expect([...byOrder.values()].map((s) => [...s][0]).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
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
