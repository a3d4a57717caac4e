import { expect } from "chai";
import { decodeS3Key } from "../../../runtime/handlers/email-notifier";

/** The notifier's behaviour is its contract suite (test/contract/email-notifier.contract.test.ts); these are its pure parts. */
describe("email notifier", () => {
  it("decodes form-encoded keys as S3 sends them", () => {
    expect(decodeS3Key("invoices%2Ford_1.pdf")).to.equal("invoices/ord_1.pdf");
    expect(decodeS3Key("a+b%2Bc")).to.equal("a b+c");
  });
});
