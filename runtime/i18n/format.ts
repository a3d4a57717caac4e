/**
 * Numbers, money, dates and country names for people, one fixed style per language (not per region),
 * so an invoice reads the same for every customer of a language and a re-render gives the same bytes:
 *
 * | lang | money (EUR)     | date         | percent | formatting locale |
 * | ---- | --------------- | ------------ | ------- | ----------------- |
 * | de   | "1.234,56 €"    | "14.03.2025" | "19 %"  | de-DE             |
 * | en   | "€1,234.56"     | "2025-03-14" | "19%"   | en-US             |
 * | fr   | "1 234,56 €"    | "14/03/2025" | "19 %"  | fr-FR             |
 *
 * English dates are ISO 8601: unambiguous for British and American readers alike (and what the
 * English invoice printed before this module). The spaces are Intl's: de and fr put a no-break space
 * (U+00A0) before "%" and "€"; fr groups thousands with a narrow no-break space (U+202F).
 * Every Intl formatter is built once per language (and currency) and kept: building one costs far
 * more than using it.
 */
import { moneyFormatter } from "../domain/money";
import type { Lang } from "./langs";

const FORMAT_LOCALE = { de: "de-DE", en: "en-US", fr: "fr-FR" } as const satisfies Record<Lang, string>;

/** The BCP 47 tag a document in `lang` declares (a PDF's /Lang) and formats with. */
export function localeTag(lang: Lang): (typeof FORMAT_LOCALE)[Lang] {
  return FORMAT_LOCALE[lang];
}

function cached<K, V>(make: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) cache.set(key, (value = make(key)));
    return value;
  };
}

const moneyFormatters = cached((key: string) => {
  const [lang, currency] = key.split(":") as [Lang, string];
  return moneyFormatter(currency, FORMAT_LOCALE[lang]);
});

/** A formatter of minor units of `currency` in `lang`, built once per (language, currency). */
export function moneyFormatterIn(currency: string, lang: Lang): (amountMinor: number) => string {
  return moneyFormatters(`${lang}:${currency.toUpperCase()}`);
}

/** Minor units as money in `lang`, with the currency's own minor digits: 123456 EUR in de -> "1.234,56 €", 1234 JPY -> "1.234 ¥". */
export function formatMoneyIn(amountMinor: number, currency: string, lang: Lang): string {
  return moneyFormatterIn(currency, lang)(amountMinor);
}

const dateFormatters = cached(
  (lang: Lang) => new Intl.DateTimeFormat(FORMAT_LOCALE[lang], { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" }),
);

/** The calendar date in UTC: de "14.03.2025", fr "14/03/2025", en "2025-03-14". */
export function formatDateIn(date: Date, lang: Lang): string {
  return lang === "en" ? date.toISOString().slice(0, 10) : dateFormatters(lang).format(date);
}

const percentFormatters = cached(
  (lang: Lang) => new Intl.NumberFormat(FORMAT_LOCALE[lang], { style: "unit", unit: "percent", maximumFractionDigits: 2 }),
);

/** A rate in basis points as a percentage: 1900 -> de "19 %", fr "19 %", en "19%"; 725 -> de "7,25 %", en "7.25%". */
export function formatPercentIn(bps: number, lang: Lang): string {
  // bps / 100 is within a float's error of the exact two-decimal value, which the formatter rounds to.
  return percentFormatters(lang).format(bps / 100);
}

/**
 * A line's or a breakdown group's VAT as the invoice shows it: the rate for standard-rated (S), else
 * the rate and the EN 16931 category code, since "0 %" alone does not say why: de "19 %", "0 % (K)".
 */
export function formatVatIn(vat: { readonly code: string; readonly rateBps: number }, lang: Lang): string {
  const rate = formatPercentIn(vat.rateBps, lang);
  return vat.code === "S" ? rate : `${rate} (${vat.code})`;
}

const regionNames = cached((lang: Lang) => new Intl.DisplayNames([lang], { type: "region" }));

/** The country's name in `lang` ("DE" -> "Deutschland", "Allemagne", "Germany"), or the code if Intl has none. */
export function countryNameIn(code: string, lang: Lang): string {
  return regionNames(lang).of(code) ?? code;
}
