/**
 * The API's OpenAPI 3.1 document, built from the zod schemas that validate requests
 * (runtime/domain/order.ts) and the route table (API_ROUTES). It lives outside runtime/ so the
 * Lambda bundle never pulls in the generator. `npm run openapi` writes openapi/openapi.json.
 */
import { z } from "zod";
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import * as errors from "../runtime/errors";
import { ApiError, toErrorResponse, type ErrorCode } from "../runtime/errors";
import {
  addressSchema,
  buyerInputSchema,
  createOrderBodySchema,
  LIMITS,
  LIST_LIMITS,
  listOrdersQuerySchema,
  ORDER_STATUSES,
  vatCheckSchema,
} from "../runtime/domain/order";
import { EXEMPTION_REASON_CODES, TAX_RULES, VAT_CATEGORY_CODES } from "../runtime/domain/tax/codes";
import { productInputSchema, TAX_CATEGORIES } from "../runtime/domain/catalog";
import { CREDIT_NOTE_ID_PATTERN } from "../runtime/domain/ids";
import { API_ROUTES } from "../runtime/handlers/order-api";
import { CATALOG_MAX_AGE_SECONDS } from "../runtime/handlers/catalog-api";
import { ADMIN_LIST_LIMITS, resendBodySchema } from "../runtime/handlers/admin-api";
import { creditNoteBodySchema } from "../runtime/handlers/admin-corrections";
import { EXPORT_LIMITS } from "../runtime/handlers/admin-export";
import { ADMIN_GROUP } from "../runtime/contracts/routes";
import { gatewayResponses } from "../components/api-routes";

extendZodWithOpenApi(z);

