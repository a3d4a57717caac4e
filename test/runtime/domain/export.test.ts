import { expect } from "chai";
import {
  creditNoteDocument,
  datevBuchungsstapel,
  documentsCsv,
  invoiceDocument,
  SKR03_REVENUE_ACCOUNTS,
  toCp1252,
  UnmappedVatGroupError,
  type DatevConfig,
} from "../../../runtime/domain/export";
import type { PricedOrder } from "../../../runtime/domain/order";
import type { InvoicedRecord } from "../../../runtime/domain/store";
import { creditNoteOf } from "../../../runtime/domain/credit-note";
import { domesticMixedRateOrder, exportOrder, intraCommunityOrder } from "../../helpers/tax-orders";

/** An order as the store holds it once invoiced, as the export books it. */
function invoiced(order: PricedOrder, invoiceNumber: string, issuedAt = "2025-03-14T09:26:53.000Z") {
  const rec: InvoicedRecord = {
    order,
    status: "INVOICED",
    invoiceNumber,
    invoiceKey: `invoices/${invoiceNumber}.pdf`,
    invoiceIssuedAt: issuedAt,
  };
  return invoiceDocument(rec);
}

/** A numbered credit note of one unit of the domestic order's 19 % line (net 15.00, VAT 2.85). */
function creditedUnit(issuedAt = "2025-03-20T10:00:00.000Z") {
  const order = domesticMixedRateOrder();
  const creditNote = creditNoteOf(order, {
    kind: "partial",
    id: "cn_export_1",
    reason: "damaged",
    lines: [{ line: 1, quantity: 1 }],
    shipping: false,
  });
  return creditNoteDocument(order, { creditNote, creditNoteNumber: "CN-000001", issuedAt, invoiceNumber: "INV-2025-000001" });
}

const CONFIG: DatevConfig = {
  consultantNumber: 1001,
  clientNumber: 1,
  fiscalYearStart: "2025-01-01",
  debtorAccount: "10000",
  revenueAccounts: SKR03_REVENUE_ACCOUNTS,
  chart: "03",
};
const PERIOD = { from: "2025-03-01", to: "2025-03-31", createdAt: new Date("2025-04-01T08:00:00.123Z") };
const ALICE_ID = "4f1c2a9e-1111-4a1b-9c1d-aaaaaaaaaaaa";

/** A decimal cell back to minor units (2 digits). */
const minorOf = (s: string) => Math.round(Number(s.replace(",", ".")) * 100);

describe("documentsCsv", () => {
  it("writes one row per VAT group of a domestic two-rate invoice, net, VAT and gross", () => {
    const csv = documentsCsv([invoiced(domesticMixedRateOrder(), "INV-2025-000001")]);

    expect(csv.split("\r\n")).to.deep.equal([
      "date,document,number,corrects,order_id,customer_id,customer,currency,net,vat_code,vat_rate,vat,gross",
      `2025-03-14,invoice,INV-2025-000001,,ord_LegalDomestic000000001,${ALICE_ID},Alice Example,EUR,21.96,S,7,1.54,23.50`,
      `2025-03-14,invoice,INV-2025-000001,,ord_LegalDomestic000000001,${ALICE_ID},Alice Example,EUR,32.94,S,19,6.26,39.20`,
      "",
    ]);
  });

  it("names a business by its company and writes the VAT-free groups of intra-Community and export invoices at rate 0", () => {
    const csv = documentsCsv([invoiced(intraCommunityOrder(), "INV-2025-000002"), invoiced(exportOrder(), "INV-2025-000003")]);

    expect(csv.split("\r\n").slice(1, -1)).to.deep.equal([
      `2025-03-14,invoice,INV-2025-000002,,ord_LegalIntraCommunity0002,${ALICE_ID},Dubois Librairie SARL,EUR,54.90,K,0,0.00,54.90`,
      `2025-03-14,invoice,INV-2025-000003,,ord_LegalExport00000000003,${ALICE_ID},Dieter Keller,EUR,54.90,G,0,0.00,54.90`,
    ]);
  });

  const hostile = [
    { name: '=HYPERLINK("http://x","y")', cell: `"'=HYPERLINK(""http://x"",""y"")"` },
    { name: "+49 30 123", cell: "'+49 30 123" },
    { name: "-1+1", cell: "'-1+1" },
    { name: "@SUM(A1)", cell: "'@SUM(A1)" },
    { name: "Müller, Hans", cell: '"Müller, Hans"' },
    { name: 'Ann "The" Seller', cell: '"Ann ""The"" Seller"' },
  ];
  for (const c of hostile) {
    it(`guards and quotes a spreadsheet-hostile customer name: ${c.name}`, () => {
      const order = domesticMixedRateOrder();
      const renamed = { ...order, billingAddress: { ...order.billingAddress, name: c.name } };

      const row = documentsCsv([invoiced(renamed, "INV-2025-000001")]).split("\r\n")[1];

      expect(row).to.equal(`2025-03-14,invoice,INV-2025-000001,,ord_LegalDomestic000000001,${ALICE_ID},${c.cell},EUR,21.96,S,7,1.54,23.50`);
    });
  }

  it("adds up to the invoices' totals", () => {
    const orders = [domesticMixedRateOrder(), intraCommunityOrder(), exportOrder()];
    const rows = documentsCsv(orders.map((o, i) => invoiced(o, `INV-2025-00000${i + 1}`)))
      .trim()
      .split("\r\n")
      .slice(1)
      .map((l) => l.split(","));

    const sum = (col: number) => rows.reduce((s, r) => s + minorOf(r[col]), 0);
    expect([sum(8), sum(11), sum(12)]).to.deep.equal([
      orders.reduce((s, o) => s + o.subtotalMinor, 0),
      orders.reduce((s, o) => s + o.taxMinor, 0),
      orders.reduce((s, o) => s + o.totalMinor, 0),
    ]);
  });

  it("writes a credit note's rows negative, naming the invoice it corrects, so sums are net of corrections", () => {
    const rows = documentsCsv([invoiced(domesticMixedRateOrder(), "INV-2025-000001"), creditedUnit()])
      .trim()
      .split("\r\n");

    expect(rows[3]).to.equal(
      `2025-03-20,credit_note,CN-000001,INV-2025-000001,ord_LegalDomestic000000001,${ALICE_ID},Alice Example,EUR,-15.00,S,19,-2.85,-17.85`,
    );
    const gross = rows.slice(1).reduce((s, r) => s + minorOf(r.split(",")[12]), 0);
    expect(gross).to.equal(domesticMixedRateOrder().totalMinor - 1785);
  });
});

