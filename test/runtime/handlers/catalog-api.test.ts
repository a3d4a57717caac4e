import { expect } from "chai";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { useLocalAws } from "../../helpers/aws";
import { capturingLogger } from "../../helpers/deps";
import { ALICE, apiEvent, type Claims } from "../../helpers/events";
import { catalogFile, productInput, productRow, shippingMethod } from "../../helpers/catalog";
import { CatalogStore } from "../../../runtime/domain/catalog-store";
import {
  groupsOf,
  handleDeleteProduct,
  handleListProducts,
  handlePutProduct,
  type CatalogApiDeps,
} from "../../../runtime/handlers/catalog-api";
import { toErrorResponse } from "../../../runtime/errors";
import { ADMIN_GROUP } from "../../../runtime/contracts/routes";

const NOW = new Date("2026-12-02T09:00:00.000Z");
const ADMIN = { ...ALICE, "cognito:groups": `[${ADMIN_GROUP}, staff]` } as Claims;

/** Runs a handler as the router does: an ApiError becomes its status and JSON error body. */
async function answer(
  h: (e: APIGatewayProxyEvent, d: CatalogApiDeps) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body: string }>,
  e: APIGatewayProxyEvent,
  d: CatalogApiDeps,
) {
  try {
    const r = await h(e, d);
    return { status: r.statusCode, headers: (r.headers ?? {}) as Record<string, string>, body: r.body ? JSON.parse(r.body) : undefined };
  } catch (err) {
    const r = toErrorResponse(err);
    if (r.status === 500) throw err;
    return { status: r.status, headers: r.headers, body: r.body as unknown as Record<string, never> };
  }
}

const listEvent = (query?: Record<string, string>, headers?: Record<string, string>) =>
  apiEvent({ method: "GET", resource: "/products", path: "/products", query, headers, claims: null });
const putEvent = (sku: string, body: unknown, o: { claims?: Claims | null; headers?: Record<string, string> } = {}) =>
  apiEvent({
    method: "PUT",
    resource: "/admin/products/{sku}",
    path: `/admin/products/${encodeURIComponent(sku)}`,
    pathParameters: { sku },
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...o.headers },
    claims: o.claims === undefined ? ADMIN : o.claims,
  });
const deleteEvent = (sku: string, o: { claims?: Claims | null; headers?: Record<string, string> } = {}) =>
  apiEvent({
    method: "DELETE",
    resource: "/admin/products/{sku}",
    path: `/admin/products/${sku}`,
    pathParameters: { sku },
    headers: o.headers,
    claims: o.claims === undefined ? ADMIN : o.claims,
  });

