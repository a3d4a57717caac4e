import { expect } from "chai";
import { useLocalAws } from "../../helpers/aws";
import { DUE_LATER, makePricedOrder, recordPaidOrder } from "../../helpers/orders";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { MAX_NUMBERING_BATCH, OrderStore, isDiscarded } from "../../../runtime/domain/store";

describe("OrderStore", () => {
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);

  it("lets exactly one of many concurrent claimants send an invoice's email", async () => {
    // Prepare: an invoiced order
    const order = makePricedOrder();
    await recordPaidOrder(store(), order);
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
    for (const o of orders) await recordPaidOrder(store(), o);
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
      for (const o of orders) await recordPaidOrder(store(), o);
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

    it("gives no number to an order that is not PAID, whoever asks, and moves no counter", async () => {
      const unpaid = makePricedOrder();
      await store().createOrder(unpaid, DUE_LATER);
      const error = await store()
        .assignInvoiceNumber((await store().get(unpaid.orderId))!, new Date())
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error?.message).to.equal(`Order ${unpaid.orderId} is AWAITING_PAYMENT: only a PAID order takes a number`);
      expect((await store().get(unpaid.orderId))!.invoiceNumber).to.equal(undefined);
      expect(await counter()).to.equal(undefined);
    });

    it("refuses a batch larger than one transaction holds", async () => {
      const tooMany = Array.from({ length: MAX_NUMBERING_BATCH + 1 }, () => ({ order: makePricedOrder(), status: "PAID" }) as const);
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
    expect(await store().createOrderWithKey(order, "k", "h", expires, now, DUE_LATER)).to.equal("created");
    expect(await store().getIdempotency(order.customer.id, "k", now)).to.deep.include({ orderId: order.orderId, requestHash: "h" });
    expect(await store().getIdempotency(order.customer.id, "k", new Date(now.getTime() + 61_000))).to.equal(undefined);
    expect(await store().createOrderWithKey(makePricedOrder({ customer: order.customer }), "k", "h2", expires, now, DUE_LATER)).to.equal(
      "conflict",
    );
  });

  describe("the payment lifecycle", () => {
    const at = new Date("2026-12-04T10:00:00.000Z");
    const created = async (dueBy = DUE_LATER) => {
      const order = makePricedOrder();
      await store().createOrder(order, dueBy);
      return order.orderId;
    };

    it("moves an order to PAID once, for its own payment only, and into the outbox with the caller's claim", async () => {
      const id = await created();
      expect(await store().recordPaymentId(id, "pi_1")).to.equal(true);
      expect(await store().recordPaymentId(id, "pi_other")).to.equal(false);
      expect(await store().markPaid(id, { paymentId: "pi_other" }, at, "c1")).to.equal(false);
      const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => store().markPaid(id, { paymentId: "pi_1" }, at, `c${i}`)));
      expect(wins.filter(Boolean)).to.have.length(1);
      const rec = (await store().get(id))!;
      expect([rec.status, rec.paidAt, rec.paymentId, rec.paymentDueBy]).to.deep.equal(["PAID", at.toISOString(), "pi_1", undefined]);
      expect((await store().listDue("OUTBOX", at, 10)).map((r) => r.order.orderId)).to.deep.equal([id]);
      expect(await store().listDue("PAYMENT_DUE", new Date("2100-01-01"), 10)).to.deep.equal([]);
    });

    it("lets one sender at a time claim a PAID order's message, and none once it is sent", async () => {
      const id = await created();
      await store().markPaid(id, { paymentId: "pi_2" }, at, "payer");
      expect(await store().claimEnqueue(id, "sweep", new Date(at.getTime() + 1000), 60_000)).to.equal(false); // the payer's lease
      expect(await store().claimEnqueue(id, "payer", new Date(at.getTime() + 1000), 60_000)).to.equal(true); // its own repeat
      expect(await store().claimEnqueue(id, "sweep", new Date(at.getTime() + 60_500), 60_000)).to.equal(false); // the repeat renewed it
      expect(await store().claimEnqueue(id, "sweep", new Date(at.getTime() + 61_500), 60_000)).to.equal(true); // the lease ran out
      await store().markEnqueued(id, at);
      expect(await store().claimEnqueue(id, "late", new Date(at.getTime() + 600_000), 60_000)).to.equal(false);
      expect(await store().listDue("OUTBOX", new Date("2100-01-01"), 10)).to.deep.equal([]);
    });

    it("a decline keeps the order payable until closed; a closed order can no longer be paid", async () => {
      const id = await created("2026-12-04T10:30:00.000Z");
      expect(await store().markPaymentFailed(id, "pi_3", { code: "card_declined", message: "Declined." }, at)).to.equal(true);
      expect((await store().get(id))!.status).to.equal("PAYMENT_FAILED");
      expect((await store().listDue("PAYMENT_DUE", new Date("2026-12-04T10:29:00.000Z"), 10)).length).to.equal(0);
      expect((await store().listDue("PAYMENT_DUE", new Date("2026-12-04T10:31:00.000Z"), 10)).map((r) => r.order.orderId)).to.deep.equal([
        id,
      ]);
      expect(await store().closeUnpaid(id, "EXPIRED", at)).to.equal(true);
      expect(await store().markPaid(id, { paymentId: "pi_3" }, at, "late")).to.equal(false);
      expect(await store().closeUnpaid(id, "CANCELLED", at)).to.equal(false);
      const rec = (await store().get(id))!;
      expect([rec.status, rec.invoiceNumber]).to.deep.equal(["EXPIRED", undefined]);
      expect(await store().listDue("PAYMENT_DUE", new Date("2100-01-01"), 10)).to.deep.equal([]);
    });

    it("a failure after success changes nothing", async () => {
      const id = await created();
      await store().markPaid(id, { paymentId: "pi_4" }, at, "c");
      expect(await store().markPaymentFailed(id, "pi_4", { message: "late failure" }, at)).to.equal(false);
      expect(await store().closeUnpaid(id, "EXPIRED", at)).to.equal(false);
      expect((await store().get(id))!.status).to.equal("PAID");
    });

    it("takes back an order without a payment: its key record goes, the order stays CANCELLED and leaves every listing; never one with a payment", async () => {
      // Prepare
      const order = makePricedOrder();
      const expires = Math.floor(at.getTime() / 1000) + 3600;
      await store().createOrderWithKey(order, "kh", "rh", expires, at, DUE_LATER);
      // Act
      const discarded = await store().discardUnpaidOrder((await store().get(order.orderId))!, at);
      // Assess
      expect(discarded).to.equal(true);
      const rec = (await store().get(order.orderId))!;
      expect([rec.status, rec.closeReason, rec.closedAt, rec.paymentDueBy, rec.invoiceNumber, isDiscarded(rec)]).to.deep.equal([
        "CANCELLED",
        "payment-not-created",
        at.toISOString(),
        undefined,
        undefined,
        true,
      ]);
      expect(await store().getIdempotency(order.customer.id, "kh", at)).to.equal(undefined);
      const ids = (recs: { order: { orderId: string } }[]) => recs.map((r) => r.order.orderId);
      expect(ids((await store().listByCustomer(order.customer.id, 100)).records)).to.not.include(order.orderId);
      expect(ids(await store().listDue("PAYMENT_DUE", new Date("2100-01-01"), 100))).to.not.include(order.orderId);
      expect(await store().markPaid(order.orderId, { paymentId: "pi_late" }, at, "late")).to.equal(false);
      const paid = await created();
      await store().recordPaymentId(paid, "pi_5");
      expect(await store().discardUnpaidOrder((await store().get(paid))!, at)).to.equal(false);
      expect((await store().get(paid))!.status).to.equal("AWAITING_PAYMENT");
    });
  });
});
