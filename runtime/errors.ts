/**
 * Named errors of the order API and the one place that maps them to an HTTP status and a
 * stable, machine-readable code. Messages are written for people; details never hold secrets.
 */
import type { ErrorCode } from "./contracts/error-codes";
export type { ErrorCode };

/** One entry of `details` for a schema violation: where and what. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** Base class of every error the API answers with its own status. */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;
  /** When set, the answer carries `Retry-After` with this many seconds. */
  readonly retryAfterSeconds?: number;
  /** Machine-readable data the client needs to act (e.g. the current prices of a 409 PRICE_CHANGED), beside `details`. */
  readonly extra?: Readonly<Record<string, unknown>>;
  constructor(
    message: string,
    readonly details?: readonly FieldIssue[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The body is not parseable JSON. */
export class InvalidJson extends ApiError {
  override name = "InvalidJson";
  readonly status = 400;
  readonly code = "INVALID_JSON" as const;
}
/** The body is JSON but breaks the schema; details list the failing paths. */
export class ValidationFailed extends ApiError {
  override name = "ValidationFailed";
  readonly status = 400;
  readonly code = "VALIDATION_FAILED" as const;
}
/** Something that looks like a card number was sent; it is neither logged nor stored. */
export class PaymentDataNotAllowed extends ApiError {
  override name = "PaymentDataNotAllowed";
  readonly status = 400;
  readonly code = "PAYMENT_DATA_NOT_ALLOWED" as const;
}
/** No customer identity on the request. */
export class Unauthenticated extends ApiError {
  override name = "Unauthenticated";
  readonly status = 401;
  readonly code = "UNAUTHENTICATED" as const;
}
/** The caller is signed in but may not do this (admin routes for non-admins). */
export class Forbidden extends ApiError {
  override name = "Forbidden";
  readonly status = 403;
  readonly code = "FORBIDDEN" as const;
}
/** Unknown route or method, unknown order, or an order of somebody else. */
export class NotFound extends ApiError {
  override name = "NotFound";
  readonly status = 404;
  readonly code = "NOT_FOUND" as const;
}
/** The Idempotency-Key was used before with a different request body. */
export class IdempotencyKeyReused extends ApiError {
  override name = "IdempotencyKeyReused";
  readonly status = 409;
  readonly code = "IDEMPOTENCY_KEY_REUSED" as const;
}
/** The If-Match version is not the resource's current one: it changed since the caller read it. */
export class PreconditionFailed extends ApiError {
  override name = "PreconditionFailed";
  readonly status = 412;
  readonly code = "PRECONDITION_FAILED" as const;
}
/** An invoiced order cannot be cancelled: it is corrected with a credit note. */
export class OrderInvoiced extends ApiError {
  override name = "OrderInvoiced";
  readonly status = 409;
  readonly code = "ORDER_INVOICED" as const;
}
/** The order has no invoice (yet): nothing to re-send or credit. */
export class NotInvoiced extends ApiError {
  override name = "NotInvoiced";
  readonly status = 409;
  readonly code = "NOT_INVOICED" as const;
}
/** The order cannot be cancelled in its state (expired unpaid, payment still processing). */
export class OrderNotCancellable extends ApiError {
  override name = "OrderNotCancellable";
  readonly status = 409;
  readonly code = "ORDER_NOT_CANCELLABLE" as const;
}
/** The payment provider refused the refund; the order keeps its state. */
export class RefundRefusedError extends ApiError {
  override name = "RefundRefusedError";
  readonly status = 409;
  readonly code = "REFUND_REFUSED" as const;
}
/** The order's invoice email was re-sent too recently; `Retry-After` says when the next may go. */
export class ResendTooSoon extends ApiError {
  override name = "ResendTooSoon";
  readonly status = 429;
  readonly code = "RESEND_TOO_SOON" as const;
  constructor(
    message: string,
    /** Seconds until the next re-send may go. @default 600, the whole interval */
    override readonly retryAfterSeconds: number = 600,
  ) {
    super(message);
  }
}
/** The body is larger than the API accepts. */
export class PayloadTooLarge extends ApiError {
  override name = "PayloadTooLarge";
  readonly status = 413;
  readonly code = "PAYLOAD_TOO_LARGE" as const;
}
/** The body is not declared as JSON. */
export class UnsupportedMediaType extends ApiError {
  override name = "UnsupportedMediaType";
  readonly status = 415;
  readonly code = "UNSUPPORTED_MEDIA_TYPE" as const;
}
/** Valid JSON describing an order that cannot exist (mixed currencies, totals out of range). */
export class OrderRejected extends ApiError {
  override name = "OrderRejected";
  readonly status = 422;
  readonly code = "ORDER_REJECTED" as const;
}
/** A line names a SKU the catalog does not have or no longer sells; details name each line. */
export class ProductUnavailableError extends ApiError {
  override name = "ProductUnavailableError";
  readonly status = 422;
  readonly code = "PRODUCT_UNAVAILABLE" as const;
}
/** A product or the shipping has no price in the order's currency, or the method does not ship there. */
export class PriceUnavailableError extends ApiError {
  override name = "PriceUnavailableError";
  readonly status = 422;
  readonly code = "PRICE_UNAVAILABLE" as const;
}
/** The prices the client showed differ from the catalog's; `currentPrices` tells the new ones. Nothing was recorded. */
export class PriceChangedError extends ApiError {
  override name = "PriceChangedError";
  readonly status = 409;
  readonly code = "PRICE_CHANGED" as const;
  constructor(
    message: string,
    details: readonly FieldIssue[],
    override readonly extra: { readonly currentPrices: readonly unknown[] },
  ) {
    super(message, details);
  }
}
/** The client sent a price or a product name, which only the catalog sets. */
export class ClientPricingRefused extends ApiError {
  override name = "ClientPricingRefused";
  readonly status = 400;
  readonly code = "CLIENT_PRICING_REFUSED" as const;
}
/** The payment provider declined the payment; the order is PAYMENT_FAILED and takes no invoice number. */
export class PaymentDeclined extends ApiError {
  override name = "PaymentDeclined";
  readonly status = 402;
  readonly code = "PAYMENT_DECLINED" as const;
  constructor(
    message: string,
    details: readonly FieldIssue[],
    override readonly extra: { readonly orderId: string; readonly clientSecret?: string },
  ) {
    super(message, details);
  }
}
/** A webhook whose signature does not verify or is too old to accept. */
export class SignatureInvalid extends ApiError {
  override name = "SignatureInvalid";
  readonly status = 400;
  readonly code = "SIGNATURE_INVALID" as const;
}
/** An invoice link whose signature does not verify. */
export class LinkInvalid extends ApiError {
  override name = "LinkInvalid";
  readonly status = 403;
  readonly code = "LINK_INVALID" as const;
}
/** An invoice link past its expiry. */
export class LinkExpired extends ApiError {
  override name = "LinkExpired";
  readonly status = 410;
  readonly code = "LINK_EXPIRED" as const;
}

/** A dependency (DynamoDB, SQS, KMS) timed out, throttled or failed; nothing was accepted. */
export class ServiceUnavailable extends ApiError {
  override name = "ServiceUnavailable";
  readonly status = 503;
  readonly code = "SERVICE_UNAVAILABLE" as const;
  override readonly retryAfterSeconds = 2;
}

/** The provider may have taken the payment but did not say: the order is kept for the same key's retry to complete. */
export class PaymentOutcomeUnknown extends ApiError {
  override name = "PaymentOutcomeUnknown";
  readonly status = 503;
  readonly code = "PAYMENT_OUTCOME_UNKNOWN" as const;
  override readonly retryAfterSeconds = 5;
  constructor(
    message: string,
    override readonly extra: { readonly orderId: string },
  ) {
    super(message);
  }
}

/**
 * The shop holds orders whose buyer's VAT ID VIES could not confirm (policy "hold"): nothing was recorded
 * or charged; the same order can be sent again later, or without the VAT ID (VAT is then charged).
 */
export class VatCheckUnavailable extends ApiError {
  override name = "VatCheckUnavailable";
  readonly status = 503;
  readonly code = "VAT_CHECK_UNAVAILABLE" as const;
  override readonly retryAfterSeconds = 60;
}

/** A credit note that does not fit its invoice; `problem` is the stable reason (runtime/domain/credit-note.ts). */
export class CreditNoteNotPossible extends ApiError {
  override name = "CreditNoteNotPossible";
  readonly status = 422;
  readonly code = "CREDIT_NOTE_REFUSED" as const;
  constructor(
    message: string,
    override readonly extra: { readonly problem: string },
  ) {
    super(message);
  }
}

/** The JSON error body every failing response carries. */
export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details?: readonly FieldIssue[];
    readonly [extra: string]: unknown;
  };
}

/** Maps any thrown value to a status, body and headers; unknown errors become a 500 that reveals nothing. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (err instanceof ApiError) {
    const retry = err.retryAfterSeconds;
    return {
      status: err.status,
      body: { error: { ...err.extra, code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } },
      headers: retry ? { "retry-after": String(retry) } : {},
    };
  }
  return {
    status: 500,
    body: { error: { code: "INTERNAL", message: "Something went wrong on our side. Please retry later." } },
    headers: {},
  };
}
