import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { orderBody } from "./events";
import { CatalogStore } from "../../runtime/domain/catalog-store";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isDiscarded, type OrderRecord } from "../../runtime/domain/store";

/**
 * The hostile input corpus (test/corpus/*.yaml) and its runner. The runner takes the request
 * function and the "what was left behind" hooks as parameters, so the same cases run against the
 * local pipeline over HTTP, the handler from source and the deployed Lambda artifact.
 */

/** One HTTP request of the corpus; `body` is the exact bytes sent. */
export interface CorpusRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

/** What came back. `body` is text (every API answer is JSON). */
export interface CorpusResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What the stores hold that a request could have left behind, as order ids. */
export interface LeftBehind {
  /** Order ids of order items and of idempotency records in the table. */
  readonly stored: readonly string[];
  /** Order ids that reached the orders queue (seen by the worker) or its DLQ. */
  readonly queued: readonly string[];
  /** Order ids an email was sent for. */
  readonly emailed: readonly string[];
}

/**
 * The order ids a table's items hold (orders and idempotency records). An order taken back at checkout
 * (the provider refused the payment request) is closed and hidden, as if never placed: not left behind.
 */
export function storedOrderIds(items: readonly Record<string, unknown>[]): string[] {
  return items.flatMap((i) => {
    if (i.type === "order") return isDiscarded(i as unknown as OrderRecord) ? [] : [String((i.order as { orderId: string }).orderId)];
    return i.type === "idempotency" ? [String(i.orderId)] : [];
  });
}

/** Where the corpus runs: the request function and the hooks that look into the stores. */
export interface CorpusTarget {
  /** Sends one request, authenticated as a signed-in customer (the target adds the credentials). */
  readonly request: (req: CorpusRequest) => Promise<CorpusResponse>;
  /** Reads what the stores hold now. */
  readonly leftBehind: () => Promise<LeftBehind>;
  /** Waits until these accepted orders were emailed (a target without a worker may omit it). */
  readonly waitEmailed?: (orderIds: readonly string[]) => Promise<void>;
}

/** The documented answer a case must get. */
export interface CorpusExpectation {
  readonly status: number;
  readonly code?: string;
  /** A `details[].path` the error must name. */
  readonly path?: string;
}

/** One case: a request and its documented answer. */
export interface CorpusCase {
  readonly id: string;
  readonly category: string;
  readonly file: string;
  readonly request: CorpusRequest;
  readonly expect: CorpusExpectation;
}

/* ---------- loading ---------- */

/** SKUs of the demo catalog (catalog/demo.json), which every test stack loads. */
const DEMO_SKUS = ["TSHIRT-RED-M", "MUG-01", "SOCKS-3PK", "CAP-NAVY", "TOTE-BAG", "POSTER-A2", "BOOK-COFFEE"];

/**
 * What the corpus needs in the catalog beside the demo products: a product no longer sold, one priced
 * in EUR only, one at the highest unit price, and a shipping method that ships to Germany only.
 */
export const CORPUS_CATALOG = {
  products: [
    { sku: "RETIRED-01", names: { en: "Retired mug" }, prices: { EUR: 1250, USD: 1390 }, taxCategory: "standard", active: false },
    { sku: "EUR-ONLY-01", names: { en: "Euro-only poster" }, prices: { EUR: 900 }, taxCategory: "standard", active: true },
    { sku: "GOLD-BAR", names: { en: "Gold bar" }, prices: { EUR: 100_000_000, JPY: 100_000_000 }, taxCategory: "standard", active: true },
  ],
  shippingMethods: [
    {
      id: "pickup-berlin",
      names: { en: "Pick-up in Berlin" },
      taxCategory: "standard",
      zones: [{ zone: "domestic", countries: ["DE"], prices: { EUR: 100 } }],
      active: true,
    },
    {
      id: "retired-post",
      names: { en: "Retired post" },
      taxCategory: "standard",
      zones: [{ zone: "world", countries: "*", prices: { EUR: 500 } }],
      active: false,
    },
  ],
} as const;

/** Adds CORPUS_CATALOG to a stack's catalog (the demo catalog stays). */
export async function loadCorpusCatalog(ddb: DynamoDBDocumentClient, table: string): Promise<void> {
  await new CatalogStore(ddb, table).importCatalog(JSON.parse(JSON.stringify(CORPUS_CATALOG)), new Date());
}

