import { expect } from "chai";
import type { APIGatewayProxyResult } from "aws-lambda";
import { settingsOf, useLocalAws, type LocalAws } from "../../helpers/aws";
import { vatIdVerifierFor } from "../../../runtime/tax/vies";
import { apiDeps, queueDepth, tableItems } from "../../helpers/deps";
import { getOrder, orderBody, postOrder } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { pricedOrderSchema, type PricedOrder } from "../../../runtime/domain/order";

/**
 * POST /orders with a business buyer: the VAT ID's check digits at the edge, VIES (the run's stand-in,
 * local/vies-standin.ts) asked only where it decides the tax, its answer stored and priced.
 *
 * The default body's goods: 2 x TSHIRT-RED-M (19.99) + MUG-01 (12.50) = 52.48 net, standard-rated.
 * Shipping (standard): DE 4.90, other EU member states 9.90, the rest of the world 19.90. The test
 * seller is German and not OSS-registered, so VAT charged on a sale to another member state is Germany's 19 %.
 */

const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body);

const PARIS = { name: "SARL Exemple Maison", line1: "12 rue de la Paix", city: "Paris", postalCode: "75002", country: "FR" };
const ROMA = { name: "Esempio S.r.l.", line1: "Via del Corso 1", city: "Roma", postalCode: "00186", country: "IT" };
const ZURICH = { name: "Beispiel AG", line1: "Bahnhofstrasse 1", city: "Zürich", postalCode: "8001", country: "CH" };
const BERLIN = { name: "Beispiel GmbH", line1: "Hauptstr. 5", city: "Berlin", postalCode: "10115", country: "DE" };

/** FR32123456789 with other check digits that are right too (the key of SIREN 303265045): well-formed, not in VIES's test data. */
const UNREGISTERED_FR = "FR40303265045";

/** A business order shipped to `address`. */
const businessOrder = (address: object, vatId: string, company = "Exemple SARL") =>
  orderBody({ shippingAddress: address, buyer: { company, vatId } });

/** The stored orders of the table, read back through the stored-order schema. */
async function storedOrders(ctx: LocalAws): Promise<PricedOrder[]> {
  return (await tableItems(ctx)).filter((i) => i.type === "order").map((i) => pricedOrderSchema().parse(i.order));
}

/** Payment intents the Stripe stand-in was asked to create. */
const paymentsCreated = (ctx: LocalAws) => ctx.stripe.requests().filter((r) => r.operation === "PostPaymentIntents").length;

