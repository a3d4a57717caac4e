import { expect } from "chai";
import { formatMoney } from "../../../runtime/domain/money";
import { LIMITS, type PricedOrder } from "../../../runtime/domain/order";
import type { Lang } from "../../../runtime/i18n";
import { formatTaxRate, renderInvoicePdf } from "../../../runtime/invoices/pdf";
import { makePricedLine, makePricedOrder, taxedOf, TEST_SHIPPING } from "../../helpers/orders";
import { baselines, invoiceOf, readPdf, SELLER } from "./invoices";

/** An order with `count` lines. No valid PricedOrder has more than LIMITS.maxLines, so above that the schema is bypassed. */
function orderWithLines(count: number): PricedOrder {
  if (count <= LIMITS.maxLines) return makePricedOrder({ lineCount: count });
  const lines = Array.from({ length: count }, (_, i) => makePricedLine(i));
  return { ...makePricedOrder(), ...taxedOf(lines, TEST_SHIPPING, "DE", "2025-03-14") };
}

const FRENCH_ADDRESS = { name: "Chloé Martin", line1: "12 rue de la Paix", city: "Paris", postalCode: "75002", country: "FR" };
/** A book (reduced, 5.5 % in France) sold to a French consumer by a German shop registered for OSS. */
const frenchReducedOrder = () =>
  makePricedOrder({
    lines: [makePricedLine(0, { taxCategory: "reduced" })],
    shippingAddress: FRENCH_ADDRESS,
    shipping: { ...TEST_SHIPPING, priceMinor: 0 },
    situation: { sellerCountry: "DE", buyer: { kind: "consumer" }, ossRegistered: true, supplyKind: "goods" },
  });

