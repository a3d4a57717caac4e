import { expect } from "chai";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { useLocalAws } from "../../helpers/aws";
import { tableItems } from "../../helpers/deps";
import { ddbSpy, type DdbSpy } from "../../helpers/ddb-spy";
import { catalogFile, productInput, productRow, shippingMethod } from "../../helpers/catalog";
import { CatalogImportFailed, CatalogStore, CatalogVersionConflict } from "../../../runtime/domain/catalog-store";

const T0 = new Date("2026-12-01T10:00:00.000Z");
const T1 = new Date("2026-12-01T11:00:00.000Z");
const WRITES = ["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand", "TransactWriteItemsCommand", "BatchWriteItemCommand"];
const writesIn = (sent: readonly string[]) => sent.filter((c) => WRITES.includes(c));
const sortedByPk = (items: Record<string, unknown>[]) => [...items].sort((a, b) => String(a.pk).localeCompare(String(b.pk)));

describe("CatalogStore", function () {
  this.timeout(60000);
  const ctx = useLocalAws({ catalog: false });
  let spy: DdbSpy;
  const store = () => new CatalogStore(spy.ddb, ctx.resources.table);
  beforeEach(() => (spy = ddbSpy(ctx.moto.endpoint)));
  afterEach(() => spy.destroy());

  describe("lookup", () => {
    it("reads every distinct SKU and the shipping method in one BatchGetItem round trip", async () => {
      // Prepare
      await store().importCatalog(catalogFile(5), T0);
      spy.sent.length = 0;

      // Act: a repeated SKU and an unknown one among them
      const r = await store().lookup(["SKU-0001", "SKU-0003", "SKU-0001", "NO-SUCH"], "standard");

      // Assess
      expect(spy.sent).to.deep.equal(["BatchGetItemCommand"]);
      expect([...r.products.keys()].sort()).to.deep.equal(["SKU-0001", "SKU-0003"]);
      expect(r.products.get("SKU-0003")).to.include({ sku: "SKU-0003", taxCategory: "standard", active: true, version: 1 });
      expect(r.products.get("SKU-0003")?.prices).to.deep.equal({ EUR: 1250, USD: 1390 });
      expect(r.shippingMethod).to.include({ id: "standard", version: 1 });
      expect(r.shippingMethod?.zones).to.have.length(3);
    });

    it("splits 100 distinct SKUs and a method (101 keys) into two BatchGetItem calls, BatchGetItem's limit being 100", async () => {
      await store().importCatalog(catalogFile(100), T0);
      spy.sent.length = 0;
      const skus = Array.from({ length: 100 }, (_, i) => `SKU-${String(i + 1).padStart(4, "0")}`);

      const r = await store().lookup(skus, "standard");

      expect(spy.sent).to.deep.equal(["BatchGetItemCommand", "BatchGetItemCommand"]);
      expect(r.products.size).to.equal(100);
      expect(r.shippingMethod?.id).to.equal("standard");
    });

    it("finds nothing, and no method, in an empty catalog", async () => {
      const r = await store().lookup(["MUG-01"], "express");
      expect(r.products.size).to.equal(0);
      expect(r.shippingMethod).to.equal(undefined);
    });
  });

  describe("putProduct", () => {
    /** MUG-01 at version 1, and another writer that takes it to version 2 (EUR 7) just before the spied store's next PutItem. */
    const changedBetweenReadAndWrite = async () => {
      await store().putProduct("MUG-01", productInput("MUG-01"), T0);
      const other = new CatalogStore(ctx.clients.ddb, ctx.resources.table);
      spy.beforeNth(
        "PutItemCommand",
        1,
        async () => void (await other.putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 7 } }), T0)),
      );
    };

    it("creates a product at version 1, replaces it at version 2 with the former one as before", async () => {
      const created = await store().putProduct("MUG-01", productInput("MUG-01"), T0);
      const replaced = await store().putProduct("MUG-01", { ...productInput("MUG-01"), prices: { EUR: 1350 } }, T1);

      expect(created).to.deep.include({ before: undefined, changed: true });
      expect(created.after).to.include({ sku: "MUG-01", version: 1, updatedAt: T0.toISOString() });
      expect(replaced.before?.version).to.equal(1);
      expect(replaced.after).to.deep.include({ version: 2, prices: { EUR: 1350 }, updatedAt: T1.toISOString() });
      expect((await store().getProduct("MUG-01"))?.version).to.equal(2);
    });

    it("keeps a product's category per country, and a change of it alone is a new version", async () => {
      await store().putProduct("BOOK-01", productInput("BOOK-01", { taxCategory: "reduced" }), T0);
      const set = await store().putProduct(
        "BOOK-01",
        productInput("BOOK-01", { taxCategory: "reduced", taxCategoryIn: { IT: "super-reduced" } }),
        T1,
      );
      expect([set.changed, set.after.version]).to.deep.equal([true, 2]);
      const { products } = await store().lookup(["BOOK-01"]);
      expect(products.get("BOOK-01")).to.deep.include({ taxCategory: "reduced", taxCategoryIn: { IT: "super-reduced" } });
      const cleared = await store().putProduct("BOOK-01", productInput("BOOK-01", { taxCategory: "reduced" }), T1);
      expect([cleared.changed, (await store().getProduct("BOOK-01"))?.taxCategoryIn]).to.deep.equal([true, undefined]);
    });

    it("writes nothing when the product is already so (key order of names and prices does not count)", async () => {
      await store().putProduct("MUG-01", productInput("MUG-01"), T0);
      spy.sent.length = 0;

      const again = await store().putProduct("MUG-01", { ...productInput("MUG-01"), prices: { USD: 1390, EUR: 1250 } }, T1);

      expect(again.changed).to.equal(false);
      expect(again.after.version).to.equal(1);
      expect(writesIn(spy.sent)).to.deep.equal([]);
    });

    it("refuses an expected version the product does not have, and writes nothing", async () => {
      await store().putProduct("MUG-01", productInput("MUG-01"), T0);
      await store().putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 1 } }), T0);
      spy.sent.length = 0;

      const err = await store()
        .putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 2 } }), T1, 1)
        .catch((e) => e);

      expect(err).to.be.instanceOf(CatalogVersionConflict);
      expect(err.current).to.equal(2);
      expect(writesIn(spy.sent)).to.deep.equal([]);
      expect((await store().getProduct("MUG-01"))?.prices).to.deep.equal({ EUR: 1 });
    });

    it("with an expected version, refuses when another writer changes the product between its read and its write", async () => {
      await changedBetweenReadAndWrite();

      const err = await store()
        .putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 8 } }), T1, 1)
        .catch((e) => e);

      expect(err).to.be.instanceOf(CatalogVersionConflict);
      expect(await store().getProduct("MUG-01")).to.deep.include({ version: 2, prices: { EUR: 7 } });
    });

    it("without an expected version, reads again after a concurrent change and writes over it", async () => {
      await changedBetweenReadAndWrite();

      const r = await store().putProduct("MUG-01", productInput("MUG-01", { prices: { EUR: 8 } }), T1);

      expect(r.before?.version).to.equal(2);
      expect(await store().getProduct("MUG-01")).to.deep.include({ version: 3, prices: { EUR: 8 } });
    });
  });

  describe("deactivateProduct", () => {
    it("takes a product off sale: active false, next version, gone from listActive but still readable", async () => {
      await store().importCatalog(catalogFile(2), T0);

      const r = await store().deactivateProduct("SKU-0001", T1);

      expect(r?.after).to.include({ active: false, version: 2 });
      expect((await store().listActive()).products.map((p) => p.sku)).to.deep.equal(["SKU-0002"]);
      expect((await store().lookup(["SKU-0001"])).products.get("SKU-0001")?.active).to.equal(false);
    });

    it("answers undefined for a SKU the catalog does not have, and writes nothing", async () => {
      expect(await store().deactivateProduct("NO-SUCH", T1)).to.equal(undefined);
      expect(writesIn(spy.sent)).to.deep.equal([]);
    });

    it("writes nothing when the product is inactive already", async () => {
      await store().putProduct("MUG-01", productInput("MUG-01", { active: false }), T0);
      spy.sent.length = 0;
      expect((await store().deactivateProduct("MUG-01", T1))?.changed).to.equal(false);
      expect(writesIn(spy.sent)).to.deep.equal([]);
    });
  });

  describe("listActive", () => {
    it("lists active products by SKU and active shipping methods by id, over every page of the state index", async () => {
      // Prepare: 150 products of about 8 KB each (40 names of 200 characters): more than a query page's 1 MB
      const languages = Array.from(
        { length: 40 },
        (_, i) => String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26)),
      );
      const file = catalogFile(150);
      const fat = {
        products: file.products.map((p) => ({ ...p, names: Object.fromEntries(languages.map((l) => [l, "x".repeat(200)])) })),
        shippingMethods: [shippingMethod("standard"), shippingMethod("express"), shippingMethod("bulky", { active: false })],
      };
      await store().importCatalog({ ...fat, products: [...fat.products].reverse() }, T0);
      await store().deactivateProduct("SKU-0002", T0);
      spy.sent.length = 0;

      const r = await store().listActive();

      expect(r.products.map((p) => p.sku)).to.deep.equal(fat.products.map((p) => p.sku).filter((s) => s !== "SKU-0002"));
      expect(r.shippingMethods.map((m) => m.id)).to.deep.equal(["express", "standard"]);
      expect(spy.sent.filter((c) => c === "QueryCommand").length).to.be.greaterThan(2); // more than one page of products
    });
  });

  describe("importCatalog", () => {
    it("adds every item of a new catalog, in the documented item layout", async () => {
      const report = await store().importCatalog({ products: [productRow("MUG-01")], shippingMethods: [shippingMethod()] }, T0);

      expect(report.products).to.deep.equal({ added: ["MUG-01"], changed: [], deactivated: [], unchanged: 0, notInFile: [] });
      expect(report.shippingMethods?.added).to.deep.equal(["standard"]);
      expect(report.written).to.equal(2);
      const items = sortedByPk(await tableItems(ctx));
      expect(items[0]).to.deep.equal({
        pk: "PRODUCT#MUG-01",
        type: "product",
        gsi2pk: "CATALOG#product",
        gsi2sk: "MUG-01",
        sku: "MUG-01",
        names: { en: "Product MUG-01", de: "Produkt MUG-01" },
        prices: { EUR: 1250, USD: 1390 },
        taxCategory: "standard",
        active: true,
        version: 1,
        updatedAt: T0.toISOString(),
      });
      expect(items[1]).to.include({
        pk: "SHIPPING#standard",
        type: "shipping",
        gsi2pk: "CATALOG#shipping",
        gsi2sk: "standard",
        version: 1,
      });
    });

    it("rewrites only what changed, names the changed fields, and leaves equal items unwritten", async () => {
      await store().importCatalog(catalogFile(3), T0);
      const file = catalogFile(3);
      const next = {
        ...file,
        products: [file.products[0], { ...file.products[1], prices: { EUR: 999 }, taxCategory: "reduced" as const }, file.products[2]],
      };
      spy.sent.length = 0;

      const report = await store().importCatalog(next, T1);

      expect(report.products.changed).to.deep.equal([{ id: "SKU-0002", fields: ["prices", "taxCategory"] }]);
      expect(report.products.unchanged).to.equal(2);
      expect(report.shippingMethods?.unchanged).to.equal(1);
      expect(report.written).to.equal(1);
      const items = await tableItems(ctx);
      expect(items.filter((i) => i.updatedAt === T1.toISOString()).map((i) => i.pk)).to.deep.equal(["PRODUCT#SKU-0002"]);
      expect(items.find((i) => i.pk === "PRODUCT#SKU-0002")?.version).to.equal(2);
    });

    it("sends no write at all when the file equals the catalog", async () => {
      await store().importCatalog(catalogFile(3), T0);
      spy.sent.length = 0;
      const report = await store().importCatalog(catalogFile(3), T1);
      expect(report.written).to.equal(0);
      expect(writesIn(spy.sent)).to.deep.equal([]);
    });

    it("lists active items the file lacks as notInFile, and deactivates them only when asked", async () => {
      await store().importCatalog(
        {
          products: [productRow("A"), productRow("B"), productRow("C", { active: false })],
          shippingMethods: [shippingMethod("standard"), shippingMethod("express")],
        },
        T0,
      );
      const smaller = { products: [productRow("A")], shippingMethods: [shippingMethod("standard")] };

      const kept = await store().importCatalog(smaller, T1);
      const gone = await store().importCatalog(smaller, T1, { deactivateMissing: true });

      expect(kept.products.notInFile).to.deep.equal(["B"]); // C is inactive already
      expect(kept.shippingMethods?.notInFile).to.deep.equal(["express"]);
      expect(kept.written).to.equal(0);
      expect(gone.products).to.deep.include({ deactivated: ["B"], notInFile: [] });
      expect(gone.shippingMethods?.deactivated).to.deep.equal(["express"]);
      expect((await store().listActive()).products.map((p) => p.sku)).to.deep.equal(["A"]);
    });

    it("leaves shipping methods alone when the file has none (a CSV), even with deactivateMissing", async () => {
      await store().importCatalog(catalogFile(1), T0);
      const report = await store().importCatalog(catalogFile(1, { shipping: false }), T1, { deactivateMissing: true });
      expect(report.shippingMethods).to.equal(undefined);
      expect((await store().listActive()).shippingMethods.map((m) => m.id)).to.deep.equal(["standard"]);
    });

    it("in a dry run reports what it would do and writes nothing", async () => {
      await store().importCatalog(catalogFile(2), T0);
      const before = sortedByPk(await tableItems(ctx));
      spy.sent.length = 0;

      const report = await store().importCatalog({ products: [productRow("SKU-0001", { prices: { EUR: 1 } }), productRow("NEW-1")] }, T1, {
        dryRun: true,
        deactivateMissing: true,
      });

      expect(report).to.deep.include({ dryRun: true, written: 0 });
      expect(report.products).to.deep.equal({
        added: ["NEW-1"],
        changed: [{ id: "SKU-0001", fields: ["prices"] }],
        deactivated: ["SKU-0002"],
        unchanged: 0,
        notInFile: [],
      });
      expect(writesIn(spy.sent)).to.deep.equal([]);
      expect(sortedByPk(await tableItems(ctx))).to.deep.equal(before);
    });

    it("writes a 250-item import in transactions of at most 100 items", async () => {
      const report = await store().importCatalog(catalogFile(249), T0);
      expect(report.written).to.equal(250);
      expect(spy.sent.filter((c) => c === "TransactWriteItemsCommand")).to.have.length(3);
      expect(await tableItems(ctx)).to.have.length(250);
    });

    it("when the second transaction fails, puts back what the first wrote: the catalog is as before", async () => {
      // Prepare: 60 stored products; the import changes those 60 and adds 90 (150 writes: two transactions)
      await store().importCatalog(catalogFile(60, { shipping: false }), T0);
      const before = sortedByPk(await tableItems(ctx));
      const file = catalogFile(150, { shipping: false });
      const next = { products: file.products.map((p) => ({ ...p, prices: { EUR: 4242 } })) };
      spy.sent.length = 0;
      spy.failNth("TransactWriteItemsCommand", 2, () =>
        Object.assign(new Error("injected: the second transaction fails"), { name: "InternalServerError" }),
      );

      // Act
      const err = await store()
        .importCatalog(next, T1)
        .catch((e) => e);

      // Assess: the first transaction did commit, and was undone
      expect(err).to.be.instanceOf(CatalogImportFailed);
      expect(err.message)
        .to.match(/write 2 of 2/)
        .and.match(/injected/)
        .and.match(/put back/);
      expect(err.unrestored).to.deep.equal([]);
      expect(spy.sent.filter((c) => c === "TransactWriteItemsCommand")).to.have.length(2);
      const after = sortedByPk(await tableItems(ctx));
      expect(after).to.have.length(60);
      const content = (items: Record<string, unknown>[]) => items.map(({ version: _v, updatedAt: _u, ...rest }) => rest);
      expect(content(after)).to.deep.equal(content(before));
      expect(after.every((i) => i.version === 3)).to.equal(true); // versions only grow: 1, the import's 2, the restore's 3
    });

    it("fails, and writes nothing, when an item changes between the import's read and its write", async () => {
      await store().importCatalog(catalogFile(3, { shipping: false }), T0);
      spy.beforeNth("TransactWriteItemsCommand", 1, async () => {
        await ctx.clients.ddb.send(
          new PutCommand({
            TableName: ctx.resources.table,
            Item: {
              pk: "PRODUCT#SKU-0003",
              type: "product",
              gsi2pk: "CATALOG#product",
              gsi2sk: "SKU-0003",
              ...productRow("SKU-0003", { prices: { EUR: 5 } }),
              version: 2,
              updatedAt: T0.toISOString(),
            },
          }),
        );
      });
      const file = catalogFile(3, { shipping: false });

      const err = await store()
        .importCatalog({ products: file.products.map((p) => ({ ...p, prices: { EUR: 77 } })) }, T1)
        .catch((e) => e);

      expect(err).to.be.instanceOf(CatalogImportFailed);
      const items = sortedByPk(await tableItems(ctx));
      expect(items.map((i) => (i.prices as Record<string, number>).EUR)).to.deep.equal([1250, 1250, 5]);
    });
  });
});
