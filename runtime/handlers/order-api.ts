import { createHash } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { S3Client } from "@aws-sdk/client-s3";
import { presignDocument } from "../invoices/presign";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { LIST_LIMITS, listOrdersQuerySchema, type Buyer, type CreateOrderBody, type PricedOrder } from "../domain/order";
import { taxDestination, vatIdDecides } from "../domain/tax/engine";
import { parseVatId } from "../domain/vat-id";
import { VatServiceUnavailable, type VatIdVerifier } from "../tax/vies";
import { decideVatExemption } from "../tax/vat-exemption";
import { PriceChanged, PriceUnavailable, priceOrder, ProductUnavailable, TotalOutOfRange, type CatalogSnapshot } from "../domain/pricing";
import { CatalogStore } from "../domain/catalog-store";
import { PaymentProviderUnavailable, PaymentRequestRefused, type PaymentProvider, type PaymentState } from "../payments/provider";
import { settlePayment, handlePaymentWebhook, sweepPayments } from "./payment-flow";
import { handleDeleteProduct, handleListProducts, handlePutProduct } from "./catalog-api";
import { handleAdminCreateCreditNote } from "./admin-corrections";
import { handleAdminExport } from "./admin-export";
import { handleAdminCancelOrder, handleAdminGetOrder, handleAdminListOrders, handleAdminResendInvoice } from "./admin-api";
import type { Notify } from "../invoices/resend";
import { EXPIRE_PAYMENTS_TASK } from "../contracts/payments";
import { resolveLocale } from "../i18n";
import { isLang } from "../i18n/langs";
import { customerFromClaims, parseCreateOrderRequest, type CreateOrderRequest } from "./order-request";
import { OrderStore, hasInvoice, isDiscarded, isIssued, type InvoicedRecord, type OrderRecord } from "../domain/store";
import {
  IdempotencyKeyReused,
  LinkExpired,
  LinkInvalid,
  NotFound,
  PaymentDeclined,
  PaymentOutcomeUnknown,
  PriceChangedError,
  PriceUnavailableError,
  ProductUnavailableError,
  ServiceUnavailable,
  VatCheckUnavailable,
  OrderRejected,
  ValidationFailed,
  toErrorResponse,
} from "../errors";
import { IDEMPOTENCY_TTL_SECONDS, type ApiSettings } from "../settings";
import type { LinkSigner } from "../invoices/link";
import { errorFields, type Logger } from "../log";
import { isCreditNoteId, isOrderId } from "../domain/ids";
import { isDependencyUnavailable } from "../clients";
import { type MetricsEmitter } from "../metrics";
import type { EventPublisher } from "../events";
import { METRICS } from "../contracts/metrics";
import { API_ROUTE_CONTRACT, routeKey, type RouteKey } from "../contracts/routes";

/** What the order API needs from the outside world. */
export interface OrderApiDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly links: LinkSigner;
  /** The payment provider (Stripe through its SDK; locally the same SDK against the stand-in). */
  readonly payments: PaymentProvider;
  /** Whether a buyer's VAT ID is registered (VIES; locally its stand-in). */
  readonly vatIds: VatIdVerifier;
  readonly settings: ApiSettings;
  readonly now: () => Date;
  readonly newOrderId: () => string;
  readonly log: Logger;
  readonly metrics: MetricsEmitter;
  /**
   * Hands an order's invoice back to the notifier (POST /admin/orders/{orderId}/resend).
   * @default through the bucket (notifyThroughBucket): the invoice copied onto itself, which S3 announces to the notifier
   */
  readonly notifyInvoice?: Notify;
  /** Publishes order.paid for other systems (runtime/events.ts). @default none: nothing is published */
  readonly events?: EventPublisher;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Canonical JSON (sorted keys), so equal bodies hash equally whatever their spacing or key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

function money(amount: number, currency: string) {
  return { amount, currency };
}

