/**
 * VAT identification numbers of the EU member states (and of Northern Ireland), read the way VIES
 * reads them: a two-letter prefix (ISO 3166 except EL for Greece; XI for Northern Ireland) and the
 * national number. Format and check digits come from the maintained jsvat-next library; whether the
 * number is registered is VIES's answer (runtime/tax/vies.ts), not ours.
 */
import {
  austria,
  belgium,
  bulgaria,
  checkVAT,
  croatia,
  cyprus,
  czechRepublic,
  denmark,
  estonia,
  finland,
  france,
  germany,
  greece,
  hungary,
  ireland,
  italy,
  latvia,
  lithuania,
  luxembourg,
  malta,
  netherlands,
  poland,
  portugal,
  romania,
  slovakiaRepublic,
  slovenia,
  spain,
  sweden,
  unitedKingdom,
  type Country,
} from "jsvat-next";

/** jsvat-next's rules per VIES prefix. Its "United Kingdom" rules hold the XI format; GB is not in VIES since Brexit. */
const RULES = {
  AT: austria,
  BE: belgium,
  BG: bulgaria,
  CY: cyprus,
  CZ: czechRepublic,
  DE: germany,
  DK: denmark,
  EE: estonia,
  EL: greece,
  ES: spain,
  FI: finland,
  FR: france,
  HR: croatia,
  HU: hungary,
  IE: ireland,
  IT: italy,
  LT: lithuania,
  LU: luxembourg,
  LV: latvia,
  MT: malta,
  NL: netherlands,
  PL: poland,
  PT: portugal,
  RO: romania,
  SE: sweden,
  SI: slovenia,
  SK: slovakiaRepublic,
  XI: unitedKingdom,
} as const satisfies Record<string, Country>;

/** A VIES member-state code: the 27 member states (EL for Greece) and XI for Northern Ireland. */
export type VatCountry = keyof typeof RULES;

/** Every prefix VIES answers for, sorted. */
export const VAT_COUNTRIES: readonly VatCountry[] = Object.keys(RULES).sort() as VatCountry[];

/** A VAT ID whose prefix, format and check digits are right. */
export interface VatId {
  /** The VIES member-state code (EL for Greece, XI for Northern Ireland). */
  readonly country: VatCountry;
  /** The national number without the prefix: upper-case, no spaces or punctuation. */
  readonly number: string;
  /** Prefix and number together, as printed on an invoice (e.g. "ATU12345675"). */
  readonly full: string;
}

/** Why a text is not a VAT ID, as a stable code for the API's error details. */
export type VatIdProblem = "empty" | "characters" | "country" | "format" | "check-digits";

/** The outcome of parseVatId: the normalized ID, or what is wrong with the text. */
export type ParsedVatId =
  { readonly ok: true; readonly vatId: VatId } | { readonly ok: false; readonly problem: VatIdProblem; readonly message: string };

/** Separators people type inside VAT IDs: whitespace, dots and any Unicode dash. */
const SEPARATORS = /[\s.\p{Pd}]+/gu;
/** Prefix and number after cleaning; Irish numbers of the old format hold "+" or "*". */
const SHAPE = /^[A-Z0-9+*]{4,16}$/;

/**
 * Reads a VAT ID as a buyer types it ("fr 32 123.456.789", "ATU-12345675") into its normalized form, or
 * says why it is none. "GR" is read as Greece's VIES prefix "EL"; GB and non-EU prefixes are refused.
 */
export function parseVatId(input: string): ParsedVatId {
  // NFKC folds full-width letters and digits and odd spaces to ASCII before the checks.
  const text = input.normalize("NFKC").toUpperCase().replace(SEPARATORS, "");
  if (text === "") return problem("empty", "The VAT ID is empty.");
  if (!SHAPE.test(text)) return problem("characters", "A VAT ID holds 4 to 16 letters and digits (spaces, dots and dashes aside).");

  const prefix = text.slice(0, 2);
  const country = prefix === "GR" ? "EL" : prefix;
  if (!isVatCountry(country)) return problem("country", countryMessage(prefix));

  const vatId: VatId = { country, number: text.slice(2), full: country + text.slice(2) };
  const check = checkVAT(vatId.full, [RULES[country]]);
  if (!check.isValidFormat) return problem("format", `${vatId.full} does not have the format of a VAT ID of ${country}.`);
  if (!check.isValid) return problem("check-digits", `The check digits of ${vatId.full} are wrong: a typing error?`);
  return { ok: true, vatId };
}

/** Is this a prefix VIES answers for? */
export function isVatCountry(code: string): code is VatCountry {
  return Object.hasOwn(RULES, code);
}

function countryMessage(prefix: string): string {
  if (/^\d/.test(prefix)) return "A VAT ID starts with its country's prefix, e.g. FR or DE.";
  if (prefix === "GB") return "GB VAT IDs are not EU VAT IDs (only Northern Ireland's XI ones are, for goods).";
  return `${prefix} is not the prefix of an EU member state's VAT ID (EL for Greece, XI for Northern Ireland).`;
}

function problem(code: VatIdProblem, message: string): ParsedVatId {
  return { ok: false, problem: code, message };
}
