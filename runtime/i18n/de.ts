import type { Messages } from "./en";

/**
 * The German catalogue (Germany's usage: "USt." for VAT). The legal notes cite the VAT Directive, not a member
 * state's law: the language is the customer's, while the law is the seller's (Art. 226 (11) allows the Directive).
 */
export const de: Messages = {
  invoiceTitle: "Rechnung",
  invoiceWithNumber: "Rechnung {number}",
  invoiceForOrder: "Rechnung {number} zur Bestellung {orderId}",
  invoiceContinued: "Rechnung {number} (Fortsetzung)",
  invoiceNumber: "Rechnungsnr.",
  invoiceDate: "Rechnungsdatum",
  order: "Bestellung",
  orderWithId: "Bestellung {orderId}",
  pageOf: "Seite {page} von {pages}",
  billTo: "Rechnungsadresse",
  shipTo: "Lieferadresse",

  // Not "Gutschrift": under § 14 (2) UStG that is a buyer's self-billed invoice; a seller's correction is a Rechnungskorrektur.
  creditNoteTitle: "Rechnungskorrektur",
  creditNoteWithNumber: "Rechnungskorrektur {number}",
  creditNoteForInvoice: "Rechnungskorrektur {number} zur Rechnung {invoice} (Bestellung {orderId})",
  creditNoteContinued: "Rechnungskorrektur {number} (Fortsetzung)",
  creditNoteNumber: "Korrektur-Nr.",
  creditNoteDate: "Korrekturdatum",
  correctedInvoice: "Zur Rechnung",
  correctsInvoice: "Berichtigt die Rechnung {invoice} vom {date}.",
  creditReason: "Grund: {reason}",
  creditRefundLine: "Erstattung",
  creditRefundReason: "Erstattung über den Zahlungsdienstleister",

  columnSku: "Art.-Nr.",
  columnDescription: "Bezeichnung",
  columnQuantity: "Anz.",
  columnUnit: "Einh.",
  columnUnitPrice: "Preis netto",
  columnVat: "USt.",
  columnLineTotal: "Betrag netto",
  unitPiece: "Stk.",
  shippingLine: "Versand: {method}",
  shippingVatSplit: "anteilig",
  subtotal: "Nettobetrag",
  tax: "USt.",
  taxWithRate: "USt. {rate}",
  total: "Gesamtbetrag",

  paidOnWithCard: "Bezahlt am {date} mit {card} ({provider})",
  paidOn: "Bezahlt am {date} ({provider})",
  dueDate: "Fällig am",
  paymentRequest: "Bitte überweisen Sie {amount} bis zum {date} unter Angabe von {reference}.",
  bankDetails: "Bankverbindung",
  accountHolder: "Kontoinhaber",
  iban: "IBAN",
  bic: "BIC",
  scanToPay: "Zum Bezahlen scannen",

  sellerVatId: "USt-IdNr.: {id}",
  buyerVatId: "USt-IdNr. des Kunden: {id}",
  taxNumber: "Steuernummer: {number}",
  tradeRegister: "Handelsregister: {register}",
  managingDirectors: "Geschäftsführung: {names}",
  supplyDate: "Leistungsdatum",

  taxBreakdown: "Umsatzsteuer nach Steuersätzen",
  taxableAmount: "Nettobetrag",
  vatRate: "USt.-Satz",
  vatAmount: "USt.-Betrag",

  noteIntraCommunitySupply: "Steuerfreie innergemeinschaftliche Lieferung (Art. 138 Richtlinie 2006/112/EG)",
  noteReverseCharge: "Steuerschuldnerschaft des Leistungsempfängers (Art. 196 Richtlinie 2006/112/EG)",
  noteExport: "Steuerfreie Ausfuhrlieferung (Art. 146 Richtlinie 2006/112/EG)",
  noteOutsideScope: "Nicht der Mehrwertsteuer der EU unterliegend (Leistungsort außerhalb der EU)",
  noteExempt: "Steuerfreier Umsatz (Art. 132-137 Richtlinie 2006/112/EG)",

  emailSubject: "Ihre Rechnung {number} von {seller}",
  emailGreeting: "Hallo {name},",
  emailInvoiceReady: "vielen Dank für Ihre Bestellung {orderId}. Ihre Rechnung {number} steht bereit.",
  emailItems: "Artikel netto",
  emailShipping: "Versand netto",
  emailDownload: "Rechnung herunterladen (PDF)",
  emailLinkValidity: "Der Link ist {days} Tage gültig.",
  emailLinkValidityInline: "der Link ist {days} Tage gültig.",

  // Die E-Mail zur Rechnungskorrektur.
  emailCreditNoteSubject: "Ihre Rechnungskorrektur {number} zur Rechnung {invoice} von {seller}",
  emailCreditNoteReady:
    "wir haben Ihre Rechnung {invoice} zur Bestellung {orderId} korrigiert. Ihre Rechnungskorrektur {number} steht bereit.",
  emailCreditedTotal: "Gesamtbetrag der Korrektur",
  emailCreditNoteDownload: "Rechnungskorrektur herunterladen (PDF)",

  labelColon: "{label}:",
};
