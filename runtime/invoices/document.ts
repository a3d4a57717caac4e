import type { PricedCreditNote } from "../domain/credit-note";
import type { PricedOrder } from "../domain/order";
import type { Seller } from "../settings";

/** Everything printed on an invoice. Rendering is a pure function of this value. */
export interface InvoiceDocument {
  readonly order: PricedOrder;
  /** Formatted sequential number, e.g. "INV-000042". */
  readonly invoiceNumber: string;
  /** When the number was assigned: the invoice date, fixed so a re-render is identical. */
  readonly issuedAt: Date;
  readonly seller: Seller;
  /** How the invoice was paid (every invoiced order was paid first), as the provider confirmed it. */
  readonly payment?: {
    readonly provider: string;
    readonly paidAt: Date;
    readonly card?: { readonly brand: string; readonly last4: string };
  };
}

/** Everything printed on a credit note. Rendering is a pure function of this value. */
export interface CreditNoteDocument {
  readonly creditNote: PricedCreditNote;
  /** The corrected invoice's order: customer, buyer and addresses as the invoice had them. */
  readonly order: PricedOrder;
  /** Formatted number of the credit notes' own series, e.g. "CN-000001". */
  readonly creditNoteNumber: string;
  /** When the number was assigned: the credit note's date. */
  readonly issuedAt: Date;
  /** The corrected invoice's number and date. */
  readonly invoiceNumber: string;
  readonly invoiceIssuedAt: Date;
  readonly seller: Seller;
}
