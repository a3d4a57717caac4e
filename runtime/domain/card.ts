/**
 * Detection of card numbers (PANs) anywhere in a request: a Luhn-valid run of 13-19 digits,
 * optionally separated by single spaces, dots or dashes (any Unicode dash), in any script's
 * decimal digits (ASCII, full-width, mathematical, Arabic-Indic, Devanagari, ...). The API refuses
 * them so that no card number is ever logged, stored or queued.
 */

const CANDIDATE = /(?<![\d])\d(?:[ .\p{Pd}]?\d){12,18}(?![\d])/gu;
const SEPARATORS = /[ .\p{Pd}]/gu;
const DECIMAL_DIGIT = /\p{Nd}/gu;

/**
 * Folds every Unicode decimal digit to its ASCII digit. Unicode encodes each script's digits as
 * contiguous runs of ten, 0 to 9 (a stability guarantee), so a digit's value is its distance from the
 * start of its block of consecutive digits, modulo 10.
 */
export function foldDigits(text: string): string {
  return text.replace(DECIMAL_DIGIT, (d) => {
    const cp = d.codePointAt(0)!;
    if (cp < 0x80) return d;
    let start = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  });
}

/** The Luhn checksum over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Does this text hold something that looks like a card number? */
export function containsCardNumber(text: string): boolean {
  // NFKC first: it turns no-break and other compatibility spaces into plain ones.
  for (const m of foldDigits(text.normalize("NFKC")).matchAll(CANDIDATE)) {
    const digits = m[0].replace(SEPARATORS, "");
    if (digits.length < 13 || digits.length > 19) continue;
    if (/^(\d)\1+$/.test(digits)) continue; // 0000000000000 and the like are not cards
    if (luhnValid(digits)) return true;
  }
  return false;
}

/**
 * Walks any JSON value and reports whether a key, string or integer in it looks like a card number.
 * Iterative, so no nesting depth can exhaust the stack.
 */
export function jsonContainsCardNumber(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length) {
    const v = pending.pop();
    if (typeof v === "string") {
      if (containsCardNumber(v)) return true;
    } else if (typeof v === "number") {
      if (Number.isInteger(v) && containsCardNumber(String(v))) return true;
    } else if (Array.isArray(v)) {
      for (const child of v) pending.push(child);
    } else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (containsCardNumber(k)) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
