import { expect } from "chai";
import { creditNoteOf, creditNoteRequestSchema, type CreditNoteRequest } from "../../../runtime/domain/credit-note";
import type { PricedOrder } from "../../../runtime/domain/order";
import type { Lang } from "../../../runtime/i18n";
import type { CreditNoteDocument } from "../../../runtime/invoices/document";
import { renderCreditNotePdf, renderInvoicePdf } from "../../../runtime/invoices/pdf";
import { makePricedOrder } from "../../helpers/orders";
import { domesticMixedRateOrder, intraCommunityOrder } from "../../helpers/tax-orders";
import { invoiceOf, readPdf, SELLER } from "./invoices";

/** Intl's no-break spaces (U+00A0, U+202F) as "_": which one it uses where has changed between CLDR releases. */
const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, "_");

/** One of the two shirts returned, and the shipping refunded. */
const SHIRT_AND_SHIPPING = { kind: "partial", lines: [{ line: 1, quantity: 1 }], shipping: true, reason: "One shirt returned damaged" };

/** A credit note CN-000007 of 2025-04-02 correcting invoice INV-000042 of 2025-03-14 (as invoiceOf issues it). */
function creditNoteDoc(order: PricedOrder, request: object = SHIRT_AND_SHIPPING): CreditNoteDocument {
  const parsed: CreditNoteRequest = creditNoteRequestSchema().parse({ id: "cn_fixed0001", ...request });
  const invoice = invoiceOf(order);
  return {
    creditNote: creditNoteOf(order, parsed),
    order,
    creditNoteNumber: "CN-000007",
    issuedAt: new Date("2025-04-02T10:00:00.000Z"),
    invoiceNumber: invoice.invoiceNumber,
    invoiceIssuedAt: invoice.issuedAt,
    seller: SELLER,
  };
}

/*
 * Domestic order (book 20.00 at 7 %, shirts 2 x 15.00 at 19 %, shipping 4.90 split 1.96 + 2.94): one shirt
 * and the shipping credited: 1.96 at 7 % = 0.14 (0.1372); 15.00 + 2.94 = 17.94 at 19 % = 3.41 (3.4086); total 23.45.
 */
const CASES: ReadonlyArray<{ lang: Lang; order: () => PricedOrder; lines: string[]; title: string }> = [
  {
    lang: "en",
    order: domesticMixedRateOrder,
    title: "Credit note CN-000007",
    lines: [
      "Credit note",
      "Credit note date 2025-04-02",
      "Corrected invoice INV-000042",
      "Invoice date 2025-03-14",
      "Supply date 2025-03-10",
      "Corrects invoice INV-000042 of 2025-03-14.",
      "Reason: One shirt returned damaged",
      "SHIRT-M T-Shirt rot M 1 pc €15.00 19% €15.00",
      " Shipping: Standard shipping 1 pc €4.90 split €4.90",
      "7% €1.96 €0.14",
      "19% €17.94 €3.41",
      "Net total €19.90",
      "VAT €3.55",
      "Total €23.45",
      "Nordwind Handel GmbH · Credit note CN-000007 Page 1 of 1",
      "Trade register: Amtsgericht Charlottenburg, HRB 123456 B · Managing directors: Erika Mustermann",
    ],
  },
  {
    lang: "de",
    order: domesticMixedRateOrder,
    title: "Rechnungskorrektur CN-000007",
    lines: [
      "Rechnungskorrektur",
      "Korrektur-Nr. CN-000007",
      "Korrekturdatum 02.04.2025",
      "Zur Rechnung INV-000042",
      "Rechnungsdatum 14.03.2025",
      "Leistungsdatum 10.03.2025",
      "Berichtigt die Rechnung INV-000042 vom 14.03.2025.",
      "Grund: One shirt returned damaged",
      "SHIRT-M T-Shirt rot M 1 Stk. 15,00_€ 19_% 15,00_€",
      " Versand: Standard shipping 1 Stk. 4,90_€ anteilig 4,90_€",
      "7_% 1,96_€ 0,14_€",
      "19_% 17,94_€ 3,41_€",
      "Nettobetrag 19,90_€",
      "USt. 3,55_€",
      "Gesamtbetrag 23,45_€",
      "Nordwind Handel GmbH · Rechnungskorrektur CN-000007 Seite 1 von 1",
    ],
  },
  {
    lang: "fr",
    order: intraCommunityOrder,
    title: "Avoir CN-000007",
    lines: [
      "Avoir",
      "N° d'avoir CN-000007",
      "Date de l'avoir 02/04/2025",
      "Facture rectifiée INV-000042",
      "Date de facture 14/03/2025",
      "N° TVA intracom. du client_: FR40303265045",
      "Rectifie la facture INV-000042 du 14/03/2025.",
      "Motif_: One shirt returned damaged",
      "SHIRT-M T-Shirt rot M 1 pce 15,00_€ 0_% (K) 15,00_€",
      "0_% (K) 19,90_€ 0,00_€",
      "Total TTC 19,90_€",
      "Exonération de TVA, livraison intracommunautaire (art. 138 de la directive 2006/112/CE)",
      "Nordwind Handel GmbH · Avoir CN-000007 Page 1 sur 1",
    ],
  },
];