/** Templates a case may use inside values: built in code so the YAML stays small and readable. */
type Template =
  | { $repeat: [string, number] } // the string repeated n times
  | { $deep: { depth: number; kind: "array" | "object"; leaf?: unknown } } // depth nested containers around leaf
  | { $array: [unknown, number] } // n copies of a value
  | { $lines: number } // n valid order lines, cycling through the demo catalog's SKUs
  | { $number: string } // a JSON number written verbatim (1e400, -0, 1.0)
  | { $concat: unknown[] } // strings (or string templates) joined
  | { $keys: number }; // an object of n keys k0..k(n-1), each 0

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON value that may hold markers of raw JSON text (numbers as written, deep nesting), rendered with them in place. */
class Rendered {
  private readonly numbers: string[] = [];
  marker(raw: string): string {
    this.numbers.push(raw);
    return `\u0000num${this.numbers.length - 1}\u0000`;
  }
  stringify(v: unknown): string {
    return JSON.stringify(v).replace(/"\\u0000num(\d+)\\u0000"/g, (_, i: string) => this.numbers[Number(i)]);
  }
}

function setOwn(target: Record<string, unknown> | unknown[], key: string, value: unknown): void {
  // defineProperty, so "__proto__" becomes an own key (as JSON.parse makes it), not the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function expand(v: unknown, r: Rendered): unknown {
  if (Array.isArray(v)) return v.map((x) => expand(x, r));
  if (!isObj(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0].startsWith("$")) {
    const t = v as Template;
    if ("$repeat" in t) return t.$repeat[0].repeat(t.$repeat[1]);
    if ("$array" in t) return Array.from({ length: t.$array[1] }, () => expand(t.$array[0], r));
    if ("$lines" in t) {
      return Array.from({ length: t.$lines }, (_, i) => ({ sku: DEMO_SKUS[i % DEMO_SKUS.length], quantity: 1 }));
    }
    if ("$number" in t) return r.marker(t.$number);
    if ("$concat" in t) return t.$concat.map((p) => expand(p, r)).join("");
    if ("$keys" in t) return Object.fromEntries(Array.from({ length: t.$keys }, (_, i) => [`k${i}`, 0]));
    if ("$deep" in t) {
      // Written as text: JSON.stringify itself recurses per level and overflows the stack at these depths.
      const leaf = t.$deep.leaf === undefined ? "1" : r.stringify(expand(t.$deep.leaf, r));
      const [open, close] = t.$deep.kind === "array" ? ["[", "]"] : ['{"a":', "}"];
      return r.marker(open.repeat(t.$deep.depth) + leaf + close.repeat(t.$deep.depth));
    }
    throw new Error(`unknown template ${keys[0]}`);
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) setOwn(out, k, expand(v[k], r));
  return out;
}

/** Sets `value` at a dotted path ("items.0.name") of a JSON value, creating nothing on the way. */
function setPath(root: unknown, dotted: string, value: unknown, remove = false): void {
  const parts = dotted.split(".");
  let at = root as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) {
    if (!at || typeof at !== "object" || !(p in at)) throw new Error(`no "${p}" on the way to ${dotted}`);
    at = at[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (remove) delete at[last];
  else setOwn(at, last, value);
}

/** A case as written in YAML. */
interface RawCase {
  id: string;
  method?: string;
  path?: string;
  headers?: Record<string, unknown>;
  /** Pads the JSON body with trailing spaces to exactly this many bytes. */
  padTo?: number;
  set?: Record<string, unknown>;
  unset?: string[];
  json?: unknown;
  raw?: string | (string | { $repeat: [string, number] })[];
  base64?: string;
  expect: CorpusExpectation;
}

function bodyOf(c: RawCase): Buffer {
  const r = new Rendered();
  if (c.base64 !== undefined) return Buffer.from(c.base64, "base64");
  if (c.raw !== undefined) {
    const parts = Array.isArray(c.raw) ? c.raw : [c.raw];
    return Buffer.from(parts.map((p) => (typeof p === "string" ? p : (expand(p, r) as string))).join(""), "utf8");
  }
  if (c.json !== undefined) return Buffer.from(r.stringify(expand(c.json, r)), "utf8");
  const body: unknown = orderBody();
  for (const [p, v] of Object.entries(c.set ?? {})) setPath(body, p, expand(v, r));
  for (const p of c.unset ?? []) setPath(body, p, undefined, true);
  const text = r.stringify(body);
  const pad = c.padTo === undefined ? 0 : c.padTo - Buffer.byteLength(text);
  if (pad < 0) throw new Error(`case ${c.id}: the body is already longer than padTo`);
  return Buffer.from(text + " ".repeat(pad), "utf8");
}

function headersOf(c: RawCase): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const [k, v] of Object.entries(c.headers ?? {})) {
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === k.toLowerCase()) delete headers[existing];
    if (v !== null) headers[k] = String(expand(v, new Rendered()));
  }
  return headers;
}

