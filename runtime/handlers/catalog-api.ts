import { createHash } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { once } from "../memo";
import { languageSchema, nameIn, productInputSchema, skuSchema, type Product } from "../domain/catalog";
import { currencySchema } from "../domain/order";
import { CatalogStore, CatalogVersionConflict, type ProductWrite, type StoredShippingMethod } from "../domain/catalog-store";
import { Forbidden, NotFound, PreconditionFailed, Unauthenticated, ValidationFailed } from "../errors";
import { ADMIN_GROUP } from "../contracts/routes";
import { header, issuesOf, parseJsonText, readJsonText } from "./order-request";
import type { Logger } from "../log";
import { auditAdminAction } from "./admin-audit";

/**
 * The catalog routes: GET /products (public, cacheable) and the admins' PUT and DELETE
 * /admin/products/{sku}. The router (order-api.ts) adds them to its routes; OrderApiDeps is a superset of these deps.
 */

/** What the catalog routes need. */
export interface CatalogApiDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly settings: { readonly ordersTable: string };
  readonly now: () => Date;
  readonly log: Logger;
}

/** How long browsers and CDNs may reuse a catalog listing without asking again. */
export const CATALOG_MAX_AGE_SECONDS = 60;

const listQuerySchema = once(() => z.object({ currency: currencySchema().optional(), lang: languageSchema().optional() }));

const money = (prices: Readonly<Record<string, number>>, currency?: string) =>
  Object.entries(prices)
    .filter(([c]) => currency === undefined || c === currency)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([c, amount]) => ({ amount, currency: c }));

/** The names of an item: the one in `lang` (or its fallback) when asked for, else every language. */
const namesOf = (names: Readonly<Record<string, string>>, lang?: string) => (lang ? { name: nameIn(names, lang) } : { names });

/** The body of GET /products: active products and shipping methods; with `currency`, only what can be bought in it. */
export function catalogView(
  catalog: { products: Product[]; shippingMethods: StoredShippingMethod[] },
  q: { currency?: string; lang?: string },
) {
  const products = catalog.products
    .map((p) => ({ sku: p.sku, ...namesOf(p.names, q.lang), prices: money(p.prices, q.currency), taxCategory: p.taxCategory }))
    .filter((p) => p.prices.length > 0);
  const shippingMethods = catalog.shippingMethods
    .map((m) => ({
      id: m.id,
      ...namesOf(m.names, q.lang),
      taxCategory: m.taxCategory,
      zones: m.zones
        .map((z) => ({ zone: z.zone, countries: z.countries, prices: money(z.prices, q.currency) }))
        .filter((z) => z.prices.length),
    }))
    .filter((m) => m.zones.length > 0);
  return { products, shippingMethods };
}

/** Does an If-None-Match header name `etag` (weak comparison, as RFC 9110 has it for If-None-Match)? */
function noneMatchHits(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** GET /products?currency&lang: the storefront's catalog, public and cacheable, 304 when the client's copy is current. */
export async function handleListProducts(event: APIGatewayProxyEvent, deps: CatalogApiDeps): Promise<APIGatewayProxyResult> {
  const q = listQuerySchema().safeParse(event.queryStringParameters ?? {});
  if (!q.success) {
    throw new ValidationFailed(
      "The query string is not valid; see details.",
      q.error.issues.map((i) => ({ path: `query.${i.path.join(".")}`, message: i.message })),
    );
  }
  const catalog = await new CatalogStore(deps.ddb, deps.settings.ordersTable).listActive();
  const body = JSON.stringify(catalogView(catalog, q.data));
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const headers = { "cache-control": `public, max-age=${CATALOG_MAX_AGE_SECONDS}`, etag, vary: "Accept-Encoding" };
  if (noneMatchHits(header(event, "if-none-match"), etag)) return { statusCode: 304, headers, body: "" };
  return { statusCode: 200, headers: { "content-type": "application/json; charset=utf-8", ...headers }, body };
}

/**
 * The groups of a verified Cognito token as API Gateway's REST authorizer passes them: a string
 * such as "[a, b]", "a,b" or "a b" (or an array, as an HTTP API or a test may give).
 */
export function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== "string") return [];
  return claim
    .replace(/^\s*\[|\]\s*$/g, "")
    .split(/[,\s]+/)
    .map((g) => g.trim().replace(/^"|"$/g, ""))
    .filter(Boolean);
}

