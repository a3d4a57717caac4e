import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { pricedOrderSchema, type OrderStatus, type PricedOrder } from "./order";
import { PROBE_TTL_SECONDS, type ProbeReceipt } from "./probe";
import { invoiceKey } from "../contracts/env";
import { formatCreditNoteNumber, formatInvoiceNumber } from "../contracts/numbers";
import { CreditNoteRefused, pricedCreditNoteSchema, type PricedCreditNote } from "./credit-note";
import { KEY_PREFIXES, STATE_INDEX_KEYS, TABLE_DESIGN, documentPartition, monthPartition } from "../contracts/table";
import { queryEveryPage } from "./query-pages";
import type { EmailEventType } from "../contracts/email-events";

const orderPk = (orderId: string) => `${KEY_PREFIXES.order}${orderId}`;
const emailPk = (messageId: string) => `EMAIL#${messageId}`;
const idempotencyPk = (customerId: string, keyHash: string) => `${KEY_PREFIXES.idempotency}${customerId}#${keyHash}`;
const probePk = (probeId: string) => `PROBE#${probeId}`;
const COUNTER_PK = "COUNTER#invoice";
/** The credit notes' own gap-free series: a second counter item, moved the way the invoices' is. */
const CREDIT_NOTE_COUNTER_PK = "COUNTER#creditNote";
const creditNotePk = (creditNoteId: string) => `CREDITNOTE#${creditNoteId}`;
/** The state index's attribute names, for expressions that set or remove them. */
const STATE_INDEX_NAMES = { "#g2pk": TABLE_DESIGN.stateIndex.partitionKey, "#g2sk": TABLE_DESIGN.stateIndex.sortKey };
/** The condition that no re-send was asked for after `:since` (a conditional write holds the re-sends' rate limit). */
const NO_RESEND_SINCE = "(attribute_not_exists(resendRequestedAt) OR resendRequestedAt <= :since)";
/** Orders one numbering transaction can number: TransactWriteItems holds 100 items, one is the counter. */
export const MAX_NUMBERING_BATCH = 99;

/** An order as stored, with its lifecycle fields. */
export interface OrderRecord {
  readonly order: PricedOrder;
  readonly status: OrderStatus;
  /** The hash of the Idempotency-Key the order was created with, if any (its key record goes with it). */
  readonly idempotencyKeyHash?: string;
  /** When an unpaid order expires (its payment is cancelled). */
  readonly paymentDueBy?: string;
  /** The provider's id of the order's payment (a Stripe PaymentIntent), once created. */
  readonly paymentId?: string;
  /** When the provider confirmed the payment (the order became PAID). */
  readonly paidAt?: string;
  /** The card that paid, as the provider reported it (brand and last 4 only). */
  readonly paymentCard?: { readonly brand: string; readonly last4: string };
  /** The last declined attempt, in the provider's words. */
  readonly paymentFailure?: { readonly code?: string; readonly message: string; readonly at: string };
  /** When the order was closed unpaid (EXPIRED or CANCELLED). */
  readonly closedAt?: string;
  /** Why a CANCELLED order was closed by the shop rather than by its payment: see `isDiscarded`. */
  readonly closeReason?: CloseReason;
  /** Who holds the right to put the PAID order's message on the queue, since when (one sender, one message). */
  readonly enqueueClaimId?: string;
  readonly enqueueClaimedAt?: string;
  /** When the order's message went on the queue (after PAID). */
  readonly enqueuedAt?: string;
  readonly invoiceNumber?: string;
  readonly invoiceSeq?: number;
  readonly invoiceKey?: string;
  readonly invoiceIssuedAt?: string;
  readonly invoicedAt?: string;
  readonly notifyClaimedAt?: string;
  readonly notifyClaimId?: string;
  readonly notifiedAt?: string;
  /** The SES message id of the order's current invoice email. */
  readonly emailMessageId?: string;
  /** Where the back office had the invoice re-sent (`npm run resend`); the customer's address otherwise. */
  readonly emailTo?: string;
  /** When the back office asked for the invoice to be sent again. */
  readonly resendRequestedAt?: string;
  /** Earlier emails of the order, replaced by a re-send: their late events no longer change the order. */
  readonly previousEmailMessageIds?: string[];
  /** What SES reported for the current email: delivered, or failed (bounce, complaint, reject). Unset until it reports. */
  readonly emailStatus?: EmailStatus;
  readonly emailFailure?: EmailFailure;
  readonly emailOutcomeAt?: string;
  /** The gross amount credited by the invoice's credit notes so far: never above the invoice's total. */
  readonly creditedMinor?: number;
  /** The ids of the invoice's credit notes, in the order they were requested. */
  readonly creditNoteIds?: string[];
  /** When an admin's cancellation moved the PAID order to CANCELLING, and under which Idempotency-Key. */
  readonly cancelRequestedAt?: string;
  readonly cancelKey?: string;
  /** The refund of a PAID order's cancellation (credit-note id `cancel-<orderId>` at the provider). */
  readonly cancelRefund?: CancelRefund;
  /** A credit note took back the shipping (it is credited whole, so once at most). Units credited per line: `creditedQty_<line>`. */
  readonly shippingCredited?: boolean;
}

/** The refund a cancellation made, as the provider reported it. */
export interface CancelRefund {
  readonly refundId: string;
  readonly status: string;
  readonly amountMinor: number;
  readonly currency: string;
}

/** What the admins' order listing filters on (each exact; the email case-insensitively). */
export interface AdminOrderFilter {
  readonly status?: OrderStatus;
  readonly email?: string;
  readonly invoiceNumber?: string;
}

/** The shop closed the order because no payment could be created for it (the provider was down or refused the request). */
export type CloseReason = "payment-not-created";

/**
 * Was the order taken back at checkout (no payment could be created)? It stays in the table, as no
 * role may delete an order, but for the customer it never existed: not listed, and 404 by id.
 */
export function isDiscarded(rec: OrderRecord): boolean {
  return rec.status === "CANCELLED" && rec.closeReason === "payment-not-created";
}

/** The outcome SES reported for an order's current email. */
export type EmailStatus = "DELIVERED" | "FAILED";

/** Why an order's email failed, as SES reported it. */
export interface EmailFailure {
  readonly event: Exclude<EmailEventType, "Delivery">;
  /** e.g. "Permanent/General: smtp; 550 5.1.1 user unknown", "complaint: abuse". */
  readonly reason: string;
  readonly messageId: string;
  readonly at: string;
}

/** One SES event of one message, as the per-message record keeps it. */
export interface EmailEventEntry {
  readonly type: EmailEventType;
  /** When SES says it happened. */
  readonly at: string;
  readonly detail: string;
  /** Identifies the event across SNS's redeliveries (type, time and feedback id). */
  readonly key: string;
}

/** An order whose invoice PDF is stored and committed. */
export type InvoicedRecord = OrderRecord & Required<Pick<OrderRecord, "invoiceNumber" | "invoiceKey" | "invoiceIssuedAt">>;