/** The order's totals as the API shows them: net lines and shipping, tax, total. */
function totals(o: PricedOrder) {
  return {
    shipping: { method: o.shipping.method, name: o.shipping.name, price: money(o.shipping.priceMinor, o.currency) },
    subtotal: money(o.subtotalMinor, o.currency),
    tax: money(o.taxMinor, o.currency),
    total: money(o.totalMinor, o.currency),
  };
}

/** Where the order's payment stands, for the client: what to do next while it awaits payment. */
function paymentView(rec: OrderRecord, state?: PaymentState) {
  const awaiting = rec.status === "AWAITING_PAYMENT" || rec.status === "PAYMENT_FAILED";
  return {
    provider: rec.order.payment.provider,
    ...(rec.paymentCard ? { card: rec.paymentCard } : {}),
    ...(awaiting && state
      ? {
          status: state.status,
          // For the client to confirm or authenticate with the provider itself; never logged or stored by us.
          ...(state.clientSecret ? { clientSecret: state.clientSecret } : {}),
          ...(state.actionUrl ? { actionUrl: state.actionUrl } : {}),
          dueBy: rec.paymentDueBy,
        }
      : {}),
  };
}

/** The 202 body of POST /orders: the order as recorded and, while it awaits payment, how to pay. */
export function acceptedBody(rec: OrderRecord, state?: PaymentState) {
  const order = rec.order;
  return {
    orderId: order.orderId,
    status: rec.status,
    createdAt: order.createdAt,
    currency: order.currency,
    ...totals(order),
    payment: paymentView(rec, state),
    links: { self: `/orders/${order.orderId}` },
  };
}

/**
 * POST /orders: validate, price from the catalog, record (AWAITING_PAYMENT), have the provider
 * create (and, given a payment method, confirm) the payment. A payment that succeeds at once makes
 * the order PAID and queues it in the same request; 3-D Secure and delayed methods finish through
 * the webhook. 202 with the order's status and, while it awaits payment, the client secret.
 */
export async function handleCreateOrder(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const request = parseCreateOrderRequest(event);
  const now = deps.now();
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const keyed = request.idempotencyKey !== undefined ? idempotencyOf(request, now) : undefined;
  if (keyed) {
    const replay = await replayExisting(deps, store, request, keyed, now);
    if (replay) return replay;
  }
  // Priced first (one catalog read, no VIES): a body that cannot be ordered is refused before VIES is asked
  // anything; then priced again with VIES's answer when the buyer's VAT ID decides the tax.
  const catalog = await new CatalogStore(deps.ddb, deps.settings.ordersTable).lookup(
    [...new Set(request.body.items.map((i) => i.sku))],
    request.body.shipping.method,
  );
  const orderId = deps.newOrderId();
  const unverified = buyerOf(request.body);
  const priced = priceRequest(request, unverified, catalog, orderId, deps, now);
  const buyer = await resolveBuyer(request.body, unverified, deps);
  const order = buyer === unverified ? priced : priceRequest(request, buyer, catalog, orderId, deps, now);
  const log = deps.log.child({ orderId: order.orderId });
  const dueBy = new Date(now.getTime() + deps.settings.paymentExpiryMinutes * 60_000).toISOString();
  if (keyed) {
    const created = await store.createOrderWithKey(order, keyed.keyHash, keyed.requestHash, keyed.expires, now, dueBy);
    if (created === "conflict") {
      // Another request with this key won the race: answer as its replay.
      const replay = await replayExisting(deps, store, request, keyed, now);
      if (replay) return replay;
      throw new Error("Idempotency record kept changing under us");
    }
  } else {
    await store.createOrder(order, dueBy);
  }
  const rec: OrderRecord = {
    order,
    status: "AWAITING_PAYMENT",
    paymentDueBy: dueBy,
    ...(keyed ? { idempotencyKeyHash: keyed.keyHash } : {}),
  };
  log.info("order recorded, awaiting payment", { lines: order.lines.length, totalMinor: order.totalMinor, currency: order.currency });
  deps.metrics.emit(METRICS.ordersAccepted, 1, {}, { orderId: order.orderId });
  return pay(deps, store, rec, request.body.payment.paymentMethod, log, {});
}

