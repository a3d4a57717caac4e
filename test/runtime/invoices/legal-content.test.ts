import { expect } from "chai";
import type { PricedOrder } from "../../../runtime/domain/order";
import type { Lang } from "../../../runtime/i18n";
import { renderInvoicePdf } from "../../../runtime/invoices/pdf";
import { domesticMixedRateOrder, exportOrder, intraCommunityOrder } from "../../helpers/tax-orders";
import { baselines, invoiceOf, readPdf } from "./invoices";

/** Intl's no-break spaces (U+00A0, U+202F) as "_": which one it uses where has changed between CLDR releases. */
const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, "_");

const payment = { provider: "stripe", paidAt: new Date("2025-03-14T09:26:58.000Z"), card: { brand: "visa", last4: "4242" } };

/** What every invoice of SELLER states in `lang`: the seller's identity, the number, both dates, the page footer. */
const HEADING: Record<Lang, string[]> = {
  en: [
    "Nordwind Handel GmbH",
    "Friedrichstraße 12",
    "10117 Berlin",
    "VAT ID: DE129273398",
    "Tax number: 37/123/45678",
    "billing@nordwind.example",
    "Invoice number INV-000042",
    "Invoice date 2025-03-14",
    "Supply date 2025-03-10",
    "Nordwind Handel GmbH · Invoice INV-000042 Page 1 of 1",
    "Trade register: Amtsgericht Charlottenburg, HRB 123456 B · Managing directors: Erika Mustermann",
    "Paid on 2025-03-14 by Visa •••• 4242 (stripe)",
  ],
  de: [
    "Nordwind Handel GmbH",
    "Friedrichstraße 12",
    "10117 Berlin",
    "USt-IdNr.: DE129273398",
    "Steuernummer: 37/123/45678",
    "billing@nordwind.example",
    "Rechnungsnr. INV-000042",
    "Rechnungsdatum 14.03.2025",
    "Leistungsdatum 10.03.2025",
    "Nordwind Handel GmbH · Rechnung INV-000042 Seite 1 von 1",
    "Handelsregister: Amtsgericht Charlottenburg, HRB 123456 B · Geschäftsführung: Erika Mustermann",
    "Bezahlt am 14.03.2025 mit Visa •••• 4242 (stripe)",
  ],
  fr: [
    "Nordwind Handel GmbH",
    "Friedrichstraße 12",
    "10117 Berlin",
    "N° TVA intracommunautaire_: DE129273398",
    "Numéro fiscal_: 37/123/45678",
    "billing@nordwind.example",
    "N° de facture INV-000042",
    "Date de facture 14/03/2025",
    "Date de livraison 10/03/2025",
    "Nordwind Handel GmbH · Facture INV-000042 Page 1 sur 1",
    "Registre du commerce_: Amtsgericht Charlottenburg, HRB 123456 B · Gérance_: Erika Mustermann",
    "Payée le 14/03/2025 par Visa •••• 4242 (stripe)",
  ],
};

/** The statutory notes, to check that an invoice carries only its own. */
const NOTES: Record<Lang, { intraCommunity: string; export: string }> = {
  en: {
    intraCommunity: "Tax-exempt intra-Community supply (Art. 138 Directive 2006/112/EC)",
    export: "Tax-exempt export delivery (Art. 146 Directive 2006/112/EC)",
  },
  de: {
    intraCommunity: "Steuerfreie innergemeinschaftliche Lieferung (Art. 138 Richtlinie 2006/112/EG)",
    export: "Steuerfreie Ausfuhrlieferung (Art. 146 Richtlinie 2006/112/EG)",
  },
  fr: {
    intraCommunity: "Exonération de TVA, livraison intracommunautaire (art. 138 de la directive 2006/112/CE)",
    export: "Exonération de TVA, exportation (art. 146 de la directive 2006/112/CE)",
  },
};

/** The French business's billing block: company, addressee, address, country in the invoice's language, email. */
const billedToLyon = (country: string) => [
  "Dubois Librairie SARL",
  "Claire Dubois",
  "8 quai Saint-Antoine",
  "69002 Lyon",
  country,
  "alice@example.com",
];
/** The Swiss consumer's billing block. */
const billedToZurich = (country: string) => ["Dieter Keller", "Bahnhofstrasse 1", "8001 Zürich", country, "alice@example.com"];

interface Case {
  readonly title: string;
  readonly order: () => PricedOrder;
  readonly lang: Lang;
  /** Whole lines of the read-back text, each label with its value. */
  readonly lines: string[];
  /** Text that must not appear (another situation's note, a delivery address equal to the billing address). */
  readonly absent: string[];
}

/*
 * Domestic: book 20.00 at 7 %, shirts 2 x 15.00 at 19 %; the shipping 4.90 split 20:30 -> 1.96 + 2.94,
 * so 21.96 at 7 % = 1.54 (1.5372) and 32.94 at 19 % = 6.26 (6.2586): net 54.90, VAT 7.80, total 62.70.
 * Intra-Community and export: the same 54.90 net, VAT-free (K, G): VAT 0.00, total 54.90.
 */
