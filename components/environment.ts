import { ENV } from "../runtime/contracts/env";

/** The seller printed on invoices and emails, as the stack configures it. */
export interface SellerConfig {
  readonly name: string;
  /** Lines separated by "|". */
  readonly address: string;
  readonly taxId?: string;
  readonly email?: string;
}

/** The seller's environment variables (runtime/settings.ts ENV names); optional ones only when set. */
export function sellerEnvironment(seller: SellerConfig): Record<string, string> {
  return {
    [ENV.sellerName]: seller.name,
    [ENV.sellerAddress]: seller.address,
    ...(seller.taxId ? { [ENV.sellerTaxId]: seller.taxId } : {}),
    ...(seller.email ? { [ENV.sellerEmail]: seller.email } : {}),
  };
}
