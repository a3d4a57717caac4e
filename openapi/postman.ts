/**
 * The Postman collection and environments, generated from the OpenAPI document: every request
 * goes to a route the document has, with the document's example body, and its tests check the
 * status, the error code and the body against the document's schema. `npm test` runs the
 * collection with newman against the local pipeline (test/openapi/postman.test.ts).
 */
import { EXAMPLES } from "./document";

type Json = Record<string, unknown>;
type OpenApiDoc = {
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json> };
};

/** A schema with its `$ref`s to components inlined and the keywords JSON Schema validators do not know removed. */
export function inlineSchema(schema: unknown, doc: OpenApiDoc): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineSchema(s, doc));
  if (!schema || typeof schema !== "object") return schema;
  const s = schema as Json;
  if (typeof s.$ref === "string") {
    const name = s.$ref.replace("#/components/schemas/", "");
    const target = doc.components.schemas[name];
    if (!target) throw new Error(`no schema ${s.$ref} in the OpenAPI document`);
    return inlineSchema(target, doc);
  }
  return Object.fromEntries(
    Object.entries(s)
      .filter(([k]) => k !== "example" && k !== "description")
      .map(([k, v]) => [k, inlineSchema(v, doc)]),
  );
}

/** One request of the collection: what to send and what the document says comes back. */
interface Case {
  readonly name: string;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** The OpenAPI path it exercises (checked against the document), or null for a route that does not exist. */
  readonly route: string | null;
  /** The URL path under {{baseUrl}}, with Postman variables. */
  readonly url: string;
  readonly auth?: boolean;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  readonly code?: string;
  /** Extra test lines (Postman sandbox JavaScript). */
  readonly tests?: string[];
}

const json = (v: unknown) => JSON.stringify(v, null, 2);

