import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { localStackSettings } from "../../local/stack-settings";

/** Debian's Chromium; no browser is downloaded at install. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Flags this machine's closed network needs (see the machine notes): no background connections. */
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The local pipeline and a headless Chromium on its console, for one describe. */
export interface ConsoleBrowser {
  p: LocalPipeline;
  context: BrowserContext;
  page: Page;
}

/** Starts the pipeline and the browser before the describe's tests (the console page open) and stops both after them. */
export function useConsoleBrowser(): ConsoleBrowser {
  const ctx = {} as ConsoleBrowser;
  let profile: string | undefined;
  before(async function () {
    this.timeout(120000);
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}. Install Debian's package: sudo apt-get update && sudo apt-get install -y chromium (or set CHROMIUM_PATH).`,
      );
    }
    ctx.p = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), print: () => undefined });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "shop-console-profile-"));
    ctx.context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 1000 },
      acceptDownloads: true,
    });
    ctx.page = await ctx.context.newPage();
    await ctx.page.goto(`${ctx.p.apiUrl}/_local/`);
  });
  after(async function () {
    this.timeout(30000);
    await ctx.context?.close();
    await ctx.p?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });
  return ctx;
}

/** Polls `check` every 250 ms until it holds; fails naming `what` after `ms`. */
export async function waitUntil(page: Page, what: string, check: () => Promise<boolean>, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(250);
  }
}

/** The body of POST /orders the console sends: `quantity` mugs to Berlin, paid with `paymentMethod` (a stand-in test card). */
export function orderBody(quantity: number, paymentMethod: string) {
  return {
    items: [{ sku: "MUG-01", quantity }],
    shippingAddress: { name: "Demo Customer", line1: "Main St 1", city: "Berlin", postalCode: "10115", country: "DE" },
    billingAddress: "same-as-shipping",
    shipping: { method: "standard" },
    payment: { provider: "stripe", paymentMethod },
  };
}

/** Places an order through the local API as the user of `token`; returns its id (a declined card's order too). */
export async function placeOrder(p: LocalPipeline, token: string, quantity: number, paymentMethod: string): Promise<string> {
  const r = await fetch(`${p.apiUrl}/orders`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": `test-${Math.random()}` },
    body: JSON.stringify(orderBody(quantity, paymentMethod)),
  });
  // A declined card's 402 names the order it made too (error.orderId).
  const body = (await r.json()) as { orderId?: string; error?: { orderId?: string } };
  const orderId = body.orderId ?? body.error?.orderId;
  if (!orderId) throw new Error(`POST /orders answered ${r.status} without an order id: ${JSON.stringify(body)}`);
  return orderId;
}

/** Waits until the order (read by its owner) has `status`. */
export async function orderReaches(p: LocalPipeline, token: string, orderId: string, status: string, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await fetch(`${p.apiUrl}/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
    const now = r.status === 200 ? ((await r.json()) as { status: string }).status : `HTTP ${r.status}`;
    if (now === status) return;
    if (Date.now() > deadline) throw new Error(`order ${orderId} is ${now}, not ${status}, after ${ms} ms`);
    await new Promise((f) => setTimeout(f, 300));
  }
}
