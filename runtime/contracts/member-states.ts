/**
 * The EU's VAT territory by ISO 3166-1 alpha-2 code: the one list the tax engine asks "is this in the EU?".
 *
 * Special territories: those with their own ISO code (Åland AX, the French overseas departments GP, MQ,
 * RE, GF, YT, ...) are outside the EU VAT area and fall out as non-members, which is what the law says.
 * Those that share a member state's code (Canary Islands, Ceuta, Melilla, Mount Athos, Büsingen,
 * Heligoland, Livigno, Campione d'Italia) are NOT detected: that needs the postal code. Monaco is in
 * France's VAT territory and maps to FR. Northern Ireland is in the EU's VAT area for goods only (the
 * Windsor Framework), as "XI": an address in GB with a BT postcode (goodsTerritory), at the UK's rates.
 */

/** The 27 member states (2026). Greece is GR here; its VAT IDs carry the prefix EL. */
export const EU_MEMBER_STATES = [
  "AT",
  "BE",
  "BG",
  "CY",
  "CZ",
  "DE",
  "DK",
  "EE",
  "ES",
  "FI",
  "FR",
  "GR",
  "HR",
  "HU",
  "IE",
  "IT",
  "LT",
  "LU",
  "LV",
  "MT",
  "NL",
  "PL",
  "PT",
  "RO",
  "SE",
  "SI",
  "SK",
] as const;
export type MemberState = (typeof EU_MEMBER_STATES)[number];

/** Countries outside the list whose supplies are taxed as the member state's own (Monaco is French VAT territory). */
const TAXED_AS: Readonly<Record<string, MemberState>> = { MC: "FR" };

const MEMBERS: ReadonlySet<string> = new Set(EU_MEMBER_STATES);

/** Is `country` one of the 27 member states? */
export function isMemberState(country: string): country is MemberState {
  return MEMBERS.has(country);
}

/** The member state whose VAT applies to a place in `country`, or undefined when it is outside the EU VAT territory. */
export function vatTerritory(country: string): MemberState | undefined {
  return isMemberState(country) ? country : TAXED_AS[country];
}

/** A place in the EU's VAT area for goods: the member states, and Northern Ireland ("XI", Windsor Framework). */
export type GoodsTerritory = MemberState | "XI";

/** Northern Ireland's postcodes: the BT area of the United Kingdom. */
const NORTHERN_IRELAND_POSTCODE = /^\s*BT\s*\d/i;

/**
 * Where in the EU's VAT area for goods an address is: its member state, "XI" for Northern Ireland (a GB
 * address with a BT postcode), or undefined outside it. The code "XI" itself (a VAT ID's prefix) is XI too.
 */
export function goodsTerritory(country: string, postalCode?: string): GoodsTerritory | undefined {
  if (country === "XI" || (country === "GB" && postalCode !== undefined && NORTHERN_IRELAND_POSTCODE.test(postalCode))) return "XI";
  return vatTerritory(country);
}