function cases(): Case[] {
  const order = EXAMPLES.createOrder;
  const paidWith = (paymentMethod: string) => json({ ...order, payment: { provider: "stripe", paymentMethod } });
  return [
    {
      name: "List the catalog (public)",
      method: "GET",
      route: "/products",
      url: "/products?currency=EUR&lang=en",
      auth: false,
      status: 200,
      tests: [
        "const b = pm.response.json();",
        'pm.test("sells the example\'s products", () => pm.expect(b.products.map((p) => p.sku)).to.include.members(["TSHIRT-RED-M", "MUG-01"]));',
        'pm.test("is cacheable", () => pm.expect(pm.response.headers.get("Cache-Control")).to.match(/^public, max-age=\\d+$/));',
        'pm.collectionVariables.set("catalogEtag", pm.response.headers.get("ETag"));',
      ],
    },
    {
      name: "Answers 304 for the catalog the client already holds",
      method: "GET",
      route: "/products",
      url: "/products?currency=EUR&lang=en",
      auth: false,
      headers: { "If-None-Match": "{{catalogEtag}}" },
      status: 304,
    },
    {
      name: "Place and pay an order (pm_card_visa)",
      method: "POST",
      route: "/orders",
      url: "/orders",
      headers: { "Idempotency-Key": "postman-{{$guid}}" },
      body: json(order),
      status: 202,
      tests: [
        "const b = pm.response.json();",
        'pm.test("is PAID with a Location", () => { pm.expect(b.status).to.equal("PAID"); pm.expect(pm.response.headers.get("Location")).to.equal("/orders/" + b.orderId); });',
        'pm.test("is priced by the catalog", () => pm.expect(b.total.amount).to.equal(' + EXAMPLES.accepted.total.amount + "));",
        'pm.collectionVariables.set("orderId", b.orderId);',
      ],
    },
    {
      name: "List my orders",
      method: "GET",
      route: "/orders",
      url: "/orders?limit=1",
      status: 200,
      tests: [
        "const b = pm.response.json();",
        'pm.test("shows the order just placed first", () => pm.expect(b.orders[0].orderId).to.equal(pm.collectionVariables.get("orderId")));',
        'pm.collectionVariables.set("cursor", b.nextCursor || "");',
      ],
    },
    {
      name: "Get the order",
      method: "GET",
      route: "/orders/{orderId}",
      url: "/orders/{{orderId}}",
      status: 200,
      tests: [
        'pm.test("is the order placed", () => pm.expect(pm.response.json().orderId).to.equal(pm.collectionVariables.get("orderId")));',
      ],
    },
    {
      name: "Place an order whose card needs 3-D Secure",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: paidWith("pm_card_threeDSecure2Required"),
      status: 202,
      tests: [
        "const b = pm.response.json();",
        'pm.test("awaits payment, with the client secret and where to authenticate", () => { pm.expect(b.status).to.equal("AWAITING_PAYMENT"); pm.expect(b.payment.clientSecret).to.be.a("string"); pm.expect(b.payment.actionUrl).to.match(/^https?:/); });',
      ],
    },
    // Error cases: every one answers the documented status, code and Error shape.
    {
      name: "Refuses a request without a token",
      method: "POST",
      route: "/orders",
      url: "/orders",
      auth: false,
      body: json(order),
      status: 401,
      code: "UNAUTHENTICATED",
    },
    {
      name: "Refuses a body that is not JSON",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: '{"items": [',
      status: 400,
      code: "INVALID_JSON",
    },
    {
      name: "Refuses a text/plain body",
      method: "POST",
      route: "/orders",
      url: "/orders",
      headers: { "Content-Type": "text/plain" },
      body: json(order),
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
    },
    {
      name: "Refuses an order that breaks a rule, naming the path",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: json({ ...order, items: [{ ...order.items[0], quantity: 0 }] }),
      status: 400,
      code: "VALIDATION_FAILED",
      tests: [
        'pm.test("names items.0.quantity", () => pm.expect(pm.response.json().error.details.map((d) => d.path)).to.include("items.0.quantity"));',
      ],
    },
    {
      name: "Refuses a card number",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: paidWith("4111111111111111"),
      status: 400,
      code: "PAYMENT_DATA_NOT_ALLOWED",
    },
    {
      name: "Refuses a client that sets a line's name and price",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: json({ ...order, items: [{ sku: "MUG-01", name: "Gold bar 1kg", quantity: 1, unitPrice: { amount: 1, currency: "EUR" } }] }),
      status: 400,
      code: "CLIENT_PRICING_REFUSED",
    },
    {
      name: "Answers 402 when the card is declined",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: paidWith("pm_card_chargeDeclined"),
      status: 402,
      code: "PAYMENT_DECLINED",
      tests: ['pm.test("names the order, now PAYMENT_FAILED", () => pm.expect(pm.response.json().error.orderId).to.match(/^ord_/));'],
    },
    {
      name: "Answers 409 with the current prices when the price shown is not the catalog's",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: json({ ...order, items: [{ sku: "TSHIRT-RED-M", quantity: 1, expectedUnitPrice: { amount: 1799, currency: "EUR" } }] }),
      status: 409,
      code: "PRICE_CHANGED",
      tests: [
        'pm.test("gives the current price", () => pm.expect(pm.response.json().error.currentPrices[0]).to.deep.equal({ line: 0, sku: "TSHIRT-RED-M", unitPrice: { amount: 1999, currency: "EUR" } }));',
      ],
    },
    {
      name: "Answers 422 for a SKU the shop does not sell",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: json({ ...order, items: [{ sku: "GOLD-BAR-1KG", quantity: 1 }] }),
      status: 422,
      code: "PRODUCT_UNAVAILABLE",
    },
    {
      name: "Answers 422 for a currency the catalog has no price in",
      method: "POST",
      route: "/orders",
      url: "/orders",
      body: json({ ...order, currency: "JPY" }),
      status: 422,
      code: "PRICE_UNAVAILABLE",
    },
    {
      name: "Refuses an altered cursor",
      method: "GET",
      route: "/orders",
      url: "/orders?cursor=bm90LWEtY3Vyc29y",
      status: 400,
      code: "VALIDATION_FAILED",
    },
    { name: "Refuses a limit over 100", method: "GET", route: "/orders", url: "/orders?limit=101", status: 400, code: "VALIDATION_FAILED" },
    {
      name: "Answers 404 for an order that does not exist",
      method: "GET",
      route: "/orders/{orderId}",
      url: "/orders/ord_ZZZZZZZZZZZZZZZZZZZZ",
      status: 404,
      code: "NOT_FOUND",
    },
    {
      name: "Refuses an invoice link with a bad signature",
      method: "GET",
      route: "/invoices/{orderId}",
      url: "/invoices/{{orderId}}?expires=4102444800&sig=bm90LWEtc2lnbmF0dXJl",
      auth: false,
      status: 403,
      code: "LINK_INVALID",
    },
    {
      name: "Refuses a catalog change by a customer who is no shop admin",
      method: "PUT",
      route: "/admin/products/{sku}",
      url: "/admin/products/MUG-01",
      body: json(EXAMPLES.productInput),
      status: 403,
      code: "FORBIDDEN",
    },
    {
      name: "Refuses a customer's credit note on their own order: only shop admins correct invoices",
      method: "POST",
      route: "/admin/orders/{orderId}/credit-notes",
      url: "/admin/orders/{{orderId}}/credit-notes",
      headers: { "Idempotency-Key": "postman-credit-note-1" },
      body: json({ kind: "full", reason: "Returned" }),
      status: 403,
      code: "FORBIDDEN",
    },
    {
      name: "Refuses a webhook that Stripe did not sign",
      method: "POST",
      route: "/webhooks/stripe",
      url: "/webhooks/stripe",
      auth: false,
      headers: { "Stripe-Signature": "t=1767225600,v1=0000000000000000000000000000000000000000000000000000000000000000" },
      body: json({ id: "evt_forged", object: "event", type: "payment_intent.succeeded", data: { object: { id: "pi_forged" } } }),
      status: 400,
      code: "SIGNATURE_INVALID",
    },
    { name: "Answers 404 for a route that does not exist", method: "DELETE", route: null, url: "/orders", status: 404, code: "NOT_FOUND" },
  ];
}

