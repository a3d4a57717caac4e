/**
 * Detection of card numbers (PANs) anywhere in a request: a Luhn-valid run of 13-19 digits,
 * optionally separated by single spaces or dashes. The API refuses them so that no card number
 * is ever logged, stored or queued.
 */

const CANDIDATE = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;

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
  for (const m of text.matchAll(CANDIDATE)) {
    const digits = m[0].replace(/[ -]/g, "");
    if (digits.length < 13 || digits.length > 19) continue;
    if (/^(\d)\1+$/.test(digits)) continue; // 0000000000000 and the like are not cards
    if (luhnValid(digits)) return true;
  }
  return false;
}

/** Walks any JSON value and reports whether a string or number in it looks like a card number. */
export function jsonContainsCardNumber(value: unknown): boolean {
  if (typeof value === "string") return containsCardNumber(value);
  if (typeof value === "number") return Number.isInteger(value) && containsCardNumber(String(value));
  if (Array.isArray(value)) return value.some(jsonContainsCardNumber);
  if (value && typeof value === "object") {
    return Object.entries(value).some(([k, v]) => containsCardNumber(k) || jsonContainsCardNumber(v));
  }
  return false;
}