const CASES: Case[] = [
  {
    title: "a domestic German order at 7 % and 19 %, billed to Berlin and delivered to Munich",
    order: domesticMixedRateOrder,
    lang: "en",
    lines: [
      "Bill to Ship to",
      "Alice Example Bob Beispiel",
      "Hauptstr. 5 Gartenweg 3",
      "10115 Berlin 80331 München",
      "Germany Germany",
      "alice@example.com",
      "SKU Description Qty Unit Net price VAT Net amount",
      "BOOK-1 Der kleine Prinz 1 pc €20.00 7% €20.00",
      "SHIRT-M T-Shirt rot M 2 pc €15.00 19% €30.00",
      " Shipping: Standard shipping 1 pc €4.90 split €4.90",
      "VAT breakdown",
      "VAT rate Taxable amount VAT",
      "7% €21.96 €1.54",
      "19% €32.94 €6.26",
      "Net total €54.90",
      "VAT €7.80",
      "Total €62.70",
    ],
    absent: ["Customer VAT ID", NOTES.en.intraCommunity, NOTES.en.export],
  },
  {
    title: "a domestic German order at 7 % and 19 %, billed to Berlin and delivered to Munich",
    order: domesticMixedRateOrder,
    lang: "de",
    lines: [
      "Rechnungsadresse Lieferadresse",
      "Alice Example Bob Beispiel",
      "Hauptstr. 5 Gartenweg 3",
      "10115 Berlin 80331 München",
      "Deutschland Deutschland",
      "alice@example.com",
      "Art.-Nr. Bezeichnung Anz. Einh. Preis netto USt. Betrag netto",
      "BOOK-1 Der kleine Prinz 1 Stk. 20,00_€ 7_% 20,00_€",
      "SHIRT-M T-Shirt rot M 2 Stk. 15,00_€ 19_% 30,00_€",
      " Versand: Standard shipping 1 Stk. 4,90_€ anteilig 4,90_€",
      "Umsatzsteuer nach Steuersätzen",
      "USt.-Satz Nettobetrag USt.-Betrag",
      "7_% 21,96_€ 1,54_€",
      "19_% 32,94_€ 6,26_€",
      "Nettobetrag 54,90_€",
      "USt. 7,80_€",
      "Gesamtbetrag 62,70_€",
    ],
    absent: ["des Kunden", NOTES.de.intraCommunity, NOTES.de.export],
  },
  {
    title: "a domestic German order at 7 % and 19 %, billed to Berlin and delivered to Munich",
    order: domesticMixedRateOrder,
    lang: "fr",
    lines: [
      "Adresse de facturation Adresse de livraison",
      "Alice Example Bob Beispiel",
      "Hauptstr. 5 Gartenweg 3",
      "10115 Berlin 80331 München",
      "Allemagne Allemagne",
      "alice@example.com",
      "Réf. Désignation Qté Unité Prix unit. HT TVA Montant HT",
      "BOOK-1 Der kleine Prinz 1 pce 20,00_€ 7_% 20,00_€",
      "SHIRT-M T-Shirt rot M 2 pce 15,00_€ 19_% 30,00_€",
      " Livraison_: Standard shipping 1 pce 4,90_€ réparti 4,90_€",
      "Récapitulatif de la TVA",
      "Taux de TVA Base HT Montant de TVA",
      "7_% 21,96_€ 1,54_€",
      "19_% 32,94_€ 6,26_€",
      "Total HT 54,90_€",
      "TVA 7,80_€",
      "Total TTC 62,70_€",
    ],
    absent: ["du client", NOTES.fr.intraCommunity, NOTES.fr.export],
  },
  {
    title: "an intra-Community supply to a French business",
    order: intraCommunityOrder,
    lang: "en",
    lines: [
      "Bill to",
      ...billedToLyon("France"),
      "Customer VAT ID: FR40303265045",
      "BOOK-1 Der kleine Prinz 1 pc €20.00 0% (K) €20.00",
      "SHIRT-M T-Shirt rot M 2 pc €15.00 0% (K) €30.00",
      " Shipping: Standard shipping 1 pc €4.90 0% (K) €4.90",
      "VAT breakdown",
      "0% (K) €54.90 €0.00",
      "Net total €54.90",
      "VAT €0.00",
      "Total €54.90",
      NOTES.en.intraCommunity,
    ],
    absent: ["Ship to", NOTES.en.export],
  },
  {
    title: "an intra-Community supply to a French business",
    order: intraCommunityOrder,
    lang: "de",
    lines: [
      "Rechnungsadresse",
      ...billedToLyon("Frankreich"),
      "USt-IdNr. des Kunden: FR40303265045",
      "BOOK-1 Der kleine Prinz 1 Stk. 20,00_€ 0_% (K) 20,00_€",
      "SHIRT-M T-Shirt rot M 2 Stk. 15,00_€ 0_% (K) 30,00_€",
      " Versand: Standard shipping 1 Stk. 4,90_€ 0_% (K) 4,90_€",
      "Umsatzsteuer nach Steuersätzen",
      "0_% (K) 54,90_€ 0,00_€",
      "Nettobetrag 54,90_€",
      "USt. 0,00_€",
      "Gesamtbetrag 54,90_€",
      NOTES.de.intraCommunity,
    ],
    absent: ["Lieferadresse", NOTES.de.export],
  },
  {
    title: "an intra-Community supply to a French business",
    order: intraCommunityOrder,
    lang: "fr",
    lines: [
      "Adresse de facturation",
      ...billedToLyon("France"),
      "N° TVA intracom. du client_: FR40303265045",
      "BOOK-1 Der kleine Prinz 1 pce 20,00_€ 0_% (K) 20,00_€",
      "SHIRT-M T-Shirt rot M 2 pce 15,00_€ 0_% (K) 30,00_€",
      " Livraison_: Standard shipping 1 pce 4,90_€ 0_% (K) 4,90_€",
      "Récapitulatif de la TVA",
      "0_% (K) 54,90_€ 0,00_€",
      "Total HT 54,90_€",
      "TVA 0,00_€",
      "Total TTC 54,90_€",
      NOTES.fr.intraCommunity,
    ],
    absent: ["Adresse de livraison", NOTES.fr.export],
  },
  {
    title: "an export to a consumer in Switzerland",
    order: exportOrder,
    lang: "en",
    lines: [
      "Bill to",
      ...billedToZurich("Switzerland"),
      "BOOK-1 Der kleine Prinz 1 pc €20.00 0% (G) €20.00",
      "SHIRT-M T-Shirt rot M 2 pc €15.00 0% (G) €30.00",
      " Shipping: Standard shipping 1 pc €4.90 0% (G) €4.90",
      "0% (G) €54.90 €0.00",
      "Net total €54.90",
      "VAT €0.00",
      "Total €54.90",
      NOTES.en.export,
    ],
    absent: ["Ship to", "Customer VAT ID", NOTES.en.intraCommunity],
  },
  {
    title: "an export to a consumer in Switzerland",
    order: exportOrder,
    lang: "de",
    lines: [
      "Rechnungsadresse",
      ...billedToZurich("Schweiz"),
      "BOOK-1 Der kleine Prinz 1 Stk. 20,00_€ 0_% (G) 20,00_€",
      "SHIRT-M T-Shirt rot M 2 Stk. 15,00_€ 0_% (G) 30,00_€",
      " Versand: Standard shipping 1 Stk. 4,90_€ 0_% (G) 4,90_€",
      "0_% (G) 54,90_€ 0,00_€",
      "Nettobetrag 54,90_€",
      "USt. 0,00_€",
      "Gesamtbetrag 54,90_€",
      NOTES.de.export,
    ],
    absent: ["Lieferadresse", "des Kunden", NOTES.de.intraCommunity],
  },
  {
    title: "an export to a consumer in Switzerland",
    order: exportOrder,
    lang: "fr",
    lines: [
      "Adresse de facturation",
      ...billedToZurich("Suisse"),
      "BOOK-1 Der kleine Prinz 1 pce 20,00_€ 0_% (G) 20,00_€",
      "SHIRT-M T-Shirt rot M 2 pce 15,00_€ 0_% (G) 30,00_€",
      " Livraison_: Standard shipping 1 pce 4,90_€ 0_% (G) 4,90_€",
      "0_% (G) 54,90_€ 0,00_€",
      "Total HT 54,90_€",
      "TVA 0,00_€",
      "Total TTC 54,90_€",
      NOTES.fr.export,
    ],
    absent: ["Adresse de livraison", "du client", NOTES.fr.intraCommunity],
  },
];

