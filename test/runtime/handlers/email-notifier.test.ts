import { expect } from "chai";
import { composeInvoiceEmail, decodeS3Key } from "../../../runtime/handlers/email-notifier";
import type { OrderRecord } from "../../../runtime/domain/store";
import type { Lang } from "../../../runtime/i18n";
import { makePricedLine, makePricedOrder } from "../../helpers/orders";
import { domesticMixedRateOrder, exportOrder, intraCommunityOrder } from "../../helpers/tax-orders";

/** The notifier's behaviour is its contract suite (test/contract/email-notifier.contract.test.ts); these are its pure parts. */
describe("email notifier", () => {
  it("decodes form-encoded keys as S3 sends them", () => {
    expect(decodeS3Key("invoices%2Ford_1.pdf")).to.equal("invoices/ord_1.pdf");
    expect(decodeS3Key("a+b%2Bc")).to.equal("a b+c");
  });
});

describe("composeInvoiceEmail", () => {
  // 2 x 1,234.56 = 2,469.12, shipping 4.90: net 2,474.02, 19 % VAT 470.06 (470.0638), total 2,944.08.
  const order = makePricedOrder({
    orderId: "ord_FixedEmail00000000001",
    lines: [makePricedLine(0, { quantity: 2, unitPriceMinor: 123456 })],
  });
  const rec: OrderRecord = { order, status: "INVOICED", invoiceNumber: "INV-000042" };
  const link = "https://shop.example/invoices/ord_FixedEmail00000000001?sig=a&exp=1";
  /** Intl's no-break spaces as "_" (which one it uses where has changed between CLDR releases). */
  const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, "_");

  it("writes the English email line for line: net items and shipping, net total, VAT per rate, total", () => {
    const mail = composeInvoiceEmail(rec, link, "Nordwind Handel GmbH", 7);
    expect(mail.subject).to.equal("Your invoice INV-000042 from Nordwind Handel GmbH");
    expect(mail.text.split("\n")).to.deep.equal([
      "Hello Alice Example,",
      "",
      "thank you for your order ord_FixedEmail00000000001. Your invoice INV-000042 is ready.",
      "",
      "Items (net):    €2,469.12",
      "Shipping (net): €4.90 (Standard shipping)",
      "Net total:      €2,474.02",
      "VAT 19%:        €470.06",
      "Total:          €2,944.08",
      "",
      `Download your invoice (PDF): ${link}`,
      "The link works for 7 days.",
      "",
      "Nordwind Handel GmbH",
    ]);
    expect(mail.html).to.contain(
      "<p>thank you for your order <code>ord_FixedEmail00000000001</code>. Your invoice <strong>INV-000042</strong> is ready.</p>",
    );
    expect(mail.html).to.contain('<tr><td><strong>Total</strong></td><td align="right"><strong>€2,944.08</strong></td></tr>');
    expect(mail.html).to.contain("Download your invoice (PDF)</a> &mdash; the link works for 7 days.</p>");
  });

  const cases: { lang: Lang; subject: string; text: string[]; html: string[] }[] = [
    {
      lang: "de",
      subject: "Ihre Rechnung INV-000042 von Nordwind Handel GmbH",
      text: [
        "Hallo Alice Example,",
        "vielen Dank für Ihre Bestellung ord_FixedEmail00000000001. Ihre Rechnung INV-000042 steht bereit.",
        "Artikel netto: 2.469,12_€",
        "Versand netto: 4,90_€ (Standard shipping)",
        "Nettobetrag:   2.474,02_€",
        "USt. 19_%:     470,06_€",
        "Gesamtbetrag:  2.944,08_€",
        `Rechnung herunterladen (PDF): ${link}`,
        "Der Link ist 7 Tage gültig.",
      ],
      html: [
        "vielen Dank für Ihre Bestellung <code>ord_FixedEmail00000000001</code>. Ihre Rechnung <strong>INV-000042</strong> steht bereit.",
        '<tr><td><strong>Gesamtbetrag</strong></td><td align="right"><strong>2.944,08_€</strong></td></tr>',
        "Rechnung herunterladen (PDF)</a> &mdash; der Link ist 7 Tage gültig.",
      ],
    },
    {
      lang: "fr",
      subject: "Votre facture INV-000042 – Nordwind Handel GmbH",
      text: [
        "Bonjour Alice Example,",
        "Merci pour votre commande ord_FixedEmail00000000001. Votre facture INV-000042 est disponible.",
        "Articles HT_:  2_469,12_€",
        "Livraison HT_: 4,90_€ (Standard shipping)",
        "Total HT_:     2_474,02_€",
        "TVA 19_%_:     470,06_€",
        "Total TTC_:    2_944,08_€",
        `Télécharger votre facture (PDF)_: ${link}`,
        "Le lien est valable 7 jours.",
      ],
      html: [
        "Merci pour votre commande <code>ord_FixedEmail00000000001</code>. Votre facture <strong>INV-000042</strong> est disponible.",
        '<tr><td>Livraison HT (Standard shipping)</td><td align="right">4,90_€</td></tr>',
        "Télécharger votre facture (PDF)</a> &mdash; le lien est valable 7 jours.",
      ],
    },
  ];
  for (const c of cases) {
    it(`writes subject, text and HTML in ${c.lang}, with its money format and the amounts in one column`, () => {
      const mail = composeInvoiceEmail(rec, link, "Nordwind Handel GmbH", 7, c.lang);
      expect(mail.subject).to.equal(c.subject);
      const lines = nbsp(mail.text).split("\n");
      for (const line of c.text) expect(lines).to.include(line);
      for (const fragment of c.html) expect(nbsp(mail.html)).to.contain(fragment);
    });
  }

  // The legal orders (test/helpers/tax-orders.ts): net 50.00 + 4.90; domestic 7 % 1.54 and 19 % 6.26; K and G VAT-free.
  const legal: { title: string; order: () => OrderRecord["order"]; lang: Lang; text: string[]; html: string[] }[] = [
    {
      title: "a domestic order at two rates",
      order: domesticMixedRateOrder,
      lang: "en",
      text: [
        "Items (net):    €50.00",
        "Shipping (net): €4.90 (Standard shipping)",
        "Net total:      €54.90",
        "VAT 7%:         €1.54",
        "VAT 19%:        €6.26",
        "Total:          €62.70",
      ],
      html: ['<tr><td>VAT 7%</td><td align="right">€1.54</td></tr>', '<tr><td>VAT 19%</td><td align="right">€6.26</td></tr>'],
    },
    {
      title: "a domestic order at two rates",
      order: domesticMixedRateOrder,
      lang: "de",
      text: [
        "Artikel netto: 50,00_€",
        "Nettobetrag:   54,90_€",
        "USt. 7_%:      1,54_€",
        "USt. 19_%:     6,26_€",
        "Gesamtbetrag:  62,70_€",
      ],
      html: ['<tr><td>USt. 7_%</td><td align="right">1,54_€</td></tr>', '<tr><td>USt. 19_%</td><td align="right">6,26_€</td></tr>'],
    },
    {
      title: "a domestic order at two rates",
      order: domesticMixedRateOrder,
      lang: "fr",
      text: [
        "Articles HT_:  50,00_€",
        "Total HT_:     54,90_€",
        "TVA 7_%_:      1,54_€",
        "TVA 19_%_:     6,26_€",
        "Total TTC_:    62,70_€",
      ],
      html: ['<tr><td>TVA 7_%</td><td align="right">1,54_€</td></tr>', '<tr><td>TVA 19_%</td><td align="right">6,26_€</td></tr>'],
    },
  ];
  for (const c of legal) {
    it(`states the VAT per rate of ${c.title} in ${c.lang}`, () => {
      const mail = composeInvoiceEmail({ ...rec, order: c.order() }, link, "Nordwind Handel GmbH", 7, c.lang);
      const lines = nbsp(mail.text).split("\n");
      for (const line of c.text) expect(lines).to.include(line);
      for (const fragment of c.html) expect(nbsp(mail.html)).to.contain(fragment);
    });
  }

  // VAT-free: 54.90 net, a 0.00 VAT line with the code, the same total, and the statutory note in text and HTML.
  const untaxed: { title: string; order: () => OrderRecord["order"]; code: string; note: Record<Lang, string> }[] = [
    {
      title: "an intra-Community supply",
      order: intraCommunityOrder,
      code: "K",
      note: {
        en: "Tax-exempt intra-Community supply (Art. 138 Directive 2006/112/EC)",
        de: "Steuerfreie innergemeinschaftliche Lieferung (Art. 138 Richtlinie 2006/112/EG)",
        fr: "Exonération de TVA, livraison intracommunautaire (art. 138 de la directive 2006/112/CE)",
      },
    },
    {
      title: "an export",
      order: exportOrder,
      code: "G",
      note: {
        en: "Tax-exempt export delivery (Art. 146 Directive 2006/112/EC)",
        de: "Steuerfreie Ausfuhrlieferung (Art. 146 Richtlinie 2006/112/EG)",
        fr: "Exonération de TVA, exportation (art. 146 de la directive 2006/112/CE)",
      },
    },
  ];
  const untaxedLines: Record<Lang, (code: string) => string[]> = {
    en: (code) => ["Net total:      €54.90", `VAT 0% (${code}):     €0.00`, "Total:          €54.90"],
    de: (code) => ["Nettobetrag:   54,90_€", `USt. 0_% (${code}):  0,00_€`, "Gesamtbetrag:  54,90_€"],
    fr: (code) => ["Total HT_:     54,90_€", `TVA 0_% (${code})_:  0,00_€`, "Total TTC_:    54,90_€"],
  };
  for (const c of untaxed) {
    for (const lang of ["en", "de", "fr"] as const) {
      it(`states the 0 % (${c.code}) and the exemption note of ${c.title} in ${lang}`, () => {
        const mail = composeInvoiceEmail({ ...rec, order: c.order() }, link, "Nordwind Handel GmbH", 7, lang);
        const lines = nbsp(mail.text).split("\n");
        for (const line of [...untaxedLines[lang](c.code), c.note[lang]]) expect(lines).to.include(line);
        expect(nbsp(mail.html)).to.contain(`<p><strong>${c.note[lang]}</strong></p>`);
      });
    }
  }

  it("carries no exemption note on a taxed order", () => {
    const mail = composeInvoiceEmail({ ...rec, order: domesticMixedRateOrder() }, link, "Nordwind Handel GmbH", 7, "en");
    expect(mail.text).not.to.match(/exempt|Reverse charge/i);
    expect(mail.html).not.to.contain("<p><strong>");
  });

  for (const lang of ["en", "de", "fr"] as const) {
    it(`escapes the customer's, the shipping's and the seller's text in the ${lang} HTML`, () => {
      const hostile = makePricedOrder({
        customer: { id: "user-1", email: "x@example.com", name: `<img src=x onerror="alert(1)">` },
        shipping: { ...order.shipping, name: "<b>fast</b> & 'cheap'" },
      });
      const mail = composeInvoiceEmail({ ...rec, order: hostile }, `${link}"><script>`, "A & B <GmbH>", 7, lang);
      expect(mail.html).not.to.match(/<(img|b|script)\b/);
      expect(mail.html).to.contain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
      expect(mail.html).to.contain("&lt;b&gt;fast&lt;/b&gt; &amp; &#39;cheap&#39;");
      expect(mail.html).to.contain("A &amp; B &lt;GmbH&gt;");
    });
  }
});