describe("catalog API", function () {
  this.timeout(30000);
  const ctx = useLocalAws({ catalog: false });
  let logged: string[];
  const deps = (): CatalogApiDeps => {
    const l = capturingLogger("api");
    logged = l.lines;
    return { ddb: ctx.clients.ddb, settings: { ordersTable: ctx.resources.table }, now: () => NOW, log: l.log };
  };
  const store = () => new CatalogStore(ctx.clients.ddb, ctx.resources.table);

  describe("GET /products", () => {
    beforeEach(async () => {
      await store().importCatalog(
        {
          products: [
            productRow("MUG-01", { names: { en: "Coffee mug", de: "Kaffeebecher" }, prices: { USD: 1390, EUR: 1250 } }),
            productRow("BOOK-01", { names: { en: "A book" }, prices: { EUR: 1800 }, taxCategory: "reduced" }),
            productRow("OLD-01", { active: false }),
          ],
          shippingMethods: [shippingMethod("standard"), shippingMethod("bulky", { active: false })],
        },
        NOW,
      );
    });

    it("lists active products and shipping methods with every name and price, cacheable for a minute", async () => {
      const r = await answer(handleListProducts, listEvent(), deps());

      expect(r.status).to.equal(200);
      expect(r.headers["cache-control"]).to.equal("public, max-age=60");
      expect(r.headers.etag).to.match(/^"[A-Za-z0-9_-]{27}"$/);
      expect(r.body.products).to.deep.equal([
        { sku: "BOOK-01", names: { en: "A book" }, prices: [{ amount: 1800, currency: "EUR" }], taxCategory: "reduced" },
        {
          sku: "MUG-01",
          names: { en: "Coffee mug", de: "Kaffeebecher" },
          prices: [
            { amount: 1250, currency: "EUR" },
            { amount: 1390, currency: "USD" },
          ],
          taxCategory: "standard",
        },
      ]);
      expect(r.body.shippingMethods.map((m: { id: string }) => m.id)).to.deep.equal(["standard"]);
      expect(r.body.shippingMethods[0].zones[2]).to.deep.equal({
        zone: "world",
        countries: "*",
        prices: [
          { amount: 1990, currency: "EUR" },
          { amount: 2190, currency: "USD" },
        ],
      });
    });

    it("with ?currency=USD&lang=de gives one name (German, else English) and only what is priced in USD", async () => {
      const r = await answer(handleListProducts, listEvent({ currency: "USD", lang: "de" }), deps());

      expect(r.body.products).to.deep.equal([
        { sku: "MUG-01", name: "Kaffeebecher", prices: [{ amount: 1390, currency: "USD" }], taxCategory: "standard" },
      ]);
      expect(r.body.shippingMethods[0]).to.deep.include({ name: "Versand standard" });
      expect(r.body.shippingMethods[0].zones.map((z: { zone: string }) => z.zone)).to.deep.equal(["world"]);
    });

    for (const [query, path] of [
      [{ currency: "eur" }, "query.currency"],
      [{ currency: "XYZ" }, "query.currency"],
      [{ lang: "german" }, "query.lang"],
    ] as const) {
      it(`refuses ${JSON.stringify(query)} with 400 VALIDATION_FAILED naming ${path}`, async () => {
        const r = await answer(handleListProducts, listEvent(query), deps());
        expect(r.status).to.equal(400);
        expect(r.body.error.code).to.equal("VALIDATION_FAILED");
        expect([...new Set(r.body.error.details.map((d: { path: string }) => d.path))]).to.deep.equal([path]);
      });
    }

    it("answers 304 without a body to a matching If-None-Match, and 200 again once the catalog changed", async () => {
      const first = await answer(handleListProducts, listEvent(), deps());
      const etag = first.headers.etag;

      const same = await answer(handleListProducts, listEvent(undefined, { "If-None-Match": `"other", W/${etag}` }), deps());
      await store().putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 1300 } }), NOW);
      const changed = await answer(handleListProducts, listEvent(undefined, { "if-none-match": etag }), deps());

      expect(same.status).to.equal(304);
      expect(same.body).to.equal(undefined);
      expect(same.headers).to.include({ etag, "cache-control": "public, max-age=60" });
      expect(changed.status).to.equal(200);
      expect(changed.headers.etag).to.not.equal(etag);
    });

    it("gives a different ETag for a different query of the same catalog", async () => {
      const a = await answer(handleListProducts, listEvent(), deps());
      const b = await answer(handleListProducts, listEvent({ lang: "de" }), deps());
      expect(a.headers.etag).to.not.equal(b.headers.etag);
    });
  });

  describe("groupsOf: the cognito:groups claim as API Gateway's REST authorizer passes it", () => {
    const cases: [unknown, string[]][] = [
      [`[${ADMIN_GROUP}, staff]`, [ADMIN_GROUP, "staff"]],
      [`[${ADMIN_GROUP}]`, [ADMIN_GROUP]],
      [`staff,${ADMIN_GROUP}`, ["staff", ADMIN_GROUP]],
      [`staff ${ADMIN_GROUP}`, ["staff", ADMIN_GROUP]],
      [ADMIN_GROUP, [ADMIN_GROUP]],
      [
        [ADMIN_GROUP, "staff"],
        [ADMIN_GROUP, "staff"],
      ],
      [`["${ADMIN_GROUP}","staff"]`, [ADMIN_GROUP, "staff"]],
      ["[]", []],
      ["", []],
      [undefined, []],
      [`${ADMIN_GROUP}-readonly`, [`${ADMIN_GROUP}-readonly`]],
    ];
    for (const [claim, groups] of cases)
      it(`reads ${JSON.stringify(claim)} as ${JSON.stringify(groups)}`, () => expect(groupsOf(claim)).to.deep.equal(groups));
  });

  describe("PUT /admin/products/{sku}", () => {
    for (const groups of [`[${ADMIN_GROUP}]`, `staff,${ADMIN_GROUP}`, `staff ${ADMIN_GROUP}`]) {
      it(`lets an admin whose groups claim is ${JSON.stringify(groups)} create a product: 201 with the stored product`, async () => {
        const r = await answer(
          handlePutProduct,
          putEvent("MUG-01", productInput("MUG-01"), { claims: { ...ALICE, "cognito:groups": groups } as Claims }),
          deps(),
        );

        expect(r.status).to.equal(201);
        expect(r.headers.etag).to.equal('"1"');
        expect(r.body).to.deep.equal({ sku: "MUG-01", ...productInput("MUG-01"), version: 1, updatedAt: NOW.toISOString() });
        expect((await store().getProduct("MUG-01"))?.version).to.equal(1);
      });
    }

    it("replaces a product: 200, the next version, and logs who changed what", async () => {
      await store().putProduct("MUG-01", productInput("MUG-01"), NOW);

      const r = await answer(handlePutProduct, putEvent("MUG-01", productInput("MUG-01", { prices: { EUR: 1500 } })), deps());

      expect(r.status).to.equal(200);
      expect(r.body).to.include({ version: 2 });
      const line = JSON.parse(logged.find((l) => l.includes("catalog product replaced"))!);
      expect(line).to.include({ adminSub: ALICE.sub, adminEmail: ALICE.email, sku: "MUG-01", beforeVersion: 1, afterVersion: 2 });
    });

    it("refuses a signed-in user who is no admin with 403 FORBIDDEN, and writes nothing", async () => {
      for (const claims of [ALICE, { ...ALICE, "cognito:groups": "[staff, shop-admins-readonly]" } as Claims]) {
        const r = await answer(handlePutProduct, putEvent("MUG-01", productInput("MUG-01"), { claims }), deps());
        expect(r.status).to.equal(403);
        expect(r.body.error.code).to.equal("FORBIDDEN");
        expect(r.body.error.message).to.contain("Only shop admins may change the catalog").and.contain(ADMIN_GROUP);
      }
      expect(await store().getProduct("MUG-01")).to.equal(undefined);
    });

    it("refuses a request without verified claims with 401", async () => {
      const r = await answer(handlePutProduct, putEvent("MUG-01", productInput("MUG-01"), { claims: null }), deps());
      expect(r.status).to.equal(401);
      expect(r.body.error.code).to.equal("UNAUTHENTICATED");
    });

    it("checks who asks before what they sent: a non-admin's broken body is still 403", async () => {
      const r = await answer(handlePutProduct, putEvent("MUG-01", "nonsense", { claims: ALICE }), deps());
      expect(r.status).to.equal(403);
    });

    const invalid: [string, APIGatewayProxyEvent, number, string][] = [
      [
        "a body that breaks the schema",
        putEvent("MUG-01", { names: {}, prices: { EUR: 12.5 }, taxCategory: "luxury" }),
        400,
        "VALIDATION_FAILED",
      ],
      [
        "a body with the sku inside (the path names it)",
        putEvent("MUG-01", { ...productInput("MUG-01"), sku: "MUG-01" }),
        400,
        "VALIDATION_FAILED",
      ],
      ["a SKU that is no SKU", putEvent("MUG 01", productInput("MUG-01")), 400, "VALIDATION_FAILED"],
      ["a body that is not JSON", { ...putEvent("MUG-01", {}), body: "{names:" }, 400, "INVALID_JSON"],
      [
        "a body not declared JSON",
        putEvent("MUG-01", productInput(), { headers: { "Content-Type": "text/plain" } }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      ["a body over 64 KiB", putEvent("MUG-01", { ...productInput(), names: { en: "x".repeat(70_000) } }), 413, "PAYLOAD_TOO_LARGE"],
    ];
    for (const [what, event, status, code] of invalid) {
      it(`answers ${status} ${code} to ${what}`, async () => {
        const r = await answer(handlePutProduct, event, deps());
        expect([r.status, r.body.error.code]).to.deep.equal([status, code]);
        expect(await store().getProduct("MUG-01")).to.equal(undefined);
      });
    }

    it('with If-Match "<version>" replaces only that version: 412 PRECONDITION_FAILED when it changed meanwhile', async () => {
      await store().putProduct("MUG-01", productInput("MUG-01"), NOW);
      await store().putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 1 } }), NOW);

      const stale = await answer(
        handlePutProduct,
        putEvent("MUG-01", productInput("MUG-01", { prices: { EUR: 2 } }), { headers: { "If-Match": '"1"' } }),
        deps(),
      );
      const current = await answer(
        handlePutProduct,
        putEvent("MUG-01", productInput("MUG-01", { prices: { EUR: 3 } }), { headers: { "If-Match": '"2"' } }),
        deps(),
      );
      const garbage = await answer(
        handlePutProduct,
        putEvent("MUG-01", productInput("MUG-01"), { headers: { "If-Match": 'W/"3"' } }),
        deps(),
      );

      expect([stale.status, stale.body.error.code]).to.deep.equal([412, "PRECONDITION_FAILED"]);
      expect(stale.body.error.message).to.contain("version 2, not 1");
      expect([current.status, current.body.version]).to.deep.equal([200, 3]);
      expect(garbage.status).to.equal(412);
      expect((await store().getProduct("MUG-01"))?.prices).to.deep.equal({ EUR: 3 });
    });

    it('with If-Match "*" creates nothing: 412 for an unknown product', async () => {
      const r = await answer(handlePutProduct, putEvent("NEW-01", productInput("NEW-01"), { headers: { "If-Match": "*" } }), deps());
      expect(r.status).to.equal(412);
      expect(await store().getProduct("NEW-01")).to.equal(undefined);
    });
  });

  describe("DELETE /admin/products/{sku}", () => {
    it("takes the product off sale: 200 with the product now inactive, gone from GET /products", async () => {
      await store().importCatalog(catalogFile(2), NOW);

      const r = await answer(handleDeleteProduct, deleteEvent("SKU-0001"), deps());
      const deleteLog = [...logged];
      const list = await answer(handleListProducts, listEvent(), deps());

      expect(r.status).to.equal(200);
      expect(r.body).to.include({ sku: "SKU-0001", active: false, version: 2 });
      expect(list.body.products.map((p: { sku: string }) => p.sku)).to.deep.equal(["SKU-0002"]);
      expect(deleteLog.some((l) => l.includes("catalog product deactivated"))).to.equal(true);
    });

    it("answers 404 for an unknown SKU, 403 for a non-admin, 401 without claims, 412 for a stale If-Match", async () => {
      await store().putProduct("MUG-01", productInput("MUG-01"), NOW);
      const codes = [];
      for (const e of [
        deleteEvent("NO-SUCH"),
        deleteEvent("MUG-01", { claims: ALICE }),
        deleteEvent("MUG-01", { claims: null }),
        deleteEvent("MUG-01", { headers: { "If-Match": '"7"' } }),
      ])
        codes.push((await answer(handleDeleteProduct, e, deps())).status);
      expect(codes).to.deep.equal([404, 403, 401, 412]);
      expect((await store().getProduct("MUG-01"))?.active).to.equal(true);
    });
  });
});
