/**
 * Orders of the three tax situations an invoice's legal content is tested on, priced by the real tax
 * engine (makePricedOrder): a German shop's domestic sale at two rates, its intra-Community supply to
 * a French business, and its export to Switzerland. Each has a book (reduced rate at home) and a shirt
 * (standard rate); supplied on 2025-03-10, so the supply date differs from the invoice date (2025-03-14).
 */
import type { Address, PricedOrder } from "../../runtime/domain/order";
import { makePricedLine, makePricedOrder } from "./orders";

/** Supplied on 2025-03-10: the tax point the invoice prints as its supply date. */
const SUPPLIED_AT = "2025-03-10T15:04:05.000Z";

/** A book at 20.00 (reduced: 7 % in Germany) and two shirts at 15.00 (standard: 19 %). */
export const legalTestLines = () => [
  makePricedLine(0, { sku: "BOOK-1", name: "Der kleine Prinz", quantity: 1, unitPriceMinor: 2000, taxCategory: "reduced" }),
  makePricedLine(1, { sku: "SHIRT-M", name: "T-Shirt rot M", quantity: 2, unitPriceMinor: 1500, taxCategory: "standard" }),
];

export const BERLIN: Address = { name: "Alice Example", line1: "Hauptstr. 5", city: "Berlin", postalCode: "10115", country: "DE" };
export const MUNICH: Address = { name: "Bob Beispiel", line1: "Gartenweg 3", city: "München", postalCode: "80331", country: "DE" };
export const LYON: Address = { name: "Claire Dubois", line1: "8 quai Saint-Antoine", city: "Lyon", postalCode: "69002", country: "FR" };
export const ZURICH: Address = { name: "Dieter Keller", line1: "Bahnhofstrasse 1", city: "Zürich", postalCode: "8001", country: "CH" };

/** A domestic sale: billed to Berlin, delivered to Munich; 7 % and 19 %, the shipping split between them. */
export function domesticMixedRateOrder(): PricedOrder {
  return makePricedOrder({
    orderId: "ord_LegalDomestic000000001",
    createdAt: SUPPLIED_AT,
    lines: legalTestLines(),
    shippingAddress: MUNICH,
    billingAddress: BERLIN,
    situation: { sellerCountry: "DE", buyer: { kind: "consumer" }, ossRegistered: false, supplyKind: "goods" },
  });
}

/** The French business's VAT ID (valid check digits: key 40 of SIREN 303265045). */
export const FRENCH_VAT_ID = "FR40303265045";

/** An intra-Community supply to a French business whose VAT ID VIES confirmed: VAT-free (K). */
export function intraCommunityOrder(): PricedOrder {
  return makePricedOrder({
    orderId: "ord_LegalIntraCommunity0002",
    createdAt: SUPPLIED_AT,
    lines: legalTestLines(),
    shippingAddress: LYON,
    buyer: {
      kind: "business",
      company: "Dubois Librairie SARL",
      vatId: FRENCH_VAT_ID,
      vatCheck: { outcome: "valid", vatId: FRENCH_VAT_ID, requestIdentifier: "WAPIAAAA00000001", source: "vies" },
    },
    situation: {
      sellerCountry: "DE",
      buyer: { kind: "business", vatId: FRENCH_VAT_ID, vatIdValid: true },
      ossRegistered: false,
      supplyKind: "goods",
    },
  });
}

/** An export of goods to a consumer in Switzerland: VAT-free (G). */
export function exportOrder(): PricedOrder {
  return makePricedOrder({
    orderId: "ord_LegalExport00000000003",
    createdAt: SUPPLIED_AT,
    lines: legalTestLines(),
    shippingAddress: ZURICH,
    situation: { sellerCountry: "DE", buyer: { kind: "consumer" }, ossRegistered: false, supplyKind: "goods" },
  });
}
