import type { APIGatewayProxyEvent } from "aws-lambda";
import type { ZodError } from "zod";
import {
  CLIENT_PRICING_FIELDS,
  createOrderBodySchema,
  customerSchema,
  LIMITS,
  pathBeyondDepth,
  type CreateOrderBody,
  type Customer,
} from "../domain/order";
import { containsCardNumber, jsonContainsCardNumber } from "../domain/card";
import {
  ClientPricingRefused,
  InvalidJson,
  PayloadTooLarge,
  PaymentDataNotAllowed,
  Unauthenticated,
  UnsupportedMediaType,
  ValidationFailed,
  type FieldIssue,
} from "../errors";

/**
 * The request edge of the order API: who is asking, and whether what they sent is an order at
 * all (content type, size, card numbers, JSON, depth, schema, Idempotency-Key). Everything
 * downstream receives parsed, typed values and checks nothing of this again.
 */

/** A POST /orders request that passed the edge. */
export interface CreateOrderRequest {
  readonly customer: Customer;
  readonly body: CreateOrderBody;
  readonly idempotencyKey?: string;
  /** The Cognito user's `locale` attribute, when the token carries one: the order's language if the body names none. */
  readonly claimLocale?: string;
}

/** A request header, by case-insensitive name. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower && v != null) return v;
  return undefined;
}

/** The customer from the Cognito authorizer's claims; the body never names the customer. */
export function customerFromClaims(event: APIGatewayProxyEvent): Customer {
  const claims = (event.requestContext?.authorizer?.claims ?? {}) as Record<string, unknown>;
  const parsed = customerSchema().safeParse({
    id: claims.sub,
    email: claims.email,
    name: typeof claims.name === "string" && claims.name.trim() ? claims.name.trim() : undefined,
  });
  if (!parsed.success) throw new Unauthenticated("Sign in to place or view orders: the request carries no verified customer identity.");
  return parsed.data;
}

/** Up to 50 schema problems as `details`, each with its path. */
export function issuesOf(err: ZodError): FieldIssue[] {
  return err.issues.slice(0, 50).map((i) => ({ path: i.path.join(".") || "(body)", message: i.message }));
}

/** The body as text; a base64 (binary) body must be UTF-8, as JSON is (RFC 8259). */
function readBody(event: APIGatewayProxyEvent, what: string): string {
  const raw = event.body ?? "";
  if (!event.isBase64Encoded) return raw;
  const bytes = Buffer.from(raw, "base64");
  if (bytes.length > LIMITS.maxBodyBytes) throw new PayloadTooLarge(`The ${what} body may be at most ${LIMITS.maxBodyBytes} bytes.`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidJson("The request body is not valid UTF-8 JSON.");
  }
}

/**
 * A client written for the old contract sends each line's name and unit price, and a payment token:
 * refused by name with what to send instead, never silently used or dropped.
 */
function refuseOldContract(json: unknown): void {
  const body = json as { items?: unknown; payment?: unknown } | null;
  if (!body || typeof body !== "object") return;
  const priced = Array.isArray(body.items)
    ? body.items.flatMap((item, i) =>
        item && typeof item === "object" ? CLIENT_PRICING_FIELDS.filter((f) => f in item).map((f) => `items.${i}.${f}`) : [],
      )
    : [];
  if (priced.length) {
    throw new ClientPricingRefused(
      "Prices and product names come from the shop's catalog: send each item's sku and quantity only (and expectedUnitPrice to be told when a price changed).",
      priced.slice(0, 50).map((path) => ({ path, message: "is set by the shop's catalog, not by the client" })),
    );
  }
  const payment = body.payment as Record<string, unknown> | null | undefined;
  const old = payment && typeof payment === "object" ? ["token", "last4", "brand"].filter((f) => f in payment) : [];
  if (old.length) {
    throw new ValidationFailed(
      "Payment tokens and card details are not accepted: send payment.paymentMethod (a pm_... id from the payment provider), or leave it out and confirm with the client secret the answer carries.",
      old.map((f) => ({ path: `payment.${f}`, message: "is not accepted; the payment provider reports the card" })),
    );
  }
}