describe("renderCreditNotePdf", () => {
  for (const c of CASES) {
    it(`states in ${c.lang} what it corrects and why, the credited lines as positive amounts, the VAT breakdown and the notes`, async () => {
      // Act
      const pdf = await readPdf(renderCreditNotePdf(creditNoteDoc(c.order()), c.lang));
      // Assess
      const lines = nbsp(pdf.text).split("\n");
      const missing = c.lines.filter((l) => !lines.includes(l));
      expect(missing, `missing from:\n${lines.join("\n")}`).to.deep.equal([]);
      expect(pdf.info.Title).to.equal(c.title);
      // The book was not credited, and no amount is printed negative.
      expect(pdf.text).not.to.contain("BOOK-1");
      expect(nbsp(pdf.text)).not.to.match(/(^|\s)-_?€?\d+[.,]\d{2}/m);
    });
  }

  it("is written in the invoice's language unless told otherwise", async () => {
    const order = { ...domesticMixedRateOrder(), lang: "de" as const };
    const pdf = await readPdf(renderCreditNotePdf(creditNoteDoc(order)));
    expect(pdf.text).to.contain("Rechnungskorrektur");
  });

  it("renders the same bytes for the same credit note and language", () => {
    const doc = creditNoteDoc(domesticMixedRateOrder());
    expect(Buffer.from(renderCreditNotePdf(doc, "fr")).equals(Buffer.from(renderCreditNotePdf(doc, "fr")))).to.equal(true);
  });

  it("prints a full credit note with the invoice's lines, breakdown and totals", async () => {
    // Prepare
    const order = domesticMixedRateOrder();
    const tail = (text: string) => text.slice(text.indexOf("SKU Description"), text.indexOf("Nordwind Handel GmbH ·"));
    // Act
    const credit = await readPdf(renderCreditNotePdf(creditNoteDoc(order, { kind: "full", reason: "Order cancelled" }), "en"));
    const invoice = await readPdf(renderInvoicePdf(invoiceOf(order), "en"));
    // Assess: from the table header to the footer, the same text
    expect(tail(credit.text)).to.equal(tail(invoice.text));
  });

  it("continues a long credit note on further pages under its own number", async () => {
    const order = makePricedOrder({ lineCount: 60 });
    const pdf = await readPdf(renderCreditNotePdf(creditNoteDoc(order, { kind: "full", reason: "Order cancelled" }), "en"));
    expect(pdf.numpages).to.be.greaterThan(1);
    expect(pdf.text).to.contain("Credit note CN-000007 (continued)");
    expect(pdf.text).to.contain(`Credit note CN-000007 Page ${pdf.numpages} of ${pdf.numpages}`);
  });
});
