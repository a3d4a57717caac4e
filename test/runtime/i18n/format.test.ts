import { expect } from "chai";
import { countryNameIn, formatDateIn, formatMoneyIn, formatPercentIn, moneyFormatterIn, type Lang } from "../../../runtime/i18n";

/**
 * Intl's spaces are no-break spaces, but which one (U+00A0 or the narrow U+202F) has changed between
 * CLDR releases. Expectations write "_" for either; a plain space, which could break a line, never matches.
 */
const nbsp = (s: string) => s.replace(/[\u00a0\u202f]/g, "_");

describe("formatMoneyIn", () => {
  const cases: { lang: Lang; currency: string; minor: number; expected: string }[] = [
    { lang: "de", currency: "EUR", minor: 123456, expected: "1.234,56_€" },
    { lang: "fr", currency: "EUR", minor: 123456, expected: "1_234,56_€" },
    { lang: "en", currency: "EUR", minor: 123456, expected: "€1,234.56" },
    { lang: "de", currency: "EUR", minor: -5, expected: "-0,05_€" },
    { lang: "de", currency: "JPY", minor: 1234567, expected: "1.234.567_¥" },
    { lang: "fr", currency: "JPY", minor: 1234567, expected: "1_234_567_JPY" },
    { lang: "en", currency: "JPY", minor: 1500, expected: "¥1,500" },
    { lang: "de", currency: "KWD", minor: 1999, expected: "1,999_KWD" },
    { lang: "fr", currency: "KWD", minor: 1234567, expected: "1_234,567_KWD" },
    { lang: "en", currency: "KWD", minor: 490, expected: "KWD_0.490" },
    { lang: "de", currency: "CHF", minor: 100000000000, expected: "1.000.000.000,00_CHF" },
    { lang: "en", currency: "usd", minor: 1999, expected: "$19.99" },
  ];
  for (const c of cases) {
    it(`formats ${c.minor} ${c.currency} in ${c.lang} as ${c.expected}`, () => {
      expect(nbsp(formatMoneyIn(c.minor, c.currency, c.lang))).to.equal(c.expected);
    });
  }

  it("formats amounts beyond 2^53 / 100 exactly, in integer arithmetic", () => {
    expect(nbsp(formatMoneyIn(Number.MAX_SAFE_INTEGER, "EUR", "de"))).to.equal("90.071.992.547.409,91_€");
  });

  it("builds one formatter per language and currency and reuses it", () => {
    expect(moneyFormatterIn("EUR", "de")).to.equal(moneyFormatterIn("eur", "de"));
    expect(moneyFormatterIn("EUR", "de")).not.to.equal(moneyFormatterIn("EUR", "fr"));
  });
});

describe("formatDateIn", () => {
  const date = new Date("2025-03-14T23:30:00.000Z"); // already the 15th east of UTC: the date is UTC's
  const expected: Record<Lang, string> = { de: "14.03.2025", fr: "14/03/2025", en: "2025-03-14" };
  for (const [lang, text] of Object.entries(expected) as [Lang, string][]) {
    it(`prints the date in ${lang} as ${text}, whatever the machine's time zone`, () => {
      const zone = process.env.TZ;
      try {
        for (const tz of ["Asia/Tokyo", "America/Los_Angeles", "UTC"]) {
          process.env.TZ = tz;
          expect(formatDateIn(date, lang), tz).to.equal(text);
        }
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
    });
  }
});

describe("formatPercentIn", () => {
  const cases: [number, Record<Lang, string>][] = [
    [1900, { de: "19_%", fr: "19_%", en: "19%" }],
    [700, { de: "7_%", fr: "7_%", en: "7%" }],
    [550, { de: "5,5_%", fr: "5,5_%", en: "5.5%" }],
    [725, { de: "7,25_%", fr: "7,25_%", en: "7.25%" }],
    [210, { de: "2,1_%", fr: "2,1_%", en: "2.1%" }],
    [5, { de: "0,05_%", fr: "0,05_%", en: "0.05%" }],
    [0, { de: "0_%", fr: "0_%", en: "0%" }],
    [10_000, { de: "100_%", fr: "100_%", en: "100%" }],
  ];
  for (const [bps, byLang] of cases) {
    it(`formats ${bps} basis points as ${Object.values(byLang).join(" / ")}`, () => {
      for (const lang of Object.keys(byLang) as Lang[]) expect(nbsp(formatPercentIn(bps, lang)), lang).to.equal(byLang[lang]);
    });
  }

  it("prints English exactly as the invoice's integer formula did before this module, for every rate", () => {
    const before = (bps: number) => {
      const fraction = String(bps % 100)
        .padStart(2, "0")
        .replace(/0+$/, "");
      return `${Math.trunc(bps / 100)}${fraction ? `.${fraction}` : ""}%`;
    };
    for (let bps = 0; bps <= 10_000; bps++) expect(formatPercentIn(bps, "en"), String(bps)).to.equal(before(bps));
  });
});

describe("countryNameIn", () => {
  it("names the country in the language", () => {
    expect([countryNameIn("DE", "de"), countryNameIn("DE", "fr"), countryNameIn("DE", "en")]).to.deep.equal([
      "Deutschland",
      "Allemagne",
      "Germany",
    ]);
    expect(countryNameIn("CH", "fr")).to.equal("Suisse");
  });
});
