import { expect } from "chai";
import { createOrderBodySchema, ImpossibleOrder, LIMITS, pathBeyondDepth, priceOrder } from "../../../runtime/domain/order";
import { orderBody } from "../../helpers/events";

const customer = { id: "user-1", email: "alice@example.com", name: "Alice" };
const NOW = new Date("2026-11-25T10:00:00.000Z");

describe("order pricing", () => {
  it("computes line totals, subtotal, tax and total in integer minor units", () => {
    // Prepare
    const body = createOrderBodySchema().parse(orderBody());
    // Act
    const o = priceOrder(body, customer, 1900, "ord_AAAAAAAAAAAAAAAAAAAA", NOW);
    // Assess: 2 x 19.99 + 8.50 = 48.48; 19 % = 9.2112 -> 9.21
    expect(o.lines.map((l) => l.lineTotalMinor)).to.deep.equal([3998, 850]);
    expect([o.subtotalMinor, o.taxMinor, o.totalMinor]).to.deep.equal([4848, 921, 5769]);
    expect(o.currency).to.equal("EUR");
    expect(o.createdAt).to.equal("2026-11-25T10:00:00.000Z");
  });

  it("drops the payment token and keeps only provider, last4 and brand", () => {
    const o = priceOrder(createOrderBodySchema().parse(orderBody()), customer, 0, "ord_AAAAAAAAAAAAAAAAAAAA", NOW);
    expect(o.payment).to.deep.equal({ provider: "stripe", last4: "4242", brand: "Visa" });
    expect(JSON.stringify(o)).not.to.contain("tok_");
  });

  it("refuses an order mixing currencies, naming the offending line", () => {
    const body = createOrderBodySchema().parse(
      orderBody({
        items: [
          { sku: "A", name: "a", quantity: 1, unitPrice: { amount: 100, currency: "EUR" } },
          { sku: "B", name: "b", quantity: 1, unitPrice: { amount: 100, currency: "USD" } },
        ],
      }),
    );
    expect(() => priceOrder(body, customer, 0, "ord_AAAAAAAAAAAAAAAAAAAA", NOW))
      .to.throw(ImpossibleOrder)
      .with.property("path", "items.1.unitPrice.currency");
  });

  it("refuses an order whose total is zero", () => {
    const body = createOrderBodySchema().parse(
      orderBody({ items: [{ sku: "FREE", name: "Sticker", quantity: 3, unitPrice: { amount: 0, currency: "EUR" } }] }),
    );
    expect(() => priceOrder(body, customer, 0, "ord_AAAAAAAAAAAAAAAAAAAA", NOW)).to.throw(ImpossibleOrder, /greater than zero/);
  });

  it("keeps the largest possible order exact", () => {
    const items = Array.from({ length: LIMITS.maxLines }, (_, i) => ({
      sku: `SKU-${i}`,
      name: `Item ${i}`,
      quantity: LIMITS.maxQuantity,
      unitPrice: { amount: 9999, currency: "USD" },
    }));
    const o = priceOrder(createOrderBodySchema().parse(orderBody({ items })), customer, 2500, "ord_AAAAAAAAAAAAAAAAAAAA", NOW);
    expect(o.subtotalMinor).to.equal(100 * 1000 * 9999);
    expect(o.totalMinor).to.equal(o.subtotalMinor + o.taxMinor);
    expect(Number.isSafeInteger(o.totalMinor)).to.equal(true);
  });
});

describe("JSON depth", () => {
  const nest = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth));
  const cases: [string, unknown, number, string | undefined][] = [
    ["the sample order (4 levels)", orderBody(), 4, undefined],
    ["the sample order at limit 3", orderBody(), 3, "items.0.unitPrice"],
    ["8 nested arrays at limit 8", nest(8), 8, undefined],
    ["9 nested arrays at limit 8", nest(9), 8, "0.0.0.0.0.0.0.0"],
    ["100,000 nested arrays", nest(100_000), 8, "0.0.0.0.0.0.0.0"],
    ["a scalar", "text", 1, undefined],
  ];
  for (const [what, value, max, path] of cases) {
    it(`measures ${what}: ${path === undefined ? "within" : `beyond at "${path}"`}`, () => {
      expect(pathBeyondDepth(value, max)).to.equal(path);
    });
  }
});

