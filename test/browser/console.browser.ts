import * as path from "node:path";
import { expect } from "chai";
import type { BrowserContext, Page } from "playwright-core";
import { SendMessageCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { LocalPipeline } from "../../local/pipeline";
import { useConsoleBrowser, waitUntil } from "./harness";

/** Where the test leaves its screenshot. */
export const SCREENSHOT = path.resolve(__dirname, "..", "..", ".local-state", "console.png");

describe("the local console (/_local/) in a real headless browser", function () {
  this.timeout(180000);
  const b = useConsoleBrowser();
  let p: LocalPipeline;
  let context: BrowserContext;
  let page: Page;
  let sqs: SQSClient;

  before(() => {
    ({ p, context, page } = b);
    sqs = new SQSClient({ region: p.region, endpoint: p.endpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
  });
  after(() => sqs?.destroy());

  const statusOf = (orderId: string) => page.locator(`tr[data-order-id="${orderId}"]`).getAttribute("data-status");
  const waitFor = (what: string, check: () => Promise<boolean>) => waitUntil(page, what, check);

  const historyOf = async (orderId: string) => (await page.locator(`tr[data-order-id="${orderId}"]`).getAttribute("data-history"))!;
  const placed = async (result: string) => {
    await page.click("#place-order");
    await page.locator("#order-result", { hasText: result }).waitFor();
    return (await page.textContent("#order-result"))!.match(/ord_[A-Za-z0-9]+/)![0];
  };

  it("signs in as the demo user, offers the catalog's products, pays with the test card and shows PAID -> NOTIFIED live", async () => {
    await page.click("#sign-in-demo");
    await page.locator("#signed-in", { hasText: `Signed in as ${p.demoUser.email}` }).waitFor();
    // The product list comes from GET /products: names and prices are the catalog's.
    await page
      .locator('select[name="sku"] option[value="TSHIRT-RED-M"]', { hasText: "T-shirt, red, M (TSHIRT-RED-M): 19.99 EUR" })
      .waitFor({
        state: "attached",
      });
    expect(await page.inputValue('select[name="sku"]')).to.equal("MUG-01");
    expect(await page.inputValue('select[name="paymentMethod"]')).to.equal("pm_card_visa");
    await page.fill('input[name="quantity"]', "3");
    const orderId = await placed("Paid: ord_");
    // 3 x 12.50 EUR + standard shipping to DE 4.90 EUR = 42.40 net, + 19 % tax (dev stack) 8.06
    expect(await page.textContent("#order-result")).to.contain("total 50.46 EUR (shipping 4.90 EUR)");
    // The breakdown comes from GET /orders/{orderId}, read right after the 202.
    await page.locator("#order-result", { hasText: "VAT S 19 % of 42.40 EUR: 8.06 EUR (domestic)" }).waitFor();
    expect(await page.isHidden("#order-action")).to.equal(true);
    // The row updates live, without a reload, until the email went out; the page keeps every status it showed.
    await waitFor("NOTIFIED", async () => (await statusOf(orderId)) === "NOTIFIED");
    // INVOICED may pass between two polls; whatever was shown came in lifecycle order.
    expect(["PAID INVOICED NOTIFIED", "PAID NOTIFIED"]).to.include(await historyOf(orderId));
  });

  it("opens the invoice PDF from the order row", async () => {
    const [popup] = await Promise.all([context.waitForEvent("page"), page.click("button.open-invoice")]);
    const url = popup.url() === "about:blank" ? (await popup.waitForURL(/^http/), popup.url()) : popup.url();
    const pdf = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
    await popup.close();
  });

  it("pays with the 3-D Secure card: links the stand-in's page, and the order is PAID and emailed once it is completed there", async () => {
    await page.selectOption('select[name="paymentMethod"]', "pm_card_threeDSecure2Required");
    await page.fill('input[name="quantity"]', "1");
    const orderId = await placed("Awaiting payment: ord_");
    await page.locator("#order-action").waitFor();
    expect(await page.getAttribute("#three-ds", "href")).to.match(/^http:\/\/127\.0\.0\.1:\d+\/_standin\/3ds\/pi_/);
    await waitFor("AWAITING_PAYMENT row", async () => (await statusOf(orderId)) === "AWAITING_PAYMENT");
    const [popup] = await Promise.all([context.waitForEvent("page"), page.click("#three-ds")]);
    await popup.waitForLoadState();
    expect(await popup.textContent("body")).to.contain("Authenticate the payment of 20.71 EUR?");
    await popup.click('button:has-text("Complete")');
    await popup.locator("body", { hasText: "Authentication complete" }).waitFor();
    await popup.close();
    // The stand-in's signed webhook reaches POST /webhooks/stripe: PAID, then invoiced and emailed.
    await waitFor("NOTIFIED after 3-D Secure", async () => (await statusOf(orderId)) === "NOTIFIED");
    expect((await historyOf(orderId)).split(" ")[0]).to.equal("AWAITING_PAYMENT");
    expect(await historyOf(orderId)).to.match(/NOTIFIED$/);
  });

  it("shows a declined card's 402 and the order as PAYMENT_FAILED", async () => {
    await page.selectOption('select[name="paymentMethod"]', "pm_card_chargeDeclined");
    await page.click("#place-order");
    await page.locator("#order-result", { hasText: "Declined (402 PAYMENT_DECLINED)" }).waitFor();
    await page.locator("tr[data-status=PAYMENT_FAILED]").waitFor();
    await page.selectOption('select[name="paymentMethod"]', "pm_card_visa");
  });

  it("shows the emails in the inbox and the orders by status in the metrics", async () => {
    await page.locator("#mails li.mail", { hasText: "Your invoice INV-000001" }).waitFor();
    await page.locator("#mails li.mail", { hasText: "Your invoice INV-000002" }).waitFor();
    const counts = async () => Promise.all(["#m-NOTIFIED", "#m-emails", "#m-PAYMENT_FAILED"].map((id) => page.textContent(id)));
    await waitFor("metrics", async () => JSON.stringify(await counts()) === JSON.stringify(["2", "2", "1"]));
    expect(await page.textContent("#m-AWAITING_PAYMENT")).to.equal("0");
    expect(await page.textContent("#m-PAID")).to.equal("0");
    expect(await page.textContent("#m-queue-waiting")).to.equal("0");
  });

  it("shows a dead letter and moves it back to the orders queue with the redrive button", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: p.resources.dlqUrl, MessageBody: '{"v":1,"order":"not an order"}' }));
    await waitFor("DLQ depth 1", async () => (await page.textContent("#m-dlq")) === "1");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.click("#redrive");
    await page.locator("#redrive-result", { hasText: "Moved 1 message(s) back to the orders queue." }).waitFor();
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: p.resources.dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).to.equal("0");
  });

  it("signs in as a second local user, who sees none of the demo user's orders", async () => {
    await page.fill("#other-email", "bob@example.com");
    await page.click('#sign-in-other button[type="submit"]');
    await page.locator("#signed-in", { hasText: "Signed in as bob@example.com" }).waitFor();
    await page.locator("#order-rows", { hasText: "No orders yet." }).waitFor();
    expect(await page.locator("tr[data-order-id]").count()).to.equal(0);
  });

  it("bills a French business with its VAT ID VIES confirms: an intra-Community supply without VAT, billed apart from the shipping address", async () => {
    const fill = async (fields: Record<string, string>) => {
      for (const [name, value] of Object.entries(fields)) await page.fill(`input[name="${name}"]`, value);
    };
    await fill({ quantity: "1", city: "Paris", postalCode: "75002", country: "FR", company: "Exemple SARL", vatId: "fr 32 123 456 789" });
    await page.uncheck('input[name="billSame"]');
    await fill({
      billName: "Exemple SARL",
      billLine1: "3 avenue de l'Opéra",
      billCity: "Paris",
      billPostalCode: "75001",
      billCountry: "FR",
    });
    // 12.50 EUR + standard shipping to the EU 9.90 EUR = 22.40 EUR, no VAT.
    await placed("total 22.40 EUR");
    await page.locator("#order-result", { hasText: "VAT K 0 % of 22.40 EUR: 0.00 EUR (VATEX-EU-IC) (intra-community-supply)" }).waitFor();
  });
});