/** The Idempotency-Key's record fields for this request. */
function idempotencyOf(request: CreateOrderRequest, now: Date) {
  return {
    keyHash: sha256(request.idempotencyKey!),
    requestHash: sha256(canonical(request.body)),
    expires: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
  };
}

/**
 * A repeat of a keyed request: the first order's answer, completing its payment if that never
 * happened (the first request failed on the way). Undefined when the key is new; a different body
 * under the same key is refused.
 */
async function replayExisting(
  deps: OrderApiDeps,
  store: OrderStore,
  request: CreateOrderRequest,
  keyed: ReturnType<typeof idempotencyOf>,
  now: Date,
): Promise<APIGatewayProxyResult | undefined> {
  const existing = await store.getIdempotency(request.customer.id, keyed.keyHash, now);
  if (!existing) return undefined;
  if (existing.requestHash !== keyed.requestHash) {
    throw new IdempotencyKeyReused("This Idempotency-Key was already used for a different order. Use a new key for a new order.");
  }
  const rec = await store.get(existing.orderId);
  if (!rec) throw new Error(`Idempotency record points at missing order ${existing.orderId}`);
  const log = deps.log.child({ orderId: existing.orderId });
  const replayed = { "idempotent-replayed": "true" };
  if (rec.status === "AWAITING_PAYMENT" || rec.status === "PAYMENT_FAILED") {
    return pay(deps, store, rec, request.body.payment.paymentMethod, log, replayed);
  }
  return json(202, acceptedBody(rec), { ...replayed, location: `/orders/${rec.order.orderId}` });
}

/**
 * Has the provider create (idempotently per order) and maybe confirm the order's payment, applies
 * the outcome and answers. The provider unreachable: the order is taken back (closed, hidden, its key
 * released) when it has no payment yet (nothing half made), and the client is told to retry.
 */
async function pay(
  deps: OrderApiDeps,
  store: OrderStore,
  rec: OrderRecord,
  paymentMethod: string | undefined,
  log: Logger,
  headers: Record<string, string>,
): Promise<APIGatewayProxyResult> {
  const order = rec.order;
  let state: PaymentState;
  try {
    state = await deps.payments.createPayment({
      orderId: order.orderId,
      shop: deps.settings.ordersTable,
      amountMinor: order.totalMinor,
      currency: order.currency,
      paymentMethod,
      description: `Order ${order.orderId}`,
    });
  } catch (e) {
    if (e instanceof PaymentRequestRefused) throw await refusedPayment(store, rec, e, log, deps.now());
    if (!(e instanceof PaymentProviderUnavailable)) throw e;
    // Only a request that never reached the provider proves no payment exists: then the order is taken back.
    // Otherwise (a timeout, a 5xx) a payment may exist, so the order stays for its webhook, or for the same
    // key's retry (the provider's idempotency key is the order's), and expires unpaid if neither comes.
    const discarded = e.outcome === "not-sent" && !rec.paymentId ? await store.discardUnpaidOrder(rec, deps.now()) : false;
    log.error("payment provider unavailable at checkout", {
      alarm: "payment-provider-unavailable",
      outcome: e.outcome,
      discarded,
      ...errorFields(e),
    });
    if (discarded) throw new ServiceUnavailable(PROVIDER_UNAVAILABLE_MESSAGE);
    throw new PaymentOutcomeUnknown(PAYMENT_OUTCOME_UNKNOWN_MESSAGE, { orderId: order.orderId });
  }
  let outcome;
  let now: OrderRecord;
  try {
    outcome = await settlePayment(deps, store, rec, state, log);
    now = (await store.get(order.orderId)) ?? rec;
  } catch (e) {
    // The provider took the money but the store did not answer: the order is recorded and its payment is
    // the provider's, so the webhook (or the sweep) makes it PAID. "Retry" would make a keyless client
    // order and pay twice: the answer says the payment succeeded and the order is being completed.
    if (state.status !== "succeeded" || !isDependencyUnavailable(e)) throw e;
    log.error("payment succeeded but the order could not be read back as PAID; the webhook or the sweep completes it", {
      alarm: "paid-not-recorded",
      paymentId: state.paymentId,
      ...errorFields(e),
    });
    const known: OrderRecord = outcome === "paid" || outcome === "already-paid" ? { ...rec, status: "PAID" } : rec;
    return json(202, acceptedBody(known, state), { ...headers, location: `/orders/${order.orderId}` });
  }
  if (outcome === "refused") throw new Error(`the provider answered with a payment that is not order ${order.orderId}'s`);
  if (outcome === "failed") {
    const reason = state.failure?.message ?? "The payment was declined.";
    // The payment stays open at the provider until the deadline: the client may confirm it with another card
    // using the client secret (as Stripe.js does after a decline), or place the order again.
    throw new PaymentDeclined(
      `The payment was declined: ${reason} Pay with another card before ${now.paymentDueBy ?? "the deadline"} or place the order again.`,
      [{ path: "payment.paymentMethod", message: reason }],
      { orderId: order.orderId, ...(state.clientSecret ? { clientSecret: state.clientSecret } : {}) },
    );
  }
  return json(202, acceptedBody(now, state), { ...headers, location: `/orders/${order.orderId}` });
}

