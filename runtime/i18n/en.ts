/**
 * The English message catalogue: the reference every other language must match key for key and
 * placeholder for placeholder (`{name}`). Its literal types give `t()` its typed parameters.
 */
export const en = {
  // The invoice PDF: heading and metadata.
  invoiceTitle: "Invoice",
  invoiceWithNumber: "Invoice {number}",
  invoiceForOrder: "Invoice {number} for order {orderId}",
  invoiceContinued: "Invoice {number} (continued)",
  invoiceNumber: "Invoice number",
  invoiceDate: "Invoice date",
  order: "Order",
  orderWithId: "Order {orderId}",
  pageOf: "Page {page} of {pages}",
  billTo: "Bill to",
  shipTo: "Ship to",

  // The credit note: the invoice's layout, its own title and number, and what it corrects (EN 16931 type 381).
  creditNoteTitle: "Credit note",
  creditNoteWithNumber: "Credit note {number}",
  creditNoteForInvoice: "Credit note {number} for invoice {invoice} (order {orderId})",
  creditNoteContinued: "Credit note {number} (continued)",
  creditNoteNumber: "Credit note number",
  creditNoteDate: "Credit note date",
  correctedInvoice: "Corrected invoice",
  correctsInvoice: "Corrects invoice {invoice} of {date}.",
  creditReason: "Reason: {reason}",
  creditRefundLine: "Refund",
  creditRefundReason: "Refund made at the payment provider",

  // The items table and totals.
  columnSku: "SKU",
  columnDescription: "Description",
  columnQuantity: "Qty",
  columnUnit: "Unit",
  columnUnitPrice: "Net price",
  columnVat: "VAT",
  columnLineTotal: "Net amount",
  unitPiece: "pc",
  shippingLine: "Shipping: {method}",
  /** The shipping's VAT cell when the shipping is spread over several rates (the breakdown shows each share). */
  shippingVatSplit: "split",
  subtotal: "Net total",
  tax: "VAT",
  taxWithRate: "VAT {rate}",
  total: "Total",

  // How the invoice was paid, or is to be paid (payment on account).
  paidOnWithCard: "Paid on {date} by {card} ({provider})",
  paidOn: "Paid on {date} ({provider})",
  dueDate: "Due date",
  paymentRequest: "Please transfer {amount} by {date}, quoting {reference}.",
  bankDetails: "Bank details",
  accountHolder: "Account holder",
  iban: "IBAN",
  bic: "BIC",
  scanToPay: "Scan to pay",

  // The seller's legal identity and the buyer's tax data (EU VAT Directive Art. 226, § 14 UStG).
  sellerVatId: "VAT ID: {id}",
  buyerVatId: "Customer VAT ID: {id}",
  taxNumber: "Tax number: {number}",
  tradeRegister: "Trade register: {register}",
  managingDirectors: "Managing directors: {names}",
  supplyDate: "Supply date",

  // The tax breakdown per rate.
  taxBreakdown: "VAT breakdown",
  taxableAmount: "Taxable amount",
  vatRate: "VAT rate",
  vatAmount: "VAT",

  // Notes the law requires when no VAT is charged.
  noteIntraCommunitySupply: "Tax-exempt intra-Community supply (Art. 138 Directive 2006/112/EC)",
  noteReverseCharge: "Reverse charge (Art. 196 Directive 2006/112/EC)",
  noteExport: "Tax-exempt export delivery (Art. 146 Directive 2006/112/EC)",
  noteOutsideScope: "Not subject to EU VAT: place of supply outside the EU",
  noteExempt: "VAT-exempt supply (Art. 132-137 Directive 2006/112/EC)",

  // The invoice email.
  emailSubject: "Your invoice {number} from {seller}",
  emailGreeting: "Hello {name},",
  emailInvoiceReady: "thank you for your order {orderId}. Your invoice {number} is ready.",
  emailItems: "Items (net)",
  emailShipping: "Shipping (net)",
  emailDownload: "Download your invoice (PDF)",
  emailLinkValidity: "The link works for {days} days.",
  emailLinkValidityInline: "the link works for {days} days.",

  // The credit-note email.
  emailCreditNoteSubject: "Your credit note {number} for invoice {invoice} from {seller}",
  emailCreditNoteReady: "we have corrected your invoice {invoice} for order {orderId}. Your credit note {number} is ready.",
  emailCreditedTotal: "Total credited",
  emailCreditNoteDownload: "Download your credit note (PDF)",

  // Punctuation that differs between languages (French sets a no-break space before the colon).
  labelColon: "{label}:",
} as const;

/** A key of the catalogue. */
export type MessageKey = keyof typeof en;
/** A language's catalogue: every English key, no other (a missing or extra key is a compile error). */
export type Messages = { readonly [K in MessageKey]: string };
