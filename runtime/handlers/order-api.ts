import { createHash } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ImpossibleOrder, LIST_LIMITS, listOrdersQuerySchema, priceOrder, type PricedOrder, type OrderMessage } from "../domain/order";
import { customerFromClaims, parseCreateOrderRequest, type CreateOrderRequest } from "./order-request";
import { OrderStore, hasInvoice, type InvoicedRecord, type OrderRecord } from "../domain/store";
import {
  IdempotencyKeyReused,
  LinkExpired,
  LinkInvalid,
  NotFound,
  OrderOutcomeUnknown,
  ServiceUnavailable,
  OrderRejected,
  ValidationFailed,
  toErrorResponse,
} from "../errors";
import { IDEMPOTENCY_TTL_SECONDS, type ApiSettings } from "../settings";
import type { LinkSigner } from "../invoices/link";
import { errorFields, type Logger } from "../log";
import { isOrderId } from "../domain/ids";
import { isDependencyUnavailable } from "../clients";
import { type MetricsEmitter } from "../metrics";
import { METRICS } from "../contracts/metrics";
import { API_ROUTE_CONTRACT, routeKey, type RouteKey } from "../contracts/routes";

/** What the order API needs from the outside world. */
export interface OrderApiDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly links: LinkSigner;
  readonly settings: ApiSettings;
  readonly now: () => Date;
  readonly newOrderId: () => string;
  readonly log: Logger;
  readonly metrics: MetricsEmitter;
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

/** The 202 body of POST /orders; derived from the stored order so a replay is byte-identical. */
export function acceptedBody(order: PricedOrder) {
  return {
    orderId: order.orderId,
    status: "PENDING" as const,
    createdAt: order.createdAt,
    currency: order.currency,
    subtotal: money(order.subtotalMinor, order.currency),
    tax: money(order.taxMinor, order.currency),
    total: money(order.totalMinor, order.currency),
    links: { self: `/orders/${order.orderId}` },
  };
}

/** Sends the order's message, then confirms the order; `onConfirming` marks the step whose write may commit unseen. */
async function enqueue(deps: OrderApiDeps, store: OrderStore, order: PricedOrder, onConfirming?: () => void): Promise<void> {
  const msg: OrderMessage = { v: 1, order };
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.settings.ordersQueueUrl,
      MessageBody: JSON.stringify(msg),
      MessageAttributes: { orderId: { DataType: "String", StringValue: order.orderId } },
    }),
  );
  onConfirming?.();
  await store.markEnqueued(order.orderId, deps.now());
}

/** Time a keyless intake may spend before its clean-up, so the answer comes within the Lambda's 10 s. */
const INTAKE_BUDGET_MS = 7500;

/** Finishes an order whose record exists (a replay): sends its message if that never happened. */
async function completeExisting(deps: OrderApiDeps, store: OrderStore, orderId: string, log: Logger): Promise<APIGatewayProxyResult> {
  const rec = await store.get(orderId);
  if (!rec) throw new Error(`Idempotency record points at missing order ${orderId}`);
  if (!rec.enqueuedAt) {
    log.warn("completing an order whose intake was never confirmed", { orderId });
    await store.reopenIntake(orderId, deps.now()); // a worker that gave up on it meanwhile lets it through again
    await enqueue(deps, store, rec.order);
  }
  return json(202, acceptedBody(rec.order), { "idempotent-replayed": "true", location: `/orders/${orderId}` });
}

/** POST /orders: validate, price, record, enqueue; 202 only once the message is on the queue. */
export async function handleCreateOrder(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const request = parseCreateOrderRequest(event);
  const now = deps.now();
  const order = priceRequest(request, deps, now);
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const log = deps.log.child({ orderId: order.orderId });
  if (request.idempotencyKey !== undefined) {
    const replay = await intakeWithKey(deps, store, request, order, now);
    if (replay) return replay;
  } else {
    await intakeWithoutKey(deps, store, order, log);
  }
  log.info("order accepted", { lines: order.lines.length, totalMinor: order.totalMinor, currency: order.currency });
  deps.metrics.emit(METRICS.ordersAccepted, 1, {}, { orderId: order.orderId });
  return json(202, acceptedBody(order), { location: `/orders/${order.orderId}` });
}

