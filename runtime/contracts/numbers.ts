/** Formats the sequential counter value as the printed invoice number. */
export function formatInvoiceNumber(n: number): string {
  return `INV-${String(n).padStart(6, "0")}`;
}

/** Formats the credit-note counter value as the printed credit-note number: a series of its own. */
export function formatCreditNoteNumber(n: number): string {
  return `CN-${String(n).padStart(6, "0")}`;
}
