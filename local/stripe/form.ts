/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracketed keys
 * (`metadata[orderId]=A1`, `expand[0]=latest_charge`, `expand[]=x`), as the SDK and Stripe.js send it.
 */

/** A decoded form: strings, nested objects and arrays, exactly as sent (no type coercion). */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormParams = { [key: string]: FormValue };

/** Decodes a form-encoded body or query string into nested params. */
export function parseStripeForm(text: string): FormParams {
  const root: FormParams = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = keyPath(rawKey);
    if (!path) continue;
    let node: { [key: string]: FormValue } | FormValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(path[i + 1]!);
      if (Array.isArray(node)) {
        const index = segment === "" ? node.length : Number(segment);
        if (last) node[index] = value;
        else node = (node[index] ??= nextIsIndex ? [] : {}) as { [key: string]: FormValue } | FormValue[];
      } else if (last) node[segment] = value;
      else node = (node[segment] ??= nextIsIndex ? [] : {}) as { [key: string]: FormValue } | FormValue[];
    }
  }
  return root;
}

/** `a[b][0]` -> ["a", "b", "0"]; undefined for a key that is not well formed. */
function keyPath(key: string): string[] | undefined {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) return undefined;
  const rest = [...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!);
  return [m[1]!, ...rest];
}

/** The value of a string param, if it is one. */
export function str(params: FormParams, name: string): string | undefined {
  const v = params[name];
  return typeof v === "string" ? v : undefined;
}

/** The `expand` param as a list of field paths. */
export function expandList(params: FormParams): string[] {
  const v = params.expand;
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
}
