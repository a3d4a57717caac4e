import { expect } from "chai";
import {
  formatProblem,
  parseCatalogCsv,
  parseCatalogFile,
  parseCatalogJson,
  type CatalogFileResult,
} from "../../../runtime/domain/catalog-file";
import { productRow, shippingMethod } from "../../helpers/catalog";

const problemsOf = (r: CatalogFileResult) => (r.ok ? [] : r.problems.map(formatProblem));
const HEADER = "sku,name.en,name.de,price.EUR,price.USD,taxCategory,active";

describe("catalog files", () => {
  describe("CSV", () => {
    it("reads one product a row; an empty cell is a language or currency not offered, an empty active is true", () => {
      const r = parseCatalogCsv(
        `\uFEFF${HEADER}\nMUG-01,Coffee mug,Kaffeebecher,1250,1390,standard,true\nBOOK-01,A book,,1800,,reduced,\n`,
      );

      expect(r.ok, problemsOf(r).join("\n")).to.equal(true);
      expect(r.ok && r.file).to.deep.equal({
        products: [
          {
            sku: "MUG-01",
            names: { en: "Coffee mug", de: "Kaffeebecher" },
            prices: { EUR: 1250, USD: 1390 },
            taxCategory: "standard",
            active: true,
          },
          { sku: "BOOK-01", names: { en: "A book" }, prices: { EUR: 1800 }, taxCategory: "reduced", active: true },
        ],
      });
    });

    it("lists every problem of every row at once, with its line and column", () => {
      const csv = [
        HEADER,
        "MUG-01,Coffee mug,,12.50,,standard,true", // decimal price
        "TEE-01,T-shirt,,1999,,luxury,maybe", // unknown tax category, bad active
        "BAD SKU,Name,,100,,standard,", // sku with a space
        "NONAME-01,,,100,,standard,", // no name at all
        "NOPRICE-01,Thing,,,,standard,", // no price at all
        "SHORT-01,Thing,100", // too few cells
        "MUG-01,Coffee mug again,,1300,,standard,", // duplicate of line 2
        "YEN-01,Thing,,abc,-5,standard,", // not numbers
      ].join("\n");

      const problems = problemsOf(parseCatalogCsv(csv));

      expect(problems).to.deep.equal([
        'line 2 (sku MUG-01), price.EUR: "12.50" is a decimal: give the price in whole minor units (cents for EUR): write 1250',
        'line 3 (sku TEE-01), active: "maybe" is not true or false',
        "line 3 (sku TEE-01), taxCategory: Invalid enum value. Expected 'standard' | 'reduced' | 'super-reduced' | 'zero' | 'exempt', received 'luxury'",
        "line 4 (sku BAD SKU), sku: may hold letters, digits and . _ - / only",
        "line 5 (sku NONAME-01), name.*: must name the product in at least one language",
        "line 6 (sku NOPRICE-01), price.*: must give a price in at least one currency",
        "line 7 (sku SHORT-01): has 3 cells, the header 7",
        'line 9 (sku YEN-01), price.EUR: "abc" is not a price: give whole minor units (cents), e.g. 1250 for 12.50',
        'line 9 (sku YEN-01), price.USD: "-5" is not a price: give whole minor units (cents), e.g. 1250 for 12.50',
        "line 8 (sku MUG-01), sku: duplicate sku MUG-01: line 2 (sku MUG-01) has it too",
      ]);
    });

    it("reads a product's category per country from taxCategory.<country> columns, and names a bad one", () => {
      const csv =
        "sku,name.en,price.EUR,taxCategory,taxCategory.IT,taxCategory.IE\nBOOK-01,A book,1800,reduced,super-reduced,zero\nMUG-01,Mug,900,standard,,\nBAD-01,X,1,reduced,cheap,";
      const r = parseCatalogCsv(csv);
      expect(problemsOf(r)).to.deep.equal([
        "line 4 (sku BAD-01), taxCategory.IT: Invalid enum value. Expected 'standard' | 'reduced' | 'super-reduced' | 'zero' | 'exempt', received 'cheap'",
      ]);
      const good = parseCatalogCsv(csv.split("\n").slice(0, 3).join("\n"));
      expect(good.ok && good.file.products.map((p) => [p.sku, p.taxCategory, p.taxCategoryIn])).to.deep.equal([
        ["BOOK-01", "reduced", { IT: "super-reduced", IE: "zero" }],
        ["MUG-01", "standard", undefined],
      ]);
    });

    it("names both rows of a duplicate SKU", () => {
      const problems = problemsOf(parseCatalogCsv(`${HEADER}\nMUG-01,A,,1,,standard,\nTEE-01,B,,1,,standard,\nMUG-01,C,,1,,standard,`));
      expect(problems).to.deep.equal(["line 4 (sku MUG-01), sku: duplicate sku MUG-01: line 2 (sku MUG-01) has it too"]);
    });

    it("refuses unknown, repeated and missing columns, naming each", () => {
      const problems = problemsOf(parseCatalogCsv("sku,name.en,name.en,price.eur,colour\nMUG-01,A,A,1,red"));
      expect(problems).to.deep.equal([
        "line 1 (header), name.en: column appears twice",
        "line 1 (header), price.eur: unknown column: use sku, name.<language> (name.en), price.<currency> (price.EUR), taxCategory, taxCategory.<country> (taxCategory.IT), active",
        "line 1 (header), colour: unknown column: use sku, name.<language> (name.en), price.<currency> (price.EUR), taxCategory, taxCategory.<country> (taxCategory.IT), active",
        "line 1 (header), taxCategory: required column is missing",
        "line 1 (header): needs at least one price.<currency> column",
      ]);
    });

    it("refuses a file that is not CSV or is empty", () => {
      expect(problemsOf(parseCatalogCsv(`${HEADER}\n"MUG-01,A,,1,,standard,\n`))[0]).to.match(/^line \d+: not valid CSV: Quote Not Closed/);
      expect(problemsOf(parseCatalogCsv(""))).to.deep.equal(["file: the CSV is empty: it needs a header and a row per product"]);
    });
  });

  describe("JSON", () => {
    it("reads products and shipping methods", () => {
      const file = { products: [productRow("MUG-01")], shippingMethods: [shippingMethod("standard")] };
      const r = parseCatalogJson(JSON.stringify(file));
      expect(r.ok && r.file).to.deep.equal(file);
    });

    it("lists every problem with the item's position, its id and the field", () => {
      const file = {
        products: [productRow("MUG-01", { prices: { EUR: 12.5 } }), { ...productRow("TEE-01"), colour: "red" }, productRow("MUG-01")],
        shippingMethods: [
          shippingMethod("standard", {
            zones: [
              { zone: "eu", countries: ["DE", "FR"], prices: { EUR: 490 } },
              { zone: "eu", countries: ["FR", "XX"], prices: { EUR: 990 } },
            ],
          }),
        ],
        extra: 1,
      };

      const problems = problemsOf(parseCatalogJson(JSON.stringify(file)));

      expect(problems).to.deep.equal([
        "products[0] (sku MUG-01), prices.EUR: must be whole minor units (cents)",
        "products[1] (sku TEE-01): unknown field(s): colour",
        "shippingMethods[0] (id standard), zones.1.countries.1: is not an ISO 3166-1 alpha-2 country code",
        "file: Unrecognized key(s) in object: 'extra'",
        "products[2] (sku MUG-01), sku: duplicate sku MUG-01: products[0] (sku MUG-01) has it too",
      ]);
    });

    it("after the schema, refuses duplicate SKUs and ids, a country in two zones and two '*' zones", () => {
      const zones = [
        { zone: "domestic", countries: ["DE"], prices: { EUR: 490 } },
        { zone: "eu", countries: ["AT", "DE"], prices: { EUR: 990 } },
        { zone: "world", countries: "*", prices: { EUR: 1990 } },
        { zone: "world2", countries: "*", prices: { EUR: 2990 } },
      ];
      const file = {
        products: [productRow("MUG-01"), productRow("MUG-01")],
        shippingMethods: [shippingMethod("standard", { zones: zones as never }), shippingMethod("standard")],
      };

      expect(problemsOf(parseCatalogJson(JSON.stringify(file)))).to.deep.equal([
        "products[1] (sku MUG-01), sku: duplicate sku MUG-01: products[0] (sku MUG-01) has it too",
        "shippingMethods[1] (id standard), id: duplicate id standard: shippingMethods[0] (id standard) has it too",
        "shippingMethods[0] (id standard), zones[1].countries: DE is in zone domestic too",
        'shippingMethods[0] (id standard), zones[3].countries: only one zone may be "*"; world is already',
      ]);
    });

    it("refuses what is not JSON", () => {
      expect(problemsOf(parseCatalogJson("{ products: ["))[0]).to.match(/^file: not valid JSON: /);
    });
  });

  it("chooses the format by the file name's extension", () => {
    expect(parseCatalogFile("catalog.CSV", `${HEADER}\nMUG-01,A,,1,,standard,`).ok).to.equal(true);
    expect(parseCatalogFile("catalog.json", '{"products":[]}').ok).to.equal(true);
    expect(problemsOf(parseCatalogFile("catalog.xlsx", ""))).to.deep.equal(["file: catalog.xlsx: give a .json or .csv catalog file"]);
  });
});
