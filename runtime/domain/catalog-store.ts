import { isDeepStrictEqual } from "node:util";
import { queryEveryPage } from "./query-pages";
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { once } from "../memo";
import { STATE_INDEX_KEYS, TABLE_DESIGN } from "../contracts/table";
import {
  productInputSchema,
  productSchema,
  shippingMethodSchema,
  skuSchema,
  type Product,
  type ProductInput,
  type ShippingMethod,
} from "./catalog";

/**
 * Data access for the catalog in the orders table: one item per product (`PRODUCT#<sku>`) and per
 * shipping method (`SHIPPING#<id>`), both in the sparse state index (gsi2pk "CATALOG#product" /
 * "CATALOG#shipping", gsi2sk the sku or id) so the catalog is listed without a scan. Every write
 * raises `version` and is conditioned on the version it read (optimistic concurrency).
 */

/** A shipping method as stored. */
export type StoredShippingMethod = ShippingMethod & { readonly version: number; readonly updatedAt: string };

/** A product of a catalog file: what the shop defines, with its SKU. */
export const catalogProductSchema = once(() => productInputSchema().extend({ sku: skuSchema() }));
export type CatalogProductInput = z.input<ReturnType<typeof catalogProductSchema>>;

/** A whole catalog as a file gives it, validated; without `shippingMethods` the file says nothing about them. */
export interface CatalogFile {
  readonly products: readonly CatalogProductInput[];
  readonly shippingMethods?: readonly ShippingMethod[];
}

/** What a product write did; `changed` false means nothing was written. */
export interface ProductWrite {
  readonly before?: Product;
  readonly after: Product;
  readonly changed: boolean;
}

/** The product changed since it was read (If-Match, or another writer in between): nothing was written. */
export class CatalogVersionConflict extends Error {
  constructor(
    message: string,
    readonly current?: number,
  ) {
    super(message);
    this.name = "CatalogVersionConflict";
  }
}

/** What an import did (or, in a dry run, would do), per kind of item. */
export interface ImportSection {
  readonly added: string[];
  readonly changed: { readonly id: string; readonly fields: string[] }[];
  readonly deactivated: string[];
  readonly unchanged: number;
  /** Active items the file does not name, left as they are (without `deactivateMissing`). */
  readonly notInFile: string[];
}
export interface ImportReport {
  readonly products: ImportSection;
  /** Undefined when the file has no shipping methods section (a CSV): they were not looked at. */
  readonly shippingMethods?: ImportSection;
  readonly dryRun: boolean;
  /** Items written (0 in a dry run). */
  readonly written: number;
}

/** An import whose writes failed part-way: what was written is put back; `unrestored` names what could not be. */
export class CatalogImportFailed extends Error {
  constructor(
    message: string,
    readonly unrestored: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CatalogImportFailed";
  }
}

/** Items one TransactWriteItems call may hold. */
export const MAX_TRANSACTION_ITEMS = 100;
/** Keys one BatchGetItem call may hold. */
export const MAX_BATCH_GET_KEYS = 100;

const productPk = (sku: string) => `PRODUCT#${sku}`;
const shippingPk = (id: string) => `SHIPPING#${id}`;

const storedShippingSchema = once(() =>
  shippingMethodSchema().extend({ version: z.number().int().min(1), updatedAt: z.string().datetime() }),
);

/** The item's own fields, without the table's key and index attributes. */
function fieldsOf(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, type: _type, gsi2pk: _g1, gsi2sk: _g2, ...rest } = item;
  return rest;
}
const toProduct = (item: Record<string, unknown>): Product => productSchema().parse(fieldsOf(item));
const toShipping = (item: Record<string, unknown>): StoredShippingMethod => storedShippingSchema().parse(fieldsOf(item));

function productItem(p: Product): Record<string, unknown> {
  const { partitionKey, sortKey } = TABLE_DESIGN.stateIndex;
  return { pk: productPk(p.sku), type: "product", [partitionKey]: STATE_INDEX_KEYS.products, [sortKey]: p.sku, ...p };
}
function shippingItem(m: StoredShippingMethod): Record<string, unknown> {
  const { partitionKey, sortKey } = TABLE_DESIGN.stateIndex;
  return { pk: shippingPk(m.id), type: "shipping", [partitionKey]: STATE_INDEX_KEYS.shippingMethods, [sortKey]: m.id, ...m };
}