/** Does the order have a committed invoice (INVOICED or later)? */
export function hasInvoice(rec: OrderRecord): rec is InvoicedRecord {
  return Boolean(rec.invoiceNumber && rec.invoiceKey && rec.invoiceIssuedAt) && (rec.status === "INVOICED" || rec.status === "NOTIFIED");
}

/** Where a credit note is: reserved (caps moved, no number), ISSUED (numbered, PDF stored), NOTIFIED (emailed). */
export type CreditNoteStatus = "REQUESTED" | "ISSUED" | "NOTIFIED" | "VOID";

/** Who asked for a credit note: an admin (Cognito sub), or the payment provider's refund (its webhook). */
export type CreditNoteOrigin = { readonly by: "admin"; readonly adminSub: string } | { readonly by: "provider"; readonly refundId: string };

/** The refund a credit note goes with, as the provider last reported it. */
export interface CreditNoteRefund {
  readonly refundId: string;
  readonly status: "succeeded" | "pending" | "failed";
  readonly amountMinor: number;
}

/** A credit note as stored (`CREDITNOTE#<id>`), beside the order it corrects. */
export interface CreditNoteRecord {
  readonly creditNote: PricedCreditNote;
  readonly orderId: string;
  readonly status: CreditNoteStatus;
  readonly origin: CreditNoteOrigin;
  /** When the API or webhook reserved it. */
  readonly requestedAt: string;
  readonly refund?: CreditNoteRefund;
  /** The invoice it corrects, and that invoice's date. */
  readonly invoiceNumber: string;
  readonly invoiceIssuedAt: string;
  /** Formatted number of the credit notes' own series, e.g. "CN-000001": set by the worker. */
  readonly creditNoteNumber?: string;
  readonly creditNoteSeq?: number;
  /** When the number was assigned: the credit note's date. */
  readonly issuedAt?: string;
  /** The PDF's S3 key, once stored (ISSUED). */
  readonly documentKey?: string;
  readonly notifyClaimId?: string;
  readonly notifyClaimedAt?: string;
  readonly notifiedAt?: string;
  readonly emailMessageId?: string;
}

/** A credit note with its number. */
export type NumberedCreditNoteRecord = CreditNoteRecord &
  Required<Pick<CreditNoteRecord, "creditNoteNumber" | "creditNoteSeq" | "issuedAt">>;
/** A credit note whose PDF is stored and committed (ISSUED or NOTIFIED). */
export type IssuedCreditNoteRecord = NumberedCreditNoteRecord & Required<Pick<CreditNoteRecord, "documentKey">>;

/** Has the credit note a number? */
export const isNumbered = (rec: CreditNoteRecord): rec is NumberedCreditNoteRecord =>
  Boolean(rec.creditNoteNumber && rec.creditNoteSeq && rec.issuedAt);
/** Is the credit note's PDF stored and committed (ISSUED or NOTIFIED)? */
export const isIssued = (rec: CreditNoteRecord): rec is IssuedCreditNoteRecord =>
  isNumbered(rec) && Boolean(rec.documentKey) && (rec.status === "ISSUED" || rec.status === "NOTIFIED");

function toCreditNoteRecord(item: Record<string, unknown>): CreditNoteRecord {
  const { pk: _pk, type: _type, creditNote, ...rest } = item;
  return { ...(rest as Omit<CreditNoteRecord, "creditNote">), creditNote: pricedCreditNoteSchema().parse(creditNote) };
}

