/**
 * Money is integer minor units plus an ISO 4217 currency code, everywhere. Only formatting for
 * people ever turns it into a decimal string.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Currencies whose minor unit is not 1/100, per ISO 4217. */
const MINOR_DIGITS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

/** How many decimal digits the currency's minor unit has. */
export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency.toUpperCase()] ?? 2;
}

/** The ISO 4217 codes the runtime knows how to format (Intl's list); build once, look up often. */
export function knownCurrencies(): ReadonlySet<string> {
  return new Set(Intl.supportedValuesOf("currency"));
}

/**
 * Tax on an amount at a rate in basis points (2000 = 20 %), rounded half away from zero in
 * integer arithmetic, so no float ever decides a cent.
 */
export function taxOf(amountMinor: number, rateBps: number): number {
  const n = BigInt(amountMinor) * BigInt(rateBps);
  const q = n / 10000n;
  const r = n % 10000n;
  return Number(r * 2n >= 10000n ? q + 1n : q);
}

/** Formats minor units for people, e.g. 123456 EUR -> "€1,234.56" (locale en-US by default). */
export function formatMoney(amountMinor: number, currency: string, locale = "en-US"): string {
  return moneyFormatter(currency, locale)(amountMinor);
}

/**
 * `formatMoney` for one currency, its Intl formatters built once: building them costs far more than
 * using them (a third of a 1,000-line invoice's rendering). A renderer builds one per invoice.
 */
export function moneyFormatter(currency: string, locale = "en-US"): (amountMinor: number) => string {
  const digits = minorDigits(currency);
  // Intl does the grouping and symbol; the digits come from exact integer arithmetic.
  const parts = new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).formatToParts(0);
  const grouping = new Intl.NumberFormat(locale, { useGrouping: true, maximumFractionDigits: 0 });
  const scale = 10n ** BigInt(digits);
  return (amountMinor) => {
    const negative = amountMinor < 0;
    const abs = BigInt(Math.abs(amountMinor));
    const whole = abs / scale;
    const frac = (abs % scale).toString().padStart(digits, "0");
    const groupedWhole = grouping.format(whole);
    let out = "";
    let wroteInteger = false;
    for (const p of parts) {
      if (p.type === "integer") {
        if (!wroteInteger) out += groupedWhole;
        wroteInteger = true;
      } else if (p.type === "group") {
        continue;
      } else if (p.type === "fraction") out += frac;
      else if (p.type === "minusSign") continue;
      else out += p.value;
    }
    return (negative ? "-" : "") + out;
  };
}
