/**
 * Validators for the Stripe operations the stand-in serves, compiled once from the checked-in subset of
 * Stripe's OpenAPI description (local/stripe/openapi-subset.json, written by scripts/update-stripe-openapi.ts).
 *
 * What ajv needs that the spec does not give it as such:
 * - `nullable: true` (OpenAPI 3.0) is rewritten to JSON Schema: `type: [t, "null"]` (and `null` added to an
 *   `enum`), or `anyOf: [schema, {type: "null"}]` where there is no `type` (Stripe's nullable `anyOf`/`$ref`).
 * - `strict: false`, so that Stripe's `x-` keywords (x-expandableFields, x-resourceId, ...) are ignored.
 * - Stripe's formats `unix-time` (an integer) and `decimal` (a decimal string) are declared; others are ajv-formats'.
 * Nothing else is changed: `required`, `enum`, `additionalProperties` and `maxLength` apply as published.
 */
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import subset from "../../local/stripe/openapi-subset.json";

type Schema = Record<string, unknown>;

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly parameters?: Array<{ name: string; in: string; schema: Schema }>;
  readonly requestBody?: { content: Record<string, { schema: Schema }> };
  readonly responses: Record<string, { content: Record<string, { schema: Schema }> }>;
}

/** The operations of the subset, by operationId. */
export const STRIPE_OPERATIONS = subset.operations as unknown as Record<string, Operation>;
/** Where the subset came from (repository, commit, path) and its API version. */
export const STRIPE_SPEC_SOURCE = `${subset.source} (API ${subset.apiVersion})`;

/** OpenAPI 3.0's `nullable` as JSON Schema, recursively. */
export function withNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withNullable);
  if (!node || typeof node !== "object") return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) if (k !== "nullable") out[k] = withNullable(v);
  if ((node as Schema).nullable !== true) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

/** Rewrites local refs of an operation's schema to the components document registered as "stripe". */
function retarget(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(retarget);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === "$ref" && typeof v === "string" ? `stripe${v}` : retarget(v)]));
}

function newAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes });
  addFormats(ajv);
  ajv.addFormat("unix-time", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("decimal", /^-?\d+(\.\d+)?$/);
  ajv.addSchema({ $id: "stripe", components: withNullable(subset.components) as Schema });
  return ajv;
}

const responses = newAjv(false);
const requests = newAjv(true);
const cache = new Map<string, ValidateFunction>();

function compiled(key: string, ajv: Ajv, schema: Schema): ValidateFunction {
  let v = cache.get(key);
  if (!v) cache.set(key, (v = ajv.compile(retarget(withNullable(schema)) as Schema)));
  return v;
}

/** The validator of the answer of `operationId` with HTTP `status` (200, or Stripe's `default` error schema). */
export function responseValidator(operationId: string, status: number): ValidateFunction {
  const op = STRIPE_OPERATIONS[operationId];
  if (!op) throw new Error(`no operation ${operationId} in the subset`);
  const which = op.responses[String(status)] ? String(status) : "default";
  return compiled(`res ${operationId} ${which}`, responses, op.responses[which]!.content["application/json"]!.schema);
}

/** The form (body or query) parameters `operationId` declares, and a validator for them with form strings coerced. */
export function requestSchema(operationId: string): { names: Set<string>; validate: ValidateFunction } {
  const op = STRIPE_OPERATIONS[operationId];
  if (!op) throw new Error(`no operation ${operationId} in the subset`);
  const body = op.requestBody?.content["application/x-www-form-urlencoded"]?.schema ?? { type: "object", properties: {} };
  const query = (op.parameters ?? []).filter((p) => p.in === "query");
  const schema: Schema = query.length
    ? { type: "object", properties: Object.fromEntries(query.map((p) => [p.name, p.schema])), additionalProperties: false }
    : body;
  const names = new Set(Object.keys((schema.properties as Schema | undefined) ?? {}));
  return { names, validate: compiled(`req ${operationId}`, requests, schema) };
}
