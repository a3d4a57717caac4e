import { expect } from "chai";
import { startViesStandIn, type ViesBehaviour, type ViesStandIn } from "../../../local/vies-standin";
import { parseVatId, type VatId } from "../../../runtime/domain/vat-id";
import { type VatIdVerifier, type VatServiceFailure, VatServiceUnavailable, viesVerifier } from "../../../runtime/tax/vies";

function vatId(text: string): VatId {
  const parsed = parseVatId(text);
  if (!parsed.ok) throw new Error(`test data: ${text} is no VAT ID (${parsed.message})`);
  return parsed.vatId;
}

/** The seller: registered in the stand-in's test data, Germany discloses no name. */
const SELLER = vatId("DE123456788");

/** Broken answers for made-up IDs (valid check digits, so only the answer is wrong). */
const BROKEN: Record<string, ViesBehaviour> = {
  // "valid" as a string: a careless reader would take it as true.
  DE111111125: { kind: "raw", status: 200, body: JSON.stringify({ valid: "true", requestDate: "2026-12-05T10:00:00Z" }) },
  // No requestDate: no evidence of when.
  DE222222115: { kind: "raw", status: 200, body: JSON.stringify({ valid: true, countryCode: "DE", vatNumber: "222222115" }) },
  // An HTML maintenance page with status 200.
  DE333333103: { kind: "raw", status: 200, body: "<html><body>Service under maintenance</body></html>" },
  // A valid answer about another number.
  DE444444103: {
    kind: "raw",
    status: 200,
    body: JSON.stringify({ valid: true, countryCode: "DE", vatNumber: "123456788", requestDate: "2026-12-05T10:00:00Z" }),
  },
  // An error status without VIES's error body.
  DE555555107: { kind: "raw", status: 502, body: "Bad Gateway" },
  // An error code VIES has not documented.
  DE666666104: { kind: "error", error: "SOMETHING_NEW", status: 500 },
  // VIES refuses our requester: a configuration fault, not retryable.
  DE777777100: { kind: "error", error: "INVALID_REQUESTER_INFO", status: 400 },
  // JSON null.
  DE888888107: { kind: "raw", status: 200, body: "null" },
};

async function failureOf(promise: Promise<unknown>): Promise<VatServiceUnavailable> {
  try {
    const value = await promise;
    throw new Error(`expected VatServiceUnavailable, got ${JSON.stringify(value)}`);
  } catch (e) {
    expect(e).to.be.instanceOf(VatServiceUnavailable);
    return e as VatServiceUnavailable;
  }
}