const PRODUCT_FIELDS = ["names", "prices", "taxCategory", "taxCategoryIn", "active"] as const;
const SHIPPING_FIELDS = ["names", "taxCategory", "zones", "active"] as const;

/** The fields of `fields` whose values differ between a and b. */
function changedFields<T extends object>(fields: readonly (keyof T & string)[], a: T, b: T): string[] {
  return fields.filter((f) => !isDeepStrictEqual(a[f], b[f])); // key order does not count
}

const isConditionFailure = (e: unknown) => (e as { name?: string })?.name === "ConditionalCheckFailedException";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One conditional write of an import (or of its compensation), with the item it replaces. */
interface PlannedWrite {
  readonly label: string;
  readonly pk: string;
  /** The stored item it replaces; undefined when it creates one. */
  readonly before?: Record<string, unknown>;
  readonly after: Record<string, unknown> & { version: number; updatedAt: string };
}

/** Data access for products and shipping methods. */
export class CatalogStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * The products of `skus` the catalog has (active or not: the caller decides) and the shipping
   * method, in one BatchGetItem round trip for up to 100 keys (more keys: one call per 100, in parallel).
   * Keys DynamoDB leaves unprocessed are asked again after a short backoff.
   */
  async lookup(
    skus: readonly string[],
    shippingMethodId?: string,
  ): Promise<{ products: Map<string, Product>; shippingMethod?: StoredShippingMethod }> {
    const keys = [...new Set(skus)].map(productPk);
    if (shippingMethodId !== undefined) keys.push(shippingPk(shippingMethodId));
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += MAX_BATCH_GET_KEYS) chunks.push(keys.slice(i, i + MAX_BATCH_GET_KEYS));
    const items = (await Promise.all(chunks.map((c) => this.batchGet(c)))).flat();
    const products = new Map<string, Product>();
    let shippingMethod: StoredShippingMethod | undefined;
    for (const item of items) {
      if (item.type === "product") {
        const p = toProduct(item);
        products.set(p.sku, p);
      } else if (item.type === "shipping") shippingMethod = toShipping(item);
    }
    return { products, shippingMethod };
  }

  private async batchGet(pks: readonly string[], maxAttempts = 6): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    let keys: Record<string, unknown>[] = pks.map((pk) => ({ pk }));
    for (let attempt = 1; keys.length; attempt++) {
      if (attempt > 1) {
        if (attempt > maxAttempts) throw new Error(`DynamoDB left ${keys.length} catalog keys unprocessed after ${maxAttempts} attempts`);
        await sleep(Math.random() * 25 * 2 ** attempt);
      }
      const r = await this.ddb.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }));
      found.push(...(r.Responses?.[this.table] ?? []));
      keys = r.UnprocessedKeys?.[this.table]?.Keys ?? [];
    }
    return found;
  }

  /** Every product and shipping method stored (active or not), by sku and id, from the state index (eventually consistent). */
  async listAll(): Promise<{ products: Product[]; shippingMethods: StoredShippingMethod[] }> {
    const [products, shippingMethods] = await Promise.all([
      this.queryState(STATE_INDEX_KEYS.products),
      this.queryState(STATE_INDEX_KEYS.shippingMethods),
    ]);
    return { products: products.map(toProduct), shippingMethods: shippingMethods.map(toShipping) };
  }

  /** The active products and shipping methods, by sku and id: what the storefront shows. */
  async listActive(): Promise<{ products: Product[]; shippingMethods: StoredShippingMethod[] }> {
    const all = await this.listAll();
    return { products: all.products.filter((p) => p.active), shippingMethods: all.shippingMethods.filter((m) => m.active) };
  }

  private queryState(partition: string): Promise<Record<string, unknown>[]> {
    const { name, partitionKey } = TABLE_DESIGN.stateIndex;
    return queryEveryPage(this.ddb, {
      TableName: this.table,
      IndexName: name,
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": partitionKey },
      ExpressionAttributeValues: { ":pk": partition },
    });
  }

  /** Reads one product (strongly consistent), or undefined. */
  async getProduct(sku: string): Promise<Product | undefined> {
    const r = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: productPk(sku) }, ConsistentRead: true }));
    return r.Item ? toProduct(r.Item) : undefined;
  }

  /**
   * Creates or replaces a product. With `expectedVersion` (an If-Match) the stored product must have
   * that version, or CatalogVersionConflict; without it a concurrent change is read again and
   * overwritten. Nothing is written when the input equals what is stored.
   */
  async putProduct(sku: string, input: ProductInput, now: Date, expectedVersion?: number): Promise<ProductWrite> {
    const fields = productInputSchema().parse(input);
    const valid = skuSchema().parse(sku);
    // A PUT replaces: an optional field the input leaves out (taxCategoryIn) is removed, not kept from before.
    return this.writeProduct(
      valid,
      (before) => ({ ...(before ?? {}), taxCategoryIn: undefined, ...fields, sku: valid }),
      now,
      expectedVersion,
    );
  }

  /** Takes a product off sale (active false, kept for the orders that name it); undefined when there is no such product. */
  async deactivateProduct(sku: string, now: Date, expectedVersion?: number): Promise<ProductWrite | undefined> {
    try {
      return await this.writeProduct(sku, (before) => (before ? { ...before, active: false } : undefined), now, expectedVersion);
    } catch (e) {
      if (e instanceof ProductGone) return undefined;
      throw e;
    }
  }

  private async writeProduct(
    sku: string,
    next: (before: Product | undefined) => Omit<Product, "version" | "updatedAt"> | undefined,
    now: Date,
    expectedVersion: number | undefined,
    maxAttempts = 5,
  ): Promise<ProductWrite> {
    for (let attempt = 1; ; attempt++) {
      const before = await this.getProduct(sku);
      const wanted = next(before);
      if (!wanted) throw new ProductGone();
      if (expectedVersion !== undefined && before?.version !== expectedVersion) {
        throw new CatalogVersionConflict(
          before
            ? `Product ${sku} is at version ${before.version}, not ${expectedVersion}: it changed since you read it.`
            : `Product ${sku} does not exist, so it has no version ${expectedVersion}.`,
          before?.version,
        );
      }
      if (before && changedFields(PRODUCT_FIELDS, before, wanted as Product).length === 0) return { before, after: before, changed: false };
      const after: Product = { ...wanted, version: (before?.version ?? 0) + 1, updatedAt: now.toISOString() };
      try {
        await this.ddb.send(new PutCommand({ TableName: this.table, Item: productItem(after), ...versionCondition(before?.version) }));
        return { before, after, changed: true };
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        if (expectedVersion !== undefined) throw new CatalogVersionConflict(`Product ${sku} changed while it was being written.`);
        if (attempt >= maxAttempts) throw e;
      }
    }
  }

  /**
   * Brings the catalog to what `file` says: adds what is new, replaces what differs, leaves equal
   * items unwritten, and (with `deactivateMissing`) deactivates active items the file does not name.
   * All or nothing: the writes go in transactions of up to 100 items, each conditioned on the version
   * read; when a later transaction fails, what the earlier ones wrote is put back, and
   * CatalogImportFailed is thrown. A dry run only reports.
   */
  async importCatalog(file: CatalogFile, now: Date, opts: { deactivateMissing?: boolean; dryRun?: boolean } = {}): Promise<ImportReport> {
    const stored = await this.listAll();
    const at = now.toISOString();
    const writes: PlannedWrite[] = [];
    const products = plan(
      file.products.map((p) => catalogProductSchema().parse(p)),
      stored.products,
      (p) => p.sku,
      PRODUCT_FIELDS,
      (p, version) => productItem({ ...p, version, updatedAt: at } as Product),
      productItem,
      opts.deactivateMissing ?? false,
      writes,
    );
    const shippingMethods = file.shippingMethods
      ? plan(
          file.shippingMethods.map((m) => shippingMethodSchema().parse(m)),
          stored.shippingMethods,
          (m) => m.id,
          SHIPPING_FIELDS,
          (m, version) => shippingItem({ ...m, version, updatedAt: at }),
          shippingItem,
          opts.deactivateMissing ?? false,
          writes,
        )
      : undefined;
    if (!opts.dryRun) await this.writeAllOrNothing(writes, now);
    return { products, shippingMethods, dryRun: opts.dryRun ?? false, written: opts.dryRun ? 0 : writes.length };
  }

  private async writeAllOrNothing(writes: readonly PlannedWrite[], now: Date): Promise<void> {
    const chunks: PlannedWrite[][] = [];
    for (let i = 0; i < writes.length; i += MAX_TRANSACTION_ITEMS) chunks.push(writes.slice(i, i + MAX_TRANSACTION_ITEMS));
    for (let c = 0; c < chunks.length; c++) {
      try {
        await this.ddb.send(
          new TransactWriteCommand({
            TransactItems: chunks[c].map((w) => ({
              Put: { TableName: this.table, Item: w.after, ...versionCondition(w.before?.version as number) },
            })),
          }),
        );
      } catch (e) {
        // The failed chunk may have committed unseen (a lost answer): it is undone too, where it did.
        const unrestored = await this.compensate(chunks.slice(0, c + 1).flat(), now);
        const what = unrestored.length
          ? `; ${unrestored.length} item(s) changed by someone else meanwhile could not be put back: ${unrestored.join(", ")}`
          : "; every item written before it was put back";
        throw new CatalogImportFailed(
          `The import failed in write ${c + 1} of ${chunks.length} (${(e as Error).name}: ${(e as Error).message})${what}.`,
          unrestored,
          { cause: e },
        );
      }
    }
  }

  /**
   * Puts written items back to what they were, each only while it is still what the import wrote:
   * a created item is deleted, a replaced one gets its former fields back under a new version
   * (versions only grow, so a reader's If-Match never matches a state it did not see).
   */
  private async compensate(written: readonly PlannedWrite[], now: Date): Promise<string[]> {
    const unrestored: string[] = [];
    for (const w of [...written].reverse()) {
      const ours = {
        ConditionExpression: "version = :v AND updatedAt = :at",
        ExpressionAttributeValues: { ":v": w.after.version, ":at": w.after.updatedAt },
      };
      try {
        if (!w.before) await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { pk: w.pk }, ...ours }));
        else {
          const restored = { ...w.before, version: w.after.version + 1, updatedAt: now.toISOString() };
          await this.ddb.send(new PutCommand({ TableName: this.table, Item: restored, ...ours }));
        }
      } catch (e) {
        if (!isConditionFailure(e)) unrestored.push(w.label);
        else if (
          (await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: w.pk }, ConsistentRead: true }))).Item?.version !==
          w.before?.version
        )
          unrestored.push(w.label); // neither ours nor what it was: someone else wrote it
      }
    }
    return unrestored;
  }
}