/** The provider refused the payment method or the amount: no payment exists, so the order is closed and its key taken back. */
async function refusedPayment(store: OrderStore, rec: OrderRecord, e: PaymentRequestRefused, log: Logger, now: Date): Promise<Error> {
  const discarded = rec.paymentId ? false : await store.discardUnpaidOrder(rec, now);
  log.warn("payment provider refused the payment request", { field: e.field, discarded, ...errorFields(e) });
  if (e.field === "paymentMethod") {
    const message = "is not a payment method the payment provider knows";
    return new ValidationFailed("The payment method is not one the payment provider knows: create it with the provider first.", [
      { path: "payment.paymentMethod", message },
    ]);
  }
  const message = "the order total is larger than the payment provider accepts";
  return new OrderRejected("The order total is larger than the payment provider accepts.", [{ path: "items", message }]);
}

/**
 * The buyer of the order. A VAT ID is asked of VIES only where it decides the tax: a sale to another
 * member state by a seller with a VAT ID of its own (without one VIES gives no consultation number to
 * keep as evidence). VIES's answer, or its absence under the shop's policy, is stored on the order.
 */
async function resolveBuyer(body: CreateOrderBody, buyer: Buyer, deps: OrderApiDeps): Promise<Buyer> {
  const vatId = buyer.vatId;
  if (!vatId) return buyer;
  const { sellerCountry, vatCheckPolicy, supplyKind, ossRegistered } = deps.settings.tax;
  const billing = body.billingAddress === "same-as-shipping" ? body.shippingAddress : body.billingAddress;
  // The tax engine says whether VIES's answer could change anything; the same rules then price the order.
  const destinationCountry = taxDestination(body.shippingAddress, billing, supplyKind);
  const parsed = parseVatId(vatId);
  if (!parsed.ok || !vatIdDecides({ sellerCountry, destinationCountry, buyer, ossRegistered, supplyKind })) return buyer;
  const answer = await deps.vatIds.check(parsed.vatId).catch((e: unknown) => {
    if (e instanceof VatServiceUnavailable) return e;
    throw e;
  });
  const decided = decideVatExemption(answer, vatCheckPolicy);
  // Holding helps only while asking again can succeed: a refusal VIES will repeat (our requester ID, a block) charges VAT.
  const decision =
    decided.treatment === "hold" && decided.failure?.retryable === false ? { ...decided, treatment: "charge-vat" as const } : decided;
  const log = deps.log.child({ vatId });
  if (decision.treatment === "exempt-with-evidence") {
    log.info("VIES confirmed the buyer's VAT ID", { requestIdentifier: decision.evidence.requestIdentifier });
    return { ...buyer, vatCheck: { outcome: "valid", ...decision.evidence } };
  }
  const outcome =
    decision.reason === "vat-id-invalid" ? "invalid" : decision.reason === "vies-unanswered" ? "unanswered" : "no-consultation-number";
  log.warn("the buyer's VAT ID is not confirmed: VAT is charged", { outcome, policy: vatCheckPolicy, failure: decision.failure?.code });
  if (decision.treatment === "hold") {
    throw new VatCheckUnavailable(
      `The VAT ID ${vatId} could not be confirmed with the EU's VIES service just now, and this shop sells VAT-free only with ` +
        "that confirmation. Nothing was ordered or charged: send the order again later, or without the VAT ID to pay VAT.",
    );
  }
  const check = decision.check;
  return {
    ...buyer,
    vatCheck: {
      outcome,
      vatId,
      source: "vies",
      ...(check?.requestDate ? { requestDate: check.requestDate } : {}),
      ...(check?.name ? { name: check.name } : {}),
      ...(decision.failure ? { failure: { code: decision.failure.code, message: decision.failure.message } } : {}),
    },
  };
}

