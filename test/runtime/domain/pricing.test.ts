import { expect } from "chai";
import { createOrderBodySchema, LIMITS, MAX_TOTAL_MINOR, type CreateOrderBody } from "../../../runtime/domain/order";
import {
  PriceChanged,
  PriceUnavailable,
  priceOrder,
  ProductUnavailable,
  TotalOutOfRange,
  type CatalogSnapshot,
} from "../../../runtime/domain/pricing";
import type { Product, ShippingMethod } from "../../../runtime/domain/catalog";
import { taxOf } from "../../../runtime/domain/money";
import { orderBody } from "../../helpers/events";

const NOW = new Date("2026-11-25T10:00:00.000Z");
const customer = { id: "user-1", email: "alice@example.com", name: "Alice" };
const ctx = {
  orderId: "ord_AAAAAAAAAAAAAAAAAAAA",
  customer,
  now: NOW,
  shopCurrency: "EUR",
  lang: "en" as const,
  shopLanguage: "en",
  tax: { sellerCountry: "DE", ossRegistered: false, supplyKind: "goods" as const, buyer: { kind: "consumer" as const } },
};
const VALID_FR_BUSINESS = {
  kind: "business" as const,
  company: "SARL Exemple",
  vatId: "FR32123456789",
  vatCheck: { outcome: "valid" as const, vatId: "FR32123456789", requestIdentifier: "WAPIAAAA00000001", source: "vies" as const },
};

const product = (sku: string, prices: Record<string, number>, o: Partial<Product> = {}): Product => ({
  sku,
  names: { en: `${sku} (en)`, de: `${sku} (de)` },
  prices,
  taxCategory: "standard",
  active: true,
  version: 3,
  updatedAt: "2026-11-01T00:00:00.000Z",
  ...o,
});
const STANDARD: ShippingMethod = {
  id: "standard",
  names: { en: "Standard shipping", de: "Standardversand" },
  taxCategory: "standard",
  active: true,
  zones: [
    { zone: "domestic", countries: ["DE"], prices: { EUR: 490 } },
    { zone: "eu", countries: ["FR", "AT"], prices: { EUR: 990, USD: 1100 } },
    { zone: "world", countries: "*", prices: { EUR: 1990 } },
  ],
};
const catalog = (products: Product[], shippingMethod: ShippingMethod | null = STANDARD): CatalogSnapshot => ({
  products: new Map(products.map((p) => [p.sku, p])),
  shippingMethod: shippingMethod ?? undefined,
});
const SHOP = catalog([product("TSHIRT-RED-M", { EUR: 1999, USD: 2199 }), product("MUG-01", { EUR: 850 })]);
const body = (o: Record<string, unknown> = {}): CreateOrderBody => createOrderBodySchema().parse(orderBody(o));