/** Loads every *.yaml file of `dir` (one category each: `category:` and `cases:`) into cases. */
export function loadCorpus(dir = path.resolve(__dirname, "../corpus")): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const ids = new Set<string>();
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    const doc = parseYaml(fs.readFileSync(path.join(dir, file), "utf8")) as { category: string; cases: RawCase[] };
    for (const c of doc.cases) {
      const id = `${doc.category}/${c.id}`;
      if (ids.has(id)) throw new Error(`duplicate corpus case ${id} in ${file}`);
      ids.add(id);
      if (!c.expect || typeof c.expect.status !== "number") throw new Error(`corpus case ${id} states no expected status`);
      cases.push({
        id,
        category: doc.category,
        file,
        request: {
          method: c.method ?? "POST",
          path: c.path ?? "/orders",
          headers: headersOf(c),
          body: c.method === "GET" ? undefined : bodyOf(c),
        },
        expect: c.expect,
      });
    }
  }
  return cases;
}

/* ---------- running ---------- */

/** What a run found. `failures` is empty when every promise held. */
export interface CorpusReport {
  readonly tried: number;
  readonly byCategory: Record<string, number>;
  readonly byStatus: Record<string, number>;
  /** Orders an answer said were recorded (202, or 402 for a declined card). */
  readonly accepted: readonly string[];
  /** Orders an answer said were PAID: the only ones the queue and the mailbox may hold. */
  readonly paid: readonly string[];
  readonly serverErrors: number;
  readonly storeChecks: number;
  /** Wall time sending the cases, looking into the stores, and waiting for the accepted orders' emails. */
  readonly ms: { cases: number; checks: number; emails: number };
  readonly failures: readonly string[];
}

/** Options of a corpus run. */
export interface RunOptions {
  /** Cases between two looks into the stores (and a good order). @default 25 */
  readonly checkEvery?: number;
}

/** The error body, when the answer is one. */
function errorOf(body: string): { code?: string; details?: { path: string }[] } | undefined {
  try {
    const b = JSON.parse(body) as { error?: { code?: string; details?: { path: string }[] } };
    return b.error;
  } catch {
    return undefined;
  }
}

/** Checks one answer against the documented one; returns what is wrong, if anything. */
export function judge(c: Pick<CorpusCase, "id" | "expect">, res: CorpusResponse): string | undefined {
  const err = errorOf(res.body);
  const got = `${res.status} ${err?.code ?? ""}`.trim();
  if (res.status >= 500) return `${c.id}: answered ${got}, a server error`;
  if (res.status !== c.expect.status)
    return `${c.id}: expected ${c.expect.status} ${c.expect.code ?? ""}, got ${got}: ${res.body.slice(0, 200)}`;
  if (c.expect.code && err?.code !== c.expect.code) return `${c.id}: expected code ${c.expect.code}, got ${got}`;
  if (c.expect.path !== undefined) {
    const paths = (err?.details ?? []).map((d) => d.path);
    if (!paths.includes(c.expect.path)) return `${c.id}: expected a detail at "${c.expect.path}", got ${JSON.stringify(paths)}`;
  }
  return undefined;
}

/** The good order sent after each batch: the service must keep serving. */
const goodRequest = (): CorpusRequest => ({
  method: "POST",
  path: "/orders",
  headers: { "content-type": "application/json" },
  body: Buffer.from(JSON.stringify(orderBody())),
});

/**
 * The order an answer says was recorded, and whether it was paid: a 202 (PAID or AWAITING_PAYMENT) and a
 * 402 (PAYMENT_FAILED, its error names the order) record one; anything else records nothing. A 202 that
 * awaits payment but says the payment succeeded (the store failed after the provider took the money, on a
 * loaded machine) is paid: the webhook completes it, and its message and email follow.
 */
