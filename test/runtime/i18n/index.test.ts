import { expect } from "chai";
import { interpolate, langOf, resolveLocale, t, type Lang } from "../../../runtime/i18n";

describe("resolveLocale", () => {
  const cases: { order?: string; claim?: string; shop: Lang; expected: Lang; why: string }[] = [
    { order: "de-DE", claim: "fr", shop: "en", expected: "de", why: "the order's locale comes first" },
    { order: undefined, claim: "fr-FR", shop: "de", expected: "fr", why: "the Cognito claim when the order has none" },
    { order: undefined, claim: undefined, shop: "de", expected: "de", why: "the shop's default when neither is given" },
    { order: "es-ES", claim: "fr-CA", shop: "de", expected: "fr", why: "an unsupported order locale falls through to the claim" },
    { order: "es", claim: "it", shop: "en", expected: "en", why: "unsupported everywhere: the shop's default" },
    { order: "en-GB", shop: "de", expected: "en", why: "a region does not matter, the language does" },
    { order: "DE-at", shop: "en", expected: "de", why: "tags are case-insensitive" },
    { order: "fr_BE", shop: "en", expected: "fr", why: "an underscore, as Java and Android write it" },
    { order: "de-DE-u-nu-arab", shop: "en", expected: "de", why: "extensions are ignored" },
    { order: "not a tag!", claim: "de", shop: "en", expected: "de", why: "a malformed tag is skipped" },
    { order: "", claim: "", shop: "fr", expected: "fr", why: "empty strings count as absent" },
    {
      order: `de-x-${Array(20).fill("abcdefgh").join("-")}`,
      shop: "en",
      expected: "en",
      why: "an overlong tag, even well-formed, is not parsed",
    },
  ];
  for (const c of cases) {
    it(`resolves to ${c.expected}: ${c.why}`, () => {
      expect(resolveLocale(c.order, c.claim, c.shop)).to.equal(c.expected);
    });
  }

  it("langOf is undefined for an unsupported language", () => expect(langOf("ja-JP")).to.equal(undefined));
});

describe("t", () => {
  it("fills every placeholder of the language's message", () => {
    expect(t("en", "pageOf", { page: 2, pages: 3 })).to.equal("Page 2 of 3");
    expect(t("de", "pageOf", { page: 2, pages: 3 })).to.equal("Seite 2 von 3");
    expect(t("fr", "pageOf", { page: 2, pages: 3 })).to.equal("Page 2 sur 3");
  });

  it("returns a message without placeholders as it is", () => {
    expect(t("fr", "invoiceTitle")).to.equal("Facture");
  });

  it("does not interpolate a value that looks like a placeholder", () => {
    expect(t("en", "orderWithId", { orderId: "{orderId}" })).to.equal("Order {orderId}");
  });

  it("checks placeholder names at compile time", () => {
    // @ts-expect-error pageOf needs page and pages
    expect(() => t("en", "pageOf", { page: 1 })).to.throw("{pages}");
    // @ts-expect-error invoiceTitle takes no parameters
    expect(t("en", "invoiceTitle", { x: 1 })).to.equal("Invoice");
  });
});

describe("interpolate", () => {
  it("throws naming the placeholder that has no value", () => {
    expect(() => interpolate("Hello {name}", {})).to.throw("no value for placeholder {name}");
  });

  it("does not read values off the object's prototype", () => {
    expect(() => interpolate("{toString}", {})).to.throw("{toString}");
  });
});