/** Is `b` the credit note `a` was stored from (a retried request), not another one under the same id? */
function sameCreditNote(a: PricedCreditNote, b: PricedCreditNote): boolean {
  const lines = (c: PricedCreditNote) => JSON.stringify(c.lines.map((l) => [l.invoiceLine, l.quantity, l.lineTotalMinor]));
  return (
    a.orderId === b.orderId &&
    a.kind === b.kind &&
    a.totalMinor === b.totalMinor &&
    lines(a) === lines(b) &&
    Boolean(a.shipping) === Boolean(b.shipping)
  );
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

/** The month after `month` (yyyy-mm). */
function nextMonth(month: string): string {
  const [y, m] = month.split("-").map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
}

const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException || (e as { name?: string })?.name === "ConditionalCheckFailedException";
const isTxCancelled = (e: unknown) =>
  e instanceof TransactionCanceledException || (e as { name?: string })?.name === "TransactionCanceledException";
/** Was the transaction cancelled because its `index`-th item exists or is being written by another transaction? */
const txItemTakenAt = (e: unknown, index: number) => {
  const code = isTxCancelled(e) ? (e as TransactionCanceledException).CancellationReasons?.[index]?.Code : undefined;
  return code === "ConditionalCheckFailed" || code === "TransactionConflict";
};

/** Data access for orders, idempotency keys, the invoice counter and probe receipts. */
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
          ? {
              ExclusiveStartKey: {
                [TABLE_DESIGN.partitionKey]: orderPk(after.orderId),
                [partitionKey]: customerPk,
                [sortKey]: after.createdAt,
              },
            }
          : {}),
      }),
    );
    const items = r.Items ?? [];
    // Fewer items with a LastEvaluatedKey: the 1 MB page cap cut the read short, so more may follow.
    return { records: items.slice(0, limit).map(toRecord), more: items.length > limit || Boolean(r.LastEvaluatedKey) };
  }

  /**
   * One month's orders from the byMonth index, newest first, created within [from, to], that pass
   * `filter` (status, customer email, invoice number); at most `limit` items are read (filtered
   * ones count), after `after`. `next` is where reading stopped, absent when the month is done.
   */
  async listMonth(
    month: string,
    range: { from: string; to: string },
    filter: AdminOrderFilter,
    limit: number,
    after?: { createdAt: string; orderId: string },
  ): Promise<{ records: OrderRecord[]; next?: { createdAt: string; orderId: string } }> {
    const { name, partitionKey, sortKey } = TABLE_DESIGN.monthIndex;
    const conditions: string[] = [];
    const names: Record<string, string> = { "#pk": partitionKey, "#sk": sortKey };
    const values: Record<string, unknown> = { ":pk": month, ":from": range.from, ":to": range.to };
    if (filter.status) {
      conditions.push("#s = :status");
      names["#s"] = "status";
      values[":status"] = filter.status;
    }
    if (filter.email) {
      conditions.push("customerEmail = :email");
      values[":email"] = filter.email.toLowerCase();
    }
    if (filter.invoiceNumber) {
      conditions.push("(invoiceNumber = :number OR contains(creditNoteNumbers, :number))");
      values[":number"] = filter.invoiceNumber;
    }
    const r = await this.ddb.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: name,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :from AND :to",
        ...(conditions.length ? { FilterExpression: conditions.join(" AND ") } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: limit,
        ...(after
          ? {
              ExclusiveStartKey: {
                [TABLE_DESIGN.partitionKey]: orderPk(after.orderId),
                [partitionKey]: month,
                [sortKey]: after.createdAt,
              },
            }
          : {}),
      }),
    );
    const k = r.LastEvaluatedKey;
    const next = k
      ? { createdAt: String(k[sortKey]), orderId: String(k[TABLE_DESIGN.partitionKey]).slice(KEY_PREFIXES.order.length) }
      : undefined;
    return { records: (r.Items ?? []).map(toRecord), ...(next ? { next } : {}) };
  }

  /** A new order item: AWAITING_PAYMENT, listed in the state index under PAYMENT_DUE by its deadline. */
  private orderItem(order: PricedOrder, dueBy: string, keyHash?: string) {
    return {
      pk: orderPk(order.orderId),
      type: "order",
      [TABLE_DESIGN.customerIndex.partitionKey]: `CUSTOMER#${order.customer.id}`,
      [TABLE_DESIGN.customerIndex.sortKey]: order.createdAt,
      [TABLE_DESIGN.stateIndex.partitionKey]: STATE_INDEX_KEYS.paymentDue,
      [TABLE_DESIGN.stateIndex.sortKey]: dueBy,
      [TABLE_DESIGN.monthIndex.partitionKey]: monthPartition(order.createdAt),
      [TABLE_DESIGN.monthIndex.sortKey]: order.createdAt,
      // Lower-cased once here, so the admins' exact, case-insensitive email filter is a plain comparison.
      customerEmail: order.customer.email.toLowerCase(),
      status: "AWAITING_PAYMENT" as OrderStatus,
      paymentDueBy: dueBy,
      ...(keyHash ? { idempotencyKeyHash: keyHash } : {}),
      order,
    };
  }

  /**
   * Records a new order, AWAITING_PAYMENT until `dueBy`. If the id exists and holds this very order
   * (our own write, whose answer was lost and which the SDK retried), that counts as created.
   */
  async createOrder(order: PricedOrder, dueBy: string): Promise<void> {
    try {
      await this.ddb.send(
        new PutCommand({ TableName: this.table, Item: this.orderItem(order, dueBy), ConditionExpression: "attribute_not_exists(pk)" }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const existing = await this.get(order.orderId);
      if (!existing || !sameOrder(existing.order, order)) throw e;
    }
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
    dueBy: string,
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
            {
              Put: {
                TableName: this.table,
                Item: this.orderItem(order, dueBy, keyHash),
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
          ],
        }),
      );
      return "created";
    } catch (e) {
      // Only the key record taken (or being written) is a conflict; any other cancellation is a store
      // failure (a 500 the client may retry with the same key), never to be mistaken for a reused key.
      if (txItemTakenAt(e, 0)) return "conflict";
      throw e;
    }
  }

  /**
   * Takes back an order whose payment could not even be created (the provider was down or refused):
   * in one transaction its Idempotency-Key record goes, so a retry starts afresh, and the order is
   * closed (CANCELLED, "payment-not-created") and leaves both indexes, so no listing and no sweep
   * sees it. The order item itself stays: no role may delete an order. False when the order has a
   * payment meanwhile (then it stands).
   */
  async discardUnpaidOrder(rec: OrderRecord, at: Date): Promise<boolean> {
    const { customerIndex } = TABLE_DESIGN;
    const orderClose = {
      Update: {
        TableName: this.table,
        Key: { pk: orderPk(rec.order.orderId) },
        UpdateExpression: "SET #s = :cancelled, closeReason = :reason, closedAt = :at REMOVE paymentDueBy, #g1pk, #g1sk, #g2pk, #g2sk",
        ConditionExpression: "#s = :awaiting AND attribute_not_exists(paymentId)",
        ExpressionAttributeNames: {
          "#s": "status",
          "#g1pk": customerIndex.partitionKey,
          "#g1sk": customerIndex.sortKey,
          ...STATE_INDEX_NAMES,
        },
        ExpressionAttributeValues: {
          ":cancelled": "CANCELLED",
          ":awaiting": "AWAITING_PAYMENT",
          ":reason": "payment-not-created" satisfies CloseReason,
          ":at": at.toISOString(),
        },
      },
    };
    const keyDelete = rec.idempotencyKeyHash
      ? [{ Delete: { TableName: this.table, Key: { pk: idempotencyPk(rec.order.customer.id, rec.idempotencyKeyHash) } } }]
      : [];
    try {
      await this.ddb.send(new TransactWriteCommand({ TransactItems: [orderClose, ...keyDelete] }));
      return true;
    } catch (e) {
      if (txItemTakenAt(e, 0)) return false;
      throw e;
    }
  }

  /** Records the provider's id of the order's payment; false when the order holds another payment (never overwritten). */
  recordPaymentId(orderId: string, paymentId: string): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET paymentId = :pid",
      "attribute_exists(pk) AND (attribute_not_exists(paymentId) OR paymentId = :pid)",
      {
        ":pid": paymentId,
      },
    );
  }

  /**
   * The provider confirmed the payment: AWAITING_PAYMENT or PAYMENT_FAILED -> PAID, once, for this
   * payment only. The order moves from the state index's PAYMENT_DUE to its OUTBOX (its message is
   * due), and the caller, `claimId`, holds the claim to send that message. False when the order was
   * not waiting for a payment (already PAID or later, expired, cancelled) or holds another payment.
   */
  markPaid(
    orderId: string,
    payment: { paymentId: string; card?: { brand: string; last4: string } },
    at: Date,
    claimId: string,
  ): Promise<boolean> {
    const when = at.toISOString();
    return this.updateOrderIf(
      orderId,
      `SET #s = :paid, paidAt = :at, paymentId = :pid, enqueueClaimId = :claim, enqueueClaimedAt = :at, #g2pk = :outbox, #g2sk = :at${
        payment.card ? ", paymentCard = :card" : ""
      } REMOVE paymentDueBy`,
      "#s IN (:awaiting, :failed) AND (attribute_not_exists(paymentId) OR paymentId = :pid)",
      {
        ":paid": "PAID",
        ":awaiting": "AWAITING_PAYMENT",
        ":failed": "PAYMENT_FAILED",
        ":at": when,
        ":pid": payment.paymentId,
        ":claim": claimId,
        ":outbox": STATE_INDEX_KEYS.outbox,
        ...(payment.card ? { ":card": payment.card } : {}),
      },
      STATE_INDEX_NAMES,
    );
  }

  /** The provider declined the payment: AWAITING_PAYMENT -> PAYMENT_FAILED (still due: the customer may pay until the deadline). */
  markPaymentFailed(orderId: string, paymentId: string, failure: { code?: string; message: string }, at: Date): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET #s = :failed, paymentId = :pid, paymentFailure = :f",
      "#s = :awaiting AND (attribute_not_exists(paymentId) OR paymentId = :pid)",
      {
        ":failed": "PAYMENT_FAILED",
        ":awaiting": "AWAITING_PAYMENT",
        ":pid": paymentId,
        ":f": { ...(failure.code ? { code: failure.code } : {}), message: failure.message, at: at.toISOString() },
      },
    );
  }

  /** Closes an unpaid order (EXPIRED: not paid in time; CANCELLED: its payment was cancelled); false when it was paid meanwhile. */
  closeUnpaid(orderId: string, status: "EXPIRED" | "CANCELLED", at: Date): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET #s = :status, closedAt = :at REMOVE paymentDueBy, #g2pk, #g2sk",
      "#s IN (:awaiting, :failed)",
      { ":status": status, ":awaiting": "AWAITING_PAYMENT", ":failed": "PAYMENT_FAILED", ":at": at.toISOString() },
      STATE_INDEX_NAMES,
    );
  }

  /**
   * An admin cancels a PAID order, step 1: PAID -> CANCELLING, only while it has no invoice number
   * (the numbering transaction takes PAID orders only, so from here no worker numbers it). It leaves
   * the outbox: no sweep sends its message. False when it was numbered (or left PAID) meanwhile.
   */
  beginCancellation(orderId: string, at: Date, cancelKey: string): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET #s = :cancelling, cancelRequestedAt = :at, cancelKey = :key REMOVE enqueueClaimId, enqueueClaimedAt, #g2pk, #g2sk",
      "#s = :paid AND attribute_not_exists(invoiceNumber)",
      { ":cancelling": "CANCELLING", ":paid": "PAID", ":at": at.toISOString(), ":key": cancelKey },
      STATE_INDEX_NAMES,
    );
  }

  /** Step 2, after the refund: CANCELLING -> CANCELLED with the refund; false when it was not CANCELLING (a repeat). */
  finishCancellation(orderId: string, at: Date, refund: CancelRefund): Promise<boolean> {
    return this.updateOrderIf(orderId, "SET #s = :cancelled, closedAt = :at, cancelRefund = :r", "#s = :cancelling", {
      ":cancelled": "CANCELLED",
      ":cancelling": "CANCELLING",
      ":at": at.toISOString(),
      ":r": refund,
    });
  }

  /**
   * Claims the right to put a PAID order's message on the queue: succeeds while the message was not
   * sent and nobody else holds a claim younger than `leaseMs` (a repeat by the same `claimId` succeeds).
   */
  claimEnqueue(orderId: string, claimId: string, now: Date, leaseMs: number): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET enqueueClaimId = :id, enqueueClaimedAt = :now",
      "#s = :paid AND attribute_not_exists(enqueuedAt) AND (attribute_not_exists(enqueueClaimedAt) OR enqueueClaimedAt < :stale OR enqueueClaimId = :id)",
      { ":paid": "PAID", ":id": claimId, ":now": now.toISOString(), ":stale": new Date(now.getTime() - leaseMs).toISOString() },
    );
  }

  /** Records that the order's message is on the queue: it leaves the outbox. Safe to repeat. */
  async markEnqueued(orderId: string, at: Date): Promise<void> {
    const update = (numbered: boolean) =>
      this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: orderPk(orderId) },
          // Leaves OUTBOX; an order the worker numbered first is listed by its invoice's month and stays there.
          UpdateExpression: numbered
            ? "SET enqueuedAt = if_not_exists(enqueuedAt, :at) REMOVE enqueueClaimId, enqueueClaimedAt"
            : "SET enqueuedAt = if_not_exists(enqueuedAt, :at) REMOVE enqueueClaimId, enqueueClaimedAt, #g2pk, #g2sk",
          ConditionExpression: numbered ? "attribute_exists(pk)" : "attribute_exists(pk) AND attribute_not_exists(invoiceNumber)",
          ...(numbered ? {} : { ExpressionAttributeNames: STATE_INDEX_NAMES }),
          ExpressionAttributeValues: { ":at": at.toISOString() },
        }),
      );
    try {
      await update(false);
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      await update(true);
    }
  }

  /**
   * Orders in the state index's `partition` whose sort value (the payment deadline, or when the order
   * was paid) is at or before `until`, oldest first, at most `limit`.
   */
  async listDue(
    partition: typeof STATE_INDEX_KEYS.paymentDue | typeof STATE_INDEX_KEYS.outbox,
    until: Date,
    limit: number,
  ): Promise<OrderRecord[]> {
    const { name, partitionKey, sortKey } = TABLE_DESIGN.stateIndex;
    const r = await this.ddb.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: name,
        KeyConditionExpression: "#pk = :pk AND #sk <= :until",
        ExpressionAttributeNames: { "#pk": partitionKey, "#sk": sortKey },
        ExpressionAttributeValues: { ":pk": partition, ":until": until.toISOString() },
        Limit: limit,
      }),
    );
    return (r.Items ?? []).map(toRecord);
  }

  /**
   * The items of the documents of `kind` issued from `from` to `to` (ISO instants, inclusive), oldest
   * first: every page of each month's partition of the state index.
   */
  async listIssued(kind: "INVOICES" | "CREDITNOTES", from: string, to: string): Promise<Record<string, unknown>[]> {
    const { name, partitionKey, sortKey } = TABLE_DESIGN.stateIndex;
    const items: Record<string, unknown>[] = [];
    for (let month = from.slice(0, 7); month <= to.slice(0, 7); month = nextMonth(month)) {
      items.push(
        ...(await queryEveryPage(this.ddb, {
          TableName: this.table,
          IndexName: name,
          KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :from AND :to",
          ExpressionAttributeNames: { "#pk": partitionKey, "#sk": sortKey },
          ExpressionAttributeValues: { ":pk": documentPartition(kind, `${month}-01`), ":from": from, ":to": to },
        })),
      );
    }
    return items;
  }

  /** The invoices issued from `from` to `to` (ISO instants, inclusive), oldest first. */
  async listInvoicesIssued(from: string, to: string): Promise<InvoicedRecord[]> {
    // Numbered is issued, also while its PDF is being stored (still PAID for a moment).
    return (await this.listIssued("INVOICES", from, to))
      .map(toRecord)
      .filter((r): r is InvoicedRecord => Boolean(r.invoiceNumber && r.invoiceKey && r.invoiceIssuedAt));
  }

  /** The credit notes numbered from `from` to `to` (ISO instants, inclusive), oldest first. */
  async listCreditNotesIssued(from: string, to: string): Promise<CreditNoteRecord[]> {
    return (await this.listIssued("CREDITNOTES", from, to)).map(toCreditNoteRecord);
  }

  /**
   * Gives the order the next invoice number, once: `assignInvoiceNumbers` for one order. `current`
   * is the order as the caller just read it; it is read again only when another writer won the race.
   */
  async assignInvoiceNumber(current: OrderRecord, now: Date, maxAttempts = 25): Promise<OrderRecord> {
    return (await this.assignInvoiceNumbers([current], now, maxAttempts))[0];
  }

  /**
   * Gives each order the next invoice number, once, in the given order: one transaction moves the
   * counter by the whole batch and numbers every order in it, so numbers stay unique and gap-free
   * and the fleet numbers a batch per counter round-trip, not one invoice. An order that already
   * has a number (a redelivered message, another worker) keeps it and leaves the batch. At most
   * MAX_NUMBERING_BATCH orders (a transaction holds 100 items, one is the counter).
   */
  async assignInvoiceNumbers(batch: readonly OrderRecord[], now: Date, maxAttempts = 25): Promise<OrderRecord[]> {
    if (batch.length > MAX_NUMBERING_BATCH)
      throw new Error(`at most ${MAX_NUMBERING_BATCH} orders per numbering transaction, got ${batch.length}`);
    const result = new Map<string, OrderRecord>(batch.map((r) => [r.order.orderId, r]));
    for (let attempt = 1; ; attempt++) {
      // Distinct orders still without a number, in the caller's order.
      const todo = [...result.values()].filter((r) => !r.invoiceNumber);
      if (todo.length === 0) return batch.map((r) => result.get(r.order.orderId)!);
      const last = await this.counterValue(COUNTER_PK);
      const assigned = todo.map((r, i) => ({
        invoiceSeq: last + 1 + i,
        invoiceNumber: formatInvoiceNumber(last + 1 + i),
        invoiceKey: invoiceKey(r.order.orderId),
        invoiceIssuedAt: now.toISOString(),
      }));
      try {
        await this.ddb.send(
          new TransactWriteCommand({
            TransactItems: [
              this.counterMove(COUNTER_PK, last, last + todo.length),
              ...todo.map((r, i) => ({
                Update: {
                  TableName: this.table,
                  Key: { pk: orderPk(r.order.orderId) },
                  // Numbered, the order is listed by the month its invoice was issued in (the accountant's export).
                  UpdateExpression:
                    "SET invoiceSeq = :n, invoiceNumber = :num, invoiceKey = :key, invoiceIssuedAt = :at, #ipk = :month, #isk = :at",
                  // Only a PAID order takes a number (the worker checks too; the store holds to it whoever calls).
                  ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(invoiceNumber) AND #s = :paid",
                  ExpressionAttributeNames: {
                    "#s": "status",
                    "#ipk": TABLE_DESIGN.stateIndex.partitionKey,
                    "#isk": TABLE_DESIGN.stateIndex.sortKey,
                  },
                  ExpressionAttributeValues: {
                    ":paid": "PAID",
                    ":month": documentPartition("INVOICES", assigned[i].invoiceIssuedAt),
                    ":n": assigned[i].invoiceSeq,
                    ":num": assigned[i].invoiceNumber,
                    ":key": assigned[i].invoiceKey,
                    ":at": assigned[i].invoiceIssuedAt,
                  },
                },
              })),
            ],
          }),
        );
        todo.forEach((r, i) => result.set(r.order.orderId, { ...r, ...assigned[i] }));
      } catch (e) {
        if (!isTxCancelled(e) || attempt >= maxAttempts) throw e;
        // Another worker moved the counter or numbered some of these orders: re-read the orders the
        // transaction named (all of them if it did not say), then try again with what is left.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
        const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
        const stale = reasons ? todo.filter((_, i) => reasons[i + 1]?.Code && reasons[i + 1].Code !== "None") : todo;
        for (const r of stale) {
          const reread = await this.get(r.order.orderId);
          if (!reread) throw new Error(`Order ${r.order.orderId} does not exist`);
          if (!reread.invoiceNumber && reread.status !== "PAID")
            throw new Error(`Order ${r.order.orderId} is ${reread.status}: only a PAID order takes a number`);
          result.set(r.order.orderId, reread);
        }
      }
    }
  }

  /** The last number a gap-free series (its counter item `pk`) gave out; 0 before the first. */
  private async counterValue(pk: string): Promise<number> {
    const c = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true }));
    return typeof c.Item?.value === "number" ? c.Item.value : 0;
  }

  /** The transaction item that moves a series' counter from `last` to `next`, only if nobody moved it since it was read. */
  private counterMove(pk: string, last: number, next: number) {
    return {
      Put: {
        TableName: this.table,
        Item: { pk, type: "counter", value: next },
        ConditionExpression: last === 0 ? "attribute_not_exists(pk) OR #v = :last" : "#v = :last",
        ExpressionAttributeNames: { "#v": "value" },
        ExpressionAttributeValues: { ":last": last },
      },
    };
  }

  /** Reads a credit note by its id (strongly consistent), or undefined. */
  async getCreditNote(creditNoteId: string): Promise<CreditNoteRecord | undefined> {
    const r = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: creditNotePk(creditNoteId) }, ConsistentRead: true }));
    return r.Item ? toCreditNoteRecord(r.Item) : undefined;
  }

  /** The credit notes of `order` (as just read), in the order they were requested, read in parallel. */
  async listCreditNotes(order: OrderRecord): Promise<CreditNoteRecord[]> {
    const records = await Promise.all((order.creditNoteIds ?? []).map((id) => this.getCreditNote(id)));
    return records.filter((r): r is CreditNoteRecord => r !== undefined);
  }

  /**
   * The API's half of a credit note: reserves `creditNote` against the invoiced order `orderId`, in
   * one transaction: the credit-note item is written once (REQUESTED, no number yet) and the order's
   * credited amounts grow only while they stay within the invoice. So the invoice is never
   * over-credited, and a retried request with the same id and contents gets the record it already has.
   * The number comes later, from the worker (numberCreditNote).
   * Throws CreditNoteRefused: NOT_INVOICED, OVER_CREDIT, or CREDIT_NOTE_ID_REUSED (the id holds another credit note).
   */
  async reserveCreditNote(
    orderId: string,
    creditNote: PricedCreditNote,
    now: Date,
    origin: CreditNoteOrigin,
    maxAttempts = 25,
  ): Promise<CreditNoteRecord> {
    if (creditNote.orderId !== orderId) throw new Error(`Credit note ${creditNote.id} is of order ${creditNote.orderId}, not ${orderId}`);
    for (let attempt = 1; ; attempt++) {
      const existing = await this.getCreditNote(creditNote.id);
      if (existing) return this.sameOrRefused(existing, creditNote);
      const order = await this.get(orderId);
      if (!order || !hasInvoice(order)) throw new CreditNoteRefused("NOT_INVOICED", `Order ${orderId} has no invoice to correct`);
      const refusal = overCredit(order, creditNote);
      if (refusal) return this.retriedOrRefused(refusal, creditNote);
      const record: CreditNoteRecord = {
        creditNote,
        orderId,
        status: "REQUESTED",
        origin,
        requestedAt: now.toISOString(),
        invoiceNumber: order.invoiceNumber,
        invoiceIssuedAt: order.invoiceIssuedAt,
      };
      try {
        await this.ddb.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: { pk: creditNotePk(creditNote.id), type: "creditNote", ...record },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              {
                Update: { TableName: this.table, Key: { pk: orderPk(orderId) }, ...creditedUpdate(order.order, creditNote) },
              },
            ],
          }),
        );
        return record;
      } catch (e) {
        if (!isTxCancelled(e)) throw e;
        const reasons = (e as TransactionCanceledException).CancellationReasons;
        if (reasons?.[1]?.Code === "ConditionalCheckFailed" && reasons?.[0]?.Code !== "ConditionalCheckFailed") {
          const latest = await this.get(orderId);
          const refused = latest && overCredit(latest, creditNote);
          if (refused) return this.retriedOrRefused(refused, creditNote);
        }
        // Another credit note of the order moved its totals, or the same one is being written by a retry: read again.
        if (attempt >= maxAttempts) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  /** Records the refund that goes with a credit note; a succeeded refund is never overwritten. False when the credit note does not exist or its refund had succeeded. */
  async recordCreditNoteRefund(creditNoteId: string, refund: CreditNoteRefund): Promise<boolean> {
    const keepsSucceeded = refund.status === "succeeded" ? "" : " AND (attribute_not_exists(refund) OR refund.#rs <> :succeeded)";
    return this.updateIf(
      creditNotePk(creditNoteId),
      "SET refund = :refund",
      `attribute_exists(pk)${keepsSucceeded}`,
      { ":refund": refund, ...(keepsSucceeded ? { ":succeeded": "succeeded" } : {}) },
      keepsSucceeded ? { "#rs": "status" } : {},
    );
  }

  /**
   * Voids a reserved credit note whose refund the provider refused: it takes no number, and what it
   * reserved of the invoice (amount, units, shipping) is given back, in one transaction. False when it
   * is no longer voidable (numbered, refunded, or voided already).
   */
  async voidCreditNote(creditNoteId: string, now: Date): Promise<boolean> {
    const cn = await this.getCreditNote(creditNoteId);
    if (!cn || cn.status !== "REQUESTED" || cn.creditNoteNumber) return false;
    const c = cn.creditNote;
    const orderNames: Record<string, string> = {};
    const orderValues: Record<string, unknown> = { ":amount": c.totalMinor };
    const sets = ["creditedMinor = creditedMinor - :amount"];
    c.lines.forEach((l, i) => {
      if (l.invoiceLine < 0) return;
      orderNames[`#q${i}`] = creditedQtyAttribute(l.invoiceLine);
      orderValues[`:q${i}`] = l.quantity;
      sets.push(`#q${i} = #q${i} - :q${i}`);
    });
    try {
      await this.ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk: creditNotePk(creditNoteId) },
                UpdateExpression: "SET #s = :void, voidedAt = :at",
                ConditionExpression:
                  "#s = :requested AND attribute_not_exists(creditNoteNumber) AND (attribute_not_exists(refund) OR NOT refund.#s IN (:ok, :pending))",
                ExpressionAttributeNames: { "#s": "status" },
                ExpressionAttributeValues: {
                  ":void": "VOID",
                  ":requested": "REQUESTED",
                  ":ok": "succeeded",
                  ":pending": "pending",
                  ":at": now.toISOString(),
                },
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: { pk: orderPk(cn.orderId) },
                UpdateExpression: `SET ${sets.join(", ")}${c.shipping ? " REMOVE shippingCredited" : ""}`,
                ConditionExpression: "creditedMinor >= :amount",
                ...(Object.keys(orderNames).length ? { ExpressionAttributeNames: orderNames } : {}),
                ExpressionAttributeValues: orderValues,
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (isTxCancelled(e)) return false;
      throw e;
    }
  }

  /**
   * The worker's half: gives the reserved credit note the next number of the credit notes' own
   * series, once. One transaction moves the counter by one and sets the number on the item, only if
   * it has none; a redelivery (or another worker) gets the number it already has. Numbers stay
   * unique and gap-free whoever races for them.
   */
  async numberCreditNote(creditNoteId: string, now: Date, maxAttempts = 25): Promise<NumberedCreditNoteRecord> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getCreditNote(creditNoteId);
      if (!current) throw new Error(`Credit note ${creditNoteId} does not exist`);
      if (isNumbered(current)) return current;
      if (current.status === "VOID") throw new Error(`Credit note ${creditNoteId} was voided (its refund was refused): it takes no number`);
      const last = await this.counterValue(CREDIT_NOTE_COUNTER_PK);
      const assigned = { creditNoteSeq: last + 1, creditNoteNumber: formatCreditNoteNumber(last + 1), issuedAt: now.toISOString() };
      try {
        await this.ddb.send(
          new TransactWriteCommand({
            TransactItems: [
              this.counterMove(CREDIT_NOTE_COUNTER_PK, last, last + 1),
              {
                Update: {
                  TableName: this.table,
                  Key: { pk: creditNotePk(creditNoteId) },
                  // Numbered, it is listed by the month it was issued in (the accountant's export).
                  UpdateExpression: "SET creditNoteSeq = :n, creditNoteNumber = :num, issuedAt = :at, #ipk = :month, #isk = :at",
                  ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(creditNoteNumber) AND #s = :requested",
                  ExpressionAttributeNames: {
                    "#s": "status",
                    "#ipk": TABLE_DESIGN.stateIndex.partitionKey,
                    "#isk": TABLE_DESIGN.stateIndex.sortKey,
                  },
                  ExpressionAttributeValues: {
                    ":n": assigned.creditNoteSeq,
                    ":num": assigned.creditNoteNumber,
                    ":at": assigned.issuedAt,
                    ":month": documentPartition("CREDITNOTES", assigned.issuedAt),
                    ":requested": "REQUESTED",
                  },
                },
              },
              {
                // The order lists its credit notes' numbers: the admins find it by one.
                Update: {
                  TableName: this.table,
                  Key: { pk: orderPk(current.orderId) },
                  UpdateExpression: "ADD creditNoteNumbers :nums",
                  ConditionExpression: "attribute_exists(pk)",
                  ExpressionAttributeValues: { ":nums": new Set([assigned.creditNoteNumber]) },
                },
              },
            ],
          }),
        );
        return { ...current, ...assigned };
      } catch (e) {
        // The counter moved, or another worker numbered this credit note: read both again.
        if (!isTxCancelled(e) || attempt >= maxAttempts) throw e;
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Moves a numbered credit note to ISSUED once its PDF is stored at `documentKey`; false when it was
   * already past REQUESTED (a redelivery). The credit note's date stays its numbering's (`issuedAt`):
   * `_at` is taken for the shared signature and not stored.
   */
  markCreditNoteIssued(creditNoteId: string, documentKey: string, _at: Date): Promise<boolean> {
    return this.updateIf(
      creditNotePk(creditNoteId),
      "SET #s = :issued, documentKey = :key",
      "#s = :requested AND attribute_exists(creditNoteNumber)",
      { ":issued": "ISSUED", ":requested": "REQUESTED", ":key": documentKey },
    );
  }

  /** claimNotification for a credit note: while it is ISSUED and nobody else holds a live claim (the same `claimId` may repeat). */
  claimCreditNoteNotification(creditNoteId: string, now: Date, leaseMs: number, claimId: string): Promise<boolean> {
    return this.updateIf(
      creditNotePk(creditNoteId),
      "SET notifyClaimedAt = :now, notifyClaimId = :id",
      "#s = :issued AND (attribute_not_exists(notifyClaimedAt) OR notifyClaimedAt < :stale OR notifyClaimId = :id)",
      { ":issued": "ISSUED", ":now": now.toISOString(), ":stale": new Date(now.getTime() - leaseMs).toISOString(), ":id": claimId },
    );
  }

  /** Gives up this caller's claim on a credit note's email, only when it was certainly not sent. */
  async releaseCreditNoteNotification(creditNoteId: string, claimId: string): Promise<void> {
    await this.updateIf(creditNotePk(creditNoteId), "REMOVE notifyClaimedAt, notifyClaimId", "#s = :issued AND notifyClaimId = :id", {
      ":issued": "ISSUED",
      ":id": claimId,
    });
  }

  /** Moves the credit note to NOTIFIED after its email went out; safe to repeat with the same message id. */
  markCreditNoteNotified(creditNoteId: string, at: Date, messageId: string | undefined): Promise<boolean> {
    return this.updateIf(
      creditNotePk(creditNoteId),
      "SET #s = :notified, notifiedAt = if_not_exists(notifiedAt, :at), emailMessageId = :mid REMOVE notifyClaimedAt, notifyClaimId",
      "#s = :issued OR (#s = :notified AND emailMessageId = :mid)",
      { ":notified": "NOTIFIED", ":issued": "ISSUED", ":at": at.toISOString(), ":mid": messageId ?? "unknown" },
    );
  }

  /**
   * Throws `refusal`, unless a retry of this very request committed meanwhile (its amounts are what
   * filled the invoice): then the existing record is the answer.
   */
  private async retriedOrRefused(refusal: CreditNoteRefused, creditNote: PricedCreditNote): Promise<CreditNoteRecord> {
    const existing = await this.getCreditNote(creditNote.id);
    if (existing && sameCreditNote(existing.creditNote, creditNote)) return existing;
    throw refusal;
  }

  private sameOrRefused(existing: CreditNoteRecord, creditNote: PricedCreditNote): CreditNoteRecord {
    if (sameCreditNote(existing.creditNote, creditNote)) return existing;
    throw new CreditNoteRefused("CREDIT_NOTE_ID_REUSED", `Credit note ${creditNote.id} exists with other contents`);
  }

  /** One conditional update of an order; false when the condition did not hold. */
  private updateOrderIf(
    orderId: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    return this.updateIf(orderPk(orderId), update, condition, values, names);
  }

  /** One conditional update of the item `pk` (`#s` is its status); false when the condition did not hold. */
  private async updateIf(
    pk: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<boolean> {
    const allNames = { ...(`${update} ${condition}`.includes("#s") ? { "#s": "status" } : {}), ...names };
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk },
          UpdateExpression: update,
          ConditionExpression: condition,
          ...(Object.keys(allNames).length ? { ExpressionAttributeNames: allNames } : {}),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  /**
   * Adds one SES event to its message's record (`EMAIL#<messageId>`, created by the first event),
   * once: a redelivered event is a "duplicate" and changes nothing.
   */
  async recordEmailEvent(messageId: string, orderId: string, e: EmailEventEntry): Promise<"recorded" | "duplicate"> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: emailPk(messageId) },
          UpdateExpression:
            "SET #type = :type, orderId = :orderId, events = list_append(if_not_exists(events, :none), :event) ADD eventKeys :keys",
          ConditionExpression: "attribute_not_exists(eventKeys) OR NOT contains(eventKeys, :key)",
          ExpressionAttributeNames: { "#type": "type" },
          ExpressionAttributeValues: {
            ":type": "email",
            ":orderId": orderId,
            ":none": [],
            ":event": [{ type: e.type, at: e.at, detail: e.detail }],
            ":keys": new Set([e.key]),
            ":key": e.key,
          },
        }),
      );
      return "recorded";
    } catch (e) {
      if (isConditionFailure(e)) return "duplicate";
      throw e;
    }
  }

  /** The events recorded for one message, oldest first, and its order; undefined if none was. */
  async emailEvents(messageId: string): Promise<{ orderId: string; events: Omit<EmailEventEntry, "key">[] } | undefined> {
    const r = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: emailPk(messageId) }, ConsistentRead: true }));
    return r.Item ? { orderId: String(r.Item.orderId), events: r.Item.events as Omit<EmailEventEntry, "key">[] } : undefined;
  }

  /**
   * Records what SES reported for the order's current email (`messageId`): false when the order's
   * current email is another one, or when a delivery would overwrite a failure (a complaint can
   * follow a delivery; a late delivery never clears a bounce).
   */
  markEmailOutcome(orderId: string, messageId: string, at: Date, failure?: EmailFailure): Promise<boolean> {
    if (failure) {
      return this.updateOrderIf(
        orderId,
        "SET emailStatus = :failed, emailFailure = :failure, emailOutcomeAt = :at",
        "emailMessageId = :mid",
        {
          ":failed": "FAILED" satisfies EmailStatus,
          ":failure": failure,
          ":at": at.toISOString(),
          ":mid": messageId,
        },
      );
    }
    return this.updateOrderIf(
      orderId,
      "SET emailStatus = :delivered, emailOutcomeAt = :at",
      "emailMessageId = :mid AND (attribute_not_exists(emailStatus) OR emailStatus <> :failed)",
      {
        ":delivered": "DELIVERED" satisfies EmailStatus,
        ":failed": "FAILED" satisfies EmailStatus,
        ":at": at.toISOString(),
        ":mid": messageId,
      },
    );
  }

  /**
   * Hands a NOTIFIED order back to the notifier to email its invoice again, to `to`: INVOICED, with
   * no claim, its current email moved to the earlier ones and its outcome cleared. `seen` is the
   * record the caller read; false when the order changed since (or was not NOTIFIED), or was re-sent
   * after `notBefore` (the rate limit of re-sends).
   */
  reopenForResend(seen: OrderRecord, to: string, now: Date, notBefore: Date = now): Promise<boolean> {
    return this.updateOrderIf(
      seen.order.orderId,
      "SET #s = :invoiced, emailTo = :to, resendRequestedAt = :now, previousEmailMessageIds = list_append(if_not_exists(previousEmailMessageIds, :none), :mids) " +
        "REMOVE emailMessageId, emailStatus, emailFailure, emailOutcomeAt, notifiedAt, notifyClaimedAt, notifyClaimId",
      `#s = :notified AND emailMessageId = :mid AND ${NO_RESEND_SINCE}`,
      {
        ":since": notBefore.toISOString(),
        ":invoiced": "INVOICED",
        ":notified": "NOTIFIED",
        ":to": to,
        ":now": now.toISOString(),
        ":none": [],
        ":mids": [seen.emailMessageId ?? "unknown"],
        ":mid": seen.emailMessageId ?? "unknown",
      },
    );
  }

  /**
   * Re-sends an INVOICED order's email (not sent yet, or failed every attempt) to `to`: records the
   * address and the request; the notifier, handed the order, mails it. False when it is no longer
   * INVOICED or was re-sent after `notBefore`.
   */
  requestResend(seen: OrderRecord, to: string, now: Date, notBefore: Date = now): Promise<boolean> {
    return this.updateOrderIf(seen.order.orderId, "SET emailTo = :to, resendRequestedAt = :now", `#s = :invoiced AND ${NO_RESEND_SINCE}`, {
      ":invoiced": "INVOICED",
      ":to": to,
      ":now": now.toISOString(),
      ":since": notBefore.toISOString(),
    });
  }

  /** Moves the order to INVOICED; false when it was already past PAID (a redelivery). */
  markInvoiced(orderId: string, at: Date): Promise<boolean> {
    return this.updateOrderIf(orderId, "SET #s = :invoiced, invoicedAt = :at", "#s = :paid AND attribute_exists(invoiceNumber)", {
      ":invoiced": "INVOICED",
      ":paid": "PAID",
      ":at": at.toISOString(),
    });
  }

  /**
   * Claims the right to email the customer: succeeds while the order is INVOICED and nobody else
   * holds a claim younger than `leaseMs`. Repeating a claim with the same `claimId` succeeds (the
   * SDK retrying a claim whose answer was lost must not lock its own caller out).
   */
  claimNotification(orderId: string, now: Date, leaseMs: number, claimId: string): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET notifyClaimedAt = :now, notifyClaimId = :id",
      "#s = :invoiced AND (attribute_not_exists(notifyClaimedAt) OR notifyClaimedAt < :stale OR notifyClaimId = :id)",
      { ":invoiced": "INVOICED", ":now": now.toISOString(), ":stale": new Date(now.getTime() - leaseMs).toISOString(), ":id": claimId },
    );
  }

  /** Gives up this caller's claim, only when the email was certainly not sent. */
  async releaseNotification(orderId: string, claimId: string): Promise<void> {
    await this.updateOrderIf(orderId, "REMOVE notifyClaimedAt, notifyClaimId", "#s = :invoiced AND notifyClaimId = :id", {
      ":invoiced": "INVOICED",
      ":id": claimId,
    });
  }

  /**
   * Moves the order to NOTIFIED after the email went out; safe to repeat with the same message id.
   * False if it was no longer INVOICED for another reason.
   */
  markNotified(orderId: string, at: Date, messageId: string | undefined): Promise<boolean> {
    return this.updateOrderIf(
      orderId,
      "SET #s = :notified, notifiedAt = if_not_exists(notifiedAt, :at), emailMessageId = :mid REMOVE notifyClaimedAt, notifyClaimId",
      "#s = :invoiced OR (#s = :notified AND emailMessageId = :mid)",
      { ":notified": "NOTIFIED", ":invoiced": "INVOICED", ":at": at.toISOString(), ":mid": messageId ?? "unknown" },
    );
  }

  /** Records a probe's receipt for PROBE_TTL_SECONDS (a redelivery overwrites it): an item no order reader sees. */
  async recordProbe(receipt: ProbeReceipt): Promise<void> {
    const expiresAt = Math.floor(Date.parse(receipt.receivedAt) / 1000) + PROBE_TTL_SECONDS;
    await this.ddb.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: probePk(receipt.probeId), type: "probe", ...receipt, [TABLE_DESIGN.ttlAttribute]: expiresAt },
      }),
    );
  }

  /** Reads a probe's receipt (strongly consistent), or undefined while the worker has not had it. */
  async getProbe(probeId: string): Promise<ProbeReceipt | undefined> {
    const r = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: probePk(probeId) }, ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { sentAt, receivedAt, release } = r.Item;
    return { probeId, sentAt: String(sentAt), receivedAt: String(receivedAt), ...(typeof release === "string" ? { release } : {}) };
  }
}

