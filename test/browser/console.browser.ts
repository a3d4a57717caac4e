import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { SendMessageCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { localStackSettings } from "../../local/stack-settings";

/** Debian's Chromium; no browser is downloaded at install. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Flags this machine's closed network needs (see the machine notes): no background connections. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Where the test leaves its screenshot. */
export const SCREENSHOT = path.resolve(__dirname, "..", "..", ".local-state", "console.png");

describe("the local console (/_local/) in a real headless browser", function () {
  this.timeout(180000);
  let p: LocalPipeline;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let sqs: SQSClient;

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}. Install Debian's package: sudo apt-get update && sudo apt-get install -y chromium (or set CHROMIUM_PATH).`,
      );
    }
    p = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), print: () => undefined });
    sqs = new SQSClient({ region: p.region, endpoint: p.endpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "shop-console-profile-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 1000 },
    });
    page = await context.newPage();
    await page.goto(`${p.apiUrl}/_local/`);
  });
  after(async () => {
    await context?.close();
    sqs?.destroy();
    await p?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  const statusOf = (orderId: string) => page.locator(`tr[data-order-id="${orderId}"]`).getAttribute("data-status");
  const waitFor = async (what: string, check: () => Promise<boolean>, ms = 60000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await page.waitForTimeout(250);
    }
  };

  it("signs in as the demo user, places an order from the form and shows its status move PENDING -> NOTIFIED live", async () => {
    await page.click("#sign-in-demo");
    await page.locator("#signed-in", { hasText: `Signed in as ${p.demoUser.email}` }).waitFor();
    await page.fill('input[name="quantity"]', "3");
    await page.click("#place-order");
    await page.locator("#order-result", { hasText: "Accepted: ord_" }).waitFor();
    const orderId = (await page.textContent("#order-result"))!.match(/ord_[A-Za-z0-9]+/)![0];
    // 3 x 12.50 EUR + 19 % tax (dev stack)
    expect(await page.textContent("#order-result")).to.contain("total 44.63 EUR");
    // The row updates live, without a reload, until the email went out; the page keeps every status it showed.
    await waitFor("NOTIFIED", async () => (await statusOf(orderId)) === "NOTIFIED");
    const history = (await page.locator(`tr[data-order-id="${orderId}"]`).getAttribute("data-history"))!.split(" ");
    expect(history[0]).to.equal("PENDING");
    expect(history[history.length - 1]).to.equal("NOTIFIED");
    // INVOICED may pass between two polls; whatever was shown came in lifecycle order.
    expect(["PENDING INVOICED NOTIFIED", "PENDING NOTIFIED"]).to.include(history.join(" "));
  });

  it("opens the invoice PDF from the order row", async () => {
    const [popup] = await Promise.all([context.waitForEvent("page"), page.click("button.open-invoice")]);
    const url = popup.url() === "about:blank" ? (await popup.waitForURL(/^http/), popup.url()) : popup.url();
    const pdf = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
    await popup.close();
  });

  it("shows the email in the inbox and the counts in the metrics", async () => {
    await page.locator("#mails li.mail", { hasText: "Your invoice INV-000001" }).waitFor();
    await waitFor("metrics", async () => (await page.textContent("#m-notified")) === "1" && (await page.textContent("#m-emails")) === "1");
    expect(await page.textContent("#m-pending")).to.equal("0");
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
});
