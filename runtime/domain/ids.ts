import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The shape of an order id (newOrderId makes 20 characters; ids of 10 to 40 are accepted as well-formed). */
export const ORDER_ID_PATTERN = "ord_[A-Za-z0-9]{10,40}";
const ORDER_ID = new RegExp(`^${ORDER_ID_PATTERN}$`);
/** Is `s` a well-formed order id? */
export const isOrderId = (s: unknown): s is string => typeof s === "string" && ORDER_ID.test(s);

/** The shape of a credit note's id: `cn_` and 6-64 of A-Z a-z 0-9 _ -, so its keys (`CREDITNOTE#`, the PDF's) stay within their prefixes. */
export const CREDIT_NOTE_ID_PATTERN = "cn_[A-Za-z0-9_-]{6,64}";
const CREDIT_NOTE_ID = new RegExp(`^${CREDIT_NOTE_ID_PATTERN}$`);
/** Is `s` a well-formed credit-note id? */
export const isCreditNoteId = (s: unknown): s is string => typeof s === "string" && CREDIT_NOTE_ID.test(s);

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
