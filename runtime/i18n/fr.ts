import type { Messages } from "./en";

/**
 * The French catalogue (France's usage: HT/TTC totals; the legal notes cite the VAT Directive, as the other languages do). French
 * sets a no-break space (U+00A0) before a colon.
 */
export const fr: Messages = {
  invoiceTitle: "Facture",
  invoiceWithNumber: "Facture {number}",
  invoiceForOrder: "Facture {number} de la commande {orderId}",
  invoiceContinued: "Facture {number} (suite)",
  invoiceNumber: "N° de facture",
  invoiceDate: "Date de facture",
  order: "Commande",
  orderWithId: "Commande {orderId}",
  pageOf: "Page {page} sur {pages}",
  billTo: "Adresse de facturation",
  shipTo: "Adresse de livraison",

  creditNoteTitle: "Avoir",
  creditNoteWithNumber: "Avoir {number}",
  creditNoteForInvoice: "Avoir {number} sur la facture {invoice} (commande {orderId})",
  creditNoteContinued: "Avoir {number} (suite)",
  creditNoteNumber: "N° d'avoir",
  creditNoteDate: "Date de l'avoir",
  correctedInvoice: "Facture rectifiée",
  correctsInvoice: "Rectifie la facture {invoice} du {date}.",
  creditReason: "Motif\u00a0: {reason}",
  creditRefundLine: "Remboursement",
  creditRefundReason: "Remboursement effectué auprès du prestataire de paiement",

  columnSku: "Réf.",
  columnDescription: "Désignation",
  columnQuantity: "Qté",
  columnUnit: "Unité",
  columnUnitPrice: "Prix unit. HT",
  columnVat: "TVA",
  columnLineTotal: "Montant HT",
  unitPiece: "pce",
  shippingLine: "Livraison\u00a0: {method}",
  shippingVatSplit: "réparti",
  subtotal: "Total HT",
  tax: "TVA",
  taxWithRate: "TVA {rate}",
  total: "Total TTC",

  paidOnWithCard: "Payée le {date} par {card} ({provider})",
  paidOn: "Payée le {date} ({provider})",
  dueDate: "Date d'échéance",
  paymentRequest: "Merci de virer {amount} avant le {date} en indiquant la référence {reference}.",
  bankDetails: "Coordonnées bancaires",
  accountHolder: "Titulaire du compte",
  iban: "IBAN",
  bic: "BIC",
  scanToPay: "Scannez pour payer",

  sellerVatId: "N° TVA intracommunautaire\u00a0: {id}",
  buyerVatId: "N° TVA intracom. du client\u00a0: {id}",
  taxNumber: "Numéro fiscal\u00a0: {number}",
  tradeRegister: "Registre du commerce\u00a0: {register}",
  managingDirectors: "Gérance\u00a0: {names}",
  supplyDate: "Date de livraison",

  taxBreakdown: "Récapitulatif de la TVA",
  taxableAmount: "Base HT",
  vatRate: "Taux de TVA",
  vatAmount: "Montant de TVA",

  noteIntraCommunitySupply: "Exonération de TVA, livraison intracommunautaire (art. 138 de la directive 2006/112/CE)",
  noteReverseCharge: "Autoliquidation (art. 196 de la directive 2006/112/CE)",
  noteExport: "Exonération de TVA, exportation (art. 146 de la directive 2006/112/CE)",
  noteOutsideScope: "TVA non applicable\u00a0: lieu de la prestation hors de l'UE",
  noteExempt: "Exonération de TVA (art. 132 à 137 de la directive 2006/112/CE)",

  emailSubject: "Votre facture {number} – {seller}",
  emailGreeting: "Bonjour {name},",
  emailInvoiceReady: "Merci pour votre commande {orderId}. Votre facture {number} est disponible.",
  emailItems: "Articles HT",
  emailShipping: "Livraison HT",
  emailDownload: "Télécharger votre facture (PDF)",
  emailLinkValidity: "Le lien est valable {days} jours.",
  emailLinkValidityInline: "le lien est valable {days} jours.",

  // L'e-mail de l'avoir.
  emailCreditNoteSubject: "Votre avoir {number} sur la facture {invoice} – {seller}",
  emailCreditNoteReady: "Nous avons corrigé votre facture {invoice} de la commande {orderId}. Votre avoir {number} est disponible.",
  emailCreditedTotal: "Total de l'avoir",
  emailCreditNoteDownload: "Télécharger votre avoir (PDF)",

  labelColon: "{label}\u00a0:",
};