describe("viesVerifier against the VIES stand-in", () => {
  let standIn: ViesStandIn;
  let verifier: VatIdVerifier;

  before(async () => {
    standIn = await startViesStandIn({ answers: BROKEN });
    verifier = viesVerifier({ baseUrl: standIn.url, requester: SELLER, timeoutMs: 1_000 });
  });
  after(async () => {
    await standIn.close();
  });

  it("confirms a registered French company with its name, address and a consultation number", async () => {
    const check = await verifier.check(vatId("fr 32 123 456 789"));

    expect(check).to.deep.include({
      vatId: "FR32123456789",
      valid: true,
      name: "SARL EXEMPLE MAISON",
      address: "12 RUE DE LA PAIX\n75002 PARIS",
      source: "vies",
    });
    expect(check.requestIdentifier).to.match(/^WAPI[A-Z0-9]+$/);
    expect(Date.parse(check.requestDate)).to.be.a("number").and.not.NaN;
  });

  it("sends the ID without its prefix and the seller as requester, in VIES's field names", async () => {
    await verifier.check(vatId("ATU12345675"));

    const last = standIn.requests().at(-1);
    expect(last).to.deep.include({ method: "POST", path: "/taxation_customs/vies/rest-api/check-vat-number", status: 200 });
    expect(last?.body).to.deep.equal({
      countryCode: "AT",
      vatNumber: "U12345675",
      requesterMemberStateCode: "DE",
      requesterNumber: "123456788",
    });
  });

  it("sends Greek IDs with VIES's prefix EL", async () => {
    await verifier.check(vatId("GR123456783"));

    expect(standIn.requests().at(-1)?.body).to.deep.include({ countryCode: "EL", vatNumber: "123456783" });
  });

  it("leaves out the name and address a member state does not disclose ('---')", async () => {
    const check = await verifier.check(vatId("DE123456788"));

    expect(check.valid).to.equal(true);
    expect(check).to.not.have.any.keys("name", "address");
    expect(check.requestIdentifier).to.be.a("string");
  });

  it("reports an unregistered ID as not valid", async () => {
    const check = await verifier.check(vatId("EL123456783"));

    expect(check.valid).to.equal(false);
    expect(check.name).to.equal(undefined);
    expect(check.vatId).to.equal("EL123456783");
  });

  const unavailable: [string, string, VatServiceFailure, boolean][] = [
    ["the member state is unavailable (HTTP 200, MS_UNAVAILABLE)", "IT01234560017", "MS_UNAVAILABLE", true],
    ["the member state timed out at VIES (HTTP 500, TIMEOUT)", "ESB12345674", "TIMEOUT", true],
    ["the member state is throttled (MS_MAX_CONCURRENT_REQ)", "BE0123456749", "MS_MAX_CONCURRENT_REQ", true],
    ["'valid' is the string \"true\"", "DE111111125", "MALFORMED_ANSWER", true],
    ["the answer has no requestDate", "DE222222115", "MALFORMED_ANSWER", true],
    ["the answer is an HTML page with status 200", "DE333333103", "MALFORMED_ANSWER", true],
    ["the answer is about another number", "DE444444103", "MALFORMED_ANSWER", true],
    ["the answer is JSON null", "DE888888107", "MALFORMED_ANSWER", true],
    ["a gateway answers 502 without VIES's body", "DE555555107", "HTTP_STATUS", true],
    ["VIES sends an error code it has not documented", "DE666666104", "UNKNOWN_VIES_ERROR", true],
    ["VIES refuses the requester", "DE777777100", "INVALID_REQUESTER_INFO", false],
  ];
  for (const [what, id, failure, retryable] of unavailable) {
    it(`answers VatServiceUnavailable (${failure}) when ${what}`, async () => {
      const error = await failureOf(verifier.check(vatId(id)));

      expect(error.failure).to.equal(failure);
      expect(error.retryable).to.equal(retryable);
      expect(error.message).to.contain(id);
    });
  }

  it("gives up after its timeout on a slow answer (CLIENT_TIMEOUT), within about that time", async () => {
    const quick = viesVerifier({ baseUrl: standIn.url, requester: SELLER, timeoutMs: 200 });
    const started = Date.now();

    const error = await failureOf(quick.check(vatId("PL1234567890")));

    expect(error.failure).to.equal("CLIENT_TIMEOUT");
    expect(error.retryable).to.equal(true);
    expect(Date.now() - started).to.be.below(3_000); // the stand-in would answer after 5 s
  });

  it("answers VatServiceUnavailable (NETWORK) when nothing listens at the base URL", async () => {
    const closed = await startViesStandIn();
    const url = closed.url;
    await closed.close();

    const error = await failureOf(viesVerifier({ baseUrl: url, requester: SELLER }).check(vatId("FR32123456789")));

    expect(error.failure).to.equal("NETWORK");
  });

  it("is refused by VIES (INVALID_REQUESTER_INFO) when the requester is not a registered ID", async () => {
    const unknownSeller = viesVerifier({ baseUrl: standIn.url, requester: vatId("DE111111125") });

    const error = await failureOf(unknownSeller.check(vatId("FR32123456789")));

    expect(error.failure).to.equal("INVALID_REQUESTER_INFO");
  });
});

describe("the VIES stand-in", () => {
  it("refuses a request without a VAT number as VIES does (400, INVALID_INPUT)", async () => {
    const standIn = await startViesStandIn();
    try {
      const res = await fetch(`${standIn.url}/check-vat-number`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ countryCode: "FR" }),
      });

      expect(res.status).to.equal(400);
      expect(await res.json()).to.deep.equal({ actionSucceed: false, errorWrappers: [{ error: "INVALID_INPUT" }] });
    } finally {
      await standIn.close();
    }
  });

  it("closes at once while a slow answer is pending", async () => {
    const standIn = await startViesStandIn();
    const pending = fetch(`${standIn.url}/check-vat-number`, {
      method: "POST",
      body: JSON.stringify({ countryCode: "PL", vatNumber: "1234567890" }),
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();

    await standIn.close();

    expect(Date.now() - started).to.be.below(1_000);
    expect(await pending).to.be.instanceOf(Error);
  });
});