describe("order API: business buyers and the VAT check (policy charge-vat)", () => {
  const ctx = useLocalAws();
  const post = async (body: unknown) => {
    const r = await handleApiRequest(postOrder(body), apiDeps(ctx));
    return { status: r.statusCode, headers: r.headers ?? {}, body: bodyOf(r) };
  };
  /** Posts an order VIES must not be asked about; returns the order stored. */
  const postWithoutVies = async (body: unknown): Promise<PricedOrder> => {
    const asked = ctx.vies.requests().length;
    const r = await post(body);
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect(ctx.vies.requests().length, "VIES asked").to.equal(asked);
    const [order] = await storedOrders(ctx);
    return order;
  };

  it("a French business with a VAT ID VIES confirms, shipped to France: intra-Community supply, no VAT, VIES's evidence stored", async () => {
    // Prepare
    const asked = ctx.vies.requests().length;
    // Act
    const r = await post(businessOrder(PARIS, "FR32123456789"));
    // Assess
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    const [order] = await storedOrders(ctx);
    expect(order.tax.rule).to.equal("intra-community-supply");
    expect(order.tax.groups.map((g) => [g.code, g.rateBps, g.exemptionReason, g.taxableMinor, g.taxMinor])).to.deep.equal([
      ["K", 0, "VATEX-EU-IC", 6238, 0],
    ]);
    expect(order.buyer).to.deep.include({ kind: "business", company: "Exemple SARL", vatId: "FR32123456789" });
    expect(order.buyer.vatCheck).to.deep.include({ outcome: "valid", vatId: "FR32123456789", name: "SARL EXEMPLE MAISON", source: "vies" });
    expect(order.buyer.vatCheck!.requestIdentifier).to.match(/^WAPIAAAA\d{8}$/); // the stand-in's consultation number
    expect([order.subtotalMinor, order.taxMinor, order.totalMinor]).to.deep.equal([6238, 0, 6238]);
    expect(r.body.total).to.deep.equal({ amount: 6238, currency: "EUR" });
    const requests = ctx.vies.requests().slice(asked);
    expect(requests.map((q) => q.body)).to.deep.equal([
      { countryCode: "FR", vatNumber: "32123456789", requesterMemberStateCode: "DE", requesterNumber: "123456788" },
    ]);
  });

  it("shows the buyer, the VAT check's outcome and the breakdown on GET /orders/{orderId}", async () => {
    const r = await post(businessOrder(PARIS, "fr 32 123.456.789"));
    const view = bodyOf(await handleApiRequest(getOrder(r.body.orderId), apiDeps(ctx)));
    expect(view.buyer).to.deep.equal({ kind: "business", company: "Exemple SARL", vatId: "FR32123456789", vatIdCheck: "valid" });
    expect(view.billingAddress).to.deep.equal(PARIS);
    expect(view.taxBreakdown).to.deep.equal({
      rule: "intra-community-supply",
      groups: [
        {
          category: "K",
          rateBps: 0,
          exemptionReason: "VATEX-EU-IC",
          taxable: { amount: 6238, currency: "EUR" },
          tax: { amount: 0, currency: "EUR" },
        },
      ],
    });
    expect(view.lines.map((l: { vat: unknown }) => l.vat)).to.deep.equal([
      { category: "K", rateBps: 0 },
      { category: "K", rateBps: 0 },
    ]);
  });

  it("a well-formed French VAT ID VIES does not know: VAT charged at the seller's 19 %, outcome invalid", async () => {
    const r = await post(businessOrder(PARIS, UNREGISTERED_FR));
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    const [order] = await storedOrders(ctx);
    expect(order.tax.rule).to.equal("distance-sale-origin");
    expect(order.tax.groups.map((g) => [g.code, g.rateBps, g.taxableMinor, g.taxMinor])).to.deep.equal([["S", 1900, 6238, 1185]]);
    expect([order.subtotalMinor, order.taxMinor, order.totalMinor]).to.deep.equal([6238, 1185, 7423]); // 62.38 x 19 % = 11.8522
    expect(order.buyer.vatCheck).to.deep.include({ outcome: "invalid", vatId: UNREGISTERED_FR, source: "vies" });
    expect(order.buyer.vatCheck!.requestIdentifier).to.equal(undefined); // no evidence kept for a refusal
  });

  it("VIES not answering for Italy (MS_UNAVAILABLE): VAT charged, outcome unanswered with the failure code", async () => {
    const r = await post(businessOrder(ROMA, "IT01234560017", "Esempio S.r.l."));
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    const [order] = await storedOrders(ctx);
    expect(order.tax.rule).to.equal("distance-sale-origin");
    expect([order.subtotalMinor, order.taxMinor, order.totalMinor]).to.deep.equal([6238, 1185, 7423]);
    expect(order.buyer.vatCheck).to.deep.include({ outcome: "unanswered", vatId: "IT01234560017", source: "vies" });
    expect(order.buyer.vatCheck!.failure!.code).to.equal("MS_UNAVAILABLE");
    expect(r.body.status).to.equal("PAID");
  });

  it("a domestic sale with a VAT ID: VIES is not asked, German VAT charged, the VAT ID kept without a check", async () => {
    const order = await postWithoutVies(businessOrder(BERLIN, "ATU12345675", "Beispiel GmbH"));
    expect(order.tax.rule).to.equal("domestic");
    expect([order.subtotalMinor, order.taxMinor, order.totalMinor]).to.deep.equal([5738, 1090, 6828]); // 57.38 x 19 % = 10.9022
    expect(order.buyer).to.deep.equal({ kind: "business", company: "Beispiel GmbH", vatId: "ATU12345675" });
  });

  it("a buyer abroad with a VAT ID of the seller's own country: VIES is not asked, German VAT charged", async () => {
    const order = await postWithoutVies(businessOrder(PARIS, "DE123456788"));
    expect([order.tax.rule, order.taxMinor, order.buyer.vatCheck]).to.deep.equal(["distance-sale-origin", 1185, undefined]);
  });

  it("an export to Switzerland with a VAT ID: no VIES call, category G, no VAT", async () => {
    const order = await postWithoutVies(businessOrder(ZURICH, "FR32123456789", "Beispiel AG"));
    expect(order.tax.rule).to.equal("export");
    // 52.48 + 19.90 shipping outside the EU = 72.38, no VAT.
    expect(order.tax.groups.map((g) => [g.code, g.rateBps, g.exemptionReason, g.taxableMinor, g.taxMinor])).to.deep.equal([
      ["G", 0, "VATEX-EU-G", 7238, 0],
    ]);
    expect([order.subtotalMinor, order.taxMinor, order.totalMinor]).to.deep.equal([7238, 0, 7238]);
  });

  it("a Northern Irish business (XI VAT ID, Belfast): VIES is asked, as for any member state's goods; not registered, VAT charged", async () => {
    const belfast = { name: "Byrne Ltd", line1: "1 Donegall Sq", city: "Belfast", postalCode: "BT1 5GS", country: "GB" };
    const asked = ctx.vies.requests().length;
    const r = await post(businessOrder(belfast, "XI123456782", "Byrne Ltd"));
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    expect(ctx.vies.requests().length).to.equal(asked + 1);
    const [order] = await storedOrders(ctx);
    expect([order.tax.rule, order.tax.ratesCountry, order.buyer.vatCheck?.outcome]).to.deep.equal([
      "distance-sale-origin",
      "DE",
      "invalid",
    ]);
  });

  it("a consumer (no buyer) is taxed as before, and no VIES call is made", async () => {
    const order = await postWithoutVies(orderBody({ shippingAddress: PARIS }));
    expect(order.buyer).to.deep.equal({ kind: "consumer" });
    expect(order.billingAddress).to.deep.equal(PARIS); // "same-as-shipping"
    expect([order.tax.rule, order.taxMinor]).to.deep.equal(["distance-sale-origin", 1185]);
  });

  it("a billing address of its own is stored as sent, the shipping address apart", async () => {
    const r = await post(orderBody({ shippingAddress: PARIS, billingAddress: BERLIN }));
    expect(r.status).to.equal(202);
    const [order] = await storedOrders(ctx);
    expect([order.shippingAddress, order.billingAddress]).to.deep.equal([PARIS, BERLIN]);
  });

  const refusals: [string, Record<string, unknown>, string][] = [
    ["a VAT ID with wrong check digits", { buyer: { company: "X", vatId: "FR33123456789" } }, "buyer.vatId"],
    ["a GB VAT ID", { buyer: { company: "X", vatId: "GB123456789" } }, "buyer.vatId"],
    ["an unknown key in buyer", { buyer: { company: "X", vatId: "FR32123456789", vatNumber: "x" } }, "buyer"],
    ["a VAT ID without the company's name", { shippingAddress: PARIS, buyer: { vatId: "FR32123456789" } }, "buyer.company"],
    ["no billing address", { billingAddress: undefined }, "billingAddress"],
    ["a billing address string other than same-as-shipping", { billingAddress: "same" }, "billingAddress"],
    ["a billing address with a bad postal code", { billingAddress: { ...BERLIN, postalCode: "10115;" } }, "billingAddress.postalCode"],
    ["a billing address without a city", { billingAddress: { ...BERLIN, city: undefined } }, "billingAddress.city"],
  ];
  for (const [what, overrides, path] of refusals) {
    it(`refuses ${what}: 400 VALIDATION_FAILED at ${path}, nothing recorded, VIES not asked`, async () => {
      const asked = ctx.vies.requests().length;
      const r = await post(orderBody(overrides));
      expect([r.status, r.body.error.code]).to.deep.equal([400, "VALIDATION_FAILED"]);
      expect(r.body.error.details.map((d: { path: string }) => d.path)).to.include(path);
      expect(ctx.vies.requests().length).to.equal(asked);
      expect(await storedOrders(ctx)).to.deep.equal([]);
    });
  }
});

