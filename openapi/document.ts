/**
 * The API's OpenAPI 3.1 document, built from the zod schemas that validate requests
 * (runtime/domain/order.ts) and the route table (API_ROUTES). It lives outside runtime/ so the
 * Lambda bundle never pulls in the generator. `npm run openapi` writes openapi/openapi.json.
 */
import { z } from "zod";
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import * as errors from "../runtime/errors";
import { ApiError, toErrorResponse, type ErrorCode } from "../runtime/errors";
import { createOrderBodySchema, LIMITS, LIST_LIMITS, listOrdersQuerySchema } from "../runtime/domain/order";
import { API_ROUTES } from "../runtime/handlers/order-api";
import { gatewayResponses } from "../components/api-routes";

extendZodWithOpenApi(z);

/** One instance of every error class the API answers with (runtime/errors.ts). */
function apiErrors(): ApiError[] {
  return Object.values(errors)
    .filter((value) => typeof value === "function" && value.prototype instanceof ApiError)
    .map((value) => new (value as unknown as new (m: string) => ApiError)("x"));
}

/** A documented status: one status, or a family ("4XX": whichever 4xx API Gateway answered with). */
export type DocumentedStatus = number | "4XX";
/** Sorts a family after its single statuses ("4XX" after 429, before 500). */
export const statusOrder = (s: DocumentedStatus): number => (typeof s === "number" ? s : Number(s[0]) * 100 + 99.5);

/**
 * Every error the API answers with: the error classes themselves (status and code), the 500 of an
 * unexpected error, then the codes only API Gateway answers with (its throttling, any other 4xx).
 */
export function errorCatalogue(): { status: DocumentedStatus; code: ErrorCode }[] {
  const out: { status: DocumentedStatus; code: ErrorCode }[] = apiErrors().map((e) => ({ status: e.status, code: e.code }));
  out.push({ status: toErrorResponse(new Error("unexpected")).status, code: "INTERNAL" });
  for (const g of gatewayResponses()) {
    const code = g.body.error.code;
    if (out.some((o) => o.code === code)) continue;
    if (g.status === "5XX") throw new Error(`${g.responseType}: a 5xx family code must be one the API documents (${code})`);
    out.push({ status: g.status, code });
  }
  return out.sort((a, b) => statusOrder(a.status) - statusOrder(b.status) || a.code.localeCompare(b.code));
}

/** The codes whose answers carry `Retry-After`: the API's own (retryAfterSeconds) and API Gateway's throttling. */
export function retryAfterCodes(): ErrorCode[] {
  const out = new Set<ErrorCode>(apiErrors().flatMap((e) => (e.retryAfterSeconds ? [e.code] : [])));
  for (const g of gatewayResponses()) if ("Retry-After" in g.headers) out.add(g.body.error.code);
  return [...out].sort();
}

const ORDER_ID_EXAMPLE = "ord_Hmcs9fZo6qKlbLwNbtmO";
const CREATED_AT_EXAMPLE = "2026-11-25T19:40:37.859Z";

