import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import {
  buildOpenApiDocument,
  errorCatalogue,
  EXAMPLES,
  responseSchemas,
  retryAfterCodes,
  statusOrder,
  type DocumentedStatus,
} from "../../openapi/document";
import type { ErrorCode } from "../../runtime/contracts/error-codes";
import { generatedFiles } from "../../openapi/generate";
import { API_ROUTES, handleApiRequest } from "../../runtime/handlers/order-api";
import { createOrderBodySchema } from "../../runtime/domain/order";
import { priceOrder } from "../../runtime/domain/pricing";
import { parseCatalogJson } from "../../runtime/domain/catalog-file";
import { DEMO_CATALOG_FILE } from "../../local/catalog";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { localStackSettings } from "../../local/stack-settings";
import { useLocalAws } from "../helpers/aws";
import { apiDeps, drainQueue, workerDeps } from "../helpers/deps";
import { apiEvent, orderBody, postOrder, ALICE, type Claims } from "../helpers/events";
import { ADMIN_GROUP } from "../../runtime/contracts/routes";
import { signedWebhook } from "../helpers/stripe";
import { productInput } from "../helpers/catalog";

const eur = (amount: number) => ({ amount, currency: "EUR" });
const ROOT = path.resolve(__dirname, "..", "..");
const checkedIn = () => JSON.parse(fs.readFileSync(path.join(ROOT, "openapi", "openapi.json"), "utf8"));

/** Every .ts file under runtime/: its path from the root and its text. */
function runtimeSources(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name)) out.push({ file: path.relative(ROOT, p), text: fs.readFileSync(p, "utf8") });
    }
  };
  walk(path.join(ROOT, "runtime"));
  return out;
}

/** The rows of the README's error-code table: status (one, or the family "4XX") and code. */
function readmeErrorCodes(): { status: DocumentedStatus; code: string }[] {
  const rows = [...fs.readFileSync(path.join(ROOT, "README.md"), "utf8").matchAll(/^\|\s*(\d{3}|4XX)\s*\|\s*`([A-Z_]+)`\s*\|/gm)];
  return rows.map((m) => ({ status: m[1] === "4XX" ? "4XX" : Number(m[1]), code: m[2] }));
}