describe("order API: VIES is asked only about an order that can be sold", () => {
  const ctx = useLocalAws();
  for (const [what, overrides, code] of [
    ["an unknown SKU", { items: [{ sku: "GOLD-BAR-1KG", quantity: 1 }] }, "PRODUCT_UNAVAILABLE"],
    ["a changed price", { items: [{ sku: "MUG-01", quantity: 1, expectedUnitPrice: { amount: 1, currency: "EUR" } }] }, "PRICE_CHANGED"],
    ["a shipping method that does not exist", { shipping: { method: "teleport" } }, "PRICE_UNAVAILABLE"],
  ] as const) {
    it(`refuses ${what} (${code}) without asking VIES about the buyer's VAT ID`, async () => {
      const asked = ctx.vies.requests().length;
      const r = await handleApiRequest(postOrder({ ...businessOrder(PARIS, "FR32123456789"), ...overrides }), apiDeps(ctx));
      expect(bodyOf(r).error.code).to.equal(code);
      expect(ctx.vies.requests().length).to.equal(asked);
    });
  }
});

describe("order API: services are taxed where the customer is (its billing address)", () => {
  const ctx = useLocalAws({ tax: { supplyKind: "services" } });

  it("a French business billed in Paris, the goods of its order going to Berlin: reverse charge (AE), VIES asked", async () => {
    const asked = ctx.vies.requests().length;
    const body = { ...businessOrder(BERLIN, "FR32123456789"), billingAddress: PARIS };
    const r = await handleApiRequest(postOrder(body), apiDeps(ctx));
    expect(r.statusCode, r.body).to.equal(202);
    const [order] = await storedOrders(ctx);
    expect([order.tax.rule, order.taxMinor, order.tax.notes]).to.deep.equal(["reverse-charge", 0, ["note.reverseCharge"]]);
    expect(ctx.vies.requests().length).to.equal(asked + 1);
  });
});