/** Examples shown in the document; a test validates each against its schema. */
export const EXAMPLES = {
  createOrder: {
    items: [
      { sku: "TSHIRT-RED-M", name: "T-shirt, red, M", quantity: 2, unitPrice: { amount: 1999, currency: "EUR" } },
      { sku: "MUG-01", name: "Coffee mug", quantity: 1, unitPrice: { amount: 850, currency: "EUR" } },
    ],
    shippingAddress: { name: "Alice Example", line1: "Hauptstr. 5", city: "Berlin", postalCode: "10115", country: "DE" },
    payment: { provider: "stripe", token: "tok_1NXa2bCdEfGh", last4: "4242", brand: "Visa" },
  },
  // The dev stack's (and npm start's) tax rate: 1900 bps, Pulumi.dev.yaml taxRateBps.
  accepted: {
    orderId: ORDER_ID_EXAMPLE,
    status: "PENDING",
    createdAt: CREATED_AT_EXAMPLE,
    currency: "EUR",
    subtotal: { amount: 4848, currency: "EUR" },
    tax: { amount: 921, currency: "EUR" },
    total: { amount: 5769, currency: "EUR" },
    links: { self: `/orders/${ORDER_ID_EXAMPLE}` },
  },
  order: {
    orderId: ORDER_ID_EXAMPLE,
    status: "INVOICED",
    createdAt: CREATED_AT_EXAMPLE,
    currency: "EUR",
    lines: [
      {
        sku: "TSHIRT-RED-M",
        name: "T-shirt, red, M",
        quantity: 2,
        unitPrice: { amount: 1999, currency: "EUR" },
        lineTotal: { amount: 3998, currency: "EUR" },
      },
      {
        sku: "MUG-01",
        name: "Coffee mug",
        quantity: 1,
        unitPrice: { amount: 850, currency: "EUR" },
        lineTotal: { amount: 850, currency: "EUR" },
      },
    ],
    shippingAddress: { name: "Alice Example", line1: "Hauptstr. 5", city: "Berlin", postalCode: "10115", country: "DE" },
    subtotal: { amount: 4848, currency: "EUR" },
    taxRateBps: 1900,
    tax: { amount: 921, currency: "EUR" },
    total: { amount: 5769, currency: "EUR" },
    invoice: {
      number: "INV-000001",
      issuedAt: "2026-11-25T19:40:39.120Z",
      url: "https://invoices.s3.amazonaws.com/invoices/ord_Hmcs9fZo6qKlbLwNbtmO.pdf?X-Amz-Signature=...",
    },
    notifiedAt: null,
  },
  list: {
    orders: [
      {
        orderId: ORDER_ID_EXAMPLE,
        status: "NOTIFIED",
        createdAt: CREATED_AT_EXAMPLE,
        currency: "EUR",
        total: { amount: 5769, currency: "EUR" },
        invoiceNumber: "INV-000001",
        links: { self: `/orders/${ORDER_ID_EXAMPLE}` },
      },
    ],
    nextCursor: "eyJ0IjoiMjAyNi0xMS0yNVQxOTo0MDozNy44NTlaIiwibyI6Im9yZF9IbWNzOWZabzZxS2xiTHdOYnRtTyIsImgiOiJ4In0",
  },
  error: {
    error: {
      code: "VALIDATION_FAILED",
      message: "The order is not valid; see details for each problem.",
      details: [{ path: "items.0.quantity", message: "Number must be greater than or equal to 1" }],
    },
  },
};

/** Response schemas: what the handlers answer (test/openapi checks real answers against them). */
export function responseSchemas() {
  const money = z
    .object({ amount: z.number().int().nonnegative(), currency: z.string().regex(/^[A-Z]{3}$/) })
    .strict()
    .openapi("Money");
  const status = z.enum(["PENDING", "INVOICED", "NOTIFIED"]).openapi("OrderStatus");
  const orderId = z.string().regex(/^ord_[A-Za-z0-9]{10,40}$/);
  const links = z.object({ self: z.string() }).strict();
  const codes = errorCatalogue().map((e) => e.code) as [ErrorCode, ...ErrorCode[]];
  return {
    money,
    accepted: z
      .object({
        orderId,
        status: z.literal("PENDING"),
        createdAt: z.string().datetime(),
        currency: z.string(),
        subtotal: money,
        tax: money,
        total: money,
        links,
      })
      .strict()
      .openapi("OrderAccepted", { example: EXAMPLES.accepted as never }),
    order: z
      .object({
        orderId,
        status,
        createdAt: z.string().datetime(),
        currency: z.string(),
        lines: z.array(
          z
            .object({ sku: z.string(), name: z.string(), quantity: z.number().int().positive(), unitPrice: money, lineTotal: money })
            .strict(),
        ),
        shippingAddress: z.record(z.string()),
        subtotal: money,
        taxRateBps: z.number().int().min(0).max(10_000),
        tax: money,
        total: money,
        invoice: z
          .object({
            number: z.string(),
            issuedAt: z.string().datetime(),
            url: z.string().url().openapi({ description: "Presigned S3 URL of the PDF, valid for a few minutes" }),
          })
          .strict()
          .nullable(),
        notifiedAt: z.string().datetime().nullable(),
      })
      .strict()
      .openapi("Order", { example: EXAMPLES.order as never }),
    list: z
      .object({
        orders: z.array(
          z
            .object({
              orderId,
              status,
              createdAt: z.string().datetime(),
              currency: z.string(),
              total: money,
              invoiceNumber: z.string().nullable(),
              links,
            })
            .strict()
            .openapi("OrderSummary"),
        ),
        nextCursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page" }),
      })
      .strict()
      .openapi("OrderList", { example: EXAMPLES.list as never }),
    error: z
      .object({
        error: z
          .object({
            code: z.enum(codes),
            message: z.string().openapi({ description: "For people; do not parse" }),
            details: z.array(z.object({ path: z.string(), message: z.string() }).strict()).optional(),
          })
          .strict(),
      })
      .strict()
      .openapi("Error", { example: EXAMPLES.error as never }),
  };
}