/** Raised inside writeProduct when a product to deactivate vanished between two reads. */
class ProductGone extends Error {}

/** The condition of a write that replaces `version` (or creates the item when undefined). */
function versionCondition(version: number | undefined) {
  return version === undefined
    ? { ConditionExpression: "attribute_not_exists(pk)" }
    : { ConditionExpression: "version = :v", ExpressionAttributeValues: { ":v": version } };
}

type Versioned = { version: number; updatedAt: string };

/** Compares a file's items with the stored ones, appends the writes needed, and reports. */
function plan<F extends { active: boolean }>(
  inFile: readonly F[],
  stored: readonly (F & Versioned)[],
  idOf: (x: F) => string,
  fields: readonly (keyof F & string)[],
  itemOf: (x: F, version: number) => Record<string, unknown>,
  storedItem: (x: F & Versioned) => Record<string, unknown>,
  deactivateMissing: boolean,
  writes: PlannedWrite[],
): ImportSection {
  const section = {
    added: [] as string[],
    changed: [] as ImportSection["changed"],
    deactivated: [] as string[],
    unchanged: 0,
    notInFile: [] as string[],
  };
  const byId = new Map(stored.map((s) => [idOf(s), s]));
  const write = (id: string, before: (F & Versioned) | undefined, next: F) => {
    const after = itemOf(next, (before?.version ?? 0) + 1) as PlannedWrite["after"];
    writes.push({ label: id, pk: String(after.pk), before: before && storedItem(before), after });
  };
  for (const f of inFile) {
    const id = idOf(f);
    const before = byId.get(id);
    if (!before) {
      section.added.push(id);
      write(id, undefined, f);
      continue;
    }
    const diff = changedFields<F>(fields, before, f);
    if (!diff.length) section.unchanged++;
    else {
      section.changed.push({ id, fields: diff });
      write(id, before, f);
    }
  }
  const named = new Set(inFile.map(idOf));
  for (const s of stored) {
    if (named.has(idOf(s)) || !s.active) continue;
    if (!deactivateMissing) section.notInFile.push(idOf(s));
    else {
      section.deactivated.push(idOf(s));
      write(idOf(s), s, { ...s, active: false });
    }
  }
  return section;
}