/** The collection (Postman v2.1 format), checked against the document's routes and statuses. */
export function postmanCollection(doc: OpenApiDoc): Json {
  const items = cases().map((c) => {
    const op = c.route === null ? undefined : doc.paths[c.route]?.[c.method.toLowerCase()];
    if (c.route !== null && !op) throw new Error(`${c.name}: the OpenAPI document has no ${c.method} ${c.route}`);
    if (op && !op.responses[String(c.status)])
      throw new Error(`${c.name}: the OpenAPI document lists no ${c.status} for ${c.method} ${c.route}`);
    const content = op?.responses[String(c.status)]?.content as Record<string, { schema?: unknown }> | undefined;
    const schema = content?.["application/json"]?.schema;
    const tests = [
      `pm.test("answers ${c.status}", () => pm.response.to.have.status(${c.status}));`,
      ...(schema
        ? [`pm.test("matches the OpenAPI schema", () => pm.response.to.have.jsonSchema(${JSON.stringify(inlineSchema(schema, doc))}));`]
        : []),
      ...(c.code ? [`pm.test("says ${c.code}", () => pm.expect(pm.response.json().error.code).to.equal("${c.code}"));`] : []),
      ...(c.tests ?? []),
    ];
    const headers = {
      ...(c.body !== undefined && !c.headers?.["Content-Type"] ? { "Content-Type": "application/json" } : {}),
      ...(c.headers ?? {}),
    };
    const [pathPart, query] = c.url.split("?");
    return {
      name: c.name,
      event: [{ listen: "test", script: { type: "text/javascript", exec: tests } }],
      request: {
        method: c.method,
        ...(c.auth === false ? { auth: { type: "noauth" } } : {}),
        header: Object.entries(headers).map(([key, value]) => ({ key, value })),
        ...(c.body !== undefined ? { body: { mode: "raw", raw: c.body } } : {}),
        url: {
          raw: `{{baseUrl}}${c.url}`,
          host: ["{{baseUrl}}"],
          path: pathPart.split("/").filter(Boolean),
          ...(query ? { query: query.split("&").map((kv) => ({ key: kv.split("=")[0], value: kv.split("=").slice(1).join("=") })) } : {}),
        },
        ...(op?.operationId ? { description: `OpenAPI operation ${op.operationId}` } : {}),
      },
    };
  });
  return {
    info: {
      name: "shop-backend order API",
      description:
        "Generated from openapi/openapi.json by `npm run openapi`. Pick an environment: local (`npm start`; token from `npm run token`) or deployed.",
      schema: "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    auth: { type: "bearer", bearer: [{ key: "token", value: "{{token}}", type: "string" }] },
    variable: [
      { key: "orderId", value: "" },
      { key: "cursor", value: "" },
      { key: "catalogEtag", value: "" },
    ],
    item: items,
  };
}

/** The environments: the local pipeline and a deployed stack. */
export function postmanEnvironments(): Record<"local" | "deployed", Json> {
  const env = (name: string, baseUrl: string, tokenHelp: string) => ({
    name,
    values: [
      { key: "baseUrl", value: baseUrl, type: "default", enabled: true },
      { key: "token", value: "", type: "secret", enabled: true, description: tokenHelp },
    ],
  });
  return {
    local: env(
      "shop-backend local (npm start)",
      "http://127.0.0.1:3000",
      "Paste the output of `npm run token` (the demo user; `npm run token -- --user bob@example.com` for another)",
    ),
    deployed: env(
      "shop-backend deployed stack",
      "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
      "A Cognito ID token of the stack's user pool (an InitiateAuth USER_PASSWORD_AUTH IdToken); baseUrl is the stack's apiUrl output",
    ),
  };
}
