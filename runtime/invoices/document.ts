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