describe("renderInvoicePdf: the content an invoice must have (VAT Directive Art. 226, § 14 UStG)", () => {
  for (const c of CASES) {
    it(`states every mandatory field of ${c.title} in ${c.lang}, each value with its label`, async () => {
      // Act
      const pdf = await readPdf(renderInvoicePdf(invoiceOf(c.order(), { payment }), c.lang));

      // Assess: whole lines, so a rate or amount on the wrong line fails.
      const lines = nbsp(pdf.text).split("\n");
      expect(pdf.numpages).to.equal(1);
      for (const line of [...HEADING[c.lang], ...c.lines]) expect(lines, line).to.include(line);
      for (const text of c.absent) expect(nbsp(pdf.text), text).not.to.contain(text);
      expect(pdf.text).not.to.contain("?");
    });

    it(`keeps every text of ${c.title} in ${c.lang} inside the page and clear of its neighbours`, async () => {
      // Act
      const pdf = await readPdf(renderInvoicePdf(invoiceOf(c.order(), { payment }), c.lang));

      // Assess
      const [page] = pdf.pages;
      for (const line of baselines(page.items)) {
        line.forEach((item, i) => {
          expect(item.x, item.str).to.be.at.least(0);
          expect(item.x + item.width, item.str).to.be.at.most(i + 1 < line.length ? line[i + 1].x : page.width);
        });
      }
    });
  }
});