describe("order API: a VIES refusal that asking again cannot cure is never held", () => {
  // A shop without a VAT ID of its own: every check is refused (INVALID_REQUESTER_INFO), however often it is asked.
  const ctx = useLocalAws({ tax: { vatCheckPolicy: "hold" } });

  it("charges VAT (200s, not a 503 to retry forever) and records why", async () => {
    const settings = settingsOf(ctx).api;
    const deps = apiDeps(ctx, { vatIds: vatIdVerifierFor({ ...settings.tax, sellerVatId: undefined }) });
    const r = await handleApiRequest(postOrder(businessOrder(PARIS, "FR32123456789")), deps);
    expect(r.statusCode, r.body).to.equal(202);
    const [order] = await storedOrders(ctx);
    expect([order.taxMinor > 0, order.buyer.vatCheck?.outcome, order.buyer.vatCheck?.failure?.code]).to.deep.equal([
      true,
      "unanswered",
      "INVALID_REQUESTER_INFO",
    ]);
  });
});

describe("order API: VIES silent under policy hold", () => {
  const ctx = useLocalAws({ tax: { vatCheckPolicy: "hold" } });

  it("answers 503 VAT_CHECK_UNAVAILABLE with Retry-After, and records, charges and queues nothing", async () => {
    // Prepare
    const payments = paymentsCreated(ctx);
    // Act
    const r = await handleApiRequest(postOrder(businessOrder(ROMA, "IT01234560017", "Esempio S.r.l.")), apiDeps(ctx));
    // Assess
    expect([r.statusCode, bodyOf(r).error.code]).to.deep.equal([503, "VAT_CHECK_UNAVAILABLE"]);
    expect(r.headers?.["retry-after"]).to.equal("60");
    expect(bodyOf(r).error.message).to.contain("IT01234560017").and.contain("Nothing was ordered or charged");
    expect((await tableItems(ctx)).filter((i) => i.type === "order" || i.type === "idempotency")).to.deep.equal([]);
    expect(paymentsCreated(ctx)).to.equal(payments);
    expect(await queueDepth(ctx)).to.equal(0);
  });

  it("still sells VAT-free when VIES confirms the ID", async () => {
    const r = await handleApiRequest(postOrder(businessOrder(PARIS, "FR32123456789")), apiDeps(ctx));
    expect(r.statusCode).to.equal(202);
    expect(bodyOf(r).tax).to.deep.equal({ amount: 0, currency: "EUR" });
  });

  it("charges VAT without holding when VIES says the ID is not registered (a clear answer)", async () => {
    const r = await handleApiRequest(postOrder(businessOrder(PARIS, UNREGISTERED_FR)), apiDeps(ctx));
    expect(r.statusCode).to.equal(202);
    expect(bodyOf(r).tax).to.deep.equal({ amount: 1185, currency: "EUR" });
  });
});

