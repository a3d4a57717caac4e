import { expect } from "chai";
import { createOrderBodySchema, ImpossibleOrder, LIMITS, priceOrder } from "../../../runtime/domain/order";
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
  ];
  for (const [what, body] of good) {
    it(`accepts ${what}`, () => expect(createOrderBodySchema().safeParse(body).success).to.equal(true));
  }
});
