/**
 * Whether a business buyer's VAT ID earns the intra-Community exemption, from VIES's answer (or its
 * absence). The ID's format and check digits were checked before (domain/vat-id.ts); this decides on
 * the registration. Pure: the tax engine applies the treatment, the order stores the evidence.
 *
 * | VIES said                                   | treatment                                         |
 * | ------------------------------------------- | ------------------------------------------------- |
 * | valid, with a consultation number           | exempt-with-evidence                              |
 * | not valid                                   | charge-vat (the buyer is treated as a consumer)   |
 * | nothing clear (VatServiceUnavailable)       | the shop's policy: charge-vat, or hold the order  |
 * | valid, but no consultation number           | the shop's policy, as for no answer               |
 *
 * A valid answer without a consultation number is no proof that the check was made: the exemption
 * is granted only with one, never on a guess.
 */
import { type VatIdCheck, VatServiceUnavailable, type VatServiceFailure } from "./vies";

/** What the shop does when VIES gives no usable answer: charge VAT now (a refund can follow), or hold the order. */
export type UnansweredVatPolicy = "charge-vat" | "hold";

/** VIES's confirmation, stored on the order for the tax auditor. */
export interface VatExemptionEvidence {
  readonly vatId: string;
  readonly requestIdentifier: string;
  readonly requestDate: string;
  readonly name?: string;
  readonly address?: string;
  readonly source: "vies";
}

/** Why the exemption was not granted. */
export type NoExemptionReason =
  /** VIES says the ID is not registered (or not for intra-Community trade). */
  | "vat-id-invalid"
  /** VIES gave no clear answer. */
  | "vies-unanswered"
  /** VIES confirmed the ID but gave no consultation number to prove it. */
  | "no-consultation-number";

/** The decision and what it rests on. */
export type VatExemptionDecision =
  | { readonly treatment: "exempt-with-evidence"; readonly evidence: VatExemptionEvidence }
  | {
      readonly treatment: "charge-vat" | "hold";
      readonly reason: NoExemptionReason;
      /** VIES's answer, when there was one (a refusal is worth keeping too). */
      readonly check?: VatIdCheck;
      /** Why VIES gave no answer, when it gave none. */
      readonly failure?: { readonly code: VatServiceFailure; readonly retryable: boolean; readonly message: string };
    };

/** Decides the buyer's VAT treatment from VIES's answer, or from its absence under the shop's policy. */
export function decideVatExemption(answer: VatIdCheck | VatServiceUnavailable, policy: UnansweredVatPolicy): VatExemptionDecision {
  if (answer instanceof VatServiceUnavailable)
    return {
      treatment: policy,
      reason: "vies-unanswered",
      failure: { code: answer.failure, retryable: answer.retryable, message: answer.message },
    };
  if (!answer.valid) return { treatment: "charge-vat", reason: "vat-id-invalid", check: answer };
  if (!answer.requestIdentifier) return { treatment: policy, reason: "no-consultation-number", check: answer };
  const { vatId, requestIdentifier, requestDate, name, address, source } = answer;
  return {
    treatment: "exempt-with-evidence",
    evidence: { vatId, requestIdentifier, requestDate, source, ...(name && { name }), ...(address && { address }) },
  };
}
