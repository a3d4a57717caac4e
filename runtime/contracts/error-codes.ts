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
  | "LINK_INVALID"
  | "LINK_EXPIRED"
  | "SERVICE_UNAVAILABLE"
  | "ORDER_OUTCOME_UNKNOWN"
  /** API Gateway's stage throttling refused the request (429, with Retry-After). */
  | "THROTTLED"
  /** Any other 4xx API Gateway answers itself before the API runs; the status says which. */
  | "REQUEST_REFUSED"
  | "INTERNAL";