/** The buyer as the body names it, before VIES: a business when it gives a company (and, with it, a VAT ID). */
function buyerOf(body: CreateOrderBody): Buyer {
  const company = body.buyer?.company;
  const vatId = body.buyer?.vatId;
  return { kind: company || vatId ? "business" : "consumer", ...(company ? { company } : {}), ...(vatId ? { vatId } : {}) };
}

/** Prices the order from the catalog (one lookup for every line and the shipping method). */
function priceRequest(
  request: CreateOrderRequest,
  buyer: Buyer,
  catalog: CatalogSnapshot,
  orderId: string,
  deps: OrderApiDeps,
  now: Date,
): PricedOrder {
  const body = request.body;
  try {
    return priceOrder(body, catalog, {
      orderId,
      customer: request.customer,
      now,
      shopCurrency: deps.settings.shopCurrency,
      lang: resolveLocale(body.locale, request.claimLocale, isLang(deps.settings.shopLanguage) ? deps.settings.shopLanguage : "en"),
      shopLanguage: deps.settings.shopLanguage,
      tax: {
        sellerCountry: deps.settings.tax.sellerCountry,
        ossRegistered: deps.settings.tax.ossRegistered,
        supplyKind: deps.settings.tax.supplyKind,
        buyer,
      },
    });
  } catch (e) {
    if (e instanceof ProductUnavailable)
      throw new ProductUnavailableError("Some items are not products this shop sells; see details.", e.issues);
    if (e instanceof PriceUnavailable) throw new PriceUnavailableError(e.issues.map((i) => i.message).join(" "), e.issues);
    if (e instanceof PriceChanged) {
      throw new PriceChangedError(
        "Prices changed since they were shown: show the customer the current prices and send the order again.",
        e.changes.map((c) => ({
          path: `items.${c.line}.expectedUnitPrice`,
          message: `is ${c.expected}, the price is now ${c.current} ${c.currency}`,
        })),
        { currentPrices: e.changes.map((c) => ({ line: c.line, sku: c.sku, unitPrice: money(c.current, c.currency) })) },
      );
    }
    if (e instanceof TotalOutOfRange) throw new OrderRejected(e.message, [{ path: "items", message: e.message }]);
    throw e;
  }
}

/** The fields every view of an order starts with. */
const orderHead = (rec: OrderRecord) => ({
  orderId: rec.order.orderId,
  status: rec.status,
  createdAt: rec.order.createdAt,
  currency: rec.order.currency,
});

/** The buyer as GET shows it: company, VAT ID and whether VIES confirmed it (not VIES's whole answer). */
function buyerView(o: PricedOrder) {
  const b = o.buyer;
  return {
    kind: b.kind,
    ...(b.company ? { company: b.company } : {}),
    ...(b.vatId ? { vatId: b.vatId } : {}),
    ...(b.vatCheck ? { vatIdCheck: b.vatCheck.outcome } : {}),
  };
}

