import { expect } from "chai";
import { decideVatExemption, type UnansweredVatPolicy } from "../../../runtime/tax/vat-exemption";
import { type VatIdCheck, VatServiceUnavailable } from "../../../runtime/tax/vies";

const CONFIRMED: VatIdCheck = {
  vatId: "FR32123456789",
  valid: true,
  name: "SARL EXEMPLE MAISON",
  address: "12 RUE DE LA PAIX\n75002 PARIS",
  requestIdentifier: "WAPIAAAA00000001",
  requestDate: "2026-12-05T10:00:00.000Z",
  source: "vies",
};
const REFUSED: VatIdCheck = {
  vatId: "EL123456783",
  valid: false,
  requestIdentifier: "WAPIAAAA00000002",
  requestDate: "2026-12-05T10:00:01.000Z",
  source: "vies",
};
const WITHOUT_CONSULTATION: VatIdCheck = { vatId: "DE123456788", valid: true, requestDate: "2026-12-05T10:00:02.000Z", source: "vies" };
const POLICIES: UnansweredVatPolicy[] = ["charge-vat", "hold"];

describe("decideVatExemption", () => {
  for (const policy of POLICIES) {
    it(`exempts a confirmed ID with its consultation number as evidence (policy ${policy})`, () => {
      const decision = decideVatExemption(CONFIRMED, policy);

      expect(decision).to.deep.equal({
        treatment: "exempt-with-evidence",
        evidence: {
          vatId: "FR32123456789",
          requestIdentifier: "WAPIAAAA00000001",
          requestDate: "2026-12-05T10:00:00.000Z",
          name: "SARL EXEMPLE MAISON",
          address: "12 RUE DE LA PAIX\n75002 PARIS",
          source: "vies",
        },
      });
    });

    it(`charges VAT for an ID VIES reports not valid, keeping the answer (policy ${policy})`, () => {
      const decision = decideVatExemption(REFUSED, policy);

      expect(decision).to.deep.equal({ treatment: "charge-vat", reason: "vat-id-invalid", check: REFUSED });
    });

    it(`applies the policy (${policy}) when VIES gives no answer, naming why`, () => {
      const decision = decideVatExemption(new VatServiceUnavailable("MS_UNAVAILABLE", "VIES could not check IT01234560017"), policy);

      expect(decision).to.deep.equal({
        treatment: policy,
        reason: "vies-unanswered",
        failure: { code: "MS_UNAVAILABLE", retryable: true, message: "VIES could not check IT01234560017" },
      });
    });

    it(`applies the policy (${policy}) to a confirmation without a consultation number: no proof, no exemption`, () => {
      const decision = decideVatExemption(WITHOUT_CONSULTATION, policy);

      expect(decision).to.deep.equal({ treatment: policy, reason: "no-consultation-number", check: WITHOUT_CONSULTATION });
    });
  }

  it("never exempts on a malformed answer, whatever the policy", () => {
    const malformed = new VatServiceUnavailable("MALFORMED_ANSWER", "VIES's answer is not one we can read");

    const treatments = POLICIES.map((p) => decideVatExemption(malformed, p).treatment);

    expect(treatments).to.deep.equal(["charge-vat", "hold"]);
  });

  it("leaves out of the evidence the name and address VIES did not disclose", () => {
    const { name: _n, address: _a, ...undisclosed } = CONFIRMED;

    const decision = decideVatExemption(undisclosed, "hold");

    expect(decision.treatment).to.equal("exempt-with-evidence");
    expect(decision.treatment === "exempt-with-evidence" && decision.evidence).to.not.have.any.keys("name", "address");
  });
});