describe("the POST /orders body schema", () => {
  const base = orderBody();
  const item = base.items[0];
  const bad: [string, unknown, string][] = [
    ["no items", { ...base, items: [] }, "items"],
    ["101 lines", { ...base, items: Array.from({ length: 101 }, () => item) }, "items"],
    ["quantity 0", { ...base, items: [{ ...item, quantity: 0 }] }, "items.0.quantity"],
    ["quantity 1001", { ...base, items: [{ ...item, quantity: 1001 }] }, "items.0.quantity"],
    ["fractional quantity", { ...base, items: [{ ...item, quantity: 1.5 }] }, "items.0.quantity"],
    ["a decimal price", { ...base, items: [{ ...item, unitPrice: { amount: 19.99, currency: "EUR" } }] }, "items.0.unitPrice.amount"],
    ["a negative price", { ...base, items: [{ ...item, unitPrice: { amount: -1, currency: "EUR" } }] }, "items.0.unitPrice.amount"],
    ["a price as a string", { ...base, items: [{ ...item, unitPrice: { amount: "1999", currency: "EUR" } }] }, "items.0.unitPrice.amount"],
    ["a lower-case currency", { ...base, items: [{ ...item, unitPrice: { amount: 1, currency: "eur" } }] }, "items.0.unitPrice.currency"],
    ["an unknown currency", { ...base, items: [{ ...item, unitPrice: { amount: 1, currency: "XYZ" } }] }, "items.0.unitPrice.currency"],
    ["an empty sku", { ...base, items: [{ ...item, sku: "" }] }, "items.0.sku"],
    ["a 65-character sku", { ...base, items: [{ ...item, sku: "S".repeat(65) }] }, "items.0.sku"],
    ["a 201-character name", { ...base, items: [{ ...item, name: "n".repeat(201) }] }, "items.0.name"],
    ["a name with a control character", { ...base, items: [{ ...item, name: "bad\u0007name" }] }, "items.0.name"],
    ["an unknown field on a line", { ...base, items: [{ ...item, discount: 5 }] }, "items.0"],
    ["a customer email in the body", { ...base, customerEmail: "victim@example.com" }, ""],
    ["no shipping address", { items: base.items, payment: base.payment }, "shippingAddress"],
    ["a three-letter country", { ...base, shippingAddress: { ...base.shippingAddress, country: "DEU" } }, "shippingAddress.country"],
    ["a missing city", { ...base, shippingAddress: { ...base.shippingAddress, city: undefined } }, "shippingAddress.city"],
    ["no payment", { items: base.items, shippingAddress: base.shippingAddress }, "payment"],
    ["a payment token with spaces", { ...base, payment: { provider: "stripe", token: "tok 123 456" } }, "payment.token"],
    ["last4 of five digits", { ...base, payment: { ...base.payment, last4: "42424" } }, "payment.last4"],
    ["a card number field", { ...base, payment: { ...base.payment, cardNumber: "x" } }, "payment"],
    ["an unassigned country (XX)", { ...base, shippingAddress: { ...base.shippingAddress, country: "XX" } }, "shippingAddress.country"],
    ["a lower-case country", { ...base, shippingAddress: { ...base.shippingAddress, country: "de" } }, "shippingAddress.country"],
    ["a C1 control (NEL) in a name", { ...base, items: [{ ...item, name: "bad\u0085name" }] }, "items.0.name"],
    [
      "a bidi override (RLO) in an address line",
      { ...base, shippingAddress: { ...base.shippingAddress, line1: "Main \u202e1 tS" } },
      "shippingAddress.line1",
    ],
    [
      "a bidi isolate (FSI) in a city",
      { ...base, shippingAddress: { ...base.shippingAddress, city: "Ber\u2068lin" } },
      "shippingAddress.city",
    ],
    [
      "a line separator in a region",
      { ...base, shippingAddress: { ...base.shippingAddress, region: "BE\u2028X" } },
      "shippingAddress.region",
    ],
    ["a lone high surrogate in a name", { ...base, shippingAddress: { ...base.shippingAddress, name: "A\ud800" } }, "shippingAddress.name"],
    ["a lone low surrogate in an item name", { ...base, items: [{ ...item, name: "\udfffB" }] }, "items.0.name"],
    ["201 emoji as a name", { ...base, items: [{ ...item, name: "😀".repeat(201) }] }, "items.0.name"],
    ["201 CJK characters as a name", { ...base, items: [{ ...item, name: "漢".repeat(201) }] }, "items.0.name"],
    ["201 e + combining acute", { ...base, items: [{ ...item, name: "e\u0301".repeat(201) }] }, "items.0.name"],
    ["a letter carrying 16 stacked combining marks", { ...base, items: [{ ...item, name: "Z" + "\u0336".repeat(16) }] }, "items.0.name"],
    ["a 101-character city", { ...base, shippingAddress: { ...base.shippingAddress, city: "c".repeat(101) } }, "shippingAddress.city"],
  ];
  for (const [what, body, path] of bad) {
    it(`rejects ${what} at "${path}"`, () => {
      const r = createOrderBodySchema().safeParse(body);
      expect(r.success).to.equal(false);
      const paths = r.success ? [] : r.error.issues.map((i) => i.path.join("."));
      expect(paths).to.include(path);
    });
  }

  const good: [string, unknown][] = [
    ["the sample order", base],
    ["a 100-line order", { ...base, items: Array.from({ length: 100 }, (_, i) => ({ ...item, sku: `S-${i}` })) }],
    ["a non-Latin name", { ...base, items: [{ ...item, name: "Чай зелёный 绿茶" }] }],
    ["an order without last4 and brand", { ...base, payment: { provider: "adyen", token: "ady_ABCDEFGH1234" } }],
    ["a 0-digit currency", { ...base, items: [{ ...item, unitPrice: { amount: 1500, currency: "JPY" } }] }],
    ["200 emoji as a name (400 UTF-16 units)", { ...base, items: [{ ...item, name: "😀".repeat(200) }] }],
    ["200 family emoji (7 code points each)", { ...base, items: [{ ...item, name: "👨‍👩‍👧‍👦".repeat(200) }] }],
    ["200 flags", { ...base, shippingAddress: { ...base.shippingAddress, name: "🇩🇪".repeat(200) } }],
    ["200 CJK characters", { ...base, shippingAddress: { ...base.shippingAddress, line1: "漢".repeat(200) } }],
    ["200 e + combining acute (400 code points)", { ...base, items: [{ ...item, name: "e\u0301".repeat(200) }] }],
    ["a kiss emoji with skin tones (10 code points, one character)", { ...base, items: [{ ...item, name: "👨🏻‍❤️‍💋‍👨🏼" }] }],
    ["a right-to-left name", { ...base, shippingAddress: { ...base.shippingAddress, name: "שרה כהן", city: "القاهرة", country: "EG" } }],
    ["Kosovo (XK, in the maintained list)", { ...base, shippingAddress: { ...base.shippingAddress, country: "XK" } }],
    ["a 100-character city", { ...base, shippingAddress: { ...base.shippingAddress, city: "c".repeat(100) } }],
  ];
  for (const [what, body] of good) {
    it(`accepts ${what}`, () => expect(createOrderBodySchema().safeParse(body).success).to.equal(true));
  }
});
