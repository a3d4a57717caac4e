import { ENV } from "../runtime/contracts/env";

/** The seller printed on invoices and emails, as the stack configures it. */
export interface SellerConfig {
  readonly name: string;
  /** Lines separated by "|". */
  readonly address: string;
  /** ISO 3166-1 alpha-2 of the establishment (an EU member state). */
  readonly country: string;
  readonly vatId?: string;
  readonly taxNumber?: string;
  /** Trade register entry and court. */
  readonly register?: string;
  /** Managing directors. */
  readonly directors?: string;
  readonly email?: string;
}

/** How the shop's sales are taxed, as the stack configures it. */
export interface TaxConfig {
  readonly ossRegistered: boolean;
  readonly supplyKind: "goods" | "services";
  readonly vatCheckPolicy: "charge-vat" | "hold";
}

/** The seller's environment variables (runtime/settings.ts ENV names); optional ones only when set. */
export function sellerEnvironment(seller: SellerConfig): Record<string, string> {
  return {
    [ENV.sellerName]: seller.name,
    [ENV.sellerAddress]: seller.address,
    [ENV.sellerCountry]: seller.country,
    ...(seller.vatId ? { [ENV.sellerVatId]: seller.vatId } : {}),
    ...(seller.taxNumber ? { [ENV.sellerTaxNumber]: seller.taxNumber } : {}),
    ...(seller.register ? { [ENV.sellerRegister]: seller.register } : {}),
    ...(seller.directors ? { [ENV.sellerDirectors]: seller.directors } : {}),
    ...(seller.email ? { [ENV.sellerEmail]: seller.email } : {}),
  };
}

/** What checkout's tax engine reads (the order API): the seller's country and VAT ID, and the shop's tax settings. */
export function taxEnvironment(seller: SellerConfig, tax: TaxConfig): Record<string, string> {
  return {
    [ENV.sellerCountry]: seller.country,
    ...(seller.vatId ? { [ENV.sellerVatId]: seller.vatId } : {}),
    [ENV.ossRegistered]: String(tax.ossRegistered),
    [ENV.supplyKind]: tax.supplyKind,
    [ENV.vatCheckPolicy]: tax.vatCheckPolicy,
  };
}
