import { expect } from "chai";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { useLocalAws } from "../../helpers/aws";
import { makePricedOrder, recordPaidOrder } from "../../helpers/orders";
import { creditNoteOf, creditNoteRequestSchema, CreditNoteRefused, type PricedCreditNote } from "../../../runtime/domain/credit-note";
import type { PricedOrder } from "../../../runtime/domain/order";
import { OrderStore } from "../../../runtime/domain/store";

describe("OrderStore.assignCreditNoteNumber", () => {
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
  const counter = async () =>
    (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk: "COUNTER#creditNote" } }))).Item?.value;

  it("numbers credit notes in their own series, CN-000001 on, beside the invoices' series", async () => {
    // Prepare
    const order = await invoiced();
    // Act
    const a = await store().assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_first01"), new Date());
    const b = await store().assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_second1", 1), new Date());
    // Assess
    expect([a.creditNoteNumber, b.creditNoteNumber]).to.deep.equal(["CN-000001", "CN-000002"]);
    expect(a.invoiceNumber).to.equal("INV-000001");
    const rec = await store().get(order.orderId);
    expect(rec?.creditNoteIds).to.deep.equal(["cn_first01", "cn_second1"]);
    expect(rec?.creditedMinor).to.equal(a.creditNote.totalMinor + b.creditNote.totalMinor);
    expect((await store().getCreditNote("cn_first01"))?.creditNote).to.deep.equal(a.creditNote);
  });

  it("gives 20 concurrent credit notes of 20 invoices the numbers 1..20, each once", async () => {
    // Prepare
    const orders: PricedOrder[] = [];
    for (let i = 0; i < 20; i++) orders.push(await invoiced(1));
    // Act: no in-process serialization, only DynamoDB arbitrates
    const records = await Promise.all(
      orders.map((o, i) => store().assignCreditNoteNumber(o.orderId, full(o, `cn_conc${String(i).padStart(3, "0")}`), new Date())),
    );
    // Assess
    expect(records.map((r) => r.creditNoteSeq).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await counter()).to.equal(20);
  });

  it("gives a redelivered request the number it already has, also when both arrive at once, and no second number", async () => {
    // Prepare
    const order = await invoiced();
    const note = oneUnit(order, "cn_retried");
    // Act
    const records = await Promise.all(Array.from({ length: 5 }, () => store().assignCreditNoteNumber(order.orderId, note, new Date())));
    const later = await store().assignCreditNoteNumber(order.orderId, note, new Date());
    // Assess
    expect(new Set([...records, later].map((r) => r.creditNoteNumber))).to.deep.equal(new Set(["CN-000001"]));
    expect(await counter()).to.equal(1);
    expect((await store().get(order.orderId))?.creditedMinor).to.equal(note.totalMinor);
  });

  it("refuses another credit note under an id already used (CREDIT_NOTE_ID_REUSED)", async () => {
    const order = await invoiced();
    await store().assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_reused1"), new Date());
    const err = await store()
      .assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_reused1", 2), new Date())
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CreditNoteRefused).with.property("problem", "CREDIT_NOTE_ID_REUSED");
  });

  it("refuses crediting more than the invoice's total, also from concurrent requests, and takes no number for it (OVER_CREDIT)", async () => {
    // Prepare: a full credit note already issued
    const order = await invoiced();
    await store().assignCreditNoteNumber(order.orderId, full(order, "cn_fullone"), new Date());
    // Act: one more unit, and 5 more full credit notes at once
    const results = await Promise.all([
      store()
        .assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_oneMore"), new Date())
        .catch((e: unknown) => e),
      ...Array.from({ length: 5 }, (_, i) =>
        store()
          .assignCreditNoteNumber(order.orderId, full(order, `cn_again${i}`), new Date())
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
          .assignCreditNoteNumber(order.orderId, full(order, id), new Date())
          .catch((e: unknown) => e),
      ),
    );
    // Assess
    expect(results.filter((r) => r instanceof CreditNoteRefused)).to.have.length(1);
    expect(results.filter((r) => !(r instanceof Error)).map((r) => (r as { creditNoteNumber: string }).creditNoteNumber)).to.deep.equal([
      "CN-000001",
    ]);
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
    await store().assignCreditNoteNumber(order.orderId, unitAndShipping("cn_unitOne"), new Date());
    await store().assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_unitTwo", 1), new Date());
    // Act
    const third = await store()
      .assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_unitTri", 1), new Date())
      .catch((e: unknown) => e);
    const shippingAgain = await store()
      .assignCreditNoteNumber(order.orderId, unitAndShipping("cn_shipTwo"), new Date())
      .catch((e: unknown) => e);
    // Assess
    expect(third).to.be.instanceOf(CreditNoteRefused).with.property("problem", "OVER_CREDIT");
    expect((third as Error).message).to.contain("Line 1");
    expect(shippingAgain).to.be.instanceOf(CreditNoteRefused).with.property("problem", "OVER_CREDIT");
    expect(await counter()).to.equal(2);
  });

  it("lets only as many concurrent one-unit credit notes of a line through as it has units", async () => {
    // Prepare: line 2 has 3 units; 8 requests race for them
    const order = await invoiced();
    // Act
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store()
          .assignCreditNoteNumber(order.orderId, oneUnit(order, `cn_unit${i}00`, 2), new Date())
          .catch((e: unknown) => e),
      ),
    );
    // Assess
    expect(
      results
        .filter((r) => !(r instanceof Error))
        .map((r) => (r as { creditNoteSeq: number }).creditNoteSeq)
        .sort(),
    ).to.deep.equal([1, 2, 3]);
    expect(results.filter((r) => r instanceof CreditNoteRefused)).to.have.length(5);
    expect(await counter()).to.equal(3);
  });

  it("refuses a credit note for an order without an invoice (NOT_INVOICED)", async () => {
    const order = makePricedOrder();
    await recordPaidOrder(store(), order);
    const err = await store()
      .assignCreditNoteNumber(order.orderId, oneUnit(order, "cn_noinvoice"), new Date())
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CreditNoteRefused).with.property("problem", "NOT_INVOICED");
    expect(await counter()).to.equal(undefined);
  });
});
