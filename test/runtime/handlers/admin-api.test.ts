import { expect } from "chai";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps } from "../../helpers/deps";
import { ADMIN, ALICE, BOB, apiEvent, type Claims } from "../../helpers/events";
import { makePricedOrder, recordPaidOrder, DUE_LATER } from "../../helpers/orders";
import { productInput } from "../../helpers/catalog";
import { OrderStore } from "../../../runtime/domain/store";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { monthsBetween } from "../../../runtime/handlers/admin-api";
import type { PricedOrder } from "../../../runtime/domain/order";
import { creditNoteOf, creditNoteRequestSchema, type PricedCreditNote } from "../../../runtime/domain/credit-note";

const NOW = new Date("2026-12-02T09:00:00.000Z");
const BOB_MIXED_CASE = "Bob@Example.com";

const listEvent = (query: Record<string, string> | null, claims: Claims = ADMIN) =>
  apiEvent({ method: "GET", resource: "/admin/orders", path: "/admin/orders", query, claims });
const getEvent = (orderId: string, claims: Claims = ADMIN) =>
  apiEvent({ method: "GET", resource: "/admin/orders/{orderId}", path: `/admin/orders/${orderId}`, pathParameters: { orderId }, claims });

describe("admin API: orders and the audit trail", function () {
  this.timeout(60000);
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const call = async (e: ReturnType<typeof apiEvent>) => {
    const r = await handleApiRequest(e, apiDeps(ctx, { now: () => NOW }));
    return { status: r.statusCode, body: JSON.parse(r.body), raw: r.body };
  };
  const ids = (body: { orders: { orderId: string }[] }) => body.orders.map((o) => o.orderId);
  /** A numbered credit note of the order: reserved as the admin route does, numbered as the worker does. */
  const numberedCreditNote = async (orderId: string, cn: PricedCreditNote, now: Date) => {
    await store().reserveCreditNote(orderId, cn, now, { by: "admin", adminSub: ADMIN.sub });
    return store().numberCreditNote(cn.id, now);
  };

  // Five orders over three months, newest last: a1 (Oct), a2 (Nov, invoiced), b1 (Nov), b2 (Dec), a3 (Dec).
  let o: Record<"a1" | "a2" | "b1" | "b2" | "a3", PricedOrder>;
  beforeEach(async () => {
    const bob = { id: BOB.sub, email: BOB_MIXED_CASE, name: BOB.name };
    o = {
      a1: makePricedOrder({ createdAt: "2026-10-05T10:00:00.000Z" }),
      a2: makePricedOrder({ createdAt: "2026-11-10T10:00:00.000Z" }),
      b1: makePricedOrder({ createdAt: "2026-11-20T10:00:00.000Z", customer: bob }),
      b2: makePricedOrder({ createdAt: "2026-12-01T10:00:00.000Z", customer: bob }),
      a3: makePricedOrder({ createdAt: "2026-12-02T08:00:00.000Z" }),
    };
    for (const k of ["a1", "b1", "b2", "a3"] as const) await store().createOrder(o[k], DUE_LATER);
    const paid = await recordPaidOrder(store(), o.a2, new Date("2026-11-10T10:01:00.000Z"));
    await store().assignInvoiceNumber(paid, new Date("2026-11-10T10:02:00.000Z"));
    await store().markInvoiced(o.a2.orderId, new Date("2026-11-10T10:03:00.000Z"));
  });

  describe("GET /admin/orders", () => {
    it("lists every customer's orders, newest first", async () => {
      const r = await call(listEvent(null));
      expect(r.status).to.equal(200);
      expect(ids(r.body)).to.deep.equal([o.a3, o.b2, o.b1, o.a2, o.a1].map((x) => x.orderId));
      expect(r.body.nextCursor).to.equal(null);
    });

    it("pages with an opaque cursor across months, the last page without one", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await call(listEvent({ limit: "2", ...(cursor ? { cursor } : {}) }));
        expect(r.status).to.equal(200);
        expect(r.body.orders.length).to.be.at.most(2);
        seen.push(...ids(r.body));
        cursor = r.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).to.equal(3);
      expect(seen).to.deep.equal([o.a3, o.b2, o.b1, o.a2, o.a1].map((x) => x.orderId));
    });

    const filters: { name: string; query: Record<string, string>; expect: (keyof typeof o)[] }[] = [
      { name: "status", query: { status: "INVOICED" }, expect: ["a2"] },
      { name: "status (awaiting payment)", query: { status: "AWAITING_PAYMENT" }, expect: ["a3", "b2", "b1", "a1"] },
      { name: "customer email, whatever its case", query: { email: "BOB@EXAMPLE.COM" }, expect: ["b2", "b1"] },
      { name: "invoice number", query: { number: "INV-000001" }, expect: ["a2"] },
      { name: "creation date range (days, inclusive)", query: { from: "2026-11-01", to: "2026-11-30" }, expect: ["b1", "a2"] },
      { name: "date range and email together", query: { from: "2026-11-15", email: "bob@example.com" }, expect: ["b2", "b1"] },
    ];
    for (const c of filters) {
      it(`filters by ${c.name}`, async () => {
        const r = await call(listEvent(c.query));
        expect(r.status).to.equal(200);
        expect(ids(r.body)).to.deep.equal(c.expect.map((k) => o[k].orderId));
      });
    }

    it("pages a filtered listing, and refuses its cursor under other filters (400)", async () => {
      const first = await call(listEvent({ email: "bob@example.com", limit: "1" }));
      expect(ids(first.body)).to.deep.equal([o.b2.orderId]);
      const second = await call(listEvent({ email: "bob@example.com", limit: "1", cursor: first.body.nextCursor }));
      expect(ids(second.body)).to.deep.equal([o.b1.orderId]);
      const other = await call(listEvent({ status: "PAID", limit: "1", cursor: first.body.nextCursor }));
      expect(other.status).to.equal(400);
      expect(other.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(["query.cursor"]);
    });

    it("takes its own cursor back a moment later, when the listing has no explicit from/to (the next page of a console)", async () => {
      const first = await call(listEvent({ limit: "2" }));
      const later = await handleApiRequest(
        listEvent({ limit: "2", cursor: first.body.nextCursor }),
        apiDeps(ctx, { now: () => new Date(NOW.getTime() + 1500) }),
      );
      expect(later.statusCode).to.equal(200);
      expect(ids(JSON.parse(later.body))).to.deep.equal([o.b1, o.a2].map((x) => x.orderId));
    });

    it("refuses a bad query string with 400 VALIDATION_FAILED naming each parameter", async () => {
      const r = await call(listEvent({ status: "LOST", from: "yesterday", limit: "0", email: "nope", sort: "asc" }));
      expect(r.status).to.equal(400);
      expect(r.body.error.code).to.equal("VALIDATION_FAILED");
      expect(r.body.error.details.map((d: { path: string }) => d.path).sort()).to.deep.equal([
        "query.",
        "query.email",
        "query.from",
        "query.limit",
        "query.status",
      ]);
    });

    it("refuses a range that ends before it starts", async () => {
      const r = await call(listEvent({ from: "2026-12-01", to: "2026-11-01" }));
      expect(r.status).to.equal(400);
      expect(r.body.error.details.map((d: { path: string }) => d.path)).to.deep.equal(["query.from"]);
    });
  });

  describe("GET /admin/orders/{orderId}", () => {
    it("answers the whole record and its timeline in time order", async () => {
      const r = await call(getEvent(o.a2.orderId));
      expect(r.status).to.equal(200);
      expect(r.body.order.orderId).to.equal(o.a2.orderId);
      expect(r.body.status).to.equal("INVOICED");
      expect(r.body.payment).to.include({ paidAt: "2026-11-10T10:01:00.000Z" });
      expect(r.body.invoice).to.include({
        number: "INV-000001",
        issuedAt: "2026-11-10T10:02:00.000Z",
        key: `invoices/${o.a2.orderId}.pdf`,
        invoicedAt: "2026-11-10T10:03:00.000Z",
      });
      // A short-lived link to the PDF, as the customer's GET /orders/{orderId} gives.
      const url = new URL(r.body.invoice.url);
      expect(url.pathname).to.equal(`/${ctx.resources.bucket}/invoices/${o.a2.orderId}.pdf`);
      expect(url.searchParams.get("X-Amz-Expires")).to.match(/^\d+$/);
      expect(r.body.creditNotes).to.deep.equal([]);
      expect(r.body.email).to.include({ to: ALICE.email, status: null });
      expect(r.body.timeline.map((t: { event: string }) => t.event)).to.deep.equal(["created", "paid", "invoice-numbered", "invoiced"]);
    });

    it("lists the order's credit notes in the order they were made, with their numbers, and their numbering in the timeline", async () => {
      const partial = creditNoteOf(
        o.a2,
        creditNoteRequestSchema().parse({ id: "cn_admin01", kind: "partial", reason: "Broken", lines: [{ line: 0, quantity: 1 }] }),
      );
      const rest = creditNoteOf(
        o.a2,
        creditNoteRequestSchema().parse({ id: "cn_admin02", kind: "partial", reason: "Late", shipping: true }),
      );
      await numberedCreditNote(o.a2.orderId, partial, new Date("2026-11-12T08:00:00.000Z"));
      await numberedCreditNote(o.a2.orderId, rest, new Date("2026-11-13T08:00:00.000Z"));
      const r = await call(getEvent(o.a2.orderId));
      expect(r.body.creditNotes).to.deep.equal([
        {
          creditNoteId: "cn_admin01",
          number: "CN-000001",
          issuedAt: "2026-11-12T08:00:00.000Z",
          status: "REQUESTED",
          kind: "partial",
          reason: "Broken",
          total: { amount: partial.totalMinor, currency: "EUR" },
          refund: null,
          origin: { by: "admin", adminSub: ADMIN.sub },
          url: null,
        },
        {
          creditNoteId: "cn_admin02",
          number: "CN-000002",
          issuedAt: "2026-11-13T08:00:00.000Z",
          status: "REQUESTED",
          kind: "partial",
          reason: "Late",
          total: { amount: rest.totalMinor, currency: "EUR" },
          refund: null,
          origin: { by: "admin", adminSub: ADMIN.sub },
          url: null,
        },
      ]);
      const byNumber = await call(listEvent({ number: "CN-000002" }));
      expect(ids(byNumber.body), "an order is found by its credit note's number").to.deep.equal([o.a2.orderId]);
      const by = "by an admin";
      expect(r.body.timeline.slice(-4)).to.deep.equal([
        { at: "2026-11-12T08:00:00.000Z", event: "credit-note-requested", detail: `cn_admin01 (partial, ${partial.totalMinor}, ${by})` },
        { at: "2026-11-12T08:00:00.000Z", event: "credit-note-numbered", detail: "CN-000001" },
        { at: "2026-11-13T08:00:00.000Z", event: "credit-note-requested", detail: `cn_admin02 (partial, ${rest.totalMinor}, ${by})` },
        { at: "2026-11-13T08:00:00.000Z", event: "credit-note-numbered", detail: "CN-000002" },
      ]);
    });

    it("answers 404 for an unknown or malformed order id", async () => {
      expect((await call(getEvent("ord_AAAAAAAAAAAAAAAAAAAA"))).status).to.equal(404);
      expect((await call(getEvent("nope"))).status).to.equal(404);
    });
  });

  describe("a customer's token", () => {
    it("gets 403 FORBIDDEN on every admin route and learns no order id", async () => {
      const events = [
        listEvent(null, ALICE),
        listEvent({ email: "bob@example.com" }, ALICE),
        getEvent(o.b1.orderId, ALICE),
        apiEvent({
          method: "PUT",
          resource: "/admin/products/{sku}",
          path: "/admin/products/MUG-01",
          pathParameters: { sku: "MUG-01" },
          body: JSON.stringify(productInput()),
          headers: { "Content-Type": "application/json" },
          claims: ALICE,
        }),
        apiEvent({
          method: "DELETE",
          resource: "/admin/products/{sku}",
          path: "/admin/products/MUG-01",
          pathParameters: { sku: "MUG-01" },
          claims: ALICE,
        }),
      ];
      for (const e of events) {
        const r = await call(e);
        expect(r.status, `${e.httpMethod} ${e.resource}`).to.equal(403);
        expect(r.body.error.code).to.equal("FORBIDDEN");
        for (const x of Object.values(o)) expect(r.raw).to.not.include(x.orderId);
      }
    });
  });

  describe("the audit trail", () => {
    const auditItems = async () =>
      ((await ctx.clients.ddb.send(new ScanCommand({ TableName: ctx.resources.table }))).Items ?? []).filter((i) =>
        String(i.pk).startsWith("AUDIT#"),
      );

    it("records each product change with who, when, what, the route and the request id; refusals and reads record nothing", async () => {
      const put = apiEvent({
        method: "PUT",
        resource: "/admin/products/{sku}",
        path: "/admin/products/NEW-01",
        pathParameters: { sku: "NEW-01" },
        body: JSON.stringify(productInput("NEW-01")),
        headers: { "Content-Type": "application/json" },
        claims: ADMIN,
      });
      expect((await call(put)).status).to.equal(201);
      const del = apiEvent({
        method: "DELETE",
        resource: "/admin/products/{sku}",
        path: "/admin/products/NEW-01",
        pathParameters: { sku: "NEW-01" },
        claims: ADMIN,
      });
      expect((await call(del)).status).to.equal(200);
      await call(listEvent(null));
      await call({ ...del, requestContext: { ...del.requestContext, authorizer: { claims: { sub: ALICE.sub } } } });

      // Both at NOW: ids of one millisecond order at random, so by action.
      const items = (await auditItems()).sort((a, b) => String(a.action).localeCompare(String(b.action)));
      expect(items.map((i) => [i.action, i.target, i.route, i.requestId, i.adminSub, i.adminEmail, i.at])).to.deep.equal([
        [
          "product.created",
          "product:NEW-01",
          "PUT /admin/products/{sku}",
          put.requestContext.requestId,
          ADMIN.sub,
          ADMIN.email,
          NOW.toISOString(),
        ],
        [
          "product.deactivated",
          "product:NEW-01",
          "DELETE /admin/products/{sku}",
          del.requestContext.requestId,
          ADMIN.sub,
          ADMIN.email,
          NOW.toISOString(),
        ],
      ]);
      for (const i of items) expect(i.pk).to.match(/^AUDIT#2026-12-02#[0-9a-z]{10}[0-9a-f]{20}$/);
    });
  });

  it("walks months newest first, across a year's end", () => {
    expect(monthsBetween("2025-11-20T00:00:00.000Z", "2026-02-01T00:00:00.000Z")).to.deep.equal([
      "ORDERS#2026-02",
      "ORDERS#2026-01",
      "ORDERS#2025-12",
      "ORDERS#2025-11",
    ]);
  });
});
