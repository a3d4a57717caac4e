/** The languages every text of the invoice and its email exists in. */
export const LANGS = ["de", "en", "fr"] as const;
/** A supported language (ISO 639-1). */
export type Lang = (typeof LANGS)[number];

/** Whether `s` names a supported language. */
export function isLang(s: string): s is Lang {
  return (LANGS as readonly string[]).includes(s);
}