describe("datevBuchungsstapel", () => {
  const records = () => [
    invoiced(domesticMixedRateOrder(), "INV-2025-000001"),
    invoiced(intraCommunityOrder(), "INV-2025-000002", "2025-03-15T23:59:59.000Z"),
    invoiced(exportOrder(), "INV-2025-000003", "2025-03-16T00:00:00.000Z"),
  ];

  it("writes the EXTF header (version 700, category 21, format version 13) with the adviser's numbers and the period", () => {
    const [header] = datevBuchungsstapel(records(), CONFIG, PERIOD).split("\r\n");

    expect(header).to.equal(
      '"EXTF";700;21;"Buchungsstapel";13;20250401080000123;;"RE";"shop-backend";"";1001;1;20250101;4;20250301;20250331;"Rechnungsausgang";"";1;0;0;"EUR";;"";;;"03";;;"";""',
    );
    expect(header.split(";")).to.have.length(31);
  });

  it("books each VAT group's gross against its revenue account: 8300/8400 at home, 8125 intra-Community, 8120 export", () => {
    const lines = datevBuchungsstapel(records(), CONFIG, PERIOD).split("\r\n");

    expect(lines.slice(1)).to.deep.equal([
      "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;WKZ Basis-Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;Belegfeld 1;Belegfeld 2;Skonto;Buchungstext",
      '23,50;"S";"EUR";;;"";10000;8300;"";1403;"INV-2025-000001";"";;"Alice Example ord_LegalDomestic000000001"',
      '39,20;"S";"EUR";;;"";10000;8400;"";1403;"INV-2025-000001";"";;"Alice Example ord_LegalDomestic000000001"',
      '54,90;"S";"EUR";;;"";10000;8125;"";1503;"INV-2025-000002";"";;"Dubois Librairie SARL ord_LegalIntraCommunity0002"',
      '54,90;"S";"EUR";;;"";10000;8120;"";1603;"INV-2025-000003";"";;"Dieter Keller ord_LegalExport00000000003"',
      "",
    ]);
  });

  it("adds up to the invoices' gross totals", () => {
    const recs = records();
    const bookings = datevBuchungsstapel(recs, CONFIG, PERIOD).trim().split("\r\n").slice(2);

    const total = bookings.reduce((s, l) => s + minorOf(l.split(";")[0]), 0);
    expect(total).to.equal(recs.reduce((s, r) => s + r.order.totalMinor, 0));
  });

  it("books a credit note's gross back to the customer (Haben) against the revenue account, its number in Belegfeld 1", () => {
    const line = datevBuchungsstapel([creditedUnit()], CONFIG, PERIOD).split("\r\n")[2];

    expect(line).to.equal('17,85;"H";"EUR";;;"";10000;8400;"";2003;"CN-000001";"";;"Alice Example ord_LegalDomestic000000001"');
  });

  it("refuses a VAT group the config maps to no revenue account", () => {
    const config = { ...CONFIG, revenueAccounts: { "S:1900": { account: "8400" } } };

    expect(() => datevBuchungsstapel(records(), config, PERIOD)).to.throw(UnmappedVatGroupError, /S:700/);
  });

  it("keeps a hostile name's quotes inside its Buchungstext and turns its separators into spaces", () => {
    const order = domesticMixedRateOrder();
    const renamed = { ...order, billingAddress: { ...order.billingAddress, name: 'Ann "The"; Seller' } };

    const line = datevBuchungsstapel([invoiced(renamed, "INV-2025-000001")], CONFIG, PERIOD).split("\r\n")[2];

    expect(line.endsWith(';"Ann ""The"" Seller ord_LegalDomestic000000001"')).to.equal(true);
  });
});

describe("toCp1252", () => {
  it("encodes umlauts, the euro sign and typographic quotes as Windows-1252, and what it cannot hold as ?", () => {
    expect([...toCp1252("Müß€„“Ω")]).to.deep.equal([0x4d, 0xfc, 0xdf, 0x80, 0x84, 0x93, 0x3f]);
  });
});