/** What each route of API_ROUTES documents; a route missing here fails the build of the document. */
type RouteDoc = Omit<RouteConfig, "method" | "path" | "responses" | "security"> & { ok: RouteConfig["responses"]; errors: ErrorCode[] };

function routeDocs(s: ReturnType<typeof responseSchemas>): Record<string, RouteDoc | undefined> {
  const orderIdParam = z.object({ orderId: z.string().openapi({ example: ORDER_ID_EXAMPLE }) });
  const json = (schema: z.ZodTypeAny) => ({ "application/json": { schema } });
  return {
    "POST /orders": {
      operationId: "createOrder",
      summary: "Place an order",
      description:
        "Validates, prices (tax from the stack's rate), records and enqueues the order. 202 only once the order is recorded and its message is on the queue. " +
        "The same Idempotency-Key from the same customer within 24 h returns the first response.",
      request: {
        headers: z.object({
          "Idempotency-Key": z
            .string()
            .regex(/^[\x21-\x7e]{1,128}$/)
            .optional()
            .openapi({ description: `1 to ${LIMITS.maxIdempotencyKeyLength} visible ASCII characters`, example: "checkout-7f3a" }),
        }),
        body: { required: true, content: json(createOrderBodySchema().openapi("CreateOrder", { example: EXAMPLES.createOrder as never })) },
      },
      ok: {
        202: {
          description: "Accepted: recorded and queued",
          headers: {
            Location: { schema: { type: "string" }, description: "/orders/{orderId}" },
            "idempotent-replayed": { schema: { type: "string", enum: ["true"] }, description: "set on a replay" },
          },
          content: json(s.accepted),
        },
      },
      errors: [
        "INVALID_JSON",
        "VALIDATION_FAILED",
        "PAYMENT_DATA_NOT_ALLOWED",
        "UNAUTHENTICATED",
        "IDEMPOTENCY_KEY_REUSED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "ORDER_REJECTED",
        "SERVICE_UNAVAILABLE",
        "ORDER_OUTCOME_UNKNOWN",
        "INTERNAL",
      ],
    },
    "GET /orders": {
      operationId: "listOrders",
      summary: "The signed-in customer's orders, newest first",
      description: `Pages of up to \`limit\` orders (default ${LIST_LIMITS.defaultLimit}). A cursor is bound to the customer it was issued to: another customer's, an altered or a malformed one is 400 VALIDATION_FAILED.`,
      request: {
        query: (() => {
          const q = listOrdersQuerySchema();
          return q.extend({
            limit: q.shape.limit.openapi({
              type: "integer",
              minimum: 1,
              maximum: LIST_LIMITS.maxLimit,
              description: `Orders per page, 1 to ${LIST_LIMITS.maxLimit}; default ${LIST_LIMITS.defaultLimit}`,
            }),
            cursor: q.shape.cursor.openapi({ description: "The nextCursor of the previous page, as given" }),
          });
        })(),
      },
      ok: { 200: { description: "One page", content: json(s.list) } },
      errors: ["VALIDATION_FAILED", "UNAUTHENTICATED", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
    "GET /orders/{orderId}": {
      operationId: "getOrder",
      summary: "One order of the signed-in customer",
      description: "Somebody else's order answers 404, exactly as an order that does not exist.",
      request: { params: orderIdParam },
      ok: { 200: { description: "The order; `invoice` once invoiced", content: json(s.order) } },
      errors: ["UNAUTHENTICATED", "NOT_FOUND", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
    "GET /invoices/{orderId}": {
      operationId: "openInvoiceLink",
      summary: "The emailed invoice link",
      description: "No sign-in: the KMS HMAC signature in the query string is the credential. Redirects to a presigned URL of the PDF.",
      request: {
        params: orderIdParam,
        query: z.object({
          expires: z.string().regex(/^\d+$/).openapi({ description: "Expiry, epoch seconds", example: "1767225600" }),
          sig: z.string().min(1).openapi({ description: "The link's signature", example: "3q2-7w" }),
        }),
      },
      ok: {
        302: { description: "Redirect to the PDF", headers: { Location: { schema: { type: "string" }, description: "presigned S3 URL" } } },
      },
      errors: ["LINK_INVALID", "NOT_FOUND", "LINK_EXPIRED", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
  };
}

/** OpenAPI's `{name}` templates are API Gateway's too; the path is the resource. */
export function buildOpenApiDocument(): ReturnType<OpenApiGeneratorV31["generateDocument"]> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent("securitySchemes", "cognitoIdToken", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Cognito ID token of the stack's user pool (locally: `npm run token`)",
  });
  const s = responseSchemas();
  const docs = routeDocs(s);
  const catalogue = errorCatalogue();
  const retrying = retryAfterCodes();
  for (const route of API_ROUTES) {
    const d = docs[`${route.method} ${route.resource}`];
    if (!d) throw new Error(`openapi/document.ts documents no route ${route.method} ${route.resource}`);
    const { ok, errors: codes, ...rest } = d;
    const responses: RouteConfig["responses"] = { ...ok };
    // API Gateway's own answers apply on every path: 404 for an unknown route, its throttling, any other 4xx.
    const withGateway = [...new Set<ErrorCode>([...codes, "NOT_FOUND", "THROTTLED", "REQUEST_REFUSED"])];
    for (const status of [...new Set(catalogue.filter((c) => withGateway.includes(c.code)).map((c) => c.status))]) {
      const here = catalogue.filter((c) => c.status === status && withGateway.includes(c.code)).map((c) => c.code);
      const retry = here.some((c) => retrying.includes(c))
        ? { headers: { "Retry-After": { schema: { type: "integer" as const }, description: "Seconds to wait before retrying" } } }
        : {};
      responses[status] = { description: here.join(", "), ...retry, content: { "application/json": { schema: s.error } } };
    }
    registry.registerPath({
      method: route.method.toLowerCase() as "get" | "post" | "put" | "delete",
      path: route.resource,
      ...rest,
      // Only "cognito" routes take the ID token; the signed link, the public catalog and the provider's webhook take none
      // (their credential, if any, is in the request itself: the link's signature, the webhook's signature header).
      security: route.auth === "cognito" ? [{ [bearer.name]: [] }] : [],
      responses,
    });
  }
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: "3.1.0",
    info: {
      title: "shop-backend order API",
      version: "1",
      description:
        "Orders in, invoices out. Money is integer minor units plus an ISO 4217 code. Every error has the one shape of the Error schema. " +
        "Error codes by status: " +
        catalogue.map((c) => `${c.status} ${c.code}`).join(", ") +
        ".",
    },
    servers: [
      { url: "http://127.0.0.1:3000", description: "npm start (the local pipeline)" },
      {
        url: "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
        description: "a deployed stack (its apiUrl output)",
        variables: { apiId: { default: "abc123" }, region: { default: "eu-central-1" }, stage: { default: "dev" } },
      },
    ],
  });
}
