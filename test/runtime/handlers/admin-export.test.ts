import { expect } from "chai";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps } from "../../helpers/deps";
import { BOB, apiEvent, type Claims } from "../../helpers/events";
import { recordPaidOrder } from "../../helpers/orders";
import { domesticMixedRateOrder, exportOrder } from "../../helpers/tax-orders";
import { OrderStore } from "../../../runtime/domain/store";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { ADMIN_GROUP } from "../../../runtime/contracts/routes";
import type { PricedOrder } from "../../../runtime/domain/order";

const NOW = new Date("2026-12-04T09:00:00.000Z");
const ADMIN = {
  ...BOB,
  sub: "4f1c2a9e-3333-4a1b-9c1d-cccccccccccc",
  email: "admin@shop.example",
  "cognito:groups": `[${ADMIN_GROUP}]`,
} as Claims;

const exportEvent = (query: Record<string, string> | null, claims: Claims = ADMIN) =>
  apiEvent({ method: "GET", resource: "/admin/exports", path: "/admin/exports", query, claims });

/** An order of `base`'s contents with its own id and creation time. */
function orderAt(base: PricedOrder, id: string, createdAt: string): PricedOrder {
  return { ...base, orderId: id, createdAt };
}

describe("admin API: the accountant's export (GET /admin/exports)", function () {
  this.timeout(60000);
  const ctx = useLocalAws();
  const store = () => new OrderStore(ctx.clients.ddb, ctx.resources.table);
  const call = async (e: ReturnType<typeof apiEvent>) => {
    const r = await handleApiRequest(e, apiDeps(ctx, { now: () => NOW }));
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const fileOf = (body: { content: string }) => Buffer.from(body.content, "base64");

  /** Pays, numbers and stores an order's invoice at `issuedAt`. */
  async function invoice(order: PricedOrder, issuedAt: string) {
    const paid = await recordPaidOrder(store(), order, new Date(order.createdAt));
    const numbered = await store().assignInvoiceNumber(paid, new Date(issuedAt));
    await store().markInvoiced(order.orderId, new Date(issuedAt));
    return numbered.invoiceNumber!;
  }

  it("exports the invoices issued in the period, by date, and none from outside it (an order of October invoiced in November counts in November)", async () => {
    const before = await invoice(
      orderAt(domesticMixedRateOrder(), "ord_ExportOctober00000001", "2026-10-30T10:00:00.000Z"),
      "2026-10-31T23:59:59.000Z",
    );
    const lateOrder = orderAt(domesticMixedRateOrder(), "ord_ExportLateInvoice00002", "2026-10-31T23:58:00.000Z");
    const late = await invoice(lateOrder, "2026-11-01T00:00:01.000Z");
    const nov = await invoice(orderAt(exportOrder(), "ord_ExportNovember0000003", "2026-11-15T10:00:00.000Z"), "2026-11-15T10:05:00.000Z");
    const after = await invoice(
      orderAt(exportOrder(), "ord_ExportDecember0000004", "2026-12-01T00:00:00.000Z"),
      "2026-12-01T00:00:00.000Z",
    );

    const r = await call(exportEvent({ from: "2026-11-01", to: "2026-11-30", format: "csv" }));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.filename).to.equal("invoices_2026-11-01_2026-11-30.csv");
    expect(r.body.documents).to.deep.equal({ invoices: 2, creditNotes: 0 });
    const file = fileOf(r.body);
    expect([...file.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]); // the BOM a spreadsheet needs to read UTF-8
    const rows = file.toString("utf8").slice(1).trim().split("\r\n");
    expect(rows[0]).to.equal("date,document,number,corrects,order_id,customer_id,customer,currency,net,vat_code,vat_rate,vat,gross");
    const numbers = rows.slice(1).map((l) => l.split(",")[2]);
    expect(numbers).to.deep.equal([late, late, nov]); // the domestic order has two VAT groups
    expect(numbers).not.to.include(before);
    expect(numbers).not.to.include(after);
  });

  it("still exports an invoice whose order's queue message was marked sent after the worker numbered it", async () => {
    const order = orderAt(domesticMixedRateOrder(), "ord_ExportRaceEnqueue000005", "2026-11-20T10:00:00.000Z");
    const number = await invoice(order, "2026-11-20T10:00:05.000Z");
    await store().markEnqueued(order.orderId, new Date("2026-11-20T10:00:06.000Z")); // the API's write, late

    const r = await call(exportEvent({ from: "2026-11-20", to: "2026-11-20", format: "csv" }));
    expect(r.body.documents.invoices).to.equal(1);
    expect(fileOf(r.body).toString("utf8")).to.include(number);
    expect((await store().get(order.orderId))!.enqueuedAt).to.equal("2026-11-20T10:00:06.000Z");
  });

  it("writes a DATEV Buchungsstapel in Windows-1252 with the adviser's numbers, named EXTF_", async () => {
    const order = orderAt(domesticMixedRateOrder(), "ord_ExportDatev0000000006", "2026-11-03T10:00:00.000Z");
    const munich = { ...order, billingAddress: { ...order.billingAddress, name: "Jürgen Müller" } };
    const number = await invoice(munich, "2026-11-03T10:00:05.000Z");

    const r = await call(exportEvent({ from: "2026-11-01", to: "2026-11-30", format: "datev", consultant: "1001", client: "42" }));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.filename).to.equal("EXTF_Buchungsstapel_2026-11-01_2026-11-30.csv");
    const file = fileOf(r.body);
    expect(file.includes(Buffer.from([0xfc]))).to.equal(true); // ü in Windows-1252, one byte
    const text = file.toString("latin1");
    expect(text.split("\r\n")[0]).to.match(
      /^"EXTF";700;21;"Buchungsstapel";13;\d{17};;"RE";"shop-backend";"";1001;42;20260101;4;20261101;20261130;/,
    );
    expect(text).to.include(`"${number}"`);
    expect(text).to.include("Jürgen Müller");
  });

  it("refuses a period that is not one, DATEV without the adviser's numbers, and unknown parameters, with the paths named", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ from: "2026-11-31", to: "2026-12-01", format: "csv" }, "query.from"],
      [{ from: "2026-12-01", to: "2026-11-01", format: "csv" }, "query.from"],
      [{ from: "2025-01-01", to: "2026-12-01", format: "csv" }, "query.to"],
      [{ from: "2026-11-01", to: "2026-11-30", format: "xlsx" }, "query.format"],
      [{ from: "2026-11-01", to: "2026-11-30", format: "datev" }, "query.consultant"],
      [{ from: "2026-11-01", to: "2026-11-30", format: "csv", limit: "5" }, "query"],
    ];
    for (const [query, path] of cases) {
      const r = await call(exportEvent(query));
      expect(r.status, JSON.stringify(query)).to.equal(400);
      expect(r.body.error.code).to.equal("VALIDATION_FAILED");
      expect(r.body.error.details.map((d: { path: string }) => d.path).join(" "), JSON.stringify(query)).to.include(path);
    }
  });

  it("gives a customer 403 and no file, and records who exported what in the audit trail", async () => {
    const customer = await call(exportEvent({ from: "2026-11-01", to: "2026-11-30", format: "csv" }, BOB));
    expect(customer.status).to.equal(403);
    expect(customer.body.content).to.equal(undefined);

    await call(exportEvent({ from: "2026-11-01", to: "2026-11-30", format: "csv" }));
    const audit = await ctx.clients.ddb.send(
      new ScanCommand({
        TableName: ctx.resources.table,
        FilterExpression: "#t = :a",
        ExpressionAttributeNames: { "#t": "type" },
        ExpressionAttributeValues: { ":a": "audit" },
      }),
    );
    const entry = (audit.Items ?? []).find((i) => i.action === "export.downloaded");
    expect(entry).to.include({
      adminSub: ADMIN.sub,
      adminEmail: "admin@shop.example",
      target: "period:2026-11-01..2026-11-30",
      route: "GET /admin/exports",
    });
    expect(entry!.detail).to.deep.equal({ format: "csv", rows: 0, invoices: 0, creditNotes: 0 });
  });
});
