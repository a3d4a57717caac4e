import type { TaxableAmount, TaxSituation } from "../../runtime/domain/tax/engine";

/**
 * Issue 16's tax cases as data: each a sale (seller, destination, buyer, OSS, supply kind), an
 * invoice date, a currency, lines and shipping, and what the engine must answer. The engine's unit
 * test runs them (test/runtime/domain/tax-engine.test.ts); the pipeline and PDF tests are meant to run
 * the same table end to end. Expected values were worked out by hand (and with exact fractions)
 * from the rates in runtime/domain/tax/vat-rates.json, not produced by the engine.
 *
 * The default seller is a Berlin GmbH (DE). A "book" is the catalog's reduced category, a "mug" standard.
 */

/** One expected line of the VAT breakdown. */
export interface ExpectedGroup {
  readonly code: string;
  readonly rateBps: number;
  readonly exemptionReason?: string;
  readonly linesNetMinor: number;
  readonly shippingNetMinor: number;
  readonly taxableMinor: number;
  readonly taxMinor: number;
}

/** A sale and the answer the engine must give. */
export interface TaxCase {
  readonly name: string;
  readonly situation: TaxSituation;
  readonly date: string;
  readonly currency: string;
  readonly lines: readonly TaxableAmount[];
  readonly shipping: TaxableAmount;
  readonly expected: {
    readonly rule: string;
    readonly ratesCountry?: string;
    readonly groups: readonly ExpectedGroup[];
    readonly notes: readonly string[];
    readonly buyerVatIdRequired: boolean;
    readonly netTotalMinor: number;
    readonly taxTotalMinor: number;
    readonly grossTotalMinor: number;
  };
}

const consumer = { kind: "consumer" } as const;
const goods = { sellerCountry: "DE", ossRegistered: false, supplyKind: "goods" } as const;
const bookAndMug = [
  { netMinor: 2000, category: "reduced" },
  { netMinor: 1500, category: "standard" },
] as const;