describe("pricing an order from the catalog", () => {
  it("takes names and prices from the catalog, shipping by zone, and adds up in minor units", () => {
    const o = priceOrder(body(), SHOP, ctx);
    // 2 x 19.99 + 8.50 + 4.90 shipping = 53.38; 19 % = 10.1422 -> 10.14
    expect(o.lines.map((l) => [l.sku, l.name, l.unitPriceMinor, l.lineTotalMinor, l.catalogVersion])).to.deep.equal([
      ["TSHIRT-RED-M", "TSHIRT-RED-M (en)", 1999, 3998, 3],
      ["MUG-01", "MUG-01 (en)", 850, 850, 3],
    ]);
    expect(o.shipping).to.deep.equal({
      method: "standard",
      name: "Standard shipping",
      zone: "domestic",
      priceMinor: 490,
      taxCategory: "standard",
    });
    expect([o.subtotalMinor, o.taxMinor, o.totalMinor]).to.deep.equal([5338, 1014, 6352]);
    expect(o.currency).to.equal("EUR");
    expect(o.payment).to.deep.equal({ provider: "stripe" });
    expect(JSON.stringify(o)).not.to.contain("pm_card");
  });

  it("snapshots names in the order's language, falling back to the shop's, and records the language", () => {
    const o = priceOrder(body(), SHOP, { ...ctx, lang: "de" as const });
    expect([o.lines[0].name, o.shipping.name, o.lang]).to.deep.equal(["TSHIRT-RED-M (de)", "Standardversand", "de"]);
    const fr = priceOrder(body(), SHOP, { ...ctx, lang: "fr" as const }); // the catalog has no French names
    expect([fr.lines[0].name, fr.shipping.name, fr.lang]).to.deep.equal(["TSHIRT-RED-M (en)", "Standard shipping", "fr"]);
  });

  it("prices in the currency asked for, and the named zone wins over the rest of the world", () => {
    const o = priceOrder(
      body({
        currency: "USD",
        items: [{ sku: "TSHIRT-RED-M", quantity: 1 }],
        shippingAddress: { ...orderBody().shippingAddress, country: "FR" },
      }),
      SHOP,
      ctx,
    );
    expect([o.currency, o.lines[0].unitPriceMinor, o.shipping.zone, o.shipping.priceMinor]).to.deep.equal(["USD", 2199, "eu", 1100]);
  });

  it("names every unknown or inactive SKU (422 PRODUCT_UNAVAILABLE)", () => {
    const shop = catalog([product("MUG-01", { EUR: 850 }), product("OLD-1", { EUR: 100 }, { active: false })]);
    const items = [
      { sku: "MUG-01", quantity: 1 },
      { sku: "GOLD-BAR", quantity: 1 },
      { sku: "OLD-1", quantity: 2 },
    ];
    expect(() => priceOrder(body({ items }), shop, ctx))
      .to.throw(ProductUnavailable)
      .with.property("issues")
      .that.deep.equals([
        { path: "items.1.sku", message: "Item 1 (GOLD-BAR) is not a product this shop sells." },
        { path: "items.2.sku", message: "Item 2 (OLD-1) is not a product this shop sells." },
      ]);
  });

  it("refuses a currency a product or the shipping has no price in (422 PRICE_UNAVAILABLE)", () => {
    expect(() => priceOrder(body({ currency: "USD" }), SHOP, ctx))
      .to.throw(PriceUnavailable)
      .with.property("issues")
      .that.deep.equals([
        { path: "items.1.sku", message: "Item 1 (MUG-01) has no price in USD." },
        { path: "shipping.method", message: 'The shipping method "standard" has no price in USD for DE.' },
      ]);
  });

  it("refuses an unknown, inactive or non-shipping method", () => {
    expect(() => priceOrder(body(), catalog([...SHOP.products.values()], null), ctx)).to.throw(PriceUnavailable, /no shipping method/);
    const inactive = { ...STANDARD, active: false };
    expect(() => priceOrder(body(), catalog([...SHOP.products.values()], inactive), ctx)).to.throw(PriceUnavailable, /no shipping method/);
    const deOnly = { ...STANDARD, zones: [STANDARD.zones[0]] };
    const toFrance = body({ shippingAddress: { ...orderBody().shippingAddress, country: "FR" } });
    expect(() => priceOrder(toFrance, catalog([...SHOP.products.values()], deOnly), ctx)).to.throw(PriceUnavailable, /does not ship to FR/);
  });

  it("refuses expected prices that differ, listing every current price (409 PRICE_CHANGED)", () => {
    const items = [
      { sku: "TSHIRT-RED-M", quantity: 2, expectedUnitPrice: { amount: 1999, currency: "EUR" } },
      { sku: "MUG-01", quantity: 1, expectedUnitPrice: { amount: 1, currency: "EUR" } },
    ];
    expect(() => priceOrder(body({ items }), SHOP, ctx))
      .to.throw(PriceChanged)
      .with.property("changes")
      .that.deep.equals([{ line: 1, sku: "MUG-01", expected: 1, current: 850, currency: "EUR" }]);
    const usdExpectation = [{ sku: "MUG-01", quantity: 1, expectedUnitPrice: { amount: 850, currency: "USD" } }];
    expect(() => priceOrder(body({ items: usdExpectation }), SHOP, ctx)).to.throw(PriceChanged);
    const right = items.map((i) => (i.sku === "MUG-01" ? { ...i, expectedUnitPrice: { amount: 850, currency: "EUR" } } : i));
    expect(priceOrder(body({ items: right }), SHOP, ctx).totalMinor).to.equal(6352);
  });

  it("refuses a zero total", () => {
    const free = catalog([product("STICKER", { EUR: 0 })], { ...STANDARD, zones: [{ zone: "all", countries: "*", prices: { EUR: 0 } }] });
    expect(() => priceOrder(body({ items: [{ sku: "STICKER", quantity: 3 }] }), free, ctx)).to.throw(TotalOutOfRange, /greater than zero/);
  });

  it("keeps the largest possible order exact", () => {
    const products = Array.from({ length: LIMITS.maxLines }, (_, i) => product(`SKU-${i}`, { EUR: 7_999_999 }));
    const items = products.map((p) => ({ sku: p.sku, quantity: LIMITS.maxQuantity }));
    const o = priceOrder(body({ items }), catalog(products), ctx);
    expect(o.subtotalMinor).to.equal(100 * 1000 * 7_999_999 + 490);
    expect(o.totalMinor).to.be.at.most(MAX_TOTAL_MINOR);
    expect(Number.isSafeInteger(o.totalMinor)).to.equal(true);
    const dearer = products.map((p) => ({ ...p, prices: { EUR: 8_500_000 } }));
    expect(() => priceOrder(body({ items }), catalog(dearer), ctx)).to.throw(TotalOutOfRange, /larger than this shop accepts/);
  });

  it("adds up exactly for random orders of mixed categories (lines + shipping = net; net + tax per rate = total)", () => {
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const categories = ["standard", "reduced", "zero", "exempt"] as const;
    for (let run = 0; run < 300; run++) {
      const products = Array.from({ length: 1 + rnd(30) }, (_, i) =>
        product(`P-${i}`, { EUR: rnd(LIMITS.maxUnitPriceMinor / 1000) }, { taxCategory: categories[rnd(categories.length)] }),
      );
      const items = products.map((p) => ({ sku: p.sku, quantity: 1 + rnd(LIMITS.maxQuantity) }));
      const country = ["DE", "FR", "AT", "CH"][rnd(4)];
      const o = priceOrder(
        body({ items, shippingAddress: { ...orderBody().shippingAddress, country } }),
        catalog(products, { ...STANDARD, zones: [{ zone: "all", countries: "*", prices: { EUR: rnd(3000) } }] }),
        { ...ctx, tax: { ...ctx.tax, ossRegistered: rnd(2) === 1 } },
      );
      const lines = o.lines.reduce((s, l) => s + l.lineTotalMinor, 0);
      expect(o.lines.every((l, i) => l.lineTotalMinor === l.unitPriceMinor * items[i].quantity)).to.equal(true);
      expect(lines + o.shipping.priceMinor).to.equal(o.subtotalMinor);
      expect(o.tax.groups.reduce((s, g) => s + g.taxableMinor, 0)).to.equal(o.subtotalMinor);
      expect(o.tax.groups.reduce((s, g) => s + g.taxMinor, 0)).to.equal(o.taxMinor);
      for (const g of o.tax.groups) expect(g.taxMinor, `${g.code} ${g.rateBps}`).to.equal(taxOf(g.taxableMinor, g.rateBps));
      // Every line's rate is the rate of the group holding its category
      for (const l of o.lines) expect(o.tax.groups.some((g) => g.code === l.vat.code && g.rateBps === l.vat.rateBps)).to.equal(true);
      expect(o.subtotalMinor + o.taxMinor).to.equal(o.totalMinor);
    }
  });
});

