/**
 * The stable, machine-readable codes of the API's error bodies: runtime/errors.ts maps the API's own to
 * their status, components/api-routes.ts gatewayResponses those API Gateway answers with itself.
 */
export type ErrorCode =
  | "INVALID_JSON"
  | "VALIDATION_FAILED"
  | "PAYMENT_DATA_NOT_ALLOWED"
  | "UNAUTHENTICATED"
  | "NOT_FOUND"
  | "IDEMPOTENCY_KEY_REUSED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "ORDER_REJECTED"
  /** A line names a SKU the catalog does not have or no longer sells (422; details name the line). */
  | "PRODUCT_UNAVAILABLE"
  /** A product or shipping method has no price in the order's currency, or the method does not ship there (422). */
  | "PRICE_UNAVAILABLE"
  /** The unit price the client showed differs from the catalog's (409; details carry the current prices). */
  | "PRICE_CHANGED"
  /** The client sent a price or product name: those come from the catalog only (400). */
  | "CLIENT_PRICING_REFUSED"
  /** The payment provider declined the payment (402); the order is PAYMENT_FAILED. */
  | "PAYMENT_DECLINED"
  /** The caller is signed in but may not do this (403): admin routes for non-admins. */
  | "FORBIDDEN"
  /** An If-Match names a version the resource no longer has (412): someone changed it since it was read. */
  | "PRECONDITION_FAILED"
  /** A webhook whose signature does not verify, or is too old (400). */
  | "SIGNATURE_INVALID"
  | "LINK_INVALID"
  | "LINK_EXPIRED"
  | "SERVICE_UNAVAILABLE"
  /** The payment provider did not answer after the payment was sent: the order is kept; retry with the same key (503). */
  | "PAYMENT_OUTCOME_UNKNOWN"
  /** VIES did not answer about the buyer's VAT ID and the shop holds such orders (503, Retry-After): nothing was recorded or charged. */
  | "VAT_CHECK_UNAVAILABLE"
  /** The order has no invoice (yet) to correct with a credit note (409): an order not invoiced is cancelled instead. */
  | "NOT_INVOICED"
  /** The credit note does not fit its invoice (422): `problem` says how (OVER_CREDIT, QUANTITY_ABOVE_INVOICED, ...). */
  | "CREDIT_NOTE_REFUSED"
  /** The payment provider refused the refund (409): e.g. the payment was refunded already in its dashboard. */
  | "REFUND_REFUSED"
  /** An admin asked to cancel an invoiced order (409): an invoice is corrected with a credit note, never cancelled. */
  | "ORDER_INVOICED"
  /** The order cannot be cancelled in its state (409): it expired unpaid, or its payment is still being processed. */
  | "ORDER_NOT_CANCELLABLE"
  /** The invoice email of this order was re-sent less than 10 minutes ago (429, with Retry-After). */
  | "RESEND_TOO_SOON"
  /** API Gateway's stage throttling refused the request (429, with Retry-After). */
  | "THROTTLED"
  /** Any other 4xx API Gateway answers itself before the API runs; the status says which. */
  | "REQUEST_REFUSED"
  | "INTERNAL";
