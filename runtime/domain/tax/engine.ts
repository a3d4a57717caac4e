import type { TaxCategory } from "../catalog";
import { taxOf } from "../money";
import { goodsTerritory, vatTerritory, type GoodsTerritory } from "./member-states";
import { assertCalendarDate, rateFor } from "./rates";
import type { ExemptionReasonCode, TaxNoteKey, TaxRule, VatCategoryCode } from "./codes";

export type { ExemptionReasonCode, TaxNoteKey, TaxRule, VatCategoryCode } from "./codes";

export { rateFor } from "./rates";

/**
 * The tax engine: which VAT rules apply to a sale (taxTreatment), and the tax per category and rate
 * of an order under them (taxBreakdown). Pure: rates come from the checked-in table, by invoice date.
 * Note keys name texts of the invoice's message catalogue; the engine returns keys, never text.
 */

/** Who buys: a business counts as one only with a VAT ID confirmed valid (VIES); otherwise it is taxed as a consumer. */
export interface Buyer {
  readonly kind: "consumer" | "business";
  readonly vatId?: string;
  readonly vatIdValid?: boolean;
}

/** What decides the VAT rules of a sale. */
export interface TaxSituation {
  /** ISO 3166-1 alpha-2 of the seller's establishment: must be in the EU VAT territory. */
  readonly sellerCountry: string;
  /** Where the goods go (goods) or where the buyer is (services). */
  readonly destinationCountry: string;
  readonly buyer: Buyer;
  /** The shop declares OSS registration: EU consumers abroad pay their own country's VAT. */
  readonly ossRegistered: boolean;
  /** Services are taken to be electronically supplied (Art. 58 of the VAT Directive); other services' rules are not modelled. */
  readonly supplyKind: "goods" | "services";
}

/** How one catalog category is invoiced under a treatment. */
export interface CategoryTreatment {
  readonly code: VatCategoryCode;
  readonly exemptionReason?: ExemptionReasonCode;
  readonly note?: TaxNoteKey;
}

/** The VAT rules of a sale. */
export interface TaxTreatment {
  readonly rule: TaxRule;
  /** The member state whose rates apply; undefined when no VAT is charged (K, AE, G, O). */
  readonly ratesCountry?: GoodsTerritory;
  /** The code (and exemption reason, note) per catalog category. */
  readonly categories: Readonly<Record<TaxCategory, CategoryTreatment>>;
  /** The note the whole invoice carries, if any. */
  readonly note?: TaxNoteKey;
  /** The invoice must show the buyer's VAT ID beside the seller's (intra-Community supply, reverse charge). */
  readonly buyerVatIdRequired: boolean;
}

/** Categories where VAT is charged: taxed at the rates country's rate, zero-rated, or exempt. */
const CHARGED: Readonly<Record<TaxCategory, CategoryTreatment>> = {
  standard: { code: "S" },
  reduced: { code: "S" },
  "super-reduced": { code: "S" },
  zero: { code: "Z" },
  exempt: { code: "E", note: "note.exempt" },
};

/** Every category under one untaxed code, except exempt supplies, which stay exempt. */
function untaxed(code: VatCategoryCode, exemptionReason: ExemptionReasonCode): Readonly<Record<TaxCategory, CategoryTreatment>> {
  const c = { code, exemptionReason };
  return { standard: c, reduced: c, "super-reduced": c, zero: c, exempt: CHARGED.exempt };
}

/**
 * The VAT rules of a sale by seller, destination, buyer, OSS registration and supply kind:
 * outside the EU -> export (goods, G) or outside the scope of EU VAT (services, O), no VAT;
 * same member state -> domestic, the seller's rates;
 * a business with a valid VAT ID of another member state -> intra-Community supply (goods, K) or reverse charge (services, AE);
 * anyone else in another member state -> the destination's rates when OSS-registered, else the seller's.
 */