/** The order's VAT per category and rate (EN 16931 BG-23) and the rule that decided it. */
function taxView(o: PricedOrder) {
  return {
    rule: o.tax.rule,
    ...(o.tax.ratesCountry ? { ratesCountry: o.tax.ratesCountry } : {}),
    groups: o.tax.groups.map((g) => ({
      category: g.code,
      rateBps: g.rateBps,
      ...(g.exemptionReason ? { exemptionReason: g.exemptionReason } : {}),
      taxable: money(g.taxableMinor, o.currency),
      tax: money(g.taxMinor, o.currency),
    })),
  };
}

/** The body of GET /orders/{orderId}. */
export function orderView(rec: OrderRecord, invoiceUrl: string | undefined) {
  const o = rec.order;
  return {
    ...orderHead(rec),
    lines: o.lines.map((l) => ({
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      unitPrice: money(l.unitPriceMinor, o.currency),
      lineTotal: money(l.lineTotalMinor, o.currency),
      vat: { category: l.vat.code, rateBps: l.vat.rateBps },
    })),
    shippingAddress: o.shippingAddress,
    billingAddress: o.billingAddress,
    buyer: buyerView(o),
    ...totals(o),
    taxBreakdown: taxView(o),
    payment: {
      ...paymentView(rec),
      ...(rec.paidAt ? { paidAt: rec.paidAt } : {}),
      ...(rec.paymentDueBy ? { dueBy: rec.paymentDueBy } : {}),
      ...(rec.paymentFailure ? { lastFailure: rec.paymentFailure.message } : {}),
    },
    invoice: hasInvoice(rec) ? { number: rec.invoiceNumber, issuedAt: rec.invoiceIssuedAt, url: invoiceUrl } : null,
    notifiedAt: rec.notifiedAt ?? null,
  };
}

const presign = (deps: OrderApiDeps, rec: InvoicedRecord) => presignDocument(deps.s3, deps.settings, rec.invoiceKey, rec.invoiceNumber);

/** A short-lived URL of the PDF at `key`, shown inline as `<number>.pdf`. */
const presignPdf = (deps: OrderApiDeps, key: string, number: string) => presignDocument(deps.s3, deps.settings, key, number);

/** GET /orders/{orderId}: the owner sees it; anyone else gets 404, as if it did not exist. */
export async function handleGetOrder(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const customer = customerFromClaims(event);
  const orderId = event.pathParameters?.orderId ?? "";
  const notFound = new NotFound("No such order.");
  if (!isOrderId(orderId)) throw notFound;
  const rec = await new OrderStore(deps.ddb, deps.settings.ordersTable).get(orderId);
  // An order taken back at checkout (no payment could be created) was never the customer's: nothing half made shows.
  if (!rec || rec.order.customer.id !== customer.id || isDiscarded(rec)) throw notFound;
  return json(200, orderView(rec, hasInvoice(rec) ? await presign(deps, rec) : undefined));
}

/** The body of one entry of GET /orders: enough to list an order; its details are one GET away. */
export function orderSummary(rec: OrderRecord) {
  const o = rec.order;
  return {
    ...orderHead(rec),
    total: money(o.totalMinor, o.currency),
    invoiceNumber: hasInvoice(rec) ? rec.invoiceNumber : null,
    links: { self: `/orders/${o.orderId}` },
  };
}

/** A page position bound to its customer: a digest over customer, createdAt and order id. */
const cursorDigest = (customerId: string, createdAt: string, orderId: string) =>
  createHash("sha256").update(`orders-cursor|${customerId}|${createdAt}|${orderId}`).digest("base64url").slice(0, 22);

/** The opaque cursor of the page after `rec`, valid only for `customerId`. */
export function encodeCursor(customerId: string, rec: OrderRecord): string {
  const { createdAt, orderId } = rec.order;
  return Buffer.from(JSON.stringify({ t: createdAt, o: orderId, h: cursorDigest(customerId, createdAt, orderId) })).toString("base64url");
}