/** The body of a request that must declare UTF-8 JSON, as text within the size limit; `what` names it in messages. */
export function readJsonText(event: APIGatewayProxyEvent, what: string): string {
  const contentType = header(event, "content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(contentType.trim())) {
    throw new UnsupportedMediaType(`Send the ${what} as JSON with the header Content-Type: application/json.`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType)?.[1];
  if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
    throw new UnsupportedMediaType(`Send the ${what} as UTF-8 JSON: Content-Type: application/json; charset=utf-8.`);
  }
  const raw = readBody(event, what);
  if (Buffer.byteLength(raw, "utf8") > LIMITS.maxBodyBytes) {
    throw new PayloadTooLarge(`The ${what} body may be at most ${LIMITS.maxBodyBytes} bytes.`);
  }
  return raw;
}

/** JSON text parsed, its nesting bounded (what walks the value after JSON.parse may not be iterative). */
export function parseJsonText(raw: string, what: string): unknown {
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(raw);
  } catch {
    throw new InvalidJson("The request body is not valid JSON.");
  }
  const tooDeep = pathBeyondDepth(parsedJson, LIMITS.maxJsonDepth);
  if (tooDeep !== undefined) {
    throw new ValidationFailed(`The ${what} nests objects and arrays deeper than ${LIMITS.maxJsonDepth} levels.`, [
      { path: tooDeep || "(body)", message: `nests deeper than ${LIMITS.maxJsonDepth} levels` },
    ]);
  }
  return parsedJson;
}

/** Checks a POST /orders request at the edge and parses it; throws the ApiError that answers it otherwise. */
export function parseCreateOrderRequest(event: APIGatewayProxyEvent): CreateOrderRequest {
  const customer = customerFromClaims(event);
  const raw = readJsonText(event, "order");
  // Checked before parsing so a card number is refused even inside malformed JSON.
  if (containsCardNumber(raw)) {
    throw new PaymentDataNotAllowed("Card numbers are not accepted. Send a payment method id from the payment provider instead.");
  }
  const parsedJson = parseJsonText(raw, "order");
  if (jsonContainsCardNumber(parsedJson)) {
    throw new PaymentDataNotAllowed("Card numbers are not accepted. Send a payment method id from the payment provider instead.");
  }
  refuseOldContract(parsedJson);
  const body = createOrderBodySchema().safeParse(parsedJson);
  if (!body.success) throw new ValidationFailed("The order is not valid; see details for each problem.", issuesOf(body.error));

  const idempotencyKey = idempotencyKeyOf(event);
  const locale = (event.requestContext?.authorizer?.claims as Record<string, unknown> | undefined)?.locale;
  return { customer, body: body.data, idempotencyKey, ...(typeof locale === "string" ? { claimLocale: locale } : {}) };
}

/** The request's Idempotency-Key header: 1 to 128 visible ASCII characters, else 400; `required` refuses its absence too. */
export function idempotencyKeyOf(event: APIGatewayProxyEvent, required: true): string;
export function idempotencyKeyOf(event: APIGatewayProxyEvent, required?: boolean): string | undefined;
export function idempotencyKeyOf(event: APIGatewayProxyEvent, required = false): string | undefined {
  const key = header(event, "idempotency-key");
  if (key === undefined && !required) return undefined;
  if (key === undefined || !/^[\x21-\x7e]{1,128}$/.test(key)) {
    const message = key === undefined ? "is required" : "must be 1 to 128 visible ASCII characters";
    throw new ValidationFailed(`The Idempotency-Key header ${message}.`, [{ path: "headers.Idempotency-Key", message }]);
  }
  return key;
}
