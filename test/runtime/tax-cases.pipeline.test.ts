/**
 * Issue 16's tax table end to end: every case of test/helpers/tax-cases.ts (the table the engine's
 * unit test runs) as a real checkout (POST /orders, VIES stand-in, Stripe stand-in), then the
 * worker's invoice PDF and the invoice email, in English, German and French. The expected values are
 * the table's, worked out by hand; this proves the stored order, the PDF and the email carry them.
 */
import { expect } from "chai";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { settingsOf, useLocalAws } from "../helpers/aws";
import { apiDeps, drainQueue, workerDeps } from "../helpers/deps";
import { ALICE, orderBody, postOrder } from "../helpers/events";
import { TAX_CASES, type TaxCase } from "../helpers/tax-cases";
import { readPdf } from "./invoices/invoices";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { composeInvoiceEmail } from "../../runtime/handlers/email-notifier";
import { CatalogStore } from "../../runtime/domain/catalog-store";
import { formatDateIn, formatMoneyIn, formatPercentIn } from "../../runtime/i18n/format";
import { taxNoteIn } from "../../runtime/i18n";
import { TAX_NOTE_KEYS } from "../../runtime/domain/tax/codes";
import type { Lang } from "../../runtime/i18n/langs";
import { OrderStore, type OrderRecord } from "../../runtime/domain/store";

/** VAT IDs the VIES stand-in answers for: registered ones by country, and a well-formed one it does not know. */
const REGISTERED: Readonly<Record<string, string>> = { FR: "FR32123456789", AT: "ATU12345675" };
const UNREGISTERED_FR = "FR40303265045";

/** The no-break spaces French and German formats use, as plain spaces (pdf.js reads some of them back as spaces). */
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