describe("taxing an order by product and destination", () => {
  const BOOK = product("BOOK-1", { EUR: 2400 }, { taxCategory: "reduced", taxCategoryIn: { IT: "super-reduced" } });
  const SHIRT = product("TSHIRT-RED-M", { EUR: 1999 });
  const shop = catalog([BOOK, SHIRT], { ...STANDARD, zones: [{ zone: "all", countries: "*", prices: { EUR: 1000 } }] });
  const items = [
    { sku: "BOOK-1", quantity: 1 },
    { sku: "TSHIRT-RED-M", quantity: 1 },
  ];
  const to = (country: string, o: Record<string, unknown> = {}) =>
    body({ items, shippingAddress: { ...orderBody().shippingAddress, country }, ...o });
  const groups = (o: ReturnType<typeof priceOrder>) => o.tax.groups.map((g) => [g.code, g.rateBps, g.taxableMinor, g.taxMinor]);

  it("taxes a book at Germany's 7 % and a shirt at 19 % at home, the shipping split between them by value", () => {
    const o = priceOrder(to("DE"), shop, ctx);
    // shipping 10.00 split 24.00 : 19.99 -> 5.46 / 4.54 (largest remainder)
    expect(groups(o)).to.deep.equal([
      ["S", 700, 2400 + 546, 206],
      ["S", 1900, 1999 + 454, 466],
    ]);
    expect(o.lines.map((l) => l.vat)).to.deep.equal([
      { code: "S", rateBps: 700 },
      { code: "S", rateBps: 1900 },
    ]);
    expect([o.subtotalMinor, o.taxMinor, o.totalMinor, o.tax.rule, o.tax.ratesCountry]).to.deep.equal([5399, 672, 6071, "domestic", "DE"]);
  });

  it("charges a French consumer German VAT below the OSS threshold, and French VAT once the shop declares OSS", () => {
    const origin = priceOrder(to("FR"), shop, ctx);
    expect([origin.tax.rule, origin.tax.ratesCountry, origin.lines.map((l) => l.vat.rateBps)]).to.deep.equal([
      "distance-sale-origin",
      "DE",
      [700, 1900],
    ]);
    const oss = priceOrder(to("FR"), shop, { ...ctx, tax: { ...ctx.tax, ossRegistered: true } });
    expect([oss.tax.rule, oss.tax.ratesCountry, oss.lines.map((l) => l.vat.rateBps)]).to.deep.equal([
      "distance-sale-destination",
      "FR",
      [550, 2000],
    ]);
  });

  it("takes a product's own category where the rates country has one (a book is super-reduced, 4 %, in Italy)", () => {
    const o = priceOrder(to("IT"), shop, { ...ctx, tax: { ...ctx.tax, ossRegistered: true } });
    expect(o.lines.map((l) => [l.taxCategory, l.vat.rateBps])).to.deep.equal([
      ["super-reduced", 400],
      ["standard", 2200],
    ]);
  });

  it("sells VAT-free to a French business whose VAT ID VIES confirmed (K, VATEX-EU-IC, the note)", () => {
    const o = priceOrder(to("FR"), shop, { ...ctx, tax: { ...ctx.tax, buyer: VALID_FR_BUSINESS } });
    expect(o.tax.rule).to.equal("intra-community-supply");
    expect(o.tax.groups.map((g) => [g.code, g.rateBps, g.exemptionReason, g.taxMinor])).to.deep.equal([["K", 0, "VATEX-EU-IC", 0]]);
    expect(o.tax.notes).to.deep.equal(["note.intraCommunitySupply"]);
    expect([o.taxMinor, o.totalMinor, o.buyer.vatId]).to.deep.equal([0, 5399, "FR32123456789"]);
  });

  it("charges VAT to a business whose VAT ID VIES did not confirm", () => {
    for (const outcome of ["invalid", "unanswered", "no-consultation-number"] as const) {
      const buyer = { ...VALID_FR_BUSINESS, vatCheck: { ...VALID_FR_BUSINESS.vatCheck, outcome } };
      const o = priceOrder(to("FR"), shop, { ...ctx, tax: { ...ctx.tax, buyer } });
      expect([outcome, o.tax.rule, o.taxMinor]).to.deep.equal([outcome, "distance-sale-origin", 672]);
    }
  });

  it("exports to Switzerland without VAT (G, VATEX-EU-G, the export note)", () => {
    const o = priceOrder(to("CH"), shop, ctx);
    expect(o.tax.groups.map((g) => [g.code, g.exemptionReason, g.taxableMinor, g.taxMinor])).to.deep.equal([["G", "VATEX-EU-G", 5399, 0]]);
    expect([o.tax.rule, o.tax.notes, o.totalMinor]).to.deep.equal(["export", ["note.export"], 5399]);
  });

  it("bills to the shipping address when told 'same-as-shipping', else to the billing address given", () => {
    expect(priceOrder(to("DE"), shop, ctx).billingAddress).to.deep.equal(orderBody().shippingAddress);
    const billing = { name: "Acme GmbH", line1: "Kaiserstr. 1", city: "Frankfurt", postalCode: "60311", country: "DE" };
    expect(priceOrder(to("DE", { billingAddress: billing }), shop, ctx).billingAddress).to.deep.equal(billing);
  });

  it("refuses (422) a product whose category the destination has no rate for, naming the line", () => {
    const odd = catalog([product("X-1", { EUR: 100 }, { taxCategory: "super-reduced" })], shop.shippingMethod!);
    // Denmark has no super-reduced rate
    expect(() =>
      priceOrder(body({ items: [{ sku: "X-1", quantity: 1 }], shippingAddress: { ...orderBody().shippingAddress, country: "DK" } }), odd, {
        ...ctx,
        tax: { ...ctx.tax, ossRegistered: true },
      }),
    )
      .to.throw(PriceUnavailable)
      .with.property("issues")
      .that.deep.equals([
        { path: "items.0.sku", message: "Item 0 (X-1) cannot be sold to DK: there is no super-reduced VAT rate for DK on 2026-11-25." },
      ]);
  });
});

