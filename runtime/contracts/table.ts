/**
 * The single-table design of the orders table, shared by the Pulumi component, the local
 * pipeline and the order store so the key names are defined exactly once.
 */
export const TABLE_DESIGN = {
  partitionKey: "pk",
  ttlAttribute: "expiresAt",
  customerIndex: { name: "byCustomer", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
} as const;