describe("stored orders from before the tax engine", () => {
  it("reads a flat-rate order (taxRateBps, no tax, buyer, billing address or line VAT) as one standard-rated group", () => {
    // Prepare: an order and its queue message as the flat-rate code wrote them.
    const shippingAddress = { name: "Alice Example", line1: "Hauptstr. 5", city: "Berlin", postalCode: "10115", country: "DE" };
    const old = {
      orderId: "ord_FlatRate0000001",
      customer: { id: "4f1c2a9e-1111-4a1b-9c1d-aaaaaaaaaaaa", email: "alice@example.com", name: "Alice Example" },
      currency: "EUR",
      lines: [
        {
          sku: "TSHIRT-RED-M",
          name: "T-shirt, red, M",
          quantity: 2,
          unitPriceMinor: 1999,
          lineTotalMinor: 3998,
          taxCategory: "standard",
          catalogVersion: 1,
        },
        {
          sku: "MUG-01",
          name: "Coffee mug",
          quantity: 1,
          unitPriceMinor: 1250,
          lineTotalMinor: 1250,
          taxCategory: "standard",
          catalogVersion: 1,
        },
      ],
      shipping: { method: "standard", name: "Standard shipping", zone: "domestic", priceMinor: 490, taxCategory: "standard" },
      shippingAddress,
      payment: { provider: "stripe" },
      subtotalMinor: 5738,
      taxRateBps: 2000,
      taxMinor: 1148,
      totalMinor: 6886,
      createdAt: "2025-03-14T09:26:53.000Z",
      lang: "en",
    };
    // Act
    const order = pricedOrderSchema().parse(JSON.parse(JSON.stringify(old)));
    // Assess
    expect(order.tax).to.deep.equal({
      rule: "domestic",
      date: "2025-03-14",
      groups: [
        {
          code: "S",
          rateBps: 2000,
          categories: ["standard"],
          linesNetMinor: 5248,
          shippingNetMinor: 490,
          taxableMinor: 5738,
          taxMinor: 1148,
        },
      ],
      notes: [],
    });
    expect(order.lines.map((l) => l.vat)).to.deep.equal([
      { code: "S", rateBps: 2000 },
      { code: "S", rateBps: 2000 },
    ]);
    expect([order.billingAddress, order.buyer]).to.deep.equal([shippingAddress, { kind: "consumer" }]);
    expect([order.subtotalMinor, order.taxMinor, order.totalMinor]).to.deep.equal([5738, 1148, 6886]);
    expect(order).not.to.have.property("taxRateBps");
  });
});