/** Prices the order from the request (the customer from the token, the lines from the body). */
function priceRequest(request: CreateOrderRequest, deps: OrderApiDeps, now: Date): PricedOrder {
  try {
    return priceOrder(request.body, request.customer, deps.settings.taxRateBps, deps.newOrderId(), now);
  } catch (e) {
    if (e instanceof ImpossibleOrder) throw new OrderRejected(e.message, [{ path: e.path, message: e.message }]);
    throw e;
  }
}

/**
 * Intake under an Idempotency-Key: the order and its key record are written together; a repeat
 * of the same request completes and replays the first order (its answer, returned here), a
 * different body under the same key is refused.
 */
async function intakeWithKey(
  deps: OrderApiDeps,
  store: OrderStore,
  request: CreateOrderRequest,
  order: PricedOrder,
  now: Date,
): Promise<APIGatewayProxyResult | undefined> {
  const keyHash = sha256(request.idempotencyKey!);
  const requestHash = sha256(canonical(request.body));
  const expires = Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS;
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await store.getIdempotency(request.customer.id, keyHash, now);
    if (existing) {
      if (existing.requestHash !== requestHash) {
        throw new IdempotencyKeyReused("This Idempotency-Key was already used for a different order. Use a new key for a new order.");
      }
      return completeExisting(deps, store, existing.orderId, deps.log.child({ orderId: existing.orderId }));
    }
    // An expired record may still be in the table (TTL deletes lazily): replace it conditionally.
    const created = await store.createOrderWithKey(order, keyHash, requestHash, expires, now);
    if (created === "created") break;
    if (attempt === 2) throw new Error("Idempotency record kept changing under us");
  }
  await enqueue(deps, store, order); // on failure the client retries with the same key and completes it
  return undefined;
}

/**
 * Intake without a key: record, enqueue, confirm. On a failure there is no key to retry with, so
 * the order is taken back, unless its confirmation did commit (then it stands).
 */
async function intakeWithoutKey(deps: OrderApiDeps, store: OrderStore, order: PricedOrder, log: Logger): Promise<void> {
  const started = Date.now();
  let confirming = false;
  try {
    await store.createOrder(order);
    await enqueue(deps, store, order, () => (confirming = true));
  } catch (e) {
    // A message already sent for it is dropped by the worker; a record we cannot remove stays
    // unconfirmed, invisible to readers, until the worker or TTL removes it.
    const budget = Math.min(2500, INTAKE_BUDGET_MS - (Date.now() - started));
    const undo =
      budget > 0
        ? await store.deleteUnqueuedOrder(order.orderId, AbortSignal.timeout(budget)).catch((d) => {
            log.error("could not remove unconfirmed order", errorFields(d));
            return "unknown" as const;
          })
        : "unknown";
    // The confirmation may have committed and we cannot learn whether: say so rather than "failed".
    if (undo === "unknown" && confirming) throw new OrderOutcomeUnknown(ORDER_OUTCOME_UNKNOWN_MESSAGE, undefined, { cause: e });
    if (undo !== "confirmed") throw e;
    log.warn("order confirmed although the request saw an error (its answer was lost)", errorFields(e));
  }
}

