import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useLocalAws, writeTestSession } from "../helpers/aws";
import { tableItems } from "../helpers/deps";
import { ROOT } from "../helpers/pulumi-mocks";
import { CatalogStore } from "../../runtime/domain/catalog-store";
import { DEMO_CATALOG_FILE, loadDemoCatalog, parseCatalogArgs } from "../../local/catalog";
import { zoneFor } from "../../runtime/domain/catalog";

/** Runs `npm run catalog -- ...args` as a process against the session file; its exit code and output. */
function runCli(args: string[], sessionFile: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "local/catalog-cli.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, SHOP_LOCAL_SESSION: sessionFile },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("npm run catalog", function () {
  this.timeout(60000);
  const ctx = useLocalAws({ catalog: false });
  let dir: string;
  let session: { file: string; remove(): void };
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-cli-"));
    session = writeTestSession(ctx);
  });
  afterEach(() => {
    session.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const store = () => new CatalogStore(ctx.clients.ddb, ctx.resources.table);

  describe("arguments", () => {
    const ok: [string[], unknown][] = [
      [
        ["import", "c.csv", "--local"],
        { command: "import", file: "c.csv", target: { local: true }, dryRun: false, deactivateMissing: false },
      ],
      [
        ["import", "--stack", "prod", "c.json", "--dry-run", "--deactivate-missing"],
        { command: "import", file: "c.json", target: { stack: "prod" }, dryRun: true, deactivateMissing: true },
      ],
      [["list"], { command: "list", target: { stack: "dev" } }],
    ];
    for (const [argv, parsed] of ok) it(`reads ${argv.join(" ")}`, () => expect(parseCatalogArgs(argv)).to.deep.equal(parsed));
    const bad: [string[], RegExp][] = [
      [[], /give a command: import or list/],
      [["import", "--local"], /exactly one catalog file/],
      [["import", "a.csv", "b.csv"], /exactly one catalog file/],
      [["import", "a.csv", "--local", "--stack", "dev"], /not both/],
      [["import", "a.csv", "--stack", "../x"], /--stack needs a stack name/],
      [["list", "--dry-run"], /unknown argument "--dry-run"/],
      [["import", "a.csv", "--force"], /unknown argument "--force"[\s\S]*usage: npm run catalog/],
    ];
    for (const [argv, message] of bad)
      it(`refuses ${argv.join(" ") || "nothing"}`, () => expect(() => parseCatalogArgs(argv)).to.throw(message));
  });

  it("imports a CSV into the local pipeline's table and prints what changed; a second run changes nothing", async () => {
    const csv = write("c.csv", "sku,name.en,price.EUR,taxCategory\nMUG-01,Coffee mug,1250,standard\nBOOK-01,Book,1800,reduced\n");

    const first = await runCli(["import", csv, "--local"], session.file);
    const second = await runCli(["import", csv, "--local"], session.file);

    expect(first.code, first.err).to.equal(0);
    expect(first.out).to.contain("Imported: 2 item(s) written.").and.contain("added        MUG-01").and.contain("added        BOOK-01");
    expect(first.out).to.contain("shipping methods: not in this file, left as they are");
    expect(second.out).to.contain("Imported: 0 item(s) written.").and.contain("0 added, 0 changed, 0 deactivated, 2 unchanged");
    expect((await store().listActive()).products.map((p) => p.sku)).to.deep.equal(["BOOK-01", "MUG-01"]);
  });

  it("with --dry-run prints what it would do and writes nothing", async () => {
    await loadDemoCatalog(ctx.clients.ddb, ctx.resources.table, new Date());
    const before = await tableItems(ctx);
    const csv = write("c.csv", "sku,name.en,price.EUR,taxCategory\nMUG-01,Coffee mug,999,standard\n");

    const r = await runCli(["import", csv, "--local", "--dry-run", "--deactivate-missing"], session.file);

    expect(r.code, r.err).to.equal(0);
    expect(r.out)
      .to.contain("Dry run: nothing was written")
      .and.contain("changed      MUG-01 (names, prices)")
      .and.contain("deactivated  BOOK-COFFEE");
    expect(await tableItems(ctx)).to.deep.equal(before);
  });

  it("exits 1 on an invalid file, listing every problem, and writes nothing", async () => {
    const csv = write("c.csv", "sku,name.en,price.EUR,taxCategory\nMUG-01,Coffee mug,12.50,standard\nMUG-01,Mug,100,luxury\n");

    const r = await runCli(["import", csv, "--local"], session.file);

    expect(r.code).to.equal(1);
    expect(r.err).to.contain("is not a valid catalog; nothing was written. 3 problem(s):");
    expect(r.err)
      .to.contain("line 2 (sku MUG-01), price.EUR:")
      .and.contain("line 3 (sku MUG-01), taxCategory:")
      .and.contain("duplicate sku MUG-01");
    expect(await tableItems(ctx)).to.deep.equal([]);
  });

  it("lists the catalog", async () => {
    await loadDemoCatalog(ctx.clients.ddb, ctx.resources.table, new Date());
    const r = await runCli(["list", "--local"], session.file);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/active\s+MUG-01\s+EUR 1250, USD 1390\s+standard\s+v1\s+Coffee mug/);
    expect(r.out).to.contain("7 product(s), 2 shipping method(s)");
  });

  it("says how to start the local pipeline when none runs", async () => {
    const r = await runCli(["list", "--local"], path.join(dir, "no-session.json"));
    expect(r.code).to.equal(1);
    expect(r.err).to.contain("npm start");
  });

  describe("the demo catalog", () => {
    it("is loaded into an empty catalog, and kept out of one that has products", async () => {
      const first = await loadDemoCatalog(ctx.clients.ddb, ctx.resources.table, new Date());
      await store().deactivateProduct("MUG-01", new Date());
      const second = await loadDemoCatalog(ctx.clients.ddb, ctx.resources.table, new Date());

      expect(first !== "kept" && first.products.added)
        .to.include("MUG-01")
        .and.include("BOOK-COFFEE");
      expect(second).to.equal("kept");
      expect((await store().getProduct("MUG-01"))?.active).to.equal(false);
    });

    it("prices the README's order example and ships standard and express to DE, the EU and the world", async () => {
      const demo = JSON.parse(fs.readFileSync(DEMO_CATALOG_FILE, "utf8"));
      await loadDemoCatalog(ctx.clients.ddb, ctx.resources.table, new Date());

      const { products, shippingMethod } = await store().lookup(["MUG-01", "TSHIRT-RED-M", "BOOK-COFFEE"], "express");

      expect(products.get("MUG-01")?.prices.EUR).to.equal(1250);
      expect(products.get("TSHIRT-RED-M")?.prices.EUR).to.equal(1999);
      expect(products.get("BOOK-COFFEE")?.taxCategory).to.equal("reduced");
      expect([...products.values()].every((p) => p.names.en && p.names.de && p.prices.EUR && p.prices.USD)).to.equal(true);
      expect(["DE", "FR", "HU", "US"].map((c) => zoneFor(shippingMethod!, c)?.zone)).to.deep.equal(["domestic", "eu", "eu", "world"]);
      const eu = demo.shippingMethods[0].zones.find((z: { zone: string }) => z.zone === "eu");
      expect(eu.countries).to.have.length(26); // the EU member states but DE
    });
  });
});
