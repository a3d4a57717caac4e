/** The stable, machine-readable codes of the API's error bodies (runtime/errors.ts maps each to its status). */
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
  | "INTERNAL";