export function taxTreatment(s: TaxSituation): TaxTreatment {
  const seller = vatTerritory(s.sellerCountry);
  if (!seller) throw new RangeError(`The seller's country ${s.sellerCountry} is not in the EU VAT territory: these rules do not apply.`);
  // Northern Ireland ("XI") is in the EU's VAT area for goods, not for services.
  const territory = (code: string) => (s.supplyKind === "goods" ? goodsTerritory(code) : vatTerritory(code));
  const destination = territory(s.destinationCountry);
  const goods = s.supplyKind === "goods";
  if (!destination) {
    return goods
      ? { rule: "export", categories: untaxed("G", "VATEX-EU-G"), note: "note.export", buyerVatIdRequired: false }
      : { rule: "outside-scope", categories: untaxed("O", "VATEX-EU-O"), note: "note.outsideScope", buyerVatIdRequired: false };
  }
  const charged = (rule: TaxRule, ratesCountry: GoodsTerritory): TaxTreatment => ({
    rule,
    ratesCountry,
    categories: CHARGED,
    buyerVatIdRequired: false,
  });
  if (destination === seller) return charged("domestic", seller);
  const vatIdCountry = s.buyer.vatId ? territory(vatIdPrefixCountry(s.buyer.vatId)) : undefined;
  const validBusiness = s.buyer.kind === "business" && s.buyer.vatIdValid === true && vatIdCountry !== undefined;
  // A VAT ID of the seller's own member state does not make a supply abroad VAT-free: it stays taxed where it starts.
  if (validBusiness && vatIdCountry === seller) return charged("domestic", seller);
  if (validBusiness) {
    return goods
      ? {
          rule: "intra-community-supply",
          categories: untaxed("K", "VATEX-EU-IC"),
          note: "note.intraCommunitySupply",
          buyerVatIdRequired: true,
        }
      : { rule: "reverse-charge", categories: untaxed("AE", "VATEX-EU-AE"), note: "note.reverseCharge", buyerVatIdRequired: true };
  }
  return s.ossRegistered ? charged("distance-sale-destination", destination) : charged("distance-sale-origin", seller);
}

/**
 * Would a confirmed VAT ID change the rules of this sale (an intra-Community supply or a reverse charge instead of
 * VAT charged)? Only then is the VAT ID worth checking with VIES: a domestic sale, an export or an ID the rules
 * do not count is taxed the same whatever VIES says.
 */
export function vatIdDecides(s: TaxSituation): boolean {
  if (!s.buyer.vatId) return false;
  const { rule } = taxTreatment({ ...s, buyer: { kind: "business", vatId: s.buyer.vatId, vatIdValid: true } });
  return rule === "intra-community-supply" || rule === "reverse-charge";
}

/** The country of a VAT ID's prefix (EL is Greece's VAT prefix, GR its ISO code). */
function vatIdPrefixCountry(vatId: string): string {
  const prefix = vatId.trim().slice(0, 2).toUpperCase();
  return prefix === "EL" ? "GR" : prefix;
}

/**
 * The VAT category code and rate of one catalog category under `treatment` on `date`: what an invoice
 * line shows (EN 16931 BT-151, BT-152). Throws NoRateError when the table has no such rate.
 */
export function lineVat(category: TaxCategory, treatment: TaxTreatment, date: string): { code: VatCategoryCode; rateBps: number } {
  const { code } = treatment.categories[category];
  if (code === "S" && !treatment.ratesCountry) throw new RangeError(`A treatment that taxes ${category} must name the rates country`);
  // Under a charged treatment every category's date is checked against the table, zero and exempt too.
  return { code, rateBps: treatment.ratesCountry ? rateFor(treatment.ratesCountry, category, date) : 0 };
}

/** A net amount (integer minor units) of one catalog category: an order line, or the shipping. */
export interface TaxableAmount {
  readonly netMinor: number;
  readonly category: TaxCategory;
}

/** One line of the invoice's VAT breakdown (EN 16931 BG-23): one per VAT category code and rate. */
export interface TaxGroup {
  readonly code: VatCategoryCode;
  readonly rateBps: number;
  readonly exemptionReason?: ExemptionReasonCode;
  readonly note?: TaxNoteKey;
  /** The catalog categories whose amounts this group holds. */
  readonly categories: readonly TaxCategory[];
  readonly linesNetMinor: number;
  /** The part of the shipping allotted to this group. */
  readonly shippingNetMinor: number;
  /** linesNetMinor + shippingNetMinor. */
  readonly taxableMinor: number;
  /** The rate applied to taxableMinor, rounded once (half up). */
  readonly taxMinor: number;
}

/** An order's VAT: groups, totals that add up exactly, and the notes the invoice carries. */
export interface TaxBreakdown {
  readonly currency: string;
  readonly rule: TaxRule;
  readonly ratesCountry?: GoodsTerritory;
  readonly groups: readonly TaxGroup[];
  readonly netTotalMinor: number;
  readonly taxTotalMinor: number;
  readonly grossTotalMinor: number;
  readonly notes: readonly TaxNoteKey[];
}

interface GroupDraft {
  code: VatCategoryCode;
  rateBps: number;
  exemptionReason?: ExemptionReasonCode;
  note?: TaxNoteKey;
  categories: TaxCategory[];
  linesNetMinor: number;
  shippingNetMinor: number;
}

