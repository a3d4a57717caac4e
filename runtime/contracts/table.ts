/**
 * The single-table design of the orders table, shared by the Pulumi component, the local
 * pipeline and the order store so the key names are defined exactly once.
 */
export const TABLE_DESIGN = {
  partitionKey: "pk",
  ttlAttribute: "expiresAt",
  customerIndex: { name: "byCustomer", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
  /**
   * A sparse index of items by what they are waiting for or belong to: the catalog ("CATALOG#product",
   * "CATALOG#shipping", sorted by id) and orders awaiting payment ("PAYMENT_DUE", sorted by their
   * deadline, until paid or closed) and paid orders whose message is due ("OUTBOX", sorted by when paid);
   * once a document is numbered, its item moves to the month it was issued in ("INVOICES#<yyyy-mm>",
   * "CREDITNOTES#<yyyy-mm>", sorted by the issue instant): the accountant's export reads it.
   */
  stateIndex: { name: "byState", partitionKey: "gsi2pk", sortKey: "gsi2sk" },
  /**
   * A sparse index of orders by the month they were created in ("ORDERS#<yyyy-mm>", sorted by
   * createdAt): the admins' listing (GET /admin/orders) walks it newest month first.
   */
  monthIndex: { name: "byMonth", partitionKey: "gsi3pk", sortKey: "gsi3sk" },
} as const;

/** The month index's partition of an order created at `createdAt` (an ISO instant, UTC). */
export const monthPartition = (createdAt: string): string => `ORDERS#${createdAt.slice(0, 7)}`;

/** The state index's partition of the documents of a kind issued at `issuedAt` (an ISO instant, UTC). */
export const documentPartition = (kind: "INVOICES" | "CREDITNOTES", issuedAt: string): string => `${kind}#${issuedAt.slice(0, 7)}`;

/** Partition values of the state index. */
export const STATE_INDEX_KEYS = {
  products: "CATALOG#product",
  shippingMethods: "CATALOG#shipping",
  paymentDue: "PAYMENT_DUE",
  /** PAID orders whose queue message is not confirmed sent yet, sorted by when they were paid. */
  outbox: "OUTBOX",
} as const;

/** Partition key prefixes the IAM policies name (components/policies.ts): orders are never deleted, key records may be. */
export const KEY_PREFIXES = {
  order: "ORDER#",
  /** An Idempotency-Key record: `IDEMP#<customer>#<key hash>`. */
  idempotency: "IDEMP#",
  /** An admin action's audit record: `AUDIT#<yyyy-mm-dd>#<id>`, written once, never updated or deleted by any role. */
  audit: "AUDIT#",
} as const;
