import * as fs from "node:fs";
import { expect } from "chai";
import type { Request } from "playwright-core";
import { orderReaches, placeOrder, useConsoleBrowser, waitUntil } from "./harness";

/**
 * The console's admin actions against the real local pipeline: resend, cancel, credit notes, the
 * accountant's export and the events list. They need the admin write routes (POST /admin/orders/{id}/
 * resend|cancel|credit-notes, GET /admin/exports) and GET /_local/api/events of the other issue-18 branches.
 */
describe("the console's admin actions (/_local/: resend, cancel, credit notes, export, events) in a real headless browser", function () {
  this.timeout(240000);
  const b = useConsoleBrowser();
  // twoMugs and oneMug are paid and invoiced; awaiting waits for 3-D Secure (never invoiced).
  const ids = { twoMugs: "", oneMug: "", awaiting: "" };
  const invoices = { twoMugs: "", oneMug: "" };

  const open = async (orderId: string) => {
    await b.page.fill('#admin-filters input[name="limit"]', "20");
    await b.page.click('#admin-filters button[type="submit"]');
    await b.page.click(`#admin-rows tr[data-order-id="${orderId}"]`);
    await b.page.locator(`#admin-order[data-order-id="${orderId}"]`).waitFor();
  };
  const requestsTo = (suffix: string) => {
    const seen: Request[] = [];
    b.page.on("request", (r) => {
      if (new URL(r.url()).pathname.endsWith(suffix)) seen.push(r);
    });
    return seen;
  };
  const inbox = async () => {
    const r = await fetch(b.p.inboxUrl, { headers: { accept: "application/json" } });
    return ((await r.json()) as { emails: { to: string[]; subject: string }[] }).emails;
  };
  const creditNoteNumbers = () =>
    b.page
      .locator("#admin-order-documents li.credit-note[data-number]")
      .evaluateAll((lis) => lis.map((li) => li.getAttribute("data-number")));

  before(async function () {
    this.timeout(120000);
    const r = await fetch(`${b.p.apiUrl}/_local/api/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: b.p.demoUser.email }),
    });
    const demo = ((await r.json()) as { token: string }).token;
    ids.twoMugs = await placeOrder(b.p, demo, 2, "pm_card_visa");
    ids.oneMug = await placeOrder(b.p, demo, 1, "pm_card_visa");
    ids.awaiting = await placeOrder(b.p, demo, 1, "pm_card_threeDSecure2Required");
    for (const k of ["twoMugs", "oneMug"] as const) {
      await orderReaches(b.p, demo, ids[k], "NOTIFIED");
      const o = await fetch(`${b.p.apiUrl}/orders/${ids[k]}`, { headers: { authorization: `Bearer ${demo}` } });
      invoices[k] = ((await o.json()) as { invoice: { number: string } }).invoice.number;
    }
    await b.page.click("#admin-sign-in");
    await b.page.locator("#admin-list-result", { hasText: "3 order(s) shown" }).waitFor();
  });

  it("sends the invoice email again to another address, then refuses a second resend as too soon, saying when to retry", async () => {
    await open(ids.twoMugs);
    await b.page.fill('#resend-form input[name="email"]', "accounting@example.com");
    await b.page.click("#resend-form button");
    await b.page.locator("#resend-result:not(:empty)").waitFor();
    expect(await b.page.textContent("#resend-result")).to.equal("The invoice email goes out again to accounting@example.com.");
    await waitUntil(b.page, "the resent email", async () => (await inbox()).some((m) => m.to.includes("accounting@example.com")));
    await b.page.locator('#admin-order-timeline li[data-event="resend-requested"]').waitFor();
    await b.page.click("#resend-form button");
    await b.page.locator("#resend-result.error", { hasText: "429 RESEND_TOO_SOON" }).waitFor();
    expect(await b.page.textContent("#resend-result")).to.match(/Try again in \d+ s\.$/);
  });

  it("checks a partial credit note's quantities against the invoice before sending anything", async () => {
    const sent = requestsTo("/credit-notes");
    await open(ids.twoMugs);
    await b.page.check('#credit-form input[name="kind"][value="partial"]');
    await b.page.fill('#credit-lines input[data-line="0"]', "3");
    await b.page.fill('#credit-form input[name="reason"]', "One mug broken");
    await b.page.click('#credit-form button[type="submit"]');
    await b.page.locator("#credit-result.error", { hasText: "Line 0: credit a whole number of units from 0 to 2." }).waitFor();
    await b.page.fill('#credit-lines input[data-line="0"]', "0");
    await b.page.click('#credit-form button[type="submit"]');
    await b.page
      .locator("#credit-result.error", { hasText: "Choose the units of at least one line, or the shipping, to credit." })
      .waitFor();
    expect(sent).to.have.length(0);
  });

  it("issues a partial credit note, retried after a lost request with the same Idempotency-Key, and shows its number once issued", async () => {
    const sent = requestsTo("/credit-notes");
    await open(ids.twoMugs);
    const key = await b.page.textContent("#credit-key");
    await b.page.check('#credit-form input[name="kind"][value="partial"]');
    await b.page.fill('#credit-lines input[data-line="0"]', "1");
    await b.page.check('#credit-form input[name="shipping"]');
    await b.page.fill('#credit-form input[name="reason"]', "One mug broken");
    await b.page.route("**/credit-notes", (route) => route.abort("failed"));
    try {
      await b.page.click('#credit-form button[type="submit"]');
      await b.page.locator("#credit-result.error", { hasText: "did not reach the API" }).waitFor();
    } finally {
      await b.page.unroute("**/credit-notes");
    }
    await b.page.click('#credit-form button[type="submit"]');
    await b.page.locator("#credit-result.ok", { hasText: /^Credit note cn_[A-Za-z0-9_-]+ / }).waitFor();
    expect(sent.map((r) => r.headers()["idempotency-key"])).to.deep.equal([key, key]);
    expect(sent.map((r) => r.postDataJSON())).to.deep.equal([
      { kind: "partial", reason: "One mug broken", lines: [{ line: 0, quantity: 1 }], shipping: true },
      { kind: "partial", reason: "One mug broken", lines: [{ line: 0, quantity: 1 }], shipping: true },
    ]);
    // Accepted: the next credit note of this form gets a new key.
    expect(await b.page.textContent("#credit-key")).to.not.equal(key);
    await waitUntil(b.page, "the credit note's number", async () => (await creditNoteNumbers()).length === 1);
    expect((await creditNoteNumbers())[0]).to.match(/^CN-\d{6}$/);
    await b.page.locator("#admin-order-documents li.credit-note a").waitFor();
    const href = await b.page.getAttribute("#admin-order-documents li.credit-note a", "href");
    expect(
      Buffer.from(await (await fetch(href!)).arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).to.equal("%PDF-");
  });

  it("shows the API's refusal of a credit note above what is left (a full one after a partial) with its code", async () => {
    await open(ids.twoMugs);
    await b.page.check('#credit-form input[name="kind"][value="full"]');
    await b.page.fill('#credit-form input[name="reason"]', "Everything returned");
    await b.page.click('#credit-form button[type="submit"]');
    await b.page.locator("#credit-result.error", { hasText: /^422 [A-Z_]+: / }).waitFor();
    expect(await b.page.textContent("#credit-result")).to.contain("(sending again reuses the same Idempotency-Key)");
  });

  it("issues a full credit note of another order", async () => {
    await open(ids.oneMug);
    await b.page.fill('#credit-form input[name="reason"]', "Order returned");
    await b.page.click('#credit-form button[type="submit"]');
    await b.page.locator("#credit-result.ok", { hasText: /^Credit note cn_/ }).waitFor();
    await waitUntil(b.page, "the full credit note's number", async () => (await creditNoteNumbers()).length === 1);
  });

  it("cancels an order not yet invoiced only once the confirmation is accepted", async () => {
    const sent = requestsTo("/cancel");
    await open(ids.awaiting);
    expect(await b.page.isEnabled("#cancel-form button")).to.equal(true);
    b.page.once("dialog", (d) => void d.dismiss());
    await b.page.click("#cancel-form button");
    expect(sent).to.have.length(0);
    b.page.once("dialog", (d) => void d.accept());
    await b.page.click("#cancel-form button");
    await b.page.locator("#cancel-result.ok", { hasText: "Order CANCELLED" }).waitFor();
    expect(sent).to.have.length(1);
    expect(sent[0].headers()["idempotency-key"]).to.match(/^[0-9a-f-]{36}$/);
    await b.page.locator('#admin-order[data-status="CANCELLED"]').waitFor();
    expect(await b.page.isDisabled("#cancel-form button")).to.equal(true);
  });

  const today = new Date().toISOString().slice(0, 10);
  for (const c of [
    { format: "csv", starts: /^\uFEFF?[^\r\n]*,[^\r\n]*\r?\n/ },
    { format: "datev", starts: /^"?EXTF"?;/ },
  ])
    it(`downloads the ${c.format} export of today's invoices with the admin's token`, async () => {
      await b.page.fill('#export-form input[name="from"]', today);
      await b.page.fill('#export-form input[name="to"]', today);
      await b.page.selectOption('#export-form select[name="format"]', c.format);
      await b.page.fill('#export-form input[name="consultant"]', "1001");
      await b.page.fill('#export-form input[name="client"]', "1");
      const [download] = await Promise.all([b.page.waitForEvent("download"), b.page.click('#export-form button[type="submit"]')]);
      const text = fs.readFileSync((await download.path())!, c.format === "csv" ? "utf8" : "latin1");
      expect(text).to.match(c.starts);
      expect(text).to.contain(invoices.twoMugs).and.to.contain(invoices.oneMug);
      expect(download.suggestedFilename()).to.match(/^[A-Za-z0-9._-]+$/);
      await b.page.locator("#export-result.ok", { hasText: "Exported" }).waitFor();
    });

  it("shows a refused export period with the API's code and message", async () => {
    await b.page.fill('#export-form input[name="from"]', today);
    await b.page.fill('#export-form input[name="to"]', "2000-01-01");
    await b.page.click('#export-form button[type="submit"]');
    await b.page.locator("#export-result.error", { hasText: /^400 VALIDATION_FAILED: / }).waitFor();
  });

  it("lists the business events, newest first, refreshed as they happen", async () => {
    await waitUntil(
      b.page,
      "invoice.issued and credit_note.issued events",
      async () =>
        (await b.page.locator('#event-list li[data-type="invoice.issued"]').count()) >= 2 &&
        (await b.page.locator('#event-list li[data-type="credit_note.issued"]').count()) >= 2,
    );
    expect(await b.page.textContent("#events-status")).to.match(/^\d+ event\(s\), newest first/);
    expect(await b.page.textContent("#event-list")).to.contain(ids.oneMug);
  });
});