function recordedBy(res: CorpusResponse): { orderId: string; paid: boolean } | undefined {
  try {
    const b = JSON.parse(res.body) as {
      orderId?: string;
      status?: string;
      payment?: { status?: string };
      error?: { orderId?: string };
    };
    if (res.status === 202 && b.orderId) return { orderId: b.orderId, paid: b.status === "PAID" || b.payment?.status === "succeeded" };
    if (res.status === 402 && b.error?.orderId) return { orderId: b.error.orderId, paid: false };
  } catch {
    /* not JSON: nothing recorded */
  }
  return undefined;
}

/**
 * Runs every case against the target: each answer must be the documented status and code and never
 * a 5xx; every `checkEvery` cases and at the end the table may hold only orders an answer said were
 * recorded (202, or 402 for a declined card), the queue and the mailbox only those it said were PAID;
 * a good order succeeds after each batch, and at the end every paid order was emailed (when the target can tell).
 */
export async function runCorpus(cases: readonly CorpusCase[], target: CorpusTarget, o: RunOptions = {}): Promise<CorpusReport> {
  const checkEvery = o.checkEvery ?? 25;
  const failures: string[] = [];
  const accepted: string[] = [];
  const paid: string[] = [];
  const byCategory: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  let serverErrors = 0;
  let storeChecks = 0;
  let batch: string[] = [];
  const ms = { cases: 0, checks: 0, emails: 0 };
  const timed = async <T>(part: keyof typeof ms, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      ms[part] += Date.now() - t0;
    }
  };
  /** Each recorded order's answer (status and body's start), for the failure messages. */
  const answers = new Map<string, string>();
  const note = (res: CorpusResponse, id = "good order") => {
    const r = recordedBy(res);
    if (!r) return;
    answers.set(r.orderId, `${res.status} to ${id}: ${res.body.slice(0, 300)}`);
    accepted.push(r.orderId);
    if (r.paid) paid.push(r.orderId);
  };

  const send = async (req: CorpusRequest, id: string): Promise<CorpusResponse | undefined> => {
    try {
      return await target.request(req);
    } catch (e) {
      failures.push(`${id}: the request failed: ${(e as Error).message}`);
      return undefined;
    }
  };
  const checkStores = async () => {
    storeChecks++;
    const known = { table: new Set(accepted), queue: new Set(paid), email: new Set(paid) };
    const lb = await target.leftBehind();
    for (const [where, ids] of [
      ["table", lb.stored],
      ["queue", lb.queued],
      ["email", lb.emailed],
    ] as const) {
      const stray = [...new Set(ids)].filter((id) => !known[where].has(id));
      // An order the API answered for is named with that answer, so a failure says which case and what it was told.
      const told = (id: string) => (answers.has(id) ? ` (answered ${answers.get(id)})` : "");
      if (stray.length)
        failures.push(
          `left behind in the ${where} after cases ${batch[0]} .. ${batch[batch.length - 1]}: ${stray.map((id) => id + told(id)).join(", ")}`,
        );
    }
    const good = await send(goodRequest(), "good order");
    if (good?.status === 202) note(good);
    else if (good)
      failures.push(
        `a good order after cases ${batch[0]} .. ${batch[batch.length - 1]} answered ${good.status}: ${good.body.slice(0, 200)}`,
      );
    batch = [];
  };

  for (const c of cases) {
    byCategory[c.category] = (byCategory[c.category] ?? 0) + 1;
    const res = await timed("cases", () => send(c.request, c.id));
    batch.push(c.id);
    if (res) {
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      if (res.status >= 500) serverErrors++;
      const wrong = judge(c, res);
      if (wrong) failures.push(wrong);
      note(res, c.id);
    }
    if (batch.length >= checkEvery) await timed("checks", checkStores);
  }
  if (batch.length) await timed("checks", checkStores);
  if (target.waitEmailed) {
    await timed("emails", () => target.waitEmailed!(paid));
    const emailed = new Set((await target.leftBehind()).emailed);
    const missing = paid.filter((id) => !emailed.has(id));
    if (missing.length) failures.push(`paid but never emailed: ${missing.join(", ")}`);
  }
  return { tried: cases.length, byCategory, byStatus, accepted, paid, serverErrors, storeChecks, ms, failures };
}
