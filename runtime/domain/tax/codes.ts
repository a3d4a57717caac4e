/**
 * The codes the tax engine speaks, as values (for schemas) and types: EN 16931 VAT category codes
 * (UNTDID 5305), VATEX exemption reasons, the invoice notes' message keys and the rules.
 */

/** EN 16931 VAT category codes (UNTDID 5305) the engine produces. */
export const VAT_CATEGORY_CODES = ["S", "Z", "E", "K", "AE", "G", "O"] as const;
export type VatCategoryCode = (typeof VAT_CATEGORY_CODES)[number];

/** EN 16931 VAT exemption reason codes (VATEX) for the codes that need one by code. */
export const EXEMPTION_REASON_CODES = ["VATEX-EU-IC", "VATEX-EU-AE", "VATEX-EU-G", "VATEX-EU-O"] as const;
export type ExemptionReasonCode = (typeof EXEMPTION_REASON_CODES)[number];

/** Keys of the invoice notes; their text, per language, lives in the message catalogue. */
export const TAX_NOTE_KEYS = [
  "note.intraCommunitySupply",
  "note.reverseCharge",
  "note.export",
  "note.outsideScope",
  "note.exempt",
] as const;
export type TaxNoteKey = (typeof TAX_NOTE_KEYS)[number];

/** Which rule decided the treatment. */
export const TAX_RULES = [
  "domestic",
  "distance-sale-origin",
  "distance-sale-destination",
  "intra-community-supply",
  "reverse-charge",
  "export",
  "outside-scope",
] as const;
export type TaxRule = (typeof TAX_RULES)[number];