/**
 * The VAT of an order on `date` (YYYY-MM-DD, the invoice date): lines grouped by VAT category code
 * and rate in order of first appearance, tax per group = rate x the group's taxable amount, rounded
 * once (EN 16931 BR-CO-17); totals are sums of the groups, so net + tax = gross exactly. All amounts
 * are integer minor units, so a currency's minor digits (JPY 0, EUR 2, KWD 3) never change the math.
 *
 * Shipping follows the main supply (the EU's ancillary-supply practice): it is split across the
 * lines' groups in proportion to their net amounts (largest remainder, so the parts add up to the
 * shipping exactly; a tie goes to the earlier group) and taxed with them. Only when the lines' net
 * total is zero is the shipping taxed by its own catalog category.
 */
export function taxBreakdown(
  lines: readonly TaxableAmount[],
  shipping: TaxableAmount,
  treatment: TaxTreatment,
  date: string,
  currency: string,
): TaxBreakdown {
  assertCalendarDate(date);
  for (const a of [...lines, shipping]) {
    if (!Number.isSafeInteger(a.netMinor) || a.netMinor < 0)
      throw new RangeError(`A net amount must be whole minor units >= 0, not ${a.netMinor}`);
  }
  const groups: GroupDraft[] = [];
  const groupOf = (category: TaxCategory): GroupDraft => {
    const t = treatment.categories[category];
    const { rateBps } = lineVat(category, treatment, date);
    let g = groups.find((x) => x.code === t.code && x.rateBps === rateBps);
    if (!g) groups.push((g = { ...t, rateBps, categories: [], linesNetMinor: 0, shippingNetMinor: 0 }));
    if (!g.categories.includes(category)) g.categories.push(category);
    return g;
  };
  for (const line of lines) groupOf(line.category).linesNetMinor += line.netMinor;

  const linesNet = groups.reduce((s, g) => s + g.linesNetMinor, 0);
  if (shipping.netMinor > 0 && linesNet > 0) {
    const shares = splitProportionally(
      shipping.netMinor,
      groups.map((g) => g.linesNetMinor),
    );
    groups.forEach((g, i) => (g.shippingNetMinor = shares[i]));
  } else if (shipping.netMinor > 0) {
    groupOf(shipping.category).shippingNetMinor += shipping.netMinor;
  }

  const done: TaxGroup[] = groups.map((g) => {
    const taxableMinor = g.linesNetMinor + g.shippingNetMinor;
    return { ...g, taxableMinor, taxMinor: taxOf(taxableMinor, g.rateBps) };
  });
  const netTotalMinor = done.reduce((s, g) => s + g.taxableMinor, 0);
  const taxTotalMinor = done.reduce((s, g) => s + g.taxMinor, 0);
  const notes = [treatment.note, ...done.map((g) => g.note)].filter((n): n is TaxNoteKey => n !== undefined);
  return {
    currency,
    rule: treatment.rule,
    ratesCountry: treatment.ratesCountry,
    groups: done,
    netTotalMinor,
    taxTotalMinor,
    grossTotalMinor: netTotalMinor + taxTotalMinor,
    notes: [...new Set(notes)],
  };
}

/**
 * Splits `amount` into parts proportional to `weights` (integers >= 0, not all 0) that add up to
 * `amount` exactly: each part is rounded down, and the units left over go to the largest remainders
 * (the earlier part on a tie). BigInt, so amount x weight never loses a unit.
 */
export function splitProportionally(amount: number, weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + BigInt(w), 0n);
  if (total === 0n) throw new RangeError("Cannot split in proportion to weights that are all zero");
  const exact = weights.map((w) => BigInt(amount) * BigInt(w));
  const parts = exact.map((e) => e / total);
  let left = BigInt(amount) - parts.reduce((s, p) => s + p, 0n);
  const byRemainder = exact.map((e, i) => ({ i, r: e % total })).sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of byRemainder) {
    if (left === 0n) break;
    parts[i] += 1n;
    left -= 1n;
  }
  return parts.map(Number);
}

/**
 * The territory code an order is taxed by: for goods where they go ("XI" for a Northern Irish address), for
 * services where the customer is billed. What taxTreatment takes as `destinationCountry`.
 */
export function taxDestination(
  shipping: { readonly country: string; readonly postalCode: string },
  billing: { readonly country: string; readonly postalCode: string },
  supplyKind: "goods" | "services",
): string {
  if (supplyKind === "services") return billing.country;
  return goodsTerritory(shipping.country, shipping.postalCode) === "XI" ? "XI" : shipping.country;
}