/** One instance of every error class the API answers with (runtime/errors.ts). */
function apiErrors(): ApiError[] {
  return Object.entries(errors)
    .filter(([name, value]) => typeof value === "function" && value.prototype instanceof ApiError)
    .map(([, value]) => new (value as unknown as new (m: string, d?: unknown, x?: unknown) => ApiError)("x", undefined, {}));
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
const DUE_BY_EXAMPLE = "2026-11-25T20:10:37.859Z";
const eur = (amount: number) => ({ amount, currency: "EUR" });
const ALICE_ADDRESS = { name: "Alice Example", line1: "Hauptstr. 5", city: "Berlin", postalCode: "10115", country: "DE" };
const LINKS = { self: `/orders/${ORDER_ID_EXAMPLE}` };
/** The example order's head and totals, as every answer about it shows them. */
const PLACED = {
  orderId: ORDER_ID_EXAMPLE,
  createdAt: CREATED_AT_EXAMPLE,
  currency: "EUR",
  shipping: { method: "standard", name: "Standard shipping", price: eur(490) },
  subtotal: eur(5738),
  tax: eur(1090),
  total: eur(6828),
};

/**
 * Examples shown in the document; a test validates each against its schema and prices the order
 * example against the demo catalog (catalog/demo.json) with the dev stack's tax settings (a German seller, 19 %):
 * 2 x 19.99 + 12.50 + standard shipping to DE 4.90 = 57.38 net, 10.90 tax, 68.28 total.
 * The business example ships the same goods to France (shipping 9.90) for a buyer whose VAT ID VIES
 * confirms: an intra-Community supply, 62.38 net and no VAT.
 */
export const EXAMPLES = {
  createOrder: {
    items: [
      { sku: "TSHIRT-RED-M", quantity: 2, expectedUnitPrice: eur(1999) },
      { sku: "MUG-01", quantity: 1 },
    ],
    shippingAddress: ALICE_ADDRESS,
    billingAddress: "same-as-shipping",
    shipping: { method: "standard" },
    payment: { provider: "stripe", paymentMethod: "pm_card_visa" },
  },
  createBusinessOrder: {
    items: [
      { sku: "TSHIRT-RED-M", quantity: 2 },
      { sku: "MUG-01", quantity: 1 },
    ],
    shippingAddress: { name: "Exemple SARL", line1: "12 rue de la Paix", city: "Paris", postalCode: "75002", country: "FR" },
    billingAddress: { name: "Exemple SARL", line1: "3 avenue de l'Opéra", city: "Paris", postalCode: "75001", country: "FR" },
    buyer: { company: "Exemple SARL", vatId: "FR 32 123 456 789" },
    shipping: { method: "standard" },
    payment: { provider: "stripe", paymentMethod: "pm_card_visa" },
  },
  accepted: { ...PLACED, status: "PAID", payment: { provider: "stripe", card: { brand: "visa", last4: "4242" } }, links: LINKS },
  /** The same order paid with pm_card_threeDSecure2Required (or with no payment method): the client must act. */
  awaiting: {
    ...PLACED,
    status: "AWAITING_PAYMENT",
    payment: {
      provider: "stripe",
      status: "requires_action",
      clientSecret: "pi_3QxYzAbCdEfGhIjK_secret_LmNoPqRsTuVw",
      actionUrl: "http://127.0.0.1:41234/_standin/3ds/pi_3QxYzAbCdEfGhIjK",
      dueBy: DUE_BY_EXAMPLE,
    },
    links: LINKS,
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
        unitPrice: eur(1999),
        lineTotal: eur(3998),
        vat: { category: "S", rateBps: 1900 },
      },
      { sku: "MUG-01", name: "Coffee mug", quantity: 1, unitPrice: eur(1250), lineTotal: eur(1250), vat: { category: "S", rateBps: 1900 } },
    ],
    shippingAddress: ALICE_ADDRESS,
    billingAddress: ALICE_ADDRESS,
    buyer: { kind: "consumer" },
    shipping: { method: "standard", name: "Standard shipping", price: eur(490) },
    subtotal: eur(5738),
    tax: eur(1090),
    total: eur(6828),
    taxBreakdown: { rule: "domestic", ratesCountry: "DE", groups: [{ category: "S", rateBps: 1900, taxable: eur(5738), tax: eur(1090) }] },
    payment: { provider: "stripe", card: { brand: "visa", last4: "4242" }, paidAt: "2026-11-25T19:40:38.411Z", dueBy: DUE_BY_EXAMPLE },
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
        total: eur(6828),
        invoiceNumber: "INV-000001",
        links: { self: `/orders/${ORDER_ID_EXAMPLE}` },
      },
    ],
    nextCursor: "eyJ0IjoiMjAyNi0xMS0yNVQxOTo0MDozNy44NTlaIiwibyI6Im9yZF9IbWNzOWZabzZxS2xiTHdOYnRtTyIsImgiOiJ4In0",
  },
  products: {
    products: [
      { sku: "TSHIRT-RED-M", name: "T-shirt, red, M", prices: [eur(1999)], taxCategory: "standard" },
      { sku: "MUG-01", name: "Coffee mug", prices: [eur(1250)], taxCategory: "standard" },
    ],
    shippingMethods: [
      {
        id: "standard",
        name: "Standard shipping",
        taxCategory: "standard",
        zones: [
          { zone: "domestic", countries: ["DE"], prices: [eur(490)] },
          { zone: "world", countries: "*", prices: [eur(1990)] },
        ],
      },
    ],
  },
  productInput: {
    names: { en: "Coffee mug", de: "Kaffeebecher" },
    prices: { EUR: 1250, USD: 1390 },
    taxCategory: "standard",
    active: true,
  },
  product: {
    sku: "MUG-01",
    names: { en: "Coffee mug", de: "Kaffeebecher" },
    prices: { EUR: 1250, USD: 1390 },
    taxCategory: "standard",
    active: true,
    version: 2,
    updatedAt: "2026-11-25T19:12:03.004Z",
  },
  webhookReceived: { received: true, outcome: "paid" },
  vatCheckUnavailable: {
    error: {
      code: "VAT_CHECK_UNAVAILABLE",
      message:
        "The VAT ID IT01234560017 could not be confirmed with the EU's VIES service just now, and this shop sells VAT-free only with that " +
        "confirmation. Nothing was ordered or charged: send the order again later, or without the VAT ID to pay VAT.",
    },
  },
  error: {
    error: {
      code: "VALIDATION_FAILED",
      message: "The order is not valid; see details for each problem.",
      details: [{ path: "items.0.quantity", message: "Number must be greater than or equal to 1" }],
    },
  },
  priceChanged: {
    error: {
      currentPrices: [{ line: 0, sku: "TSHIRT-RED-M", unitPrice: eur(1999) }],
      code: "PRICE_CHANGED",
      message: "Prices changed since they were shown: show the customer the current prices and send the order again.",
      details: [{ path: "items.0.expectedUnitPrice", message: "is 1799, the price is now 1999 EUR" }],
    },
  },
};