export const TAX_CASES: readonly TaxCase[] = [
  {
    name: "domestic: a German consumer buys a book (7 %) and a mug (19 %); shipping splits 2000:1500",
    situation: { ...goods, destinationCountry: "DE", buyer: consumer },
    date: "2026-06-15",
    currency: "EUR",
    lines: bookAndMug,
    shipping: { netMinor: 490, category: "standard" },
    expected: {
      rule: "domestic",
      ratesCountry: "DE",
      groups: [
        { code: "S", rateBps: 700, linesNetMinor: 2000, shippingNetMinor: 280, taxableMinor: 2280, taxMinor: 160 },
        { code: "S", rateBps: 1900, linesNetMinor: 1500, shippingNetMinor: 210, taxableMinor: 1710, taxMinor: 325 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 3990,
      taxTotalMinor: 485,
      grossTotalMinor: 4475,
    },
  },
  {
    name: "EU B2C below OSS: a French consumer, the shop not OSS-registered, pays German VAT",
    situation: { ...goods, destinationCountry: "FR", buyer: consumer },
    date: "2026-06-15",
    currency: "EUR",
    lines: bookAndMug,
    shipping: { netMinor: 590, category: "standard" },
    expected: {
      rule: "distance-sale-origin",
      ratesCountry: "DE",
      groups: [
        // 590 x 2000/3500 = 337.14, 590 x 1500/3500 = 252.86: the leftover cent goes to the larger remainder.
        { code: "S", rateBps: 700, linesNetMinor: 2000, shippingNetMinor: 337, taxableMinor: 2337, taxMinor: 164 },
        { code: "S", rateBps: 1900, linesNetMinor: 1500, shippingNetMinor: 253, taxableMinor: 1753, taxMinor: 333 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 4090,
      taxTotalMinor: 497,
      grossTotalMinor: 4587,
    },
  },
  {
    name: "EU B2C with OSS: the same French consumer pays French VAT (5.5 % and 20 %)",
    situation: { ...goods, ossRegistered: true, destinationCountry: "FR", buyer: consumer },
    date: "2026-06-15",
    currency: "EUR",
    lines: bookAndMug,
    shipping: { netMinor: 590, category: "standard" },
    expected: {
      rule: "distance-sale-destination",
      ratesCountry: "FR",
      groups: [
        { code: "S", rateBps: 550, linesNetMinor: 2000, shippingNetMinor: 337, taxableMinor: 2337, taxMinor: 129 },
        { code: "S", rateBps: 2000, linesNetMinor: 1500, shippingNetMinor: 253, taxableMinor: 1753, taxMinor: 351 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 4090,
      taxTotalMinor: 480,
      grossTotalMinor: 4570,
    },
  },
  {
    name: "EU B2B: a French company with a valid VAT ID buys VAT-free (intra-Community supply, K)",
    situation: {
      ...goods,
      ossRegistered: true,
      destinationCountry: "FR",
      buyer: { kind: "business", vatId: "FR40303265045", vatIdValid: true },
    },
    date: "2026-06-15",
    currency: "EUR",
    lines: bookAndMug,
    shipping: { netMinor: 590, category: "standard" },
    expected: {
      rule: "intra-community-supply",
      groups: [
        {
          code: "K",
          rateBps: 0,
          exemptionReason: "VATEX-EU-IC",
          linesNetMinor: 3500,
          shippingNetMinor: 590,
          taxableMinor: 4090,
          taxMinor: 0,
        },
      ],
      notes: ["note.intraCommunitySupply"],
      buyerVatIdRequired: true,
      netTotalMinor: 4090,
      taxTotalMinor: 0,
      grossTotalMinor: 4090,
    },
  },
  {
    name: "EU B2B with an invalid VAT ID: the French company is taxed as a consumer (OSS: French VAT)",
    situation: {
      ...goods,
      ossRegistered: true,
      destinationCountry: "FR",
      buyer: { kind: "business", vatId: "FR00000000000", vatIdValid: false },
    },
    date: "2026-06-15",
    currency: "EUR",
    lines: bookAndMug,
    shipping: { netMinor: 590, category: "standard" },
    expected: {
      rule: "distance-sale-destination",
      ratesCountry: "FR",
      groups: [
        { code: "S", rateBps: 550, linesNetMinor: 2000, shippingNetMinor: 337, taxableMinor: 2337, taxMinor: 129 },
        { code: "S", rateBps: 2000, linesNetMinor: 1500, shippingNetMinor: 253, taxableMinor: 1753, taxMinor: 351 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 4090,
      taxTotalMinor: 480,
      grossTotalMinor: 4570,
    },
  },
  {
    name: "export: a consumer in Switzerland pays no EU VAT (G, export note), priced in CHF",
    situation: { ...goods, ossRegistered: true, destinationCountry: "CH", buyer: consumer },
    date: "2026-06-15",
    currency: "CHF",
    lines: bookAndMug,
    shipping: { netMinor: 590, category: "standard" },
    expected: {
      rule: "export",
      groups: [
        {
          code: "G",
          rateBps: 0,
          exemptionReason: "VATEX-EU-G",
          linesNetMinor: 3500,
          shippingNetMinor: 590,
          taxableMinor: 4090,
          taxMinor: 0,
        },
      ],
      notes: ["note.export"],
      buyerVatIdRequired: false,
      netTotalMinor: 4090,
      taxTotalMinor: 0,
      grossTotalMinor: 4090,
    },
  },
  {
    name: "services B2B: an Austrian company with a valid VAT ID gets a reverse-charge invoice (AE)",
    situation: {
      sellerCountry: "DE",
      ossRegistered: true,
      supplyKind: "services",
      destinationCountry: "AT",
      buyer: { kind: "business", vatId: "ATU13585627", vatIdValid: true },
    },
    date: "2026-06-15",
    currency: "EUR",
    lines: [{ netMinor: 10000, category: "standard" }],
    shipping: { netMinor: 0, category: "standard" },
    expected: {
      rule: "reverse-charge",
      groups: [
        {
          code: "AE",
          rateBps: 0,
          exemptionReason: "VATEX-EU-AE",
          linesNetMinor: 10000,
          shippingNetMinor: 0,
          taxableMinor: 10000,
          taxMinor: 0,
        },
      ],
      notes: ["note.reverseCharge"],
      buyerVatIdRequired: true,
      netTotalMinor: 10000,
      taxTotalMinor: 0,
      grossTotalMinor: 10000,
    },
  },
  {
    name: "mixed rates under OSS to Italy: 22 %, 10 %, 4 %, zero-rated and exempt lines share the shipping by net amount",
    situation: { ...goods, ossRegistered: true, destinationCountry: "IT", buyer: consumer },
    date: "2026-06-15",
    currency: "EUR",
    lines: [
      { netMinor: 3333, category: "standard" },
      { netMinor: 1234, category: "reduced" },
      { netMinor: 999, category: "super-reduced" },
      { netMinor: 500, category: "zero" },
      { netMinor: 250, category: "exempt" },
    ],
    shipping: { netMinor: 999, category: "standard" },
    expected: {
      rule: "distance-sale-destination",
      ratesCountry: "IT",
      groups: [
        { code: "S", rateBps: 2200, linesNetMinor: 3333, shippingNetMinor: 527, taxableMinor: 3860, taxMinor: 849 },
        { code: "S", rateBps: 1000, linesNetMinor: 1234, shippingNetMinor: 195, taxableMinor: 1429, taxMinor: 143 },
        { code: "S", rateBps: 400, linesNetMinor: 999, shippingNetMinor: 158, taxableMinor: 1157, taxMinor: 46 },
        { code: "Z", rateBps: 0, linesNetMinor: 500, shippingNetMinor: 79, taxableMinor: 579, taxMinor: 0 },
        { code: "E", rateBps: 0, linesNetMinor: 250, shippingNetMinor: 40, taxableMinor: 290, taxMinor: 0 },
      ],
      notes: ["note.exempt"],
      buyerVatIdRequired: false,
      netTotalMinor: 7315,
      taxTotalMinor: 1038,
      grossTotalMinor: 8353,
    },
  },
  {
    name: "rounding once per group (BR-CO-17): three 0.13 lines at 19 % make 0.07 tax, not 3 x 0.02",
    situation: { ...goods, destinationCountry: "DE", buyer: consumer },
    date: "2026-06-15",
    currency: "EUR",
    lines: [
      { netMinor: 13, category: "standard" },
      { netMinor: 13, category: "standard" },
      { netMinor: 13, category: "standard" },
    ],
    shipping: { netMinor: 0, category: "standard" },
    expected: {
      rule: "domestic",
      ratesCountry: "DE",
      groups: [{ code: "S", rateBps: 1900, linesNetMinor: 39, shippingNetMinor: 0, taxableMinor: 39, taxMinor: 7 }],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 39,
      taxTotalMinor: 7,
      grossTotalMinor: 46,
    },
  },
  {
    name: "shipping alone (a free sample): with no line amount to follow, shipping is taxed by its own category",
    situation: { ...goods, destinationCountry: "DE", buyer: consumer },
    date: "2026-06-15",
    currency: "EUR",
    lines: [{ netMinor: 0, category: "reduced" }],
    shipping: { netMinor: 490, category: "standard" },
    expected: {
      rule: "domestic",
      ratesCountry: "DE",
      groups: [
        { code: "S", rateBps: 700, linesNetMinor: 0, shippingNetMinor: 0, taxableMinor: 0, taxMinor: 0 },
        { code: "S", rateBps: 1900, linesNetMinor: 0, shippingNetMinor: 490, taxableMinor: 490, taxMinor: 93 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 490,
      taxTotalMinor: 93,
      grossTotalMinor: 583,
    },
  },
  {
    name: "JPY (0 minor digits): a domestic order in yen, rounded to whole yen",
    situation: { ...goods, destinationCountry: "DE", buyer: consumer },
    date: "2026-06-15",
    currency: "JPY",
    lines: [
      { netMinor: 1800, category: "reduced" },
      { netMinor: 2500, category: "standard" },
    ],
    shipping: { netMinor: 700, category: "standard" },
    expected: {
      rule: "domestic",
      ratesCountry: "DE",
      groups: [
        { code: "S", rateBps: 700, linesNetMinor: 1800, shippingNetMinor: 293, taxableMinor: 2093, taxMinor: 147 },
        { code: "S", rateBps: 1900, linesNetMinor: 2500, shippingNetMinor: 407, taxableMinor: 2907, taxMinor: 552 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 5000,
      taxTotalMinor: 699,
      grossTotalMinor: 5699,
    },
  },
  {
    name: "KWD (3 minor digits): a domestic order in fils, rounded to the fils",
    situation: { ...goods, destinationCountry: "DE", buyer: consumer },
    date: "2026-06-15",
    currency: "KWD",
    lines: [
      { netMinor: 12345, category: "reduced" },
      { netMinor: 6789, category: "standard" },
    ],
    shipping: { netMinor: 1500, category: "standard" },
    expected: {
      rule: "domestic",
      ratesCountry: "DE",
      groups: [
        { code: "S", rateBps: 700, linesNetMinor: 12345, shippingNetMinor: 968, taxableMinor: 13313, taxMinor: 932 },
        { code: "S", rateBps: 1900, linesNetMinor: 6789, shippingNetMinor: 532, taxableMinor: 7321, taxMinor: 1391 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 20634,
      taxTotalMinor: 2323,
      grossTotalMinor: 22957,
    },
  },
  ...(["2025-06-30", "2025-07-01"] as const).map((date, i): TaxCase => ({
    name: `invoice date decides: OSS to an Estonian consumer on ${date} pays ${i ? 24 : 22} %`,
    situation: { ...goods, ossRegistered: true, destinationCountry: "EE", buyer: consumer },
    date,
    currency: "EUR",
    lines: [{ netMinor: 4999, category: "standard" }],
    shipping: { netMinor: 399, category: "standard" },
    expected: {
      rule: "distance-sale-destination",
      ratesCountry: "EE",
      groups: [
        { code: "S", rateBps: i ? 2400 : 2200, linesNetMinor: 4999, shippingNetMinor: 399, taxableMinor: 5398, taxMinor: i ? 1296 : 1188 },
      ],
      notes: [],
      buyerVatIdRequired: false,
      netTotalMinor: 5398,
      taxTotalMinor: i ? 1296 : 1188,
      grossTotalMinor: i ? 6694 : 6586,
    },
  })),
];