describe("the OpenAPI document (openapi/openapi.json)", () => {
  it("is the one generated from the zod schemas and routes (run `npm run openapi` after changing them)", () => {
    for (const [file, text] of Object.entries(generatedFiles())) {
      expect(fs.readFileSync(file, "utf8"), `${path.relative(ROOT, file)} is stale: run npm run openapi`).to.equal(text);
    }
  });

  it("is OpenAPI 3.1 and documents every route of API_ROUTES with its method and authorization", () => {
    const doc = checkedIn();
    expect(doc.openapi).to.equal("3.1.0");
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).to.deep.equal(API_ROUTES.map((r) => `${r.method} ${r.resource}`).sort());
    for (const r of API_ROUTES) {
      const op = doc.paths[r.resource][r.method.toLowerCase()];
      expect(op.security, `${r.method} ${r.resource}`).to.deep.equal(r.auth === "cognito" ? [{ cognitoIdToken: [] }] : []);
      expect(op.operationId).to.be.a("string");
    }
  });

  it("names every error code and status of the README, and the README every one the API answers with", () => {
    const doc = checkedIn();
    const readme = readmeErrorCodes();
    expect(readme).to.have.length.greaterThan(10);
    const enumCodes: string[] = doc.components.schemas.Error.properties.error.properties.code.enum;
    const statuses = new Set(
      Object.values(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>).flatMap((ops) =>
        Object.values(ops).flatMap((o) => Object.keys(o.responses)),
      ),
    );
    for (const { status, code } of readme) {
      expect(enumCodes, code).to.include(code);
      expect([...statuses], `status ${status}`).to.include(String(status));
      const described = Object.values(
        doc.paths as Record<string, Record<string, { responses: Record<string, { description: string }> }>>,
      ).some((ops) => Object.values(ops).some((o) => o.responses[String(status)]?.description.split(", ").includes(code)));
      expect(described, `${status} ${code} is described on some route`).to.equal(true);
    }
    expect(errorCatalogue()).to.deep.equal(
      [...readme].sort((a, b) => statusOrder(a.status) - statusOrder(b.status) || a.code.localeCompare(b.code)),
    );
  });

  it("gives every answer that carries Retry-After the header in the document, API Gateway's 429 included", () => {
    const doc = checkedIn();
    expect(retryAfterCodes()).to.deep.equal([
      "PAYMENT_OUTCOME_UNKNOWN",
      "RESEND_TOO_SOON",
      "SERVICE_UNAVAILABLE",
      "THROTTLED",
      "VAT_CHECK_UNAVAILABLE",
    ]);
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, any> }>>)) {
      for (const [m, op] of Object.entries(ops)) {
        for (const [status, r] of Object.entries(op.responses)) {
          const retries = (r.description ?? "").split(", ").some((c: string) => retryAfterCodes().includes(c as ErrorCode));
          expect(Boolean(r.headers?.["Retry-After"]), `${m} ${p} ${status}`).to.equal(retries);
        }
      }
      expect(
        // Every route may be throttled; the re-send route also limits itself (RESEND_TOO_SOON).
        Object.values(ops).every((op) => (op.responses["429"]?.description ?? "").split(", ").includes("THROTTLED")),
        p,
      ).to.equal(true);
      expect(
        Object.values(ops).every((op) => op.responses["4XX"]?.description === "REQUEST_REFUSED"),
        p,
      ).to.equal(true);
    }
  });

  it("holds examples that the schemas accept, priced from the demo catalog at the local stack's tax rate", () => {
    const doc = checkedIn();
    const body = createOrderBodySchema().parse(doc.components.schemas.CreateOrder.example);
    const requestExamples = doc.paths["/orders"].post.requestBody.content["application/json"].examples;
    for (const [name, example] of Object.entries(requestExamples)) {
      const r = createOrderBodySchema().safeParse((example as { value: unknown }).value);
      expect(r.success, `request example ${name}: ${r.success ? "" : r.error.message}`).to.equal(true);
    }
    expect(Object.keys(requestExamples)).to.deep.equal(["consumer", "business"]);
    const s = responseSchemas();
    for (const [name, schema] of [
      ["OrderAccepted", s.accepted],
      ["Order", s.order],
      ["OrderList", s.list],
      ["Catalog", s.catalog],
      ["Product", s.product],
      ["WebhookReceived", s.webhookReceived],
      ["Error", s.error],
    ] as const) {
      const r = schema.safeParse(doc.components.schemas[name].example);
      expect(r.success, `${name}: ${r.success ? "" : r.error.message}`).to.equal(true);
    }
    for (const [name, example] of Object.entries(doc.paths["/orders"].post.responses["202"].content["application/json"].examples)) {
      const r = s.accepted.safeParse((example as { value: unknown }).value);
      expect(r.success, `202 example ${name}: ${r.success ? "" : r.error.message}`).to.equal(true);
    }
    expect(s.error.safeParse(EXAMPLES.priceChanged).success).to.equal(true);
    expect(s.error.safeParse(EXAMPLES.vatCheckUnavailable).success).to.equal(true);
    const demo = parseCatalogJson(fs.readFileSync(DEMO_CATALOG_FILE, "utf8"));
    if (!demo.ok) throw new Error("catalog/demo.json does not parse");
    const now = new Date().toISOString();
    const products = new Map(demo.file.products.map((p) => [p.sku, { ...p, active: p.active ?? true, version: 1, updatedAt: now }]));
    const priced = priceOrder(
      body,
      { products, shippingMethod: demo.file.shippingMethods?.find((m) => m.id === body.shipping.method) },
      {
        orderId: "ord_Hmcs9fZo6qKlbLwNbtmO",
        customer: { id: "c", email: "a@b.example" },
        now: new Date(),
        shopCurrency: "EUR",
        lang: "en",
        shopLanguage: "en",
        tax: { ...localStackSettings("dev").tax, sellerCountry: localStackSettings("dev").seller.country, buyer: { kind: "consumer" } },
      },
    );
    for (const example of [EXAMPLES.accepted, EXAMPLES.awaiting, EXAMPLES.order]) {
      expect([priced.subtotalMinor, priced.taxMinor, priced.totalMinor, priced.shipping.priceMinor]).to.deep.equal([
        example.subtotal.amount,
        example.tax.amount,
        example.total.amount,
        example.shipping.price.amount,
      ]);
    }
    expect(EXAMPLES.order.lines.map((l) => [l.sku, l.name, l.unitPrice.amount, l.vat.category, l.vat.rateBps])).to.deep.equal(
      priced.lines.map((l) => [l.sku, l.name, l.unitPriceMinor, l.vat.code, l.vat.rateBps]),
    );
    expect(EXAMPLES.order.taxBreakdown).to.deep.equal({
      rule: priced.tax.rule,
      ratesCountry: priced.tax.ratesCountry,
      groups: priced.tax.groups.map((g) => ({ category: g.code, rateBps: g.rateBps, taxable: eur(g.taxableMinor), tax: eur(g.taxMinor) })),
    });
  });

  it("is built outside the Lambda's import graph: nothing under runtime/ imports the generator", () => {
    const offenders = runtimeSources()
      .filter((f) => /zod-to-openapi|openapi\//.test(f.text))
      .map((f) => f.file);
    expect(offenders).to.deep.equal([]);
    expect(Object.keys(buildOpenApiDocument().paths ?? {})).to.have.length(new Set(API_ROUTES.map((r) => r.resource)).size);
  });

  describe("against the handlers' real answers", function () {
    this.timeout(30000);
    const ctx = useLocalAws({ tax: localStackSettings("dev").tax });
    const s = responseSchemas();
    const call = (e: ReturnType<typeof apiEvent>) => handleApiRequest(e, apiDeps(ctx));
    const expectValid = (schema: { safeParse(v: unknown): { success: boolean; error?: { message: string } } }, body: string) => {
      const r = schema.safeParse(JSON.parse(body));
      expect(r.success, r.error?.message).to.equal(true);
    };

    it("answers POST /orders, GET /orders, GET /orders/{orderId} and errors in the documented shapes", async () => {
      const accepted = await call(postOrder(orderBody()));
      expect(accepted.statusCode).to.equal(202);
      expectValid(s.accepted, accepted.body);
      const { orderId } = JSON.parse(accepted.body);
      const [msg] = await drainQueue(ctx);
      await processOrderMessage(msg.body, workerDeps(ctx));
      const one = await call(
        apiEvent({ method: "GET", resource: "/orders/{orderId}", path: `/orders/${orderId}`, pathParameters: { orderId } }),
      );
      expect(one.statusCode).to.equal(200);
      expectValid(s.order, one.body);
      expect(JSON.parse(one.body).invoice).to.not.equal(null);
      const list = await call(apiEvent({ method: "GET", resource: "/orders", path: "/orders", query: { limit: "1" }, claims: ALICE }));
      expect(list.statusCode).to.equal(200);
      expectValid(s.list, list.body);
      const bad = await call(postOrder({ ...orderBody(), items: [] }));
      expect(bad.statusCode).to.equal(400);
      expectValid(s.error, bad.body);
    });

    it("answers GET /admin/orders and GET /admin/orders/{orderId} (an invoiced order, with its PDF link) in the documented shapes", async () => {
      const accepted = await call(postOrder(orderBody()));
      const { orderId } = JSON.parse(accepted.body);
      const [msg] = await drainQueue(ctx);
      await processOrderMessage(msg.body, workerDeps(ctx));
      const admin = { ...ALICE, "cognito:groups": ADMIN_GROUP } as Claims;
      const list = await call(apiEvent({ method: "GET", resource: "/admin/orders", path: "/admin/orders", claims: admin }));
      expect(list.statusCode).to.equal(200);
      expectValid(s.adminList, list.body);
      const one = await call(
        apiEvent({
          method: "GET",
          resource: "/admin/orders/{orderId}",
          path: `/admin/orders/${orderId}`,
          pathParameters: { orderId },
          claims: admin,
        }),
      );
      expect(one.statusCode).to.equal(200);
      expectValid(s.adminOrder, one.body);
      expect(JSON.parse(one.body).invoice.url).to.be.a("string");
    });

    it("answers a business order (VIES confirms the VAT ID) and its GET in the documented shapes, as the example shows it", async () => {
      const accepted = await call(postOrder(EXAMPLES.createBusinessOrder));
      expect(accepted.statusCode, accepted.body).to.equal(202);
      expectValid(s.accepted, accepted.body);
      const { orderId } = JSON.parse(accepted.body);
      const one = await call(
        apiEvent({ method: "GET", resource: "/orders/{orderId}", path: `/orders/${orderId}`, pathParameters: { orderId } }),
      );
      expectValid(s.order, one.body);
      const b = JSON.parse(one.body);
      expect(b.buyer).to.deep.equal({ kind: "business", company: "Exemple SARL", vatId: "FR32123456789", vatIdCheck: "valid" });
      expect(b.billingAddress).to.deep.equal(EXAMPLES.createBusinessOrder.billingAddress);
      // 2 x 19.99 + 12.50 + shipping to the EU 9.90 = 62.38, an intra-Community supply: no VAT.
      expect([b.subtotal, b.tax, b.total]).to.deep.equal([eur(6238), eur(0), eur(6238)]);
      expect(b.taxBreakdown).to.deep.equal({
        rule: "intra-community-supply",
        groups: [{ category: "K", rateBps: 0, exemptionReason: "VATEX-EU-IC", taxable: eur(6238), tax: eur(0) }],
      });
    });

    it("answers every outcome of paying in the documented shapes: 3-D Secure, declined, price changed, unavailable", async () => {
      const pay = (paymentMethod: string) => ({ ...orderBody(), payment: { provider: "stripe", paymentMethod } });
      const awaiting = await call(postOrder(pay("pm_card_threeDSecure2Required")));
      expect(awaiting.statusCode).to.equal(202);
      expectValid(s.accepted, awaiting.body);
      expect(JSON.parse(awaiting.body)).to.deep.include({ status: "AWAITING_PAYMENT" });
      expect(JSON.parse(awaiting.body).payment).to.include.keys("clientSecret", "actionUrl", "dueBy");
      const cases: [unknown, number, string][] = [
        [pay("pm_card_chargeDeclined"), 402, "PAYMENT_DECLINED"],
        [orderBody({ items: [{ sku: "MUG-01", quantity: 1, expectedUnitPrice: { amount: 1, currency: "EUR" } }] }), 409, "PRICE_CHANGED"],
        [orderBody({ items: [{ sku: "NO-SUCH-SKU", quantity: 1 }] }), 422, "PRODUCT_UNAVAILABLE"],
        [orderBody({ currency: "JPY" }), 422, "PRICE_UNAVAILABLE"],
        [
          orderBody({ items: [{ sku: "MUG-01", name: "Gold bar", quantity: 1, unitPrice: { amount: 1, currency: "EUR" } }] }),
          400,
          "CLIENT_PRICING_REFUSED",
        ],
      ];
      for (const [body, status, code] of cases) {
        const r = await call(postOrder(body));
        expect([r.statusCode, JSON.parse(r.body).error.code], code).to.deep.equal([status, code]);
        expectValid(s.error, r.body);
      }
    });

    it("answers GET /products (200, then 304), the admin routes and the webhook in the documented shapes", async () => {
      const listProducts = (headers: Record<string, string> = {}) =>
        call(apiEvent({ method: "GET", resource: "/products", path: "/products", query: { lang: "en" }, headers, claims: null }));
      const products = await listProducts();
      expect(products.statusCode).to.equal(200);
      expectValid(s.catalog, products.body);
      const again = await listProducts({ "If-None-Match": products.headers!.etag as string });
      expect([again.statusCode, again.body]).to.deep.equal([304, ""]);
      const onProduct = (method: "PUT" | "DELETE", claims: Claims, headers: Record<string, string> = {}) =>
        call(
          apiEvent({
            method,
            resource: "/admin/products/{sku}",
            path: "/admin/products/OPENAPI-1",
            pathParameters: { sku: "OPENAPI-1" },
            headers: method === "PUT" ? { "Content-Type": "application/json", ...headers } : headers,
            body: method === "PUT" ? JSON.stringify(productInput("OPENAPI-1")) : null,
            claims,
          }),
        );
      const admin = { ...ALICE, "cognito:groups": ADMIN_GROUP } as Claims;
      const created = await onProduct("PUT", admin);
      expect(created.statusCode).to.equal(201);
      expectValid(s.product, created.body);
      for (const [r, status, code] of [
        [await onProduct("PUT", ALICE), 403, "FORBIDDEN"],
        [await onProduct("PUT", admin, { "If-Match": '"99"' }), 412, "PRECONDITION_FAILED"],
      ] as const) {
        expect([r.statusCode, JSON.parse(r.body).error.code]).to.deep.equal([status, code]);
        expectValid(s.error, r.body);
      }
      const removed = await onProduct("DELETE", admin);
      expect(removed.statusCode).to.equal(200);
      expectValid(s.product, removed.body);
      const hook = (raw: string, signature: string) =>
        call(
          apiEvent({
            method: "POST",
            resource: "/webhooks/stripe",
            path: "/webhooks/stripe",
            headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
            body: raw,
            claims: null,
          }),
        );
      const other = signedWebhook({
        id: "evt_openapi_1",
        object: "event",
        type: "customer.created",
        data: { object: { id: "cus_1" } },
        created: 1,
      });
      const received = await hook(other.raw, other.signature);
      expect(received.statusCode).to.equal(200);
      expectValid(s.webhookReceived, received.body);
      const forged = await hook(other.raw, signedWebhook({}, { secret: "whsec_not_ours" }).signature);
      expect([forged.statusCode, JSON.parse(forged.body).error.code]).to.deep.equal([400, "SIGNATURE_INVALID"]);
      expectValid(s.error, forged.body);
    });
  });
});
