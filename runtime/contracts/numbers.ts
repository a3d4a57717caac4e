/** Formats the sequential counter value as the printed invoice number. */
export function formatInvoiceNumber(n: number): string {
  return `INV-${String(n).padStart(6, "0")}`;
}
