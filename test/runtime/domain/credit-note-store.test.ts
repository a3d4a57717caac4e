import { expect } from "chai";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { useLocalAws } from "../../helpers/aws";
import { makePricedOrder, recordPaidOrder } from "../../helpers/orders";
import { creditNoteOf, creditNoteRequestSchema, CreditNoteRefused, type PricedCreditNote } from "../../../runtime/domain/credit-note";
import type { PricedOrder } from "../../../runtime/domain/order";
import { OrderStore, type CreditNoteRecord } from "../../../runtime/domain/store";

describe("OrderStore credit notes: reserveCreditNote (API) and numberCreditNote (worker)", () => {
  const ctx = useLocalAws({ catalog: false });
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);

  /** An order with `lineCount` lines, paid, numbered and invoiced. */
  async function invoiced(lineCount = 3): Promise<PricedOrder> {
    const order = makePricedOrder({ lineCount });
    await store().assignInvoiceNumber(await recordPaidOrder(store(), order), new Date());
    expect(await store().markInvoiced(order.orderId, new Date())).to.equal(true);
    return order;
  }
  /** A credit note of one unit of `line`. */
  const oneUnit = (order: PricedOrder, id: string, line = 0): PricedCreditNote =>
    creditNoteOf(order, creditNoteRequestSchema().parse({ id, kind: "partial", reason: "Returned", lines: [{ line, quantity: 1 }] }));
  const full = (order: PricedOrder, id: string) =>
    creditNoteOf(order, creditNoteRequestSchema().parse({ id, kind: "full", reason: "Cancelled" }));
  const ADMIN = { by: "admin", adminSub: "admin-sub-1" } as const;
  /** The API's half: reserve (caps checked, no number). */
  const reserve = (orderId: string, note: PricedCreditNote) => store().reserveCreditNote(orderId, note, new Date(), ADMIN);
  /** Both halves, as the API and then the worker do them. */
  const reserveAndNumber = async (orderId: string, note: PricedCreditNote) => {
    await reserve(orderId, note);
    return store().numberCreditNote(note.id, new Date());
  };
  const counter = async () =>
    (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk: "COUNTER#creditNote" } }))).Item?.value;

  it("numbers credit notes in their own series, CN-000001 on, beside the invoices' series", async () => {
    // Prepare
    const order = await invoiced();
    // Act
    const a = await reserveAndNumber(order.orderId, oneUnit(order, "cn_first01"));
    const b = await reserveAndNumber(order.orderId, oneUnit(order, "cn_second1", 1));
    // Assess
    expect([a.creditNoteNumber, b.creditNoteNumber]).to.deep.equal(["CN-000001", "CN-000002"]);
    expect(a.invoiceNumber).to.equal("INV-000001");
    const rec = await store().get(order.orderId);
    expect(rec?.creditNoteIds).to.deep.equal(["cn_first01", "cn_second1"]);
    expect(rec?.creditedMinor).to.equal(a.creditNote.totalMinor + b.creditNote.totalMinor);
    expect((await store().getCreditNote("cn_first01"))?.creditNote).to.deep.equal(a.creditNote);
  });

  it("gives 20 concurrent numberings of 20 reserved credit notes, each redelivered 3 times, the numbers 1..20, each once", async () => {
    // Prepare
    const orders: PricedOrder[] = [];
    for (let i = 0; i < 20; i++) orders.push(await invoiced(1));
    const ids = orders.map((_, i) => `cn_conc${String(i).padStart(3, "0")}`);
    await Promise.all(orders.map((o, i) => reserve(o.orderId, full(o, ids[i]))));
    // Act: no in-process serialization, only DynamoDB arbitrates; every message is delivered 3 times at once
    const records = await Promise.all(ids.flatMap((id) => [1, 2, 3].map(() => store().numberCreditNote(id, new Date()))));
    // Assess: each credit note kept one number whichever delivery won
    for (const id of ids)
      expect(new Set(records.filter((r) => r.creditNote.id === id).map((r) => r.creditNoteSeq))).to.have.property("size", 1);
    const stored = await Promise.all(ids.map((id) => store().getCreditNote(id)));
    expect(stored.map((r) => r?.creditNoteSeq).sort((a, b) => a! - b!)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await counter()).to.equal(20);
  });

  it("gives a retried reservation the record it already has, also when retries arrive at once, crediting once", async () => {
    // Prepare
    const order = await invoiced();
    const note = oneUnit(order, "cn_retried");
    // Act
    const records = await Promise.all(Array.from({ length: 5 }, () => reserve(order.orderId, note)));
    const later = await reserve(order.orderId, note);
    // Assess
    for (const r of [...records, later]) expect(r).to.include({ status: "REQUESTED", orderId: order.orderId, invoiceNumber: "INV-000001" });
    expect(later.creditNoteNumber).to.equal(undefined);
    expect(await counter(), "reserving takes no number").to.equal(undefined);
    const rec = await store().get(order.orderId);
    expect(rec?.creditedMinor).to.equal(note.totalMinor);
    expect(rec?.creditNoteIds).to.deep.equal(["cn_retried"]);
    expect(await store().getCreditNote("cn_retried")).to.deep.include({ status: "REQUESTED", origin: ADMIN });
  });

  it("gives a redelivered numbering the number it already has, and no second number", async () => {
    // Prepare
    const order = await invoiced();
    await reserve(order.orderId, oneUnit(order, "cn_renumber"));
    // Act
    const first = await Promise.all(Array.from({ length: 5 }, () => store().numberCreditNote("cn_renumber", new Date())));
    const later = await store().numberCreditNote("cn_renumber", new Date(Date.now() + 60_000));
    // Assess
    expect(new Set([...first, later].map((r) => r.creditNoteNumber))).to.deep.equal(new Set(["CN-000001"]));
    expect(new Set([...first, later].map((r) => r.issuedAt)).size).to.equal(1);
    expect(await counter()).to.equal(1);
  });

  it("numbers in the order the worker gets to them, not the order of reservation", async () => {
    const order = await invoiced();
    await reserve(order.orderId, oneUnit(order, "cn_early01"));
    await reserve(order.orderId, oneUnit(order, "cn_later01", 1));
    expect((await store().numberCreditNote("cn_later01", new Date())).creditNoteNumber).to.equal("CN-000001");
    expect((await store().numberCreditNote("cn_early01", new Date())).creditNoteNumber).to.equal("CN-000002");
    expect((await store().listCreditNotes((await store().get(order.orderId))!)).map((r) => r.creditNote.id)).to.deep.equal([
      "cn_early01",
      "cn_later01",
    ]);
  });

  it("refuses to number a credit note that was never reserved, taking no number", async () => {
    const err = await store()
      .numberCreditNote("cn_neverthere", new Date())
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error).with.property("message").that.contains("does not exist");
    expect(await counter()).to.equal(undefined);
  });

  it("moves REQUESTED -> ISSUED once (numbered first), then claims, releases and marks its email NOTIFIED once", async () => {
    // Prepare
    const order = await invoiced();
    await reserve(order.orderId, oneUnit(order, "cn_lifecyc"));
    const s = store();
    // Act / assess: not issued before it has a number
    expect(await s.markCreditNoteIssued("cn_lifecyc", "invoices/credit-notes/cn_lifecyc.pdf", new Date())).to.equal(false);
    expect(await s.claimCreditNoteNotification("cn_lifecyc", new Date(), 10_000, "c1"), "no claim before ISSUED").to.equal(false);
    await s.numberCreditNote("cn_lifecyc", new Date());
    expect(await s.markCreditNoteIssued("cn_lifecyc", "invoices/credit-notes/cn_lifecyc.pdf", new Date())).to.equal(true);
    expect(await s.markCreditNoteIssued("cn_lifecyc", "invoices/credit-notes/cn_lifecyc.pdf", new Date()), "a redelivery").to.equal(false);
    const now = new Date();
    expect(await s.claimCreditNoteNotification("cn_lifecyc", now, 10_000, "c1")).to.equal(true);
    expect(await s.claimCreditNoteNotification("cn_lifecyc", now, 10_000, "c2"), "live claim held").to.equal(false);
    expect(await s.claimCreditNoteNotification("cn_lifecyc", now, 10_000, "c1"), "the same claim repeated").to.equal(true);
    await s.releaseCreditNoteNotification("cn_lifecyc", "c1");
    expect(await s.claimCreditNoteNotification("cn_lifecyc", now, 10_000, "c2")).to.equal(true);
    expect(await s.claimCreditNoteNotification("cn_lifecyc", new Date(now.getTime() + 11_000), 10_000, "c3"), "stale claim").to.equal(true);
    expect(await s.markCreditNoteNotified("cn_lifecyc", new Date(), "mid-1")).to.equal(true);
    expect(await s.markCreditNoteNotified("cn_lifecyc", new Date(), "mid-1"), "repeat, same message").to.equal(true);
    expect(await s.markCreditNoteNotified("cn_lifecyc", new Date(), "mid-2"), "another message").to.equal(false);
    expect(await s.claimCreditNoteNotification("cn_lifecyc", new Date(), 10_000, "c4")).to.equal(false);
    expect(await s.getCreditNote("cn_lifecyc")).to.deep.include({
      status: "NOTIFIED",
      documentKey: "invoices/credit-notes/cn_lifecyc.pdf",
      emailMessageId: "mid-1",
      creditNoteNumber: "CN-000001",
    });
  });

  it("records the refund's state, never overwriting a succeeded one", async () => {
    const order = await invoiced();
    await reserve(order.orderId, oneUnit(order, "cn_refund1"));
    const s = store();
    expect(await s.recordCreditNoteRefund("cn_refund1", { refundId: "re_1", status: "pending", amountMinor: 100 })).to.equal(true);
    expect(await s.recordCreditNoteRefund("cn_refund1", { refundId: "re_1", status: "succeeded", amountMinor: 100 })).to.equal(true);
    expect(await s.recordCreditNoteRefund("cn_refund1", { refundId: "re_1", status: "pending", amountMinor: 100 })).to.equal(false);
    expect(await s.recordCreditNoteRefund("cn_nosuchone", { refundId: "re_2", status: "pending", amountMinor: 1 })).to.equal(false);
    expect((await s.getCreditNote("cn_refund1"))?.refund).to.deep.equal({ refundId: "re_1", status: "succeeded", amountMinor: 100 });
  });

  it("refuses another credit note under an id already used (CREDIT_NOTE_ID_REUSED)", async () => {
    const order = await invoiced();
    await reserve(order.orderId, oneUnit(order, "cn_reused1"));
    const err = await store()
      .reserveCreditNote(order.orderId, oneUnit(order, "cn_reused1", 2), new Date(), ADMIN)
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CreditNoteRefused).with.property("problem", "CREDIT_NOTE_ID_REUSED");
  });

  it("refuses crediting more than the invoice's total, also from concurrent requests, and takes no number for it (OVER_CREDIT)", async () => {
    // Prepare: a full credit note already issued
    const order = await invoiced();
    await reserveAndNumber(order.orderId, full(order, "cn_fullone"));
    // Act: one more unit, and 5 more full credit notes at once
    const results = await Promise.all([
      store()
        .reserveCreditNote(order.orderId, oneUnit(order, "cn_oneMore"), new Date(), ADMIN)
        .catch((e: unknown) => e),
      ...Array.from({ length: 5 }, (_, i) =>
        store()
          .reserveCreditNote(order.orderId, full(order, `cn_again${i}`), new Date(), ADMIN)
          .catch((e: unknown) => e),
      ),
    ]);
    // Assess
    for (const r of results) expect(r).to.be.instanceOf(CreditNoteRefused).with.property("problem", "OVER_CREDIT");
    expect(await counter()).to.equal(1);
    expect((await store().get(order.orderId))?.creditedMinor).to.equal(order.totalMinor);
  });

  it("lets exactly one of two concurrent full credit notes through: the credited total never passes the invoice", async () => {
    // Prepare: two full credit notes race: exactly one may win
    const order = await invoiced();
    // Act
    const results = await Promise.all(
      ["cn_raceAAA", "cn_raceBBB"].map((id) =>
        store()
          .reserveCreditNote(order.orderId, full(order, id), new Date(), ADMIN)
          .catch((e: unknown) => e),
      ),
    );
    // Assess
    expect(results.filter((r) => r instanceof CreditNoteRefused)).to.have.length(1);
    expect(results.filter((r) => !(r instanceof Error)).map((r) => (r as { status: string }).status)).to.deep.equal(["REQUESTED"]);
    expect((await store().get(order.orderId))?.creditedMinor).to.equal(order.totalMinor);
  });

  it("refuses crediting a line's units or the shipping beyond what was invoiced, summed over credit notes (OVER_CREDIT)", async () => {
    // Prepare: line 1 has 2 units; one credited with the shipping, then the other
    const order = await invoiced();
    const unitAndShipping = (id: string) =>
      creditNoteOf(
        order,
        creditNoteRequestSchema().parse({ id, kind: "partial", reason: "Returned", lines: [{ line: 1, quantity: 1 }], shipping: true }),
      );
    await reserveAndNumber(order.orderId, unitAndShipping("cn_unitOne"));
    await reserveAndNumber(order.orderId, oneUnit(order, "cn_unitTwo", 1));
    // Act
    const third = await store()
      .reserveCreditNote(order.orderId, oneUnit(order, "cn_unitTri", 1), new Date(), ADMIN)
      .catch((e: unknown) => e);
    const shippingAgain = await store()
      .reserveCreditNote(order.orderId, unitAndShipping("cn_shipTwo"), new Date(), ADMIN)
      .catch((e: unknown) => e);
    // Assess
    expect(third).to.be.instanceOf(CreditNoteRefused).with.property("problem", "OVER_CREDIT");
    expect((third as Error).message).to.contain("Line 1");
    expect(shippingAgain).to.be.instanceOf(CreditNoteRefused).with.property("problem", "OVER_CREDIT");
    expect(await counter()).to.equal(2);
  });

  it("lets only as many concurrent one-unit credit notes of a line through as it has units, and numbers those 1..3", async () => {
    // Prepare: line 2 has 3 units; 8 requests race for them
    const order = await invoiced();
    // Act
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store()
          .reserveCreditNote(order.orderId, oneUnit(order, `cn_unit${i}00`, 2), new Date(), ADMIN)
          .catch((e: unknown) => e),
      ),
    );
    const reserved = results.filter((r): r is CreditNoteRecord => !(r instanceof Error));
    const numbered = await Promise.all(reserved.map((r) => store().numberCreditNote(r.creditNote.id, new Date())));
    // Assess
    expect(numbered.map((r) => r.creditNoteSeq).sort()).to.deep.equal([1, 2, 3]);
    expect(results.filter((r) => r instanceof CreditNoteRefused)).to.have.length(5);
    expect(await counter()).to.equal(3);
    expect((await store().get(order.orderId))?.creditNoteIds).to.have.members(reserved.map((r) => r.creditNote.id));
  });

  it("refuses a credit note for an order without an invoice (NOT_INVOICED)", async () => {
    const order = makePricedOrder();
    await recordPaidOrder(store(), order);
    const err = await store()
      .reserveCreditNote(order.orderId, oneUnit(order, "cn_noinvoice"), new Date(), ADMIN)
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CreditNoteRefused).with.property("problem", "NOT_INVOICED");
    expect(await counter()).to.equal(undefined);
  });
});
