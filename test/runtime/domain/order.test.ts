import { expect } from "chai";
import { createOrderBodySchema, pathBeyondDepth } from "../../../runtime/domain/order";
import { orderBody } from "../../helpers/events";

describe("JSON depth", () => {
  const nest = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth));
  const cases: [string, unknown, number, string | undefined][] = [
    ["the sample order (3 levels)", orderBody(), 3, undefined],
    ["the sample order at limit 2", orderBody(), 2, "items.0"],
    [
      "an expected price (4 levels) at limit 3",
      orderBody({ items: [{ sku: "A", quantity: 1, expectedUnitPrice: { amount: 1, currency: "EUR" } }] }),
      3,
      "items.0.expectedUnitPrice",
    ],
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
    [
      "a decimal price",
      { ...base, items: [{ ...item, expectedUnitPrice: { amount: 19.99, currency: "EUR" } }] },
      "items.0.expectedUnitPrice.amount",
    ],
    [
      "a negative price",
      { ...base, items: [{ ...item, expectedUnitPrice: { amount: -1, currency: "EUR" } }] },
      "items.0.expectedUnitPrice.amount",
    ],
    [
      "a price as a string",
      { ...base, items: [{ ...item, expectedUnitPrice: { amount: "1999", currency: "EUR" } }] },
      "items.0.expectedUnitPrice.amount",
    ],
    ["a lower-case currency", { ...base, currency: "eur" }, "currency"],
    ["an unknown currency", { ...base, currency: "XYZ" }, "currency"],
    [
      "an expected price in an unknown currency",
      { ...base, items: [{ ...item, expectedUnitPrice: { amount: 1, currency: "XYZ" } }] },
      "items.0.expectedUnitPrice.currency",
    ],
    ["a name on a line (the old contract)", { ...base, items: [{ ...item, name: "Gold bar" }] }, "items.0"],
    ["a unit price on a line (the old contract)", { ...base, items: [{ ...item, unitPrice: { amount: 1, currency: "EUR" } }] }, "items.0"],
    ["no shipping method", { items: base.items, shippingAddress: base.shippingAddress, payment: base.payment }, "shipping"],
    ["a shipping method with spaces", { ...base, shipping: { method: "next day" } }, "shipping.method"],
    ["a shipping price", { ...base, shipping: { method: "standard", price: { amount: 0, currency: "EUR" } } }, "shipping"],
    ["an empty sku", { ...base, items: [{ ...item, sku: "" }] }, "items.0.sku"],
    ["a 65-character sku", { ...base, items: [{ ...item, sku: "S".repeat(65) }] }, "items.0.sku"],
    ["a 201-character name", { ...base, shippingAddress: { ...base.shippingAddress, name: "n".repeat(201) } }, "shippingAddress.name"],
    [
      "a name with a control character",
      { ...base, shippingAddress: { ...base.shippingAddress, name: "bad\u0007name" } },
      "shippingAddress.name",
    ],
    ["an unknown field on a line", { ...base, items: [{ ...item, discount: 5 }] }, "items.0"],
    ["a customer email in the body", { ...base, customerEmail: "victim@example.com" }, ""],
    ["no shipping address", { items: base.items, shipping: base.shipping, payment: base.payment }, "shippingAddress"],
    ["a three-letter country", { ...base, shippingAddress: { ...base.shippingAddress, country: "DEU" } }, "shippingAddress.country"],
    ["a missing city", { ...base, shippingAddress: { ...base.shippingAddress, city: undefined } }, "shippingAddress.city"],
    ["no payment", { items: base.items, shippingAddress: base.shippingAddress, shipping: base.shipping }, "payment"],
    [
      "a payment method that is not a pm_ id",
      { ...base, payment: { provider: "stripe", paymentMethod: "tok 123 456" } },
      "payment.paymentMethod",
    ],
    ["a payment token (the old contract)", { ...base, payment: { provider: "stripe", token: "tok_1NXa2bCdEfGh" } }, "payment"],
    ["a payment outcome", { ...base, payment: { ...base.payment, status: "succeeded" } }, "payment"],
    ["another provider", { ...base, payment: { provider: "adyen" } }, "payment.provider"],
    ["a card number field", { ...base, payment: { ...base.payment, cardNumber: "x" } }, "payment"],
    ["an unassigned country (XX)", { ...base, shippingAddress: { ...base.shippingAddress, country: "XX" } }, "shippingAddress.country"],
    ["a lower-case country", { ...base, shippingAddress: { ...base.shippingAddress, country: "de" } }, "shippingAddress.country"],
    [
      "a C1 control (NEL) in a name",
      { ...base, shippingAddress: { ...base.shippingAddress, name: "bad\u0085name" } },
      "shippingAddress.name",
    ],
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
    [
      "a lone low surrogate in an item name",
      { ...base, shippingAddress: { ...base.shippingAddress, name: "\udfffB" } },
      "shippingAddress.name",
    ],
    ["201 emoji as a name", { ...base, shippingAddress: { ...base.shippingAddress, name: "😀".repeat(201) } }, "shippingAddress.name"],
    [
      "201 CJK characters as a name",
      { ...base, shippingAddress: { ...base.shippingAddress, name: "漢".repeat(201) } },
      "shippingAddress.name",
    ],
    [
      "201 e + combining acute",
      { ...base, shippingAddress: { ...base.shippingAddress, name: "e\u0301".repeat(201) } },
      "shippingAddress.name",
    ],
    [
      "a letter carrying 16 stacked combining marks",
      { ...base, shippingAddress: { ...base.shippingAddress, name: "Z" + "\u0336".repeat(16) } },
      "shippingAddress.name",
    ],
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
    ["an order in USD", { ...base, currency: "USD" }],
    ["expected prices", { ...base, items: [{ ...item, expectedUnitPrice: { amount: 1999, currency: "EUR" } }] }],
    ["no payment method (the client confirms with the client secret)", { ...base, payment: { provider: "stripe" } }],
    ["a non-Latin name", { ...base, shippingAddress: { ...base.shippingAddress, name: "Чай зелёный 绿茶" } }],
    ["a 0-digit currency", { ...base, currency: "JPY" }],
    ["200 emoji as a name (400 UTF-16 units)", { ...base, shippingAddress: { ...base.shippingAddress, name: "😀".repeat(200) } }],
    ["200 family emoji (7 code points each)", { ...base, shippingAddress: { ...base.shippingAddress, name: "👨‍👩‍👧‍👦".repeat(200) } }],
    ["200 flags", { ...base, shippingAddress: { ...base.shippingAddress, name: "🇩🇪".repeat(200) } }],
    ["200 CJK characters", { ...base, shippingAddress: { ...base.shippingAddress, line1: "漢".repeat(200) } }],
    ["200 e + combining acute (400 code points)", { ...base, shippingAddress: { ...base.shippingAddress, name: "e\u0301".repeat(200) } }],
    ["a kiss emoji with skin tones (10 code points, one character)", { ...base, shippingAddress: { ...base.shippingAddress, name: "👨🏻‍❤️‍💋‍👨🏼" } }],
    ["a right-to-left name", { ...base, shippingAddress: { ...base.shippingAddress, name: "שרה כהן", city: "القاهرة", country: "EG" } }],
    ["Kosovo (XK, in the maintained list)", { ...base, shippingAddress: { ...base.shippingAddress, country: "XK" } }],
    ["a 100-character city", { ...base, shippingAddress: { ...base.shippingAddress, city: "c".repeat(100) } }],
  ];
  for (const [what, body] of good) {
    it(`accepts ${what}`, () => expect(createOrderBodySchema().safeParse(body).success).to.equal(true));
  }
});