/** Response schemas: what the handlers answer (test/openapi checks real answers against them). */
export function responseSchemas() {
  const money = z
    .object({ amount: z.number().int().nonnegative(), currency: z.string().regex(/^[A-Z]{3}$/) })
    .strict()
    .openapi("Money");
  const status = z.enum(ORDER_STATUSES).openapi("OrderStatus", {
    description:
      "AWAITING_PAYMENT -> PAID -> INVOICED -> NOTIFIED. AWAITING_PAYMENT -> PAYMENT_FAILED (declined; may still be paid until dueBy) -> EXPIRED (not paid in time) or CANCELLED (its payment was cancelled at the provider). Only PAID orders are invoiced. An admin's cancellation of a PAID order not yet invoiced: PAID -> CANCELLING (being refunded; never invoiced) -> CANCELLED.",
  });
  const orderId = z.string().regex(/^ord_[A-Za-z0-9]{10,40}$/);
  const links = z.object({ self: z.string() }).strict();
  const shipping = z.object({ method: z.string(), name: z.string(), price: money }).strict().openapi("ShippingLine");
  const card = z.object({ brand: z.string(), last4: z.string() }).strict();
  const payment = z
    .object({
      provider: z.string(),
      card: card.optional().openapi({ description: "The card that paid (brand and last 4 digits), once the provider says" }),
      status: z
        .enum(["requires_action", "requires_payment_method", "processing", "succeeded", "canceled"])
        .optional()
        .openapi({ description: "The provider's status of the payment, while the order awaits payment" }),
      clientSecret: z
        .string()
        .optional()
        .openapi({ description: "While awaiting payment: for the client to confirm or authenticate with the provider itself (Stripe.js)" }),
      actionUrl: z
        .string()
        .url()
        .optional()
        .openapi({ description: "Where the customer completes 3-D Secure, when the provider gives a URL" }),
      dueBy: z.string().datetime().optional().openapi({ description: "Unpaid by then, the order expires" }),
      paidAt: z.string().datetime().optional(),
      lastFailure: z.string().optional().openapi({ description: "Why the last payment attempt failed, in the provider's words" }),
    })
    .strict()
    .openapi("Payment");
  const codes = errorCatalogue().map((e) => e.code) as [ErrorCode, ...ErrorCode[]];
  const orderHead = { orderId, status, createdAt: z.string().datetime(), currency: z.string() };
  const totals = { shipping, subtotal: money, tax: money, total: money };
  const prices = z.array(money).openapi({ description: "One price per currency (with ?currency=, only that one)" });
  const names = {
    name: z.string().optional().openapi({ description: "With ?lang=: the name in that language (else the shop's)" }),
    names: z.record(z.string()).optional().openapi({ description: "Without ?lang=: the name in every language, by ISO 639-1 code" }),
  };
  const taxCategory = z.enum(TAX_CATEGORIES);
  const vatCategory = z.enum(VAT_CATEGORY_CODES).openapi({
    description:
      "EN 16931 VAT category code: S standard/reduced rate, Z zero, E exempt, K intra-Community supply, AE reverse charge, G export, O outside the scope",
  });
  const rateBps = z.number().int().min(0).max(10_000).openapi({ description: "The VAT rate in basis points (1900 = 19 %)" });
  const buyer = z
    .object({
      kind: z.enum(["consumer", "business"]).openapi({ description: "business when the order named a company or VAT ID" }),
      company: z.string().optional(),
      vatId: z.string().optional().openapi({ description: "Normalized: prefix and number, no separators (FR32123456789)" }),
      vatIdCheck: vatCheckSchema().shape.outcome.optional().openapi({
        description:
          "What VIES said, when it was asked (a sale to another member state): valid (the sale is VAT-free), invalid, unanswered or no-consultation-number (VAT charged)",
      }),
    })
    .strict()
    .openapi("Buyer");
  const taxBreakdown = z
    .object({
      rule: z.enum(TAX_RULES).openapi({ description: "The rule that decided the VAT" }),
      ratesCountry: z
        .string()
        .length(2)
        .optional()
        .openapi({ description: "The member state whose rates apply; absent when no VAT is charged" }),
      groups: z.array(
        z
          .object({
            category: vatCategory,
            rateBps,
            exemptionReason: z.enum(EXEMPTION_REASON_CODES).optional().openapi({ description: "VATEX code, for K, AE, G and O" }),
            taxable: money,
            tax: money,
          })
          .strict(),
      ),
    })
    .strict()
    .openapi("TaxBreakdown", { description: "The VAT per category and rate (EN 16931 BG-23), shipping included" });
  return {
    money,
    accepted: z
      .object({ ...orderHead, ...totals, payment, links })
      .strict()
      .openapi("OrderAccepted", { example: EXAMPLES.accepted as never }),
    order: z
      .object({
        ...orderHead,
        lines: z.array(
          z
            .object({
              sku: z.string(),
              name: z.string(),
              quantity: z.number().int().positive(),
              unitPrice: money,
              lineTotal: money,
              vat: z
                .object({ category: vatCategory, rateBps })
                .strict()
                .openapi({ description: "The line's VAT category (EN 16931 BT-151) and rate (BT-152)" }),
            })
            .strict(),
        ),
        shippingAddress: z.record(z.string()),
        billingAddress: z
          .record(z.string())
          .openapi({ description: 'Where the invoice is addressed ("same-as-shipping": the shipping address)' }),
        buyer,
        ...totals,
        taxBreakdown,
        payment,
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
    adminList: z
      .object({
        orders: z.array(
          z
            .object({
              orderId,
              status,
              createdAt: z.string().datetime(),
              customer: z.object({ id: z.string(), email: z.string() }).strict(),
              total: money,
              invoiceNumber: z.string().nullable(),
              links,
            })
            .strict()
            .openapi("AdminOrderSummary"),
        ),
        nextCursor: z
          .string()
          .nullable()
          .openapi({ description: "Pass as `cursor`, with the same filters, for the next page; null on the last page" }),
      })
      .strict()
      .openapi("AdminOrderList"),
    cancelled: z
      .object({
        orderId: z.string(),
        status: z.literal("CANCELLED"),
        refund: z
          .object({ refundId: z.string(), status: z.string(), amount: money })
          .optional()
          .openapi({ description: "The refund of the payment taken, as the provider reported it" }),
      })
      .openapi("CancelledOrder", {
        example: {
          orderId: ORDER_ID_EXAMPLE,
          status: "CANCELLED",
          refund: { refundId: "re_3QjX8aLkdIwHu7ix", status: "succeeded", amount: eur(6828) },
        },
      }),
    resent: z
      .object({ orderId: z.string(), status: z.literal("INVOICED"), to: z.string() })
      .openapi("InvoiceResent", { example: { orderId: ORDER_ID_EXAMPLE, status: "INVOICED", to: "alice@example.com" } }),
    adminOrder: z
      .object({
        order: z.record(z.unknown()).openapi({ description: "The order as stored (lines, addresses, buyer, tax, totals)" }),
        status,
        payment: z
          .record(z.unknown())
          .openapi({ description: "provider, paymentId, dueBy, paidAt, card, lastFailure, closedAt, closeReason" }),
        invoice: z
          .object({
            number: z.string(),
            issuedAt: z.string().nullable(),
            key: z.string().nullable(),
            invoicedAt: z.string().nullable(),
            url: z.string().url().nullable().openapi({ description: "A short-lived presigned URL of the PDF, once the invoice is stored" }),
          })
          .strict()
          .nullable(),
        creditNotes: z
          .array(
            z
              .object({
                creditNoteId: z.string(),
                number: z.string().nullable().openapi({ description: "CN-000001; null until the worker numbered it" }),
                issuedAt: z.string().nullable(),
                status: z.enum(["REQUESTED", "ISSUED", "NOTIFIED", "VOID"]),
                kind: z.enum(["full", "partial", "amount"]),
                reason: z.string(),
                total: money,
                refund: z.object({ refundId: z.string(), status: z.string(), amount: money }).strict().nullable(),
                origin: z.record(z.unknown()).openapi({ description: '{"by":"admin","adminSub"} or {"by":"provider","refundId"}' }),
                url: z.string().url().nullable().openapi({ description: "A short-lived presigned URL of the PDF, once it is stored" }),
              })
              .strict()
              .openapi("AdminCreditNote"),
          )
          .openapi({ description: "The order's credit notes, in the order they were requested" }),
        email: z.record(z.unknown()).openapi({ description: "to, messageId, status, failure, outcomeAt, notifiedAt, previousMessageIds" }),
        timeline: z.array(z.object({ at: z.string(), event: z.string(), detail: z.string().optional() }).strict()),
      })
      .strict()
      .openapi("AdminOrder"),
    creditNote: z
      .object({
        creditNoteId: z.string(),
        orderId: z.string(),
        status: z.enum(["REQUESTED", "ISSUED", "NOTIFIED", "VOID"]),
        number: z.string().nullable().openapi({ description: "CN-000001 once the worker numbered it; null while REQUESTED" }),
        invoiceNumber: z.string(),
        kind: z.enum(["full", "partial", "amount"]),
        reason: z.string(),
        total: money,
        refund: z.object({ refundId: z.string(), status: z.string(), amount: money }).strict().nullable(),
        origin: z.record(z.unknown()).openapi({ description: '{"by":"admin","adminSub"} or {"by":"provider","refundId"}' }),
        links: z.object({ order: z.string() }).strict(),
      })
      .strict()
      .openapi("CreditNote"),
    exportFile: z
      .object({
        filename: z.string().openapi({ example: "invoices_2026-11-01_2026-11-30.csv" }),
        contentType: z.string(),
        encoding: z.literal("base64"),
        content: z.string(),
        period: z.object({ from: z.string(), to: z.string() }).strict(),
        documents: z.object({ invoices: z.number().int(), creditNotes: z.number().int() }).strict(),
        rows: z.number().int(),
      })
      .strict()
      .openapi("ExportFile"),
    list: z
      .object({
        orders: z.array(
          z
            .object({ ...orderHead, total: money, invoiceNumber: z.string().nullable(), links })
            .strict()
            .openapi("OrderSummary"),
        ),
        nextCursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page" }),
      })
      .strict()
      .openapi("OrderList", { example: EXAMPLES.list as never }),
    catalog: z
      .object({
        products: z.array(
          z
            .object({ sku: z.string(), ...names, prices, taxCategory })
            .strict()
            .openapi("CatalogProduct"),
        ),
        shippingMethods: z.array(
          z
            .object({
              id: z.string(),
              ...names,
              taxCategory,
              zones: z.array(
                z
                  .object({
                    zone: z.string(),
                    countries: z
                      .union([z.literal("*"), z.array(z.string())])
                      .openapi({ description: '"*": every country no other zone names' }),
                    prices,
                  })
                  .strict(),
              ),
            })
            .strict()
            .openapi("ShippingMethod"),
        ),
      })
      .strict()
      .openapi("Catalog", { example: EXAMPLES.products as never }),
    product: z
      .object({
        sku: z.string(),
        names: z.record(z.string()),
        prices: z.record(z.number().int().nonnegative()).openapi({ description: "Minor units by ISO 4217 code" }),
        taxCategory,
        active: z.boolean(),
        version: z.number().int().positive().openapi({ description: "Grows with every change; the ETag is this number, quoted" }),
        updatedAt: z.string().datetime(),
      })
      .strict()
      .openapi("Product", { example: EXAMPLES.product as never }),
    webhookReceived: z
      .object({
        received: z.literal(true),
        outcome: z.string().openapi({
          description: "What the event did (paid, already-paid, failed, pending, refused, cancelled, unchanged, foreign, ignored)",
        }),
      })
      .strict()
      .openapi("WebhookReceived", { example: EXAMPLES.webhookReceived as never }),
    error: z
      .object({
        error: z
          .object({
            code: z.enum(codes),
            message: z.string().openapi({ description: "For people; do not parse" }),
            details: z.array(z.object({ path: z.string(), message: z.string() }).strict()).optional(),
            currentPrices: z
              .array(z.object({ line: z.number().int().nonnegative(), sku: z.string(), unitPrice: money }).strict())
              .optional()
              .openapi({ description: "PRICE_CHANGED only: the catalog's unit price of each line whose expectedUnitPrice differs" }),
            orderId: orderId.optional().openapi({
              description:
                "PAYMENT_DECLINED: the order, now PAYMENT_FAILED, that another payment method may still pay; PAYMENT_OUTCOME_UNKNOWN: the order kept for the same key's retry",
            }),
            clientSecret: z.string().optional().openapi({
              description:
                "PAYMENT_DECLINED only: the payment's client secret, to confirm it with another card before the deadline (as Stripe.js does after a decline); never logged or stored by the API",
            }),
          })
          .strict(),
      })
      .strict()
      .openapi("Error", { example: EXAMPLES.error as never }),
  };
}

/**
 * The body of POST /orders as documented: the validating schema, with the billing address (checked in code,
 * field by field) spelled out as the union it is, and the VAT ID's rules described.
 */
function createOrderBody() {
  const address = addressSchema().openapi("Address");
  const buyer = buyerInputSchema().innerType();
  return createOrderBodySchema()
    .extend({
      shippingAddress: address,
      billingAddress: z.union([z.literal("same-as-shipping"), address]).openapi({
        description: 'Where the invoice is addressed (VAT Directive Art. 226 (5)): an address, or "same-as-shipping"',
      }),
      buyer: buyer
        .extend({
          company: buyer.shape.company.openapi({ description: "The buyer's registered name, 1 to 200 characters" }),
          vatId: buyer.shape.vatId.openapi({
            description:
              "An EU VAT ID (prefix EL for Greece, GR accepted; XI for Northern Ireland), as typed: case, spaces, dots and dashes do not matter. " +
              "Prefix, format and check digits are checked at once; registration with VIES for a sale to another member state.",
            example: "FR32123456789",
          }),
        })
        .optional()
        .openapi({ description: "A business buyer; without it the buyer is a consumer. A VAT ID needs the company beside it" }),
    })
    .openapi("CreateOrder", { example: EXAMPLES.createOrder as never });
}

/** What each route of API_ROUTES documents; a route missing here fails the build of the document. */
type RouteDoc = Omit<RouteConfig, "method" | "path" | "responses" | "security"> & { ok: RouteConfig["responses"]; errors: ErrorCode[] };

function routeDocs(s: ReturnType<typeof responseSchemas>): Record<string, RouteDoc | undefined> {
  const orderIdParam = z.object({ orderId: z.string().openapi({ example: ORDER_ID_EXAMPLE }) });
  const skuParam = z.object({ sku: z.string().openapi({ example: "MUG-01", description: "Percent-encoded when it holds a /" }) });
  const json = (schema: z.ZodTypeAny) => ({ "application/json": { schema } });
  const ifMatch = z.object({
    "If-Match": z.string().optional().openapi({
      description: 'The product\'s ETag ("<version>") as last read, or *: any existing version. A newer version answers 412.',
      example: '"2"',
    }),
  });
  const productAnswer = (description: string) => ({
    description,
    headers: { ETag: { schema: { type: "string" as const }, description: 'The product\'s version, quoted: "3"' } },
    content: json(s.product),
  });
  const adminErrors: ErrorCode[] = [
    "VALIDATION_FAILED",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "PRECONDITION_FAILED",
    "SERVICE_UNAVAILABLE",
    "INTERNAL",
  ];
  return {
    "POST /orders": {
      operationId: "createOrder",
      summary: "Place and pay an order",
      description:
        "Lines name a SKU and a quantity; names, unit prices and the shipping price come from the catalog. " +
        "VAT comes from the tax engine, per product category and destination, at the rates of the order's day. " +
        'billingAddress is required: an address, or "same-as-shipping". A business buyer may send its company and VAT ID: ' +
        "prefix and check digits are checked at once (400 at buyer.vatId); for a sale to another EU member state the ID is checked with " +
        "the EU's VIES, and a confirmed one makes the sale an intra-Community supply without VAT. When VIES does not answer, the shop's " +
        "policy decides: charge VAT, or answer 503 VAT_CHECK_UNAVAILABLE (nothing recorded or charged; retry later, or without the VAT ID). " +
        "The order is recorded AWAITING_PAYMENT and the payment provider asked for the total. With a payment method that succeeds at once " +
        "(pm_card_visa) the answer is PAID and the order is on its way to its invoice; with one that needs 3-D Secure, or without a payment " +
        "method, it is AWAITING_PAYMENT with the client secret (and the provider's authentication URL): the webhook completes it. " +
        "A declined payment is 402 (the order is PAYMENT_FAILED). A client that sends a line's name or unitPrice (the old contract) is refused. " +
        "The same Idempotency-Key from the same customer within 24 h returns the first response (completing its payment if needed).",
      request: {
        headers: z.object({
          "Idempotency-Key": z
            .string()
            .regex(/^[\x21-\x7e]{1,128}$/)
            .optional()
            .openapi({ description: `1 to ${LIMITS.maxIdempotencyKeyLength} visible ASCII characters`, example: "checkout-7f3a" }),
        }),
        body: {
          required: true,
          content: {
            "application/json": {
              schema: createOrderBody(),
              examples: {
                consumer: { summary: "A consumer in Germany, billed at the shipping address", value: EXAMPLES.createOrder },
                business: {
                  summary: "A French business with its VAT ID: VAT-free once VIES confirms it",
                  value: EXAMPLES.createBusinessOrder,
                },
              },
            },
          },
        },
      },
      ok: {
        202: {
          description: "Accepted: recorded, and PAID (payment succeeded) or AWAITING_PAYMENT (the client must confirm or authenticate)",
          headers: {
            Location: { schema: { type: "string" }, description: "/orders/{orderId}" },
            "idempotent-replayed": { schema: { type: "string", enum: ["true"] }, description: "set on a replay" },
          },
          content: {
            "application/json": {
              schema: s.accepted,
              examples: {
                paid: { summary: "pm_card_visa: paid at once", value: EXAMPLES.accepted },
                awaiting: { summary: "pm_card_threeDSecure2Required: 3-D Secure needed", value: EXAMPLES.awaiting },
              },
            },
          },
        },
      },
      errors: [
        "INVALID_JSON",
        "VALIDATION_FAILED",
        "PAYMENT_DATA_NOT_ALLOWED",
        "CLIENT_PRICING_REFUSED",
        "UNAUTHENTICATED",
        "PAYMENT_DECLINED",
        "IDEMPOTENCY_KEY_REUSED",
        "PRICE_CHANGED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "ORDER_REJECTED",
        "PRODUCT_UNAVAILABLE",
        "PRICE_UNAVAILABLE",
        "SERVICE_UNAVAILABLE",
        "PAYMENT_OUTCOME_UNKNOWN",
        "VAT_CHECK_UNAVAILABLE",
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
      summary: "The emailed invoice (or credit-note) link",
      description:
        "No sign-in: the KMS HMAC signature in the query string is the credential. Redirects to a presigned URL of the PDF: " +
        "the order's invoice, or with `document` that credit note of the order (404 unless it is the order's and issued).",
      request: {
        params: orderIdParam,
        query: z.object({
          document: z
            .string()
            .regex(new RegExp(`^${CREDIT_NOTE_ID_PATTERN}$`))
            .optional()
            .openapi({ description: "A credit note of the order (signed with the rest of the link)", example: "cn_4f9a1c2b" }),
          expires: z.string().regex(/^\d+$/).openapi({ description: "Expiry, epoch seconds", example: "1767225600" }),
          sig: z.string().min(1).openapi({ description: "The link's signature", example: "3q2-7w" }),
        }),
      },
      ok: {
        302: { description: "Redirect to the PDF", headers: { Location: { schema: { type: "string" }, description: "presigned S3 URL" } } },
      },
      errors: ["LINK_INVALID", "NOT_FOUND", "LINK_EXPIRED", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
    "GET /products": {
      operationId: "listProducts",
      summary: "The storefront's catalog: active products and shipping methods",
      description:
        `No sign-in. Cacheable: \`Cache-Control: public, max-age=${CATALOG_MAX_AGE_SECONDS}\` and a strong ETag; send it back as If-None-Match for a 304. ` +
        "With `currency`, only what can be bought in it (and only its prices); with `lang`, one name per item.",
      request: {
        query: z.object({
          currency: z.string().optional().openapi({ description: "ISO 4217 code", example: "EUR" }),
          lang: z.string().optional().openapi({ description: "ISO 639-1 code; the shop's language where a name lacks it", example: "en" }),
        }),
        headers: z.object({ "If-None-Match": z.string().optional().openapi({ description: "The ETag of the copy the client holds" }) }),
      },
      ok: {
        200: {
          description: "The catalog",
          headers: {
            ETag: { schema: { type: "string" }, description: "Strong ETag of this answer" },
            "Cache-Control": { schema: { type: "string" }, description: `public, max-age=${CATALOG_MAX_AGE_SECONDS}` },
          },
          content: json(s.catalog),
        },
        304: { description: "Not modified: the If-None-Match names the current ETag", headers: { ETag: { schema: { type: "string" } } } },
      },
      errors: ["VALIDATION_FAILED", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
    "PUT /admin/products/{sku}": {
      operationId: "putProduct",
      summary: "Create or replace a product (shop admins)",
      description:
        `Only members of the Cognito group \`${ADMIN_GROUP}\` (else 403). 201 when created, 200 when replaced. ` +
        "If-Match makes the write conditional on the version the admin read (412 when someone changed it since). Every write is logged with the admin's identity.",
      request: {
        params: skuParam,
        headers: ifMatch,
        body: { required: true, content: json(productInputSchema().openapi("ProductInput", { example: EXAMPLES.productInput as never })) },
      },
      ok: { 200: productAnswer("Replaced"), 201: productAnswer("Created") },
      errors: ["INVALID_JSON", ...adminErrors, "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"],
    },
    "DELETE /admin/products/{sku}": {
      operationId: "deleteProduct",
      summary: "Take a product off sale (shop admins)",
      description:
        `Only members of \`${ADMIN_GROUP}\`. Soft: the product is kept, inactive (orders name it), and no longer sold or listed. ` +
        "An unknown SKU is 404; If-Match as for PUT.",
      request: { params: skuParam, headers: ifMatch },
      ok: { 200: productAnswer("Deactivated: the product as stored, active false") },
      errors: [...adminErrors, "NOT_FOUND"],
    },
    "GET /admin/orders": {
      operationId: "adminListOrders",
      summary: "Every customer's orders, newest first, filtered (shop admins)",
      description:
        `Only members of \`${ADMIN_GROUP}\` (else 403). Filters combine: status, creation range (from/to: a date or a UTC instant; without from, the last ${ADMIN_LIST_LIMITS.defaultMonths} months), ` +
        "customer email (exact, any case), invoice number (exact). A cursor is bound to the filters it came with. An unknown parameter is 400.",
      request: {
        query: z.object({
          status: z.enum(ORDER_STATUSES).optional(),
          from: z.string().optional().openapi({ example: "2026-11-01" }),
          to: z.string().optional().openapi({ example: "2026-11-30" }),
          email: z.string().optional().openapi({ example: "alice@example.com" }),
          number: z.string().optional().openapi({ example: "INV-000042" }),
          limit: z.string().optional().openapi({ type: "integer", minimum: 1, maximum: LIST_LIMITS.maxLimit }),
          cursor: z.string().optional().openapi({ description: "The nextCursor of the previous page, as given" }),
        }),
      },
      ok: { 200: { description: "One page", content: json(s.adminList) } },
      errors: ["VALIDATION_FAILED", "UNAUTHENTICATED", "FORBIDDEN", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
    "GET /admin/orders/{orderId}": {
      operationId: "adminGetOrder",
      summary: "One order's whole record and timeline (shop admins)",
      description: `Only members of \`${ADMIN_GROUP}\` (else 403, naming no order). Any customer's order, discarded ones included; 404 when none has the id.`,
      request: { params: orderIdParam },
      ok: { 200: { description: "The record", content: json(s.adminOrder) } },
      errors: ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
    "POST /admin/orders/{orderId}/credit-notes": {
      operationId: "adminCreateCreditNote",
      summary: "Correct an invoice with a credit note, refunding its total (shop admins)",
      description:
        `Only members of \`${ADMIN_GROUP}\`. Full, or chosen lines (0-based index into the order's lines) and quantities and, if asked, the whole shipping, ` +
        "at the invoice's prices and VAT. The credit note is reserved (never more than the invoice, summed over its credit notes: 422 OVER_CREDIT), " +
        "its total refunded through the payment provider (once per credit note), then numbered in its own gap-free series (CN-000001), rendered and emailed by the pipeline. " +
        "An Idempotency-Key is required: the same key answers the same credit note, and completes it if the provider did not answer before (503). " +
        "An order without an invoice is 409 NOT_INVOICED (cancel it instead).",
      request: {
        params: orderIdParam,
        headers: z.object({ "Idempotency-Key": z.string().openapi({ example: "6f1d4c1e-credit-1" }) }),
        body: {
          required: true,
          content: json(
            creditNoteBodySchema().openapi("CreditNoteRequest", {
              example: { kind: "partial", reason: "One mug arrived broken", lines: [{ line: 1, quantity: 1 }], shipping: false } as never,
            }),
          ),
        },
      },
      ok: {
        202: {
          description: "Reserved and refunded; the worker numbers and renders it (status REQUESTED, then ISSUED, then NOTIFIED)",
          content: json(s.creditNote),
        },
      },
      errors: [
        "INVALID_JSON",
        "VALIDATION_FAILED",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "NOT_INVOICED",
        "IDEMPOTENCY_KEY_REUSED",
        "CREDIT_NOTE_REFUSED",
        "REFUND_REFUSED",
        "UNSUPPORTED_MEDIA_TYPE",
        "PAYLOAD_TOO_LARGE",
        "SERVICE_UNAVAILABLE",
        "INTERNAL",
      ],
    },
    "POST /admin/orders/{orderId}/cancel": {
      operationId: "adminCancelOrder",
      summary: "Cancel an order not invoiced yet, refunding a payment taken (shop admins)",
      description:
        `Only members of \`${ADMIN_GROUP}\` (else 403). Idempotency-Key required. An unpaid order's payment is cancelled at the provider ` +
        "(one that succeeded meanwhile is refunded instead); a PAID order not numbered yet becomes CANCELLING (no invoice number can be given to it " +
        "from then on), is refunded in full at the provider (once per order, whatever the key: its refund's id is cancel-<orderId>), then CANCELLED. " +
        "A cancelled order answers 200 as before. An invoiced order is 409 ORDER_INVOICED: it is corrected with a credit note. " +
        "A payment already refunded in full at the provider (its dashboard) is not refunded again: the order closes with that refund. " +
        "409 REFUND_REFUSED when the provider refuses the refund otherwise (the order stays CANCELLING, never invoiced). Recorded in the audit trail.",
      request: {
        params: orderIdParam,
        headers: z.object({
          "Idempotency-Key": z
            .string()
            .regex(/^[\x21-\x7e]{1,128}$/)
            .openapi({ description: `1 to ${LIMITS.maxIdempotencyKeyLength} visible ASCII characters`, example: "cancel-7f3a" }),
        }),
      },
      ok: { 200: { description: "Cancelled; `refund` when a payment was refunded", content: json(s.cancelled) } },
      errors: [
        "VALIDATION_FAILED",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "ORDER_INVOICED",
        "ORDER_NOT_CANCELLABLE",
        "REFUND_REFUSED",
        "SERVICE_UNAVAILABLE",
        "INTERNAL",
      ],
    },
    "POST /admin/orders/{orderId}/resend": {
      operationId: "adminResendInvoice",
      summary: "Email an order's invoice again, with a fresh link (shop admins)",
      description:
        `Only members of \`${ADMIN_GROUP}\` (else 403). An INVOICED or NOTIFIED order's invoice goes to the notifier again, ` +
        "to `email` or to its last recipient, with a freshly signed link. One re-send per order per 10 minutes (429 RESEND_TOO_SOON with Retry-After). " +
        "409 NOT_INVOICED before the invoice exists. Recorded in the audit trail.",
      request: {
        params: orderIdParam,
        body: { required: false, content: json(resendBodySchema().openapi("ResendRequest", { example: { email: "alice@example.com" } })) },
      },
      ok: { 202: { description: "Handed to the notifier", content: json(s.resent) } },
      errors: [
        "INVALID_JSON",
        "VALIDATION_FAILED",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "NOT_INVOICED",
        "RESEND_TOO_SOON",
        "UNSUPPORTED_MEDIA_TYPE",
        "PAYLOAD_TOO_LARGE",
        "SERVICE_UNAVAILABLE",
        "INTERNAL",
      ],
    },
    "GET /admin/exports": {
      operationId: "adminExport",
      summary: "The invoices and credit notes of a period, for the accountant (shop admins)",
      description:
        `Only members of \`${ADMIN_GROUP}\`. Documents issued from \`from\` to \`to\` (days, UTC, inclusive; at most ${EXPORT_LIMITS.maxDays} days), one row per document and VAT group. ` +
        "`csv`: UTF-8 with a byte-order mark, comma-separated, credit notes negative. `datev`: a DATEV Buchungsstapel (EXTF 700, SKR03 revenue accounts), Windows-1252, " +
        "needing the tax adviser's consultant and client numbers. The file is base64 in `content`, named in `filename`. Every export is recorded in the audit trail.",
      request: {
        query: z.object({
          from: z.string().openapi({ example: "2026-11-01" }),
          to: z.string().openapi({ example: "2026-11-30" }),
          format: z.enum(["csv", "datev"]),
          consultant: z.string().optional().openapi({ description: "DATEV Beraternummer (datev only)", example: "1001" }),
          client: z.string().optional().openapi({ description: "DATEV Mandantennummer (datev only)", example: "1" }),
          debtorAccount: z.string().optional().openapi({ description: "The collective debtor account (datev; default 10000)" }),
          fiscalYearStart: z
            .string()
            .optional()
            .openapi({ description: "Start of the fiscal year (datev; default 1 January of from's year)" }),
        }),
      },
      ok: { 200: { description: "The file", content: json(s.exportFile) } },
      errors: ["VALIDATION_FAILED", "UNAUTHENTICATED", "FORBIDDEN", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE", "INTERNAL"],
    },
    "POST /webhooks/stripe": {
      operationId: "stripeWebhook",
      summary: "Stripe's payment events (for Stripe only)",
      description:
        "No sign-in: the Stripe-Signature header over the raw body, made with the endpoint's signing secret, is the credential (Stripe's tolerance: 5 minutes). " +
        "payment_intent.succeeded makes a matching order PAID and queues it, payment_intent.payment_failed PAYMENT_FAILED, payment_intent.canceled CANCELLED. " +
        "Duplicate, out-of-order and foreign events (another order's payment, another amount or currency) change nothing and answer 200; " +
        "an event for an order not (yet) recorded answers 404, so Stripe delivers it again later.",
      request: {
        headers: z.object({
          "Stripe-Signature": z
            .string()
            .openapi({ example: "t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd" }),
        }),
        body: {
          required: true,
          content: json(
            z
              .object({ id: z.string(), type: z.string(), data: z.object({ object: z.record(z.unknown()) }) })
              .passthrough()
              .openapi("StripeEvent", {
                description: "A Stripe Event (https://docs.stripe.com/api/events/object), sent by Stripe as it signed it",
              }),
          ),
        },
      },
      ok: { 200: { description: "Received; `outcome` says what it changed", content: json(s.webhookReceived) } },
      errors: ["SIGNATURE_INVALID", "NOT_FOUND", "SERVICE_UNAVAILABLE", "INTERNAL"],
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
