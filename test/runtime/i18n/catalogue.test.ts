import { expect } from "chai";
import { LANGS, messages, placeholdersOf, type MessageKey, type Messages } from "../../../runtime/i18n";

const KEYS = Object.keys(messages("en")) as MessageKey[];

describe("message catalogues", () => {
  for (const lang of LANGS) {
    it(`${lang} has every English key, and no other`, () => {
      expect(Object.keys(messages(lang)).sort()).to.deep.equal([...KEYS].sort());
    });

    it(`${lang} has no empty or blank message`, () => {
      const blank = KEYS.filter((key) => typeof messages(lang)[key] !== "string" || messages(lang)[key].trim() === "");
      expect(blank).to.deep.equal([]);
    });

    it(`${lang} uses exactly the English placeholders in every message`, () => {
      const differing = KEYS.filter((key) => placeholdersOf(messages(lang)[key]).join() !== placeholdersOf(messages("en")[key]).join());
      expect(differing).to.deep.equal([]);
    });

    it(`${lang} has no brace outside a well-formed {placeholder}`, () => {
      const stray = KEYS.filter((key) => /[{}]/.test(messages(lang)[key].replace(/\{\w+\}/g, "")));
      expect(stray).to.deep.equal([]);
    });
  }

  it("does not compile a catalogue that lacks a key or has one English lacks (npm test type-checks this file)", () => {
    const { invoiceTitle, ...incomplete } = messages("en");
    // @ts-expect-error invoiceTitle is missing
    const missing: Messages = incomplete;
    // @ts-expect-error an extra key
    const extra: Messages = { ...incomplete, invoiceTitle, invoiceTitel: "Rechnung" };
    expect([missing, extra]).to.have.length(2);
  });

  // The wording tax law asks for: § 14a UStG and CGI art. 242 nonies A name the words themselves.
  const notes: { key: MessageKey; de: string; en: string; fr: string }[] = [
    {
      key: "noteIntraCommunitySupply",
      de: "Steuerfreie innergemeinschaftliche Lieferung (Art. 138 Richtlinie 2006/112/EG)",
      en: "Tax-exempt intra-Community supply (Art. 138 Directive 2006/112/EC)",
      fr: "Exonération de TVA, livraison intracommunautaire (art. 138 de la directive 2006/112/CE)",
    },
    {
      key: "noteReverseCharge",
      de: "Steuerschuldnerschaft des Leistungsempfängers (Art. 196 Richtlinie 2006/112/EG)",
      en: "Reverse charge (Art. 196 Directive 2006/112/EC)",
      fr: "Autoliquidation (art. 196 de la directive 2006/112/CE)",
    },
    {
      key: "noteExport",
      de: "Steuerfreie Ausfuhrlieferung (Art. 146 Richtlinie 2006/112/EG)",
      en: "Tax-exempt export delivery (Art. 146 Directive 2006/112/EC)",
      fr: "Exonération de TVA, exportation (art. 146 de la directive 2006/112/CE)",
    },
  ];
  for (const note of notes) {
    it(`prints the legal note ${note.key} in each language's statutory wording`, () => {
      for (const lang of LANGS) expect(messages(lang)[note.key], lang).to.equal(note[lang]);
    });
  }
});