describe("renderInvoicePdf", () => {
  it("renders a one-line order on one page with seller, invoice, order, customer, address and totals", async () => {
    // Prepare: 2 x 19.99 = 39.98, shipping 4.90: net 44.88; 19 % VAT 8.53 (8.5272); total 53.41
    const order = makePricedOrder({
      lines: [makePricedLine(0, { sku: "TSHIRT-RED-M", name: "T-shirt, red, M", quantity: 2, unitPriceMinor: 1999 })],
    });

    // Act
    const pdf = await readPdf(renderInvoicePdf(invoiceOf(order)));

    // Assess
    expect(pdf.numpages).to.equal(1);
    const expected = [
      "Invoice",
      "Nordwind Handel GmbH",
      "Friedrichstraße 12",
      "VAT ID: DE129273398",
      "Tax number: 37/123/45678",
      "billing@nordwind.example",
      "Invoice number INV-000042",
      "Invoice date 2025-03-14",
      "Supply date 2025-03-14",
      `Order ${order.orderId}`,
      "Bill to",
      "Alice Example",
      "alice@example.com",
      "Hauptstr. 5",
      "10115 Berlin",
      "Germany",
      "TSHIRT-RED-M T-shirt, red, M 2 pc €19.99 19% €39.98",
      "Shipping: Standard shipping 1 pc €4.90 19% €4.90",
      "19% €44.88 €8.53",
      "Net total €44.88",
      "VAT €8.53",
      "Total €53.41",
      "Page 1 of 1",
      "Trade register: Amtsgericht Charlottenburg, HRB 123456 B · Managing directors: Erika Mustermann",
    ];
    for (const text of expected) expect(pdf.text).to.contain(text);
  });

  for (const lineCount of [LIMITS.maxLines, 300]) {
    it(`flows a ${lineCount}-line order over several pages, each with the table header and "Page X of Y"`, async () => {
      // Prepare
      const order = orderWithLines(lineCount);

      // Act
      const pdf = await readPdf(renderInvoicePdf(invoiceOf(order)));

      // Assess
      expect(pdf.numpages).to.be.greaterThan(1);
      pdf.pages.forEach((page, i) => {
        expect(page.text, `page ${i + 1}`).to.contain("SKU Description Qty Unit Net price VAT Net amount");
        expect(page.text, `page ${i + 1}`).to.contain(`Page ${i + 1} of ${pdf.numpages}`);
      });
      const skus = pdf.text.match(/SKU-\d{4}/g) ?? [];
      expect(skus).to.deep.equal(order.lines.map((l) => l.sku));
      const last = pdf.pages[pdf.numpages - 1].text;
      expect(last).to.contain(`Net total ${formatMoney(order.subtotalMinor, "EUR")}`);
      expect(last).to.contain(`Total ${formatMoney(order.totalMinor, "EUR")}`);
    });
  }

  it("keeps long SKUs, long item names and the largest amounts inside their columns", async () => {
    // Prepare: the longest SKU and name the API accepts, and the largest unit price and quantity.
    const sku = "X".repeat(LIMITS.maxSkuLength);
    const name = "Handmade ceramic espresso cup with saucer, glazed in deep ocean blue ".repeat(3).slice(0, LIMITS.maxNameLength);
    const order = makePricedOrder({
      lines: [makePricedLine(0, { sku, name, quantity: LIMITS.maxQuantity, unitPriceMinor: LIMITS.maxUnitPriceMinor })],
    });

    // Act
    const pdf = await readPdf(renderInvoicePdf(invoiceOf(order)));

    // Assess: no two texts on a baseline overlap, nothing leaves the page, and nothing is lost.
    const [page] = pdf.pages;
    for (const line of baselines(page.items)) {
      line.forEach((item, i) => {
        expect(item.x, item.str).to.be.at.least(0);
        expect(item.x + item.width, item.str).to.be.at.most(i + 1 < line.length ? line[i + 1].x : page.width);
      });
    }
    const column = (title: string) => {
      const header = page.items.find((i) => i.str === title)!;
      return page.items.filter((i) => Math.abs(i.x - header.x) < 0.5 && i.y < header.y).map((i) => i.str);
    };
    expect(column("SKU").join("")).to.equal(sku);
    expect(column("Description").join(" ")).to.equal(`${name.trim()} Shipping: Standard shipping`); // the shipping is its own line
    // The amounts shrink to fit their columns (so each sits on a baseline of its own): nothing is cut.
    expect(pdf.text.split("\n")).to.include.members(["€1,000,000.00", "€1,000,000,000.00"]);
  });

  const names: { name: string; shown: string; why: string }[] = [
    { name: "Zoë Ångström", shown: "Zoë Ångström", why: "Latin-1 accents" },
    { name: "Łukasz Żółć", shown: "Łukasz Żółć", why: "Latin Extended letters" },
    { name: "Дмитрий Иванов", shown: "Дмитрий Иванов", why: "Cyrillic" },
    { name: "O'Brien – “quoted”", shown: "O'Brien – “quoted”", why: "typographic dash and quotes" },
    { name: "Jose\u0301 Nun\u0303ez", shown: "José Nuñez", why: "combining accents, composed" },
    { name: "李小龙 Lee", shown: "??? Lee", why: "CJK, which the font lacks, as question marks" },
    { name: "Sam 😀 Smith", shown: "Sam ? Smith", why: "an emoji, outside the font, as a question mark" },
    { name: "דוד כהן", shown: "דוד כהן", why: "Hebrew, laid out right to left" },
    { name: "كتاب عربي", shown: "كتاب عربي", why: "Arabic, shaped and laid out right to left" },
  ];
  for (const { name, shown, why } of names) {
    it(`prints a customer named "${name}" (${why}) as "${shown}"`, async () => {
      // Prepare
      const order = makePricedOrder({
        customer: { id: "user-1", email: "customer@example.com", name },
        shippingAddress: { name, line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
      });

      // Act
      const pdf = await readPdf(renderInvoicePdf(invoiceOf(order)));

      // Assess
      expect(pdf.numpages).to.equal(1);
      expect(pdf.text).to.contain(shown);
      expect(pdf.text).to.contain("customer@example.com");
      expect(pdf.text).to.contain("1 Main St");
    });
  }

  it("keeps Latin text readable on a line that starts right to left", async () => {
    // Prepare: the footer reads "<seller> · Invoice <number>".
    const seller = { ...SELLER, name: "דוד כהן בע״מ" };

    // Act
    const pdf = await readPdf(renderInvoicePdf(invoiceOf(makePricedOrder(), { seller })));

    // Assess
    expect(pdf.text).to.contain("Invoice INV-000042");
    expect(pdf.text).to.contain("דוד כהן בע״מ");
  });

  it("renders the same document to identical bytes, as a redelivered message must", () => {
    // Prepare
    const document = invoiceOf(makePricedOrder({ lineCount: 3 }));

    // Act
    const first = renderInvoicePdf(document);
    const second = renderInvoicePdf(structuredClone(document));

    // Assess
    expect(Buffer.compare(first, second)).to.equal(0);
  });

  it("renders the same bytes whatever the machine's time zone", () => {
    // Prepare
    const document = invoiceOf(makePricedOrder());
    const zone = process.env.TZ;

    // Act
    let inTokyo: Uint8Array;
    let inNewYork: Uint8Array;
    try {
      process.env.TZ = "Asia/Tokyo";
      inTokyo = renderInvoicePdf(document);
      process.env.TZ = "America/New_York";
      inNewYork = renderInvoicePdf(document);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }

    // Assess
    expect(Buffer.compare(inTokyo, inNewYork)).to.equal(0);
  });

  it("records title, subject, author, creator and the issue time as document properties", async () => {
    // Prepare
    const order = makePricedOrder();

    // Act
    const pdf = await readPdf(renderInvoicePdf(invoiceOf(order)));

    // Assess
    expect(pdf.info).to.include({
      Title: "Invoice INV-000042",
      Subject: `Invoice INV-000042 for order ${order.orderId}`,
      Author: "Nordwind Handel GmbH",
      Creator: "shop-backend invoice worker",
      CreationDate: "D:20250314092700+00'00'",
    });
  });

  const currencies: { currency: string; unitPriceMinor: number; shown: string[] }[] = [
    // 2 x unit price, shipping 490 minor units, 19 % VAT
    {
      currency: "EUR",
      unitPriceMinor: 1999,
      shown: ["€19.99", "€4.90", "19% €44.88 €8.53", "Net total €44.88", "VAT €8.53", "Total €53.41"],
    },
    {
      currency: "USD",
      unitPriceMinor: 1999,
      shown: ["$19.99", "$4.90", "19% $44.88 $8.53", "Net total $44.88", "VAT $8.53", "Total $53.41"],
    },
    { currency: "JPY", unitPriceMinor: 1500, shown: ["¥1,500", "¥490", "19% ¥3,490 ¥663", "Net total ¥3,490", "VAT ¥663", "Total ¥4,153"] },
    {
      currency: "KWD",
      unitPriceMinor: 1999,
      shown: ["KWD 1.999", "KWD 0.490", "19% KWD 4.488 KWD 0.853", "Net total KWD 4.488", "VAT KWD 0.853", "Total KWD 5.341"],
    },
  ];
  for (const { currency, unitPriceMinor, shown } of currencies) {
    it(`prints ${currency} amounts with the currency's minor digits`, async () => {
      // Prepare
      const order = makePricedOrder({ currency, lines: [makePricedLine(0, { quantity: 2, unitPriceMinor })] });

      // Act
      const pdf = await readPdf(renderInvoicePdf(invoiceOf(order)));

      // Assess
      const text = pdf.text.replace(/\u00a0/g, " ");
      for (const s of shown) expect(text).to.contain(s);
      if (currency === "JPY") expect(text).not.to.match(/¥[\d,]+\.\d/);
    });
  }

  it("states how the invoice was paid, as the provider confirmed it, and nothing when it is not given", async () => {
    const order = makePricedOrder();
    const paid = invoiceOf(order, {
      payment: { provider: "stripe", paidAt: new Date("2025-03-14T09:26:58.000Z"), card: { brand: "visa", last4: "4242" } },
    });
    expect((await readPdf(renderInvoicePdf(paid))).text).to.contain("Paid on 2025-03-14 by Visa •••• 4242 (stripe)");
    expect((await readPdf(renderInvoicePdf(invoiceOf(order)))).text).not.to.contain("Paid on");
  });

  it("shows the VAT rate as a percentage on the item's line and in the VAT breakdown", async () => {
    // Prepare: 1.99 at 5.5 % = 0.11 (0.10945)
    const order = frenchReducedOrder();

    // Act
    const pdf = await readPdf(renderInvoicePdf(invoiceOf(order)));

    // Assess
    const lines = pdf.text.split("\n");
    expect(lines).to.include("SKU-0001 Test item 1 1 pc €1.99 5.5% €1.99");
    expect(lines).to.include("5.5% €1.99 €0.11");
  });
});

describe("formatTaxRate", () => {
  const cases: [number, string][] = [
    [2000, "20%"],
    [725, "7.25%"],
    [1050, "10.5%"],
    [5, "0.05%"],
    [0, "0%"],
    [10_000, "100%"],
  ];
  for (const [bps, expected] of cases) {
    it(`formats ${bps} basis points as ${expected}`, () => expect(formatTaxRate(bps)).to.equal(expected));
  }
});

describe("renderInvoicePdf in German and French", () => {
  const order = makePricedOrder({
    lines: [makePricedLine(0, { sku: "LIVRE-1", name: "Livre « Le Petit Prince »", quantity: 2, unitPriceMinor: 123456 })],
  });
  const paidAt = new Date("2025-03-14T09:26:58.000Z");
  const document = invoiceOf(order, { payment: { provider: "stripe", paidAt, card: { brand: "visa", last4: "4242" } } });
  /** Intl's no-break spaces as "_": which of U+00A0 and U+202F it uses where has changed between CLDR releases. */
  const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, "_");

  // 2 x 1,234.56 = 2,469.12, shipping 4.90: net 2,474.02, 19 % VAT 470.06 (470.0638), total 2,944.08.
  const cases: { lang: Lang; shown: string[]; info: Record<string, string> }[] = [
    {
      lang: "de",
      shown: [
        "Rechnung",
        "Rechnungsnr. INV-000042",
        "Rechnungsdatum 14.03.2025",
        `Bestellung ${order.orderId}`,
        "Leistungsdatum 14.03.2025",
        "USt-IdNr.: DE129273398",
        "Steuernummer: 37/123/45678",
        "Rechnungsadresse",
        "Deutschland",
        "Art.-Nr. Bezeichnung Anz. Einh. Preis netto USt. Betrag netto",
        "LIVRE-1 Livre « Le Petit Prince » 2 Stk. 1.234,56_€ 19_% 2.469,12_€",
        "Versand: Standard shipping 1 Stk. 4,90_€ 19_% 4,90_€",
        "Umsatzsteuer nach Steuersätzen",
        "USt.-Satz Nettobetrag USt.-Betrag",
        "19_% 2.474,02_€ 470,06_€",
        "Nettobetrag 2.474,02_€",
        "USt. 470,06_€",
        "Gesamtbetrag 2.944,08_€",
        "Bezahlt am 14.03.2025 mit Visa •••• 4242 (stripe)",
        "Nordwind Handel GmbH · Rechnung INV-000042 Seite 1 von 1",
      ],
      info: { Title: "Rechnung INV-000042", Subject: `Rechnung INV-000042 zur Bestellung ${order.orderId}` },
    },
    {
      lang: "fr",
      shown: [
        "Facture",
        "N° de facture INV-000042",
        "Date de facture 14/03/2025",
        `Commande ${order.orderId}`,
        "Date de livraison 14/03/2025",
        "N° TVA intracommunautaire_: DE129273398",
        "Numéro fiscal_: 37/123/45678",
        "Adresse de facturation",
        "Allemagne",
        "Réf. Désignation Qté Unité Prix unit. HT TVA Montant HT",
        "LIVRE-1 Livre « Le Petit Prince » 2 pce 1_234,56_€ 19_% 2_469,12_€",
        "Livraison_: Standard shipping 1 pce 4,90_€ 19_% 4,90_€",
        "Récapitulatif de la TVA",
        "Taux de TVA Base HT Montant de TVA",
        "19_% 2_474,02_€ 470,06_€",
        "Total HT 2_474,02_€",
        "TVA 470,06_€",
        "Total TTC 2_944,08_€",
        "Payée le 14/03/2025 par Visa •••• 4242 (stripe)",
        "Nordwind Handel GmbH · Facture INV-000042 Page 1 sur 1",
      ],
      info: { Title: "Facture INV-000042", Subject: `Facture INV-000042 de la commande ${order.orderId}` },
    },
  ];
  for (const { lang, shown, info } of cases) {
    it(`prints every label, amount and date of the invoice in ${lang}, each label on its value's line`, async () => {
      // Act
      const bytes = renderInvoicePdf(document, lang);
      const pdf = await readPdf(bytes);

      // Assess
      const text = nbsp(pdf.text);
      for (const s of shown) expect(text).to.contain(s);
      expect(pdf.text).not.to.contain("?");
      expect(pdf.info).to.include(info);
      expect(Buffer.from(bytes).toString("latin1")).to.contain(`/Lang (${lang}-${lang.toUpperCase()})`);
    });

    it(`keeps every ${lang} label and amount inside the page and clear of its neighbours`, async () => {
      // Prepare: the largest amounts the API accepts, in the widest labels' company.
      const big = makePricedOrder({
        lines: [makePricedLine(0, { quantity: LIMITS.maxQuantity, unitPriceMinor: LIMITS.maxUnitPriceMinor })],
      });

      // Act
      const pdf = await readPdf(renderInvoicePdf(invoiceOf(big, { payment: document.payment }), lang));

      // Assess
      const [page] = pdf.pages;
      for (const line of baselines(page.items)) {
        line.forEach((item, i) => {
          expect(item.x, item.str).to.be.at.least(0);
          expect(item.x + item.width, item.str).to.be.at.most(i + 1 < line.length ? line[i + 1].x : page.width);
        });
      }
      // The line total shrinks to fit its column (so sits on a baseline of its own): nothing is cut.
      const amounts = lang === "de" ? ["1.000.000,00_€", "1.000.000.000,00_€"] : ["1_000_000,00_€", "1_000_000_000,00_€"];
      for (const amount of amounts) expect(nbsp(pdf.text)).to.contain(amount);
    });
  }

  it("draws French digit groups with the narrow no-break space itself, which the embedded font has", async () => {
    const pdf = await readPdf(renderInvoicePdf(document, "fr"));
    expect(pdf.text).to.contain("Total TTC 2\u202f944,08\u00a0€");
  });

  it("carries the language through continuation pages: heading and page numbers", async () => {
    for (const [lang, continued, page] of [
      ["de", "Rechnung INV-000042 (Fortsetzung)", (n: number, of: number) => `Seite ${n} von ${of}`],
      ["fr", "Facture INV-000042 (suite)", (n: number, of: number) => `Page ${n} sur ${of}`],
    ] as const) {
      const pdf = await readPdf(renderInvoicePdf(invoiceOf(makePricedOrder({ lineCount: LIMITS.maxLines })), lang));
      expect(pdf.numpages, lang).to.be.greaterThan(1);
      pdf.pages.forEach((p, i) => {
        expect(p.text, `${lang} page ${i + 1}`).to.contain(page(i + 1, pdf.numpages));
        if (i > 0) expect(p.text, `${lang} page ${i + 1}`).to.contain(continued);
      });
    }
  });

  it("prints the VAT rate with the language's decimal comma and per cent sign", async () => {
    const pdf = await readPdf(renderInvoicePdf(invoiceOf(frenchReducedOrder()), "de"));
    expect(nbsp(pdf.text).split("\n")).to.include("5,5_% 1,99_€ 0,11_€");
  });

  it("renders one language to identical bytes every time, and each language differently", () => {
    const de = renderInvoicePdf(document, "de");
    expect(Buffer.compare(de, renderInvoicePdf(structuredClone(document), "de"))).to.equal(0);
    expect(Buffer.compare(de, renderInvoicePdf(document, "fr"))).not.to.equal(0);
    expect(Buffer.compare(renderInvoicePdf(document), renderInvoicePdf(document, "en"))).to.equal(0);
  });
});
