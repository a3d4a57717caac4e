import { expect } from "chai";
import { composeInvoiceEmail, decodeS3Key } from "../../../runtime/handlers/email-notifier";
import type { OrderRecord } from "../../../runtime/domain/store";
import type { Lang } from "../../../runtime/i18n";
import { makePricedLine, makePricedOrder } from "../../helpers/orders";

/** The notifier's behaviour is its contract suite (test/contract/email-notifier.contract.test.ts); these are its pure parts. */
describe("email notifier", () => {
  it("decodes form-encoded keys as S3 sends them", () => {
    expect(decodeS3Key("invoices%2Ford_1.pdf")).to.equal("invoices/ord_1.pdf");
    expect(decodeS3Key("a+b%2Bc")).to.equal("a b+c");
  });
});

describe("composeInvoiceEmail", () => {
  // 2 x 1,234.56 = 2,469.12, shipping 4.90: subtotal 2,474.02, 20 % tax 494.80, total 2,968.82.
  const order = makePricedOrder({
    orderId: "ord_FixedEmail00000000001",
    lines: [makePricedLine(0, { quantity: 2, unitPriceMinor: 123456 })],
  });
  const rec: OrderRecord = { order, status: "INVOICED", invoiceNumber: "INV-000042" };
  const link = "https://shop.example/invoices/ord_FixedEmail00000000001?sig=a&exp=1";
  /** Intl's no-break spaces as "_" (which one it uses where has changed between CLDR releases). */
  const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, "_");

  it("writes the English email as it always has, line for line", () => {
    const mail = composeInvoiceEmail(rec, link, "Nordwind Handel GmbH", 7);
    expect(mail.subject).to.equal("Your invoice INV-000042 from Nordwind Handel GmbH");
    expect(mail.text.split("\n")).to.deep.equal([
      "Hello Alice Example,",
      "",
      "thank you for your order ord_FixedEmail00000000001. Your invoice INV-000042 is ready.",
      "",
      "Items:    €2,469.12",
      "Shipping: €4.90 (Standard shipping)",
      "Subtotal: €2,474.02",
      "Tax:      €494.80",
      "Total:    €2,968.82",
      "",
      `Download your invoice (PDF): ${link}`,
      "The link works for 7 days.",
      "",
      "Nordwind Handel GmbH",
    ]);
    expect(mail.html).to.contain(
      "<p>thank you for your order <code>ord_FixedEmail00000000001</code>. Your invoice <strong>INV-000042</strong> is ready.</p>",
    );
    expect(mail.html).to.contain('<tr><td><strong>Total</strong></td><td align="right"><strong>€2,968.82</strong></td></tr>');
    expect(mail.html).to.contain("Download your invoice (PDF)</a> &mdash; the link works for 7 days.</p>");
  });

  const cases: { lang: Lang; subject: string; text: string[]; html: string[] }[] = [
    {
      lang: "de",
      subject: "Ihre Rechnung INV-000042 von Nordwind Handel GmbH",
      text: [
        "Hallo Alice Example,",
        "vielen Dank für Ihre Bestellung ord_FixedEmail00000000001. Ihre Rechnung INV-000042 steht bereit.",
        "Artikel:      2.469,12_€",
        "Versand:      4,90_€ (Standard shipping)",
        "Nettobetrag:  2.474,02_€",
        "USt.:         494,80_€",
        "Gesamtbetrag: 2.968,82_€",
        `Rechnung herunterladen (PDF): ${link}`,
        "Der Link ist 7 Tage gültig.",
      ],
      html: [
        "vielen Dank für Ihre Bestellung <code>ord_FixedEmail00000000001</code>. Ihre Rechnung <strong>INV-000042</strong> steht bereit.",
        '<tr><td><strong>Gesamtbetrag</strong></td><td align="right"><strong>2.968,82_€</strong></td></tr>',
        "Rechnung herunterladen (PDF)</a> &mdash; der Link ist 7 Tage gültig.",
      ],
    },
    {
      lang: "fr",
      subject: "Votre facture INV-000042 – Nordwind Handel GmbH",
      text: [
        "Bonjour Alice Example,",
        "Merci pour votre commande ord_FixedEmail00000000001. Votre facture INV-000042 est disponible.",
        "Articles_:  2_469,12_€",
        "Livraison_: 4,90_€ (Standard shipping)",
        "Total HT_:  2_474,02_€",
        "TVA_:       494,80_€",
        "Total TTC_: 2_968,82_€",
        `Télécharger votre facture (PDF)_: ${link}`,
        "Le lien est valable 7 jours.",
      ],
      html: [
        "Merci pour votre commande <code>ord_FixedEmail00000000001</code>. Votre facture <strong>INV-000042</strong> est disponible.",
        '<tr><td>Livraison (Standard shipping)</td><td align="right">4,90_€</td></tr>',
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