describe("the tax table through checkout, the invoice PDF and the email (en, de, fr)", function () {
  this.timeout(120_000);
  const ctx = useLocalAws({ catalog: false });

  /** The case as the shop's catalog: one product per line (quantity 1, its net price), and a shipping method to the destination. */
  async function catalogOf(c: TaxCase, at: Date): Promise<void> {
    await new CatalogStore(ctx.clients.ddb, ctx.resources.table).importCatalog(
      {
        products: c.lines.map((l, i) => ({
          sku: `CASE-${i}`,
          names: { en: `Case item ${i}`, de: `Fallartikel ${i}`, fr: `Article ${i}` },
          prices: { [c.currency]: l.netMinor },
          taxCategory: l.category,
          active: true,
        })),
        shippingMethods: [
          {
            id: "case",
            names: { en: "Case shipping", de: "Fallversand", fr: "Livraison" },
            taxCategory: c.shipping.category,
            zones: [{ zone: "there", countries: [c.situation.destinationCountry], prices: { [c.currency]: c.shipping.netMinor } }],
            active: true,
          },
        ],
      },
      at,
    );
  }

  function buyerOf(c: TaxCase) {
    const b = c.situation.buyer;
    if (b.kind === "consumer" || !b.vatId) return undefined;
    const country = b.vatId.slice(0, 2);
    return { company: "Example Buyer SARL", vatId: b.vatIdValid ? REGISTERED[country] : UNREGISTERED_FR };
  }

  for (const c of TAX_CASES) {
    it(c.name, async () => {
      const at = new Date(`${c.date}T10:00:00.000Z`);
      await catalogOf(c, at);
      const settings = settingsOf(ctx).api;
      const deps = apiDeps(ctx, {
        now: () => at,
        settings: {
          ...settings,
          tax: { ...settings.tax, ossRegistered: c.situation.ossRegistered, supplyKind: c.situation.supplyKind },
        },
      });
      const destination = c.situation.destinationCountry;
      const buyer = buyerOf(c);
      const orders: { lang: Lang; orderId: string }[] = [];
      for (const lang of ["en", "de", "fr"] as const) {
        const body = orderBody({
          currency: c.currency,
          items: c.lines.map((_, i) => ({ sku: `CASE-${i}`, quantity: 1 })),
          shippingAddress: { name: "Buyer", line1: "1 Example Street", city: "Town", postalCode: "1000", country: destination },
          shipping: { method: "case" },
          locale: lang,
          ...(buyer ? { buyer } : {}),
        });
        const res = await handleApiRequest(postOrder(body, { claims: ALICE }), deps);
        expect(res.statusCode, `${lang}: ${res.body}`).to.equal(202);
        expect(JSON.parse(res.body).status, lang).to.equal("PAID");
        orders.push({ lang, orderId: JSON.parse(res.body).orderId });
      }

      // The stored order: the rule, the groups and the totals of the table
      const store = new OrderStore(ctx.clients.ddb, ctx.resources.table);
      const stored = async (orderId: string): Promise<OrderRecord> => (await store.get(orderId))!;
      for (const { orderId, lang } of orders) {
        const { order } = await stored(orderId);
        expect(order.lang).to.equal(lang);
        expect([order.tax.rule, order.tax.ratesCountry]).to.deep.equal([c.expected.rule, c.expected.ratesCountry]);
        expect(
          order.tax.groups.map(({ code, rateBps, exemptionReason, linesNetMinor, shippingNetMinor, taxableMinor, taxMinor }) => ({
            code,
            rateBps,
            ...(exemptionReason ? { exemptionReason } : {}),
            linesNetMinor,
            shippingNetMinor,
            taxableMinor,
            taxMinor,
          })),
        ).to.deep.equal(c.expected.groups);
        expect(order.tax.notes).to.deep.equal(c.expected.notes);
        expect([order.subtotalMinor, order.taxMinor, order.totalMinor]).to.deep.equal([
          c.expected.netTotalMinor,
          c.expected.taxTotalMinor,
          c.expected.grossTotalMinor,
        ]);
        if (buyer) expect(order.buyer.vatCheck?.outcome).to.equal(c.situation.buyer.vatIdValid ? "valid" : "invalid");
      }

      // The worker issues each invoice; its PDF and its email carry the same figures in the order's language
      const messages = await drainQueue(ctx);
      expect(messages).to.have.length(3);
      for (const m of messages) expect((await processOrderMessage(m.body, workerDeps(ctx))).outcome).to.equal("invoiced");
      for (const { orderId, lang } of orders) {
        const rec = await stored(orderId);
        const object = await ctx.clients.s3.send(new GetObjectCommand({ Bucket: ctx.resources.bucket, Key: rec.invoiceKey as string }));
        const text = plain((await readPdf(await object.Body!.transformToByteArray())).text);
        const money = (minor: number) => plain(formatMoneyIn(minor, c.currency, lang));
        expect(text, `${lang}: gross total`).to.contain(money(c.expected.grossTotalMinor));
        expect(text, `${lang}: net total`).to.contain(money(c.expected.netTotalMinor));
        for (const g of c.expected.groups) {
          expect(text, `${lang}: taxable amount of ${g.code} ${g.rateBps}`).to.contain(money(g.taxableMinor));
          expect(text, `${lang}: rate of ${g.code}`).to.contain(plain(formatPercentIn(g.rateBps, lang)));
          if (g.taxMinor) expect(text, `${lang}: tax of ${g.code} ${g.rateBps}`).to.contain(money(g.taxMinor));
        }
        expect(text, `${lang}: supply date`).to.contain(plain(formatDateIn(new Date(`${c.date}T00:00:00Z`), lang)));
        expect(text, `${lang}: the seller's VAT ID`).to.contain("DE123456788");
        if (c.expected.buyerVatIdRequired) expect(text, `${lang}: the buyer's VAT ID`).to.contain(buyer!.vatId);
        // The notes the law asks for, in the invoice's language, and no other
        for (const note of TAX_NOTE_KEYS) {
          const printed = text.includes(plain(taxNoteIn(note, lang)));
          expect(printed, `${lang}: ${note}`).to.equal((c.expected.notes as readonly string[]).includes(note));
        }
        const mail = composeInvoiceEmail(rec as never, "https://x.example/i", "Acme Shop GmbH", 30);
        expect(plain(mail.text), `${lang}: email total`).to.contain(money(c.expected.grossTotalMinor));
      }
    });
  }
});