/** The order item's attribute holding how many units of invoice line `line` were credited so far. */
const creditedQtyAttribute = (line: number) => `creditedQty_${line}`;

/** Units of invoice line `line` credited so far. */
export function creditedQuantity(rec: OrderRecord, line: number): number {
  const v = (rec as unknown as Record<string, unknown>)[creditedQtyAttribute(line)];
  return typeof v === "number" ? v : 0;
}

/**
 * Why `creditNote` would credit more than the invoice of `rec` holds, given the credit notes
 * recorded so far: a line's units, the shipping a second time, or the invoice's total. Undefined if it fits.
 */
function overCredit(rec: OrderRecord, creditNote: PricedCreditNote): CreditNoteRefused | undefined {
  const refuse = (message: string) => new CreditNoteRefused("OVER_CREDIT", message);
  // An "amount" credit note's lines (invoiceLine -1) correct no one invoice line: only its total counts.
  for (const l of creditNote.lines.filter((x) => x.invoiceLine >= 0)) {
    const invoiced = rec.order.lines[l.invoiceLine]?.quantity ?? 0;
    const credited = creditedQuantity(rec, l.invoiceLine);
    if (credited + l.quantity > invoiced)
      return refuse(`Line ${l.invoiceLine}: ${l.quantity} more would exceed the ${invoiced} invoiced (${credited} credited so far)`);
  }
  if (creditNote.shipping && rec.shippingCredited) return refuse("The shipping was credited already");
  const credited = rec.creditedMinor ?? 0;
  if (credited + creditNote.totalMinor > rec.order.totalMinor)
    return refuse(`${creditNote.totalMinor} more would exceed the invoice's total ${rec.order.totalMinor} (${credited} credited so far)`);
  return undefined;
}

