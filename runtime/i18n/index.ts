/**
 * The customer's language: which one an order is written in, its message catalogue, and the
 * locale-aware formatters. One catalogue per language (en.ts, de.ts, fr.ts); English is the reference.
 */
import { de } from "./de";
import { en, type MessageKey, type Messages } from "./en";
import { fr } from "./fr";
import { isLang, type Lang } from "./langs";
import type { TaxNoteKey } from "../domain/tax/codes";

export { countryNameIn, formatDateIn, formatMoneyIn, formatPercentIn, formatVatIn, localeTag, moneyFormatterIn } from "./format";
export { isLang, LANGS, type Lang } from "./langs";
export type { MessageKey, Messages };

const CATALOGUES: Readonly<Record<Lang, Messages>> = { de, en, fr };

/** Longer than any language tag a client sends in earnest; longer input is not parsed at all. */
const MAX_TAG_LENGTH = 64;

/**
 * The supported language of a BCP 47 tag ("de-DE", "fr", "en-GB"; "de_AT" as some platforms write
 * it), or undefined for a missing, malformed or unsupported one.
 */
export function langOf(tag: string | undefined): Lang | undefined {
  if (!tag || tag.length > MAX_TAG_LENGTH) return undefined;
  let language: string;
  try {
    language = new Intl.Locale(tag.trim().replace(/_/g, "-")).language;
  } catch {
    return undefined; // RangeError: not a well-formed tag
  }
  return isLang(language) ? language : undefined;
}

/**
 * The language an order's invoice and email are written in: the order's `locale`, else the
 * customer's Cognito `locale` claim, else the shop's default; each counts only if supported.
 */
export function resolveLocale(orderLocale: string | undefined, claimLocale: string | undefined, shopDefault: Lang): Lang {
  return langOf(orderLocale) ?? langOf(claimLocale) ?? shopDefault;
}

/** The catalogue of `lang`. */
export function messages(lang: Lang): Messages {
  return CATALOGUES[lang];
}

/** The `{placeholder}` names of a template literal type. */
export type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
/** The values a message's placeholders take, typed from the English template. */
export type Params<K extends MessageKey> = { readonly [P in Placeholders<(typeof en)[K]>]: string | number };
type ParamsArg<K extends MessageKey> = [Placeholders<(typeof en)[K]>] extends [never] ? [] : [params: Params<K>];

/** The message `key` in `lang`, its placeholders filled: `t("de", "pageOf", { page: 1, pages: 2 })` -> "Seite 1 von 2". */
export function t<K extends MessageKey>(lang: Lang, key: K, ...params: ParamsArg<K>): string {
  const [values] = params as [Readonly<Record<string, string | number>>?];
  return values ? interpolate(CATALOGUES[lang][key], values) : CATALOGUES[lang][key];
}

/**
 * Fills `{name}` placeholders in one pass (a value that itself contains "{x}" stays as it is);
 * a placeholder without a value is a programming error and throws.
 */
export function interpolate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`no value for placeholder {${name}} in "${template}"`);
    return String(values[name]);
  });
}

/** The placeholder names a template uses, sorted (the catalogue test compares them across languages). */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
}

/** The catalogue key of each note the tax engine puts on an invoice (the engine speaks "note.x", the catalogue "noteX"). */
const TAX_NOTE_MESSAGES = {
  "note.intraCommunitySupply": "noteIntraCommunitySupply",
  "note.reverseCharge": "noteReverseCharge",
  "note.export": "noteExport",
  "note.outsideScope": "noteOutsideScope",
  "note.exempt": "noteExempt",
} as const satisfies Record<TaxNoteKey, MessageKey>;

/** The text of a tax engine's invoice note in `lang`: "note.reverseCharge" -> de "Steuerschuldnerschaft des Leistungsempfängers". */
export function taxNoteIn(note: TaxNoteKey, lang: Lang): string {
  return t(lang, TAX_NOTE_MESSAGES[note]);
}