/** Reads a cursor back; a malformed, altered or another customer's cursor is a 400, never a page of someone else. */
export function decodeCursor(customerId: string, cursor: string): { createdAt: string; orderId: string } {
  const invalid = () =>
    new ValidationFailed("The cursor is not valid for this listing; start again without a cursor.", [
      { path: "query.cursor", message: "must be a nextCursor this API returned to you" },
    ]);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const p = v as { t?: unknown; o?: unknown; h?: unknown };
  if (!p || typeof p.t !== "string" || typeof p.o !== "string" || typeof p.h !== "string") throw invalid();
  if (!isOrderId(p.o) || Number.isNaN(Date.parse(p.t)) || p.h !== cursorDigest(customerId, p.t, p.o)) throw invalid();
  return { createdAt: p.t, orderId: p.o };
}

/** GET /orders?limit&cursor: the signed-in customer's orders, newest first, a page at a time. */
export async function handleListOrders(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const customer = customerFromClaims(event);
  const q = listOrdersQuerySchema().safeParse(event.queryStringParameters ?? {});
  if (!q.success) {
    throw new ValidationFailed(
      "The query string is not valid; see details.",
      q.error.issues.map((i) => ({ path: `query.${i.path.join(".")}`, message: i.message })),
    );
  }
  const limit = q.data.limit ?? LIST_LIMITS.defaultLimit;
  const after = q.data.cursor === undefined ? undefined : decodeCursor(customer.id, q.data.cursor);
  const page = await new OrderStore(deps.ddb, deps.settings.ordersTable).listByCustomer(customer.id, limit, after);
  const last = page.records[page.records.length - 1];
  return json(200, {
    orders: page.records.map(orderSummary),
    nextCursor: page.more && last ? encodeCursor(customer.id, last) : null,
  });
}

/** GET /invoices/{orderId}?[document&]expires&sig: the emailed link; a valid one redirects to a fresh presigned URL of its PDF. */
export async function handleInvoiceLink(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const orderId = event.pathParameters?.orderId ?? "";
  const q = event.queryStringParameters ?? {};
  const expires = Number(q.expires);
  const sig = q.sig ?? "";
  const document = q.document ?? undefined;
  if (!isOrderId(orderId) || !Number.isSafeInteger(expires) || !sig || (document !== undefined && !isCreditNoteId(document))) {
    throw new LinkInvalid("This invoice link is incomplete. Open the link from your email again.");
  }
  if (!(await deps.links.verify(orderId, expires, sig, document))) {
    throw new LinkInvalid("This invoice link is not valid. Open the link from your email again.");
  }
  if (expires * 1000 <= deps.now().getTime()) {
    throw new LinkExpired("This invoice link has expired. Sign in to your account to download the invoice.");
  }
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  if (document !== undefined) {
    // A credit note only of this very order, and only once its PDF is committed.
    const cn = await store.getCreditNote(document);
    if (!cn || cn.orderId !== orderId || !isIssued(cn)) throw new NotFound("No such credit note.");
    const location = await presignPdf(deps, cn.documentKey, cn.creditNoteNumber);
    return { statusCode: 302, headers: { location, "cache-control": "no-store" }, body: "" };
  }
  const rec = await store.get(orderId);
  if (!rec || !hasInvoice(rec)) throw new NotFound("No such invoice.");
  return { statusCode: 302, headers: { location: await presign(deps, rec), "cache-control": "no-store" }, body: "" };
}

/** What handles each route of the API's contract (runtime/contracts/routes.ts). */
const ROUTE_HANDLERS: Record<RouteKey, (event: APIGatewayProxyEvent, deps: OrderApiDeps) => Promise<APIGatewayProxyResult>> = {
  "POST /orders": handleCreateOrder,
  "GET /orders": handleListOrders,
  "GET /orders/{orderId}": handleGetOrder,
  "GET /invoices/{orderId}": handleInvoiceLink,
  "GET /products": handleListProducts,
  "PUT /admin/products/{sku}": handlePutProduct,
  "DELETE /admin/products/{sku}": handleDeleteProduct,
  "GET /admin/orders": handleAdminListOrders,
  "GET /admin/orders/{orderId}": handleAdminGetOrder,
  "POST /admin/orders/{orderId}/credit-notes": handleAdminCreateCreditNote,
  "GET /admin/exports": handleAdminExport,
  "POST /admin/orders/{orderId}/cancel": handleAdminCancelOrder,
  "POST /admin/orders/{orderId}/resend": handleAdminResendInvoice,
  "POST /webhooks/stripe": handlePaymentWebhook,
};
/** Every route of the contract with its handler; the local gateway and the router read this list. */
export const API_ROUTES = API_ROUTE_CONTRACT.map((r) => ({ ...r, handler: ROUTE_HANDLERS[routeKey(r) as RouteKey] }));
export type ApiRoute = (typeof API_ROUTES)[number];