/**
 * The order item's update for a credit note: its amount, units per line and the shipping added to
 * what was credited, only while each stays within the invoice (the totals are part of the condition).
 */
function creditedUpdate(order: PricedOrder, creditNote: PricedCreditNote) {
  const names: Record<string, string> = { "#o": "order" };
  const values: Record<string, unknown> = {
    ":zero": 0,
    ":amount": creditNote.totalMinor,
    ":none": [],
    ":ids": [creditNote.id],
    ":total": order.totalMinor,
    ":cap": order.totalMinor - creditNote.totalMinor,
  };
  const sets = [
    "creditedMinor = if_not_exists(creditedMinor, :zero) + :amount",
    "creditNoteIds = list_append(if_not_exists(creditNoteIds, :none), :ids)",
  ];
  const conditions = [
    "attribute_exists(invoiceNumber)",
    "#o.totalMinor = :total",
    "(attribute_not_exists(creditedMinor) OR creditedMinor <= :cap)",
  ];
  creditNote.lines.forEach((l, i) => {
    if (l.invoiceLine < 0) return; // an "amount" credit note's line: only the total counts
    names[`#q${i}`] = creditedQtyAttribute(l.invoiceLine);
    values[`:q${i}`] = l.quantity;
    values[`:qmax${i}`] = order.lines[l.invoiceLine].quantity - l.quantity;
    sets.push(`#q${i} = if_not_exists(#q${i}, :zero) + :q${i}`);
    conditions.push(`(attribute_not_exists(#q${i}) OR #q${i} <= :qmax${i})`);
  });
  if (creditNote.shipping) {
    sets.push("shippingCredited = :true");
    values[":true"] = true;
    conditions.push("attribute_not_exists(shippingCredited)");
  }
  return {
    UpdateExpression: `SET ${sets.join(", ")}`,
    ConditionExpression: conditions.join(" AND "),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Is `b` the same order as `a` (same id, customer, creation time and total)? */
function sameOrder(a: PricedOrder, b: PricedOrder): boolean {
  return a.orderId === b.orderId && a.customer.id === b.customer.id && a.createdAt === b.createdAt && a.totalMinor === b.totalMinor;
}