/** Who the admin is: the verified claims must name a user (else 401) in the shop admins' group (else 403). `what` names the task. */
export function adminFromClaims(event: APIGatewayProxyEvent, what = "change the catalog"): { sub: string; email?: string } {
  const claims = (event.requestContext?.authorizer?.claims ?? {}) as Record<string, unknown>;
  if (typeof claims.sub !== "string" || !claims.sub) {
    throw new Unauthenticated(`Sign in as a shop admin to ${what}: the request carries no verified identity.`);
  }
  if (!groupsOf(claims["cognito:groups"]).includes(ADMIN_GROUP)) {
    throw new Forbidden(
      `Only shop admins may ${what}, and your account is not one (it is not in the ${ADMIN_GROUP} group). Ask an admin to add you.`,
    );
  }
  return { sub: claims.sub, email: typeof claims.email === "string" ? claims.email : undefined };
}

/** The SKU of the path, decoded; 400 when it is no SKU. */
function skuOf(event: APIGatewayProxyEvent): string {
  let raw = event.pathParameters?.sku ?? "";
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // not percent-encoded: checked as it is
  }
  const sku = skuSchema().safeParse(raw);
  if (!sku.success || sku.data !== raw) {
    throw new ValidationFailed("The SKU in the path is not valid.", [
      { path: "path.sku", message: sku.success ? "has surrounding spaces" : sku.error.issues[0].message },
    ]);
  }
  return sku.data;
}

/** The version an If-Match header requires: undefined without one; `"<version>"` (strong) else 412. "*": any existing version. */
function expectedVersionOf(event: APIGatewayProxyEvent): number | "*" | undefined {
  const v = header(event, "if-match")?.trim();
  if (v === undefined) return undefined;
  if (v === "*") return "*";
  const m = /^"(\d{1,15})"$/.exec(v);
  if (!m) throw new PreconditionFailed(`If-Match must be the product's ETag, such as "3" (its version); "${v.slice(0, 40)}" is none.`);
  return Number(m[1]);
}

/** The body of an admin answer: the product as stored. */
const productView = (p: Product) => ({
  sku: p.sku,
  names: p.names,
  prices: p.prices,
  taxCategory: p.taxCategory,
  active: p.active,
  version: p.version,
  updatedAt: p.updatedAt,
});

function productAnswer(status: number, p: Product): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", etag: `"${p.version}"` },
    body: JSON.stringify(productView(p)),
  };
}

/** Runs a versioned write, turning a version conflict into 412. */
async function versioned<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (e instanceof CatalogVersionConflict)
      throw new PreconditionFailed(`${e.message} Read the product again (its ETag is its version) and retry with that If-Match.`);
    throw e;
  }
}

/** Logs a product write and records it in the audit trail (after the write: a failed audit write is a 500 the admin sees). */
async function recordWrite(
  event: APIGatewayProxyEvent,
  deps: CatalogApiDeps,
  action: string,
  who: { sub: string; email?: string },
  sku: string,
  w: ProductWrite,
): Promise<void> {
  const detail = { beforeVersion: w.before?.version ?? null, afterVersion: w.after.version, changed: w.changed };
  deps.log.info(`catalog product ${action}`, { adminSub: who.sub, adminEmail: who.email, sku, ...detail });
  await auditAdminAction(deps, event, who, `product.${action}`, `product:${sku}`, detail);
}

/** PUT /admin/products/{sku}: creates (201) or replaces (200) a product; If-Match "<version>" makes it conditional (412). */
export async function handlePutProduct(event: APIGatewayProxyEvent, deps: CatalogApiDeps): Promise<APIGatewayProxyResult> {
  const who = adminFromClaims(event);
  const sku = skuOf(event);
  const expected = expectedVersionOf(event);
  const input = productInputSchema().safeParse(parseJsonText(readJsonText(event, "product"), "product"));
  if (!input.success) throw new ValidationFailed("The product is not valid; see details for each problem.", issuesOf(input.error));
  const store = new CatalogStore(deps.ddb, deps.settings.ordersTable);
  const w = await versioned(async () => {
    const version = expected === "*" ? ((await store.getProduct(sku))?.version ?? -1) : expected;
    return store.putProduct(sku, input.data, deps.now(), version);
  });
  await recordWrite(event, deps, w.before ? "replaced" : "created", who, sku, w);
  return productAnswer(w.before ? 200 : 201, w.after);
}

/** DELETE /admin/products/{sku}: takes the product off sale (kept, inactive: orders name it); 404 for an unknown SKU. */
export async function handleDeleteProduct(event: APIGatewayProxyEvent, deps: CatalogApiDeps): Promise<APIGatewayProxyResult> {
  const who = adminFromClaims(event);
  const sku = skuOf(event);
  const expected = expectedVersionOf(event);
  const store = new CatalogStore(deps.ddb, deps.settings.ordersTable);
  const w = await versioned(() => store.deactivateProduct(sku, deps.now(), expected === "*" ? undefined : expected));
  if (!w) throw new NotFound(`The catalog has no product ${sku}.`);
  await recordWrite(event, deps, "deactivated", who, sku, w);
  return productAnswer(200, w.after);
}
