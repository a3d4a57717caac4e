import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A new order id: "ord_" and 20 random base62 characters (~119 bits). */
export function newOrderId(): string {
  const bytes = randomBytes(40);
  let out = "";
  for (const b of bytes) {
    if (b >= 248) continue; // 248 = 62 * 4: rejection keeps the alphabet unbiased
    out += ALPHABET[b % 62];
    if (out.length === 20) break;
  }
  return out.length === 20 ? `ord_${out}` : newOrderId();
}