const PAYMENT_OUTCOME_UNKNOWN_MESSAGE =
  "The payment provider did not confirm the payment. Do not place the order again: retry with the same Idempotency-Key, or look at the order (GET /orders/{orderId}); an order left unpaid expires by itself.";
const PROVIDER_UNAVAILABLE_MESSAGE =
  "We could not reach the payment provider, so the order was not placed. Retry in a few seconds, with the same Idempotency-Key if you sent one.";
const SERVICE_UNAVAILABLE_MESSAGE =
  "A service we depend on is not answering. Retry in a few seconds, with the same Idempotency-Key if you sent one.";

/** The Lambda proxy entry: routes, and turns every error into the one JSON error shape. */
export async function handleApiRequest(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext?.requestId;
  const log = deps.log.child({ requestId, route: `${event.httpMethod} ${event.resource}` });
  // Refusals of POST /orders are counted by code; other routes' 4xx (a wrong link, 404) are not orders refused.
  const refused = (code: string) => {
    if (event.httpMethod === "POST" && event.resource === "/orders")
      deps.metrics.emit(METRICS.ordersRefused, 1, { ErrorCode: code }, { requestId });
  };
  try {
    // API Gateway answers unknown routes and methods itself (404); this guards a misrouted event the same way.
    const route = API_ROUTES.find((r) => r.resource === event.resource && r.method === event.httpMethod);
    if (!route) throw new NotFound("No such route.");
    return await route.handler(event, { ...deps, log });
  } catch (caught) {
    let err = caught;
    if (caught instanceof PaymentProviderUnavailable) {
      log.error("payment provider unavailable", { alarm: "payment-provider-unavailable", ...errorFields(caught) });
      err = new ServiceUnavailable(SERVICE_UNAVAILABLE_MESSAGE);
    } else if (isDependencyUnavailable(caught)) {
      log.error("dependency unavailable", { alarm: "dependency-unavailable", ...errorFields(caught) });
      err = new ServiceUnavailable(SERVICE_UNAVAILABLE_MESSAGE);
    }
    const { status, body, headers } = toErrorResponse(err);
    if (status >= 500 && status !== 503) log.error("request failed", errorFields(err));
    else if (status < 500) log.info("request refused", { status, code: body.error.code });
    refused(body.error.code);
    return json(status, body, headers);
  }
}

/** The scheduled invocation's event (EventBridge constant input). */
export interface ScheduledTaskEvent {
  readonly action: typeof EXPIRE_PAYMENTS_TASK.action;
}
export const isScheduledTask = (e: unknown): e is ScheduledTaskEvent =>
  typeof e === "object" && e !== null && (e as { action?: unknown }).action === EXPIRE_PAYMENTS_TASK.action;

/** The order API Lambda's events: API Gateway requests, and the schedule that sweeps unpaid and unsent orders. */
export async function handleOrderApiEvent(
  event: APIGatewayProxyEvent | ScheduledTaskEvent,
  deps: OrderApiDeps,
): Promise<APIGatewayProxyResult | { swept: Awaited<ReturnType<typeof sweepPayments>> }> {
  if (isScheduledTask(event)) {
    const swept = await sweepPayments(deps);
    deps.log.info("payment sweep done", swept);
    return { swept };
  }
  return handleApiRequest(event, deps);
}