/** The fields every view of an order starts with. */
const orderHead = (rec: OrderRecord) => ({
  orderId: rec.order.orderId,
  status: rec.status,
  createdAt: rec.order.createdAt,
  currency: rec.order.currency,
});

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
    })),
    shippingAddress: o.shippingAddress,
    subtotal: money(o.subtotalMinor, o.currency),
    taxRateBps: o.taxRateBps,
    tax: money(o.taxMinor, o.currency),
    total: money(o.totalMinor, o.currency),
    invoice: hasInvoice(rec) ? { number: rec.invoiceNumber, issuedAt: rec.invoiceIssuedAt, url: invoiceUrl } : null,
    notifiedAt: rec.notifiedAt ?? null,
  };
}

async function presign(deps: OrderApiDeps, rec: InvoicedRecord): Promise<string> {
  return getSignedUrl(
    deps.s3,
    new GetObjectCommand({
      Bucket: deps.settings.invoicesBucket,
      Key: rec.invoiceKey,
      ResponseContentType: "application/pdf",
      ResponseContentDisposition: `inline; filename="${rec.invoiceNumber}.pdf"`,
    }),
    { expiresIn: deps.settings.presignTtlSeconds },
  );
}

/** GET /orders/{orderId}: the owner sees it; anyone else gets 404, as if it did not exist. */
export async function handleGetOrder(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const customer = customerFromClaims(event);
  const orderId = event.pathParameters?.orderId ?? "";
  const notFound = new NotFound("No such order.");
  if (!isOrderId(orderId)) throw notFound;
  const rec = await new OrderStore(deps.ddb, deps.settings.ordersTable).get(orderId);
  if (!rec || rec.order.customer.id !== customer.id || !rec.enqueuedAt) throw notFound; // unconfirmed: not accepted
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

/** GET /invoices/{orderId}?expires&sig: the emailed link; a valid one redirects to a fresh presigned URL. */
export async function handleInvoiceLink(event: APIGatewayProxyEvent, deps: OrderApiDeps): Promise<APIGatewayProxyResult> {
  const orderId = event.pathParameters?.orderId ?? "";
  const q = event.queryStringParameters ?? {};
  const expires = Number(q.expires);
  const sig = q.sig ?? "";
  if (!isOrderId(orderId) || !Number.isSafeInteger(expires) || !sig) {
    throw new LinkInvalid("This invoice link is incomplete. Open the link from your email again.");
  }
  if (!(await deps.links.verify(orderId, expires, sig))) {
    throw new LinkInvalid("This invoice link is not valid. Open the link from your email again.");
  }
  if (expires * 1000 <= deps.now().getTime()) {
    throw new LinkExpired("This invoice link has expired. Sign in to your account to download the invoice.");
  }
  const rec = await new OrderStore(deps.ddb, deps.settings.ordersTable).get(orderId);
  if (!rec || !hasInvoice(rec)) throw new NotFound("No such invoice.");
  return { statusCode: 302, headers: { location: await presign(deps, rec), "cache-control": "no-store" }, body: "" };
}

/** What handles each route of the API's contract (runtime/contracts/routes.ts). */
const ROUTE_HANDLERS: Record<RouteKey, (event: APIGatewayProxyEvent, deps: OrderApiDeps) => Promise<APIGatewayProxyResult>> = {
  "POST /orders": handleCreateOrder,
  "GET /orders": handleListOrders,
  "GET /orders/{orderId}": handleGetOrder,
  "GET /invoices/{orderId}": handleInvoiceLink,
};
/** Every route of the contract with its handler; the local gateway and the router read this list. */
export const API_ROUTES = API_ROUTE_CONTRACT.map((r) => ({ ...r, handler: ROUTE_HANDLERS[routeKey(r) as RouteKey] }));
export type ApiRoute = (typeof API_ROUTES)[number];

const ORDER_OUTCOME_UNKNOWN_MESSAGE =
  "We could not confirm whether your order was taken; if it was, its invoice will reach you by email. Send an Idempotency-Key to retry safely.";
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
    if (caught instanceof OrderOutcomeUnknown) {
      log.error("order outcome unknown", { alarm: "order-outcome-unknown", ...errorFields(caught.cause) });
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