describe("Northern Ireland: in the EU's VAT area for goods (Windsor Framework), not for services", () => {
  const SHIRT = product("TSHIRT-RED-M", { EUR: 1999 });
  const shop = catalog([SHIRT], { ...STANDARD, zones: [{ zone: "all", countries: "*", prices: { EUR: 1000 } }] });
  const belfast = { name: "Ciara Byrne", line1: "1 Donegall Sq", city: "Belfast", postalCode: "BT1 5GS", country: "GB" };
  const london = { name: "Sam Smith", line1: "10 Downing St", city: "London", postalCode: "SW1A 2AA", country: "GB" };
  const to = (address: object, o: Record<string, unknown> = {}) =>
    body({ items: [{ sku: "TSHIRT-RED-M", quantity: 1 }], shippingAddress: address, ...o });
  const ruleOf = (o: ReturnType<typeof priceOrder>) => [o.tax.rule, o.tax.ratesCountry, o.lines[0].vat.code, o.lines[0].vat.rateBps];

  it("taxes goods to a Belfast consumer at Germany's rate below the threshold, at the UK's 20 % under OSS, never as an export", () => {
    expect(ruleOf(priceOrder(to(belfast), shop, ctx))).to.deep.equal(["distance-sale-origin", "DE", "S", 1900]);
    const oss = { ...ctx, tax: { ...ctx.tax, ossRegistered: true } };
    expect(ruleOf(priceOrder(to(belfast), shop, oss))).to.deep.equal(["distance-sale-destination", "XI", "S", 2000]);
  });

  it("treats the rest of the United Kingdom as an export (G)", () => {
    expect(ruleOf(priceOrder(to(london), shop, ctx))).to.deep.equal(["export", undefined, "G", 0]);
  });

  it("sells goods VAT-free to a Northern Irish business whose XI VAT ID VIES confirmed (K)", () => {
    const buyer = {
      kind: "business" as const,
      company: "Byrne Ltd",
      vatId: "XI123456782",
      vatCheck: { outcome: "valid" as const, vatId: "XI123456782", requestIdentifier: "WAPIAAAA00000009", source: "vies" as const },
    };
    const o = priceOrder(to(belfast), shop, { ...ctx, tax: { ...ctx.tax, buyer } });
    expect(ruleOf(o)).to.deep.equal(["intra-community-supply", undefined, "K", 0]);
  });

  it("taxes services to Northern Ireland as outside the EU (O): the Windsor Framework covers goods only", () => {
    const services = { ...ctx, tax: { ...ctx.tax, supplyKind: "services" as const } };
    expect(ruleOf(priceOrder(to(belfast), shop, services))).to.deep.equal(["outside-scope", undefined, "O", 0]);
  });
});
