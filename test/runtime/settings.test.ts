import { expect } from "chai";
import { loadApiSettings, loadWorkerSettings, SettingsError } from "../../runtime/settings";

/** The least an order API needs, with a German seller. */
const API_ENV = {
  ORDERS_TABLE: "t",
  ORDERS_QUEUE_URL: "https://sqs.example/q",
  INVOICES_BUCKET: "b",
  INVOICE_LINK_KEY_ID: "k",
  PAYMENT_SECRET_ID: "s",
  SELLER_COUNTRY: "DE",
};
const WORKER_ENV = {
  ORDERS_TABLE: "t",
  ORDERS_QUEUE_URL: "https://sqs.example/q",
  INVOICES_BUCKET: "b",
  SELLER_NAME: "Acme",
  SELLER_ADDRESS: "Street 1|Berlin",
  SELLER_COUNTRY: "DE",
};

describe("the tax settings of the runtime", () => {
  it("defaults to a shop not registered for OSS, selling goods, charging VAT when VIES is silent, waiting 2 s for it", () => {
    expect(loadApiSettings(API_ENV).tax).to.deep.equal({
      sellerCountry: "DE",
      sellerVatId: undefined,
      ossRegistered: false,
      supplyKind: "goods",
      vatCheckPolicy: "charge-vat",
      viesApiBaseUrl: undefined,
      viesTimeoutMs: 2000,
    });
  });

  it("reads the seller's VAT ID as typed into its normalized form, and the switches as written", () => {
    const tax = loadApiSettings({
      ...API_ENV,
      SELLER_VAT_ID: "de 123.456.788",
      SHOP_OSS_REGISTERED: "true",
      SHOP_SUPPLY_KIND: "services",
      VAT_CHECK_POLICY: "hold",
    }).tax;
    expect([tax.sellerVatId, tax.ossRegistered, tax.supplyKind, tax.vatCheckPolicy]).to.deep.equal([
      "DE123456788",
      true,
      "services",
      "hold",
    ]);
  });

  it("refuses to start with a seller outside the EU, a VAT ID with wrong check digits, or a switch it cannot read, naming each", () => {
    expect(() =>
      loadApiSettings({
        ...API_ENV,
        SELLER_COUNTRY: "CH",
        SELLER_VAT_ID: "DE123456789",
        SHOP_OSS_REGISTERED: "yes",
        VAT_CHECK_POLICY: "guess",
      }),
    )
      .to.throw(SettingsError)
      .with.property("message")
      .that.matches(/SELLER_COUNTRY must be an EU member state/)
      .and.matches(/SELLER_VAT_ID is not a valid VAT ID: The check digits of DE123456789 are wrong/)
      .and.matches(/SHOP_OSS_REGISTERED must be true or false/)
      .and.matches(/VAT_CHECK_POLICY must be charge-vat or hold/);
    expect(() => loadApiSettings({ ...API_ENV, SELLER_COUNTRY: undefined })).to.throw(SettingsError, /SELLER_COUNTRY is not set/);
  });

  it("gives the worker the seller's whole legal identity", () => {
    const { seller } = loadWorkerSettings({
      ...WORKER_ENV,
      SELLER_VAT_ID: "DE123456788",
      SELLER_TAX_NUMBER: "37/123/45678",
      SELLER_REGISTER: "Amtsgericht Charlottenburg, HRB 123456 B",
      SELLER_DIRECTORS: "Erika Mustermann",
    });
    expect(seller).to.deep.equal({
      name: "Acme",
      addressLines: ["Street 1", "Berlin"],
      country: "DE",
      vatId: "DE123456788",
      taxNumber: "37/123/45678",
      register: "Amtsgericht Charlottenburg, HRB 123456 B",
      directors: "Erika Mustermann",
      email: undefined,
    });
  });
});
