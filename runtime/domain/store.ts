import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { pricedOrderSchema, type OrderStatus, type PricedOrder } from "./order";
import { invoiceKey } from "../settings";
import { formatInvoiceNumber } from "../invoices/document";

/**
 * The single-table design of the orders table, shared by the Pulumi component, the local
 * pipeline and this repository so the key names are defined exactly once.
 */
export const TABLE_DESIGN = {
  partitionKey: "pk",
  ttlAttribute: "expiresAt",
  customerIndex: { name: "byCustomer", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
} as const;

const orderPk = (orderId: string) => `ORDER#${orderId}`;
const idempotencyPk = (customerId: string, keyHash: string) => `IDEMP#${customerId}#${keyHash}`;
const COUNTER_PK = "COUNTER#invoice";

/** An order as stored, with its lifecycle fields. */
export interface OrderRecord {
  readonly order: PricedOrder;
  readonly status: OrderStatus;
  readonly enqueuedAt?: string;
  readonly invoiceNumber?: string;
  readonly invoiceSeq?: number;
  readonly invoiceKey?: string;
  readonly invoiceIssuedAt?: string;
  readonly invoicedAt?: string;
  readonly notifyClaimedAt?: string;
  readonly notifiedAt?: string;
  readonly emailMessageId?: string;
}

/** An order whose invoice PDF is stored and committed. */
export type InvoicedRecord = OrderRecord & Required<Pick<OrderRecord, "invoiceNumber" | "invoiceKey" | "invoiceIssuedAt">>;

/** Does the order have a committed invoice (INVOICED or later)? */
export function hasInvoice(rec: OrderRecord): rec is InvoicedRecord {
  return Boolean(rec.invoiceNumber && rec.invoiceKey && rec.invoiceIssuedAt) && (rec.status === "INVOICED" || rec.status === "NOTIFIED");
}

/** An Idempotency-Key as remembered for 24 h. */
export interface IdempotencyRecord {
  readonly orderId: string;
  readonly requestHash: string;
  readonly createdAt: string;
}

function toRecord(item: Record<string, unknown>): OrderRecord {
  // What we read back was written by us, but a schema check keeps a corrupt item from spreading.
  const order = pricedOrderSchema().parse(item.order);
  return { ...(item as Omit<OrderRecord, "order">), order };
}

const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException || (e as { name?: string })?.name === "ConditionalCheckFailedException";
const isTxCancelled = (e: unknown) =>
  e instanceof TransactionCanceledException || (e as { name?: string })?.name === "TransactionCanceledException";

/** Data access for orders, idempotency keys and the invoice counter. */
export class OrderStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Reads an order (strongly consistent), or undefined. */
  async get(orderId: string): Promise<OrderRecord | undefined> {
    const r = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: orderPk(orderId) }, ConsistentRead: true }));
    return r.Item ? toRecord(r.Item) : undefined;
  }

  /**
   * One page of a customer's orders, newest first, from the byCustomer index. `after` is the
   * position (createdAt, orderId) of the last order of the previous page. `more` tells whether
   * another page exists: one item beyond `limit` is read so the last page never points at an empty one.
   */
  async listByCustomer(
    customerId: string,
    limit: number,
    after?: { createdAt: string; orderId: string },
  ): Promise<{ records: OrderRecord[]; more: boolean }> {
    const { name, partitionKey, sortKey } = TABLE_DESIGN.customerIndex;
    const customerPk = `CUSTOMER#${customerId}`;
    const r = await this.ddb.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: name,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": partitionKey },
        ExpressionAttributeValues: { ":pk": customerPk },
        ScanIndexForward: false,
        Limit: limit + 1,
        ...(after
          ? { ExclusiveStartKey: { [TABLE_DESIGN.partitionKey]: orderPk(after.orderId), [partitionKey]: customerPk, [sortKey]: after.createdAt } }
          : {}),
      }),
    );
    const items = r.Items ?? [];
    // Fewer items with a LastEvaluatedKey: the 1 MB page cap cut the read short, so more may follow.
    return { records: items.slice(0, limit).map(toRecord), more: items.length > limit || Boolean(r.LastEvaluatedKey) };
  }

  private orderItem(order: PricedOrder) {
    return {
      pk: orderPk(order.orderId),
      type: "order",
      [TABLE_DESIGN.customerIndex.partitionKey]: `CUSTOMER#${order.customer.id}`,
      [TABLE_DESIGN.customerIndex.sortKey]: order.createdAt,
      status: "PENDING" as OrderStatus,
      order,
    };
  }

  /** Records a new PENDING order; fails if the id exists. */
  async createOrder(order: PricedOrder): Promise<void> {
    await this.ddb.send(
      new PutCommand({ TableName: this.table, Item: this.orderItem(order), ConditionExpression: "attribute_not_exists(pk)" }),
    );
  }

  /** Reads a live Idempotency-Key record (expired ones count as absent, whether or not TTL removed them). */
  async getIdempotency(customerId: string, keyHash: string, now: Date): Promise<IdempotencyRecord | undefined> {
    const r = await this.ddb.send(
      new GetCommand({ TableName: this.table, Key: { pk: idempotencyPk(customerId, keyHash) }, ConsistentRead: true }),
    );
    const item = r.Item;
    if (!item) return undefined;
    if (typeof item[TABLE_DESIGN.ttlAttribute] === "number" && item[TABLE_DESIGN.ttlAttribute] * 1000 <= now.getTime()) {
      return undefined;
    }
    return { orderId: String(item.orderId), requestHash: String(item.requestHash), createdAt: String(item.createdAt) };
  }

  /**
   * Records a new order and its Idempotency-Key in one transaction; an expired key record (TTL
   * deletes lazily) is replaced. "conflict" when a live record exists: nothing was written.
   */
  async createOrderWithKey(
    order: PricedOrder,
    keyHash: string,
    requestHash: string,
    expiresAtEpoch: number,
    now: Date,
  ): Promise<"created" | "conflict"> {
    try {
      await this.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: idempotencyPk(order.customer.id, keyHash),
                  type: "idempotency",
                  orderId: order.orderId,
                  requestHash,
                  createdAt: order.createdAt,
                  [TABLE_DESIGN.ttlAttribute]: expiresAtEpoch,
                },
                ConditionExpression: "attribute_not_exists(pk) OR #ttl <= :now",
                ExpressionAttributeNames: { "#ttl": TABLE_DESIGN.ttlAttribute },
                ExpressionAttributeValues: { ":now": Math.floor(now.getTime() / 1000) },
              },
            },
            { Put: { TableName: this.table, Item: this.orderItem(order), ConditionExpression: "attribute_not_exists(pk)" } },
          ],
        }),
      );
      return "created";
    } catch (e) {
      if (isTxCancelled(e)) return "conflict";
      throw e;
    }
  }

  /** Marks the order's queue message as sent. */
  async markEnqueued(orderId: string, at: Date): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: orderPk(orderId) },
        UpdateExpression: "SET enqueuedAt = if_not_exists(enqueuedAt, :at)",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":at": at.toISOString() },
      }),
    );
  }

  /** Removes an order that never reached the queue (its creation request failed and has no key to retry with). */
  async deleteUnqueuedOrder(orderId: string): Promise<void> {
    try {
      await this.ddb.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: orderPk(orderId) },
          ConditionExpression: "attribute_not_exists(enqueuedAt)",
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /**
   * Gives the order the next invoice number, once. The counter increment and the assignment
   * happen in one transaction, so numbers are gap-free and a redelivered message reuses the
   * number it got the first time. `current` is the order as the caller just read it; it is read
   * again only when another writer won the race.
   */
  async assignInvoiceNumber(current: OrderRecord, now: Date, maxAttempts = 25): Promise<OrderRecord> {
    const orderId = current.order.orderId;
    for (let attempt = 1; ; attempt++) {
      if (current.invoiceNumber) return current;
      const c = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: COUNTER_PK }, ConsistentRead: true }));
      const last = typeof c.Item?.value === "number" ? c.Item.value : 0;
      const assigned = {
        invoiceSeq: last + 1,
        invoiceNumber: formatInvoiceNumber(last + 1),
        invoiceKey: invoiceKey(orderId),
        invoiceIssuedAt: now.toISOString(),
      };
      try {
        await this.ddb.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: { pk: COUNTER_PK, type: "counter", value: assigned.invoiceSeq },
                  ConditionExpression: last === 0 ? "attribute_not_exists(pk) OR #v = :last" : "#v = :last",
                  ExpressionAttributeNames: { "#v": "value" },
                  ExpressionAttributeValues: { ":last": last },
                },
              },
              {
                Update: {
                  TableName: this.table,
                  Key: { pk: orderPk(orderId) },
                  UpdateExpression: "SET invoiceSeq = :n, invoiceNumber = :num, invoiceKey = :key, invoiceIssuedAt = :at",
                  ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(invoiceNumber)",
                  ExpressionAttributeValues: {
                    ":n": assigned.invoiceSeq,
                    ":num": assigned.invoiceNumber,
                    ":key": assigned.invoiceKey,
                    ":at": assigned.invoiceIssuedAt,
                  },
                },
              },
            ],
          }),
        );
        return { ...current, ...assigned };
      } catch (e) {
        if (!isTxCancelled(e) || attempt >= maxAttempts) throw e;
        // Another worker took the number (or numbered this order): re-read and try again.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        const reread = await this.get(orderId);
        if (!reread) throw new Error(`Order ${orderId} does not exist`);
        current = reread;
      }
    }
  }

  /** One conditional update of an order; false when the condition did not hold. */
  private async updateOrderIf(orderId: string, update: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: orderPk(orderId) },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /** Moves the order to INVOICED; false when it was already past PENDING (a redelivery). */
  markInvoiced(orderId: string, at: Date): Promise<boolean> {
    return this.updateOrderIf(orderId, "SET #s = :invoiced, invoicedAt = :at", "#s = :pending AND attribute_exists(invoiceNumber)", {
      ":invoiced": "INVOICED",
      ":pending": "PENDING",
      ":at": at.toISOString(),
    });
  }

  /**
   * Claims the right to email the customer: succeeds for one caller while the order is INVOICED
   * and nobody else holds a claim younger than `leaseMs`.
   */
  claimNotification(orderId: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET notifyClaimedAt = :now",
      "#s = :invoiced AND (attribute_not_exists(notifyClaimedAt) OR notifyClaimedAt < :stale)",
      { ":invoiced": "INVOICED", ":now": now.toISOString(), ":stale": new Date(now.getTime() - leaseMs).toISOString() },
    );
  }

  /** Gives up a claim after a failed send, so a retry may send. */
  async releaseNotification(orderId: string): Promise<void> {
    await this.updateOrderIf(orderId, "REMOVE notifyClaimedAt", "#s = :invoiced", { ":invoiced": "INVOICED" });
  }

  /** Moves the order to NOTIFIED after the email went out; false if it was no longer INVOICED. */
  markNotified(orderId: string, at: Date, messageId: string | undefined): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET #s = :notified, notifiedAt = :at, emailMessageId = :mid REMOVE notifyClaimedAt",
      "#s = :invoiced",
      { ":notified": "NOTIFIED", ":invoiced": "INVOICED", ":at": at.toISOString(), ":mid": messageId ?? "unknown" },
    );
  }
}
