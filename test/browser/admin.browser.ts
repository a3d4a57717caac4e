import * as path from "node:path";
import { expect } from "chai";
import { orderReaches, placeOrder, useConsoleBrowser, waitUntil } from "./harness";

/** Where the test leaves its screenshot of an open order. */
export const ADMIN_SCREENSHOT = path.resolve(__dirname, "..", "..", ".local-state", "console-admin.png");

/** The admin view of the console against the real local pipeline: the read side of the admin API (GET /admin/orders[/{id}]). */
describe("the console's admin view (/_local/, Orders (admin)) in a real headless browser", function () {
  this.timeout(180000);
  const b = useConsoleBrowser();
  // Placed in this order, so newest first is declined, carol, twoMugs, oneMug.
  const ids = { oneMug: "", twoMugs: "", carol: "", declined: "" };
  let carolInvoice = "";

  const signInAs = async (email: string) => {
    const r = await fetch(`${b.p.apiUrl}/_local/api/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email }),
    });
    return ((await r.json()) as { token: string }).token;
  };
  const rows = () =>
    b.page.locator("#admin-rows tr[data-order-id]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-order-id")));
  const filter = async (fields: Record<string, string>) => {
    for (const name of ["email", "number", "from", "to"]) await b.page.fill(`#admin-filters input[name="${name}"]`, fields[name] ?? "");
    await b.page.selectOption('#admin-filters select[name="status"]', fields.status ?? "");
    await b.page.fill('#admin-filters input[name="limit"]', fields.limit ?? "20");
    await b.page.$eval("#admin-list-result", (e) => (e.textContent = ""));
    await b.page.click('#admin-filters button[type="submit"]');
    await b.page.locator("#admin-list-result:not(:empty)").waitFor();
  };

  before(async function () {
    this.timeout(120000);
    const demo = await signInAs(b.p.demoUser.email);
    const carol = await signInAs("carol@example.com");
    ids.oneMug = await placeOrder(b.p, demo, 1, "pm_card_visa");
    ids.twoMugs = await placeOrder(b.p, demo, 2, "pm_card_visa");
    ids.carol = await placeOrder(b.p, carol, 3, "pm_card_visa");
    ids.declined = await placeOrder(b.p, demo, 1, "pm_card_chargeDeclined");
    for (const [id, token] of [
      [ids.oneMug, demo],
      [ids.twoMugs, demo],
      [ids.carol, carol],
    ])
      await orderReaches(b.p, token, id, "NOTIFIED");
    const r = await fetch(`${b.p.apiUrl}/orders/${ids.carol}`, { headers: { authorization: `Bearer ${carol}` } });
    carolInvoice = ((await r.json()) as { invoice: { number: string } }).invoice.number;
  });

  it("asks for the admin's sign-in before it lists anything", async () => {
    await b.page.click('#admin-filters button[type="submit"]');
    await b.page.locator("#admin-list-result", { hasText: "Sign in as the shop admin first." }).waitFor();
    expect(await rows()).to.deep.equal([]);
  });

  it("signs in as the local shop admin and lists every customer's orders, newest first, with their columns", async () => {
    await b.page.click("#admin-sign-in");
    await b.page.locator("#admin-signed-in", { hasText: `Signed in as ${b.p.adminUser.email} (shop admin)` }).waitFor();
    await b.page.locator("#admin-list-result", { hasText: "4 order(s) shown, newest first." }).waitFor();
    expect(await rows()).to.deep.equal([ids.declined, ids.carol, ids.twoMugs, ids.oneMug]);
    const cells = await b.page.locator(`#admin-rows tr[data-order-id="${ids.carol}"] td`).allTextContents();
    // 3 x 12.50 EUR + 4.90 EUR shipping = 42.40 EUR net, + 19 % VAT = 50.46 EUR
    expect([cells[0], cells[2], cells[3], cells[4], cells[5]]).to.deep.equal([
      ids.carol,
      "carol@example.com",
      "NOTIFIED",
      "50.46 EUR",
      carolInvoice,
    ]);
    expect(cells[1]).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(await b.page.getAttribute(`#admin-rows tr[data-order-id="${ids.declined}"]`, "data-status")).to.equal("PAYMENT_FAILED");
    expect(await b.page.isHidden("#admin-more")).to.equal(true);
  });

  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const cases: { name: string; fields: Record<string, string>; expected: () => string[] }[] = [
    { name: "status PAYMENT_FAILED", fields: { status: "PAYMENT_FAILED" }, expected: () => [ids.declined] },
    { name: "the customer's email", fields: { email: "carol@example.com" }, expected: () => [ids.carol] },
    { name: "the invoice number", fields: { number: "__carol__" }, expected: () => [ids.carol] },
    {
      name: "a date range that holds them",
      fields: { from: today, to: today, status: "NOTIFIED" },
      expected: () => [ids.carol, ids.twoMugs, ids.oneMug],
    },
    { name: "a date range after them", fields: { from: tomorrow }, expected: () => [] },
  ];
  for (const c of cases)
    it(`filters by ${c.name}`, async () => {
      await filter(Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, v === "__carol__" ? carolInvoice : v])));
      expect(await rows()).to.deep.equal(c.expected());
      if (!c.expected().length) expect(await b.page.textContent("#admin-rows")).to.equal("No order matches these filters.");
    });

  it("shows the API's refusal of a filter as its code and message", async () => {
    await filter({ from: tomorrow, to: today });
    expect(await b.page.textContent("#admin-list-result")).to.equal(
      "400 VALIDATION_FAILED: The query string is not valid; see details. (query.from: must not be after to)",
    );
    expect(await b.page.getAttribute("#admin-list-result", "class")).to.contain("error");
  });

  it("pages with More through the API's cursor", async () => {
    await filter({ limit: "3" });
    expect(await rows()).to.deep.equal([ids.declined, ids.carol, ids.twoMugs]);
    expect(await b.page.isVisible("#admin-more")).to.equal(true);
    await b.page.click("#admin-more");
    await b.page.locator("#admin-list-result", { hasText: "4 order(s) shown" }).waitFor();
    expect(await rows()).to.deep.equal([ids.declined, ids.carol, ids.twoMugs, ids.oneMug]);
    expect(await b.page.isHidden("#admin-more")).to.equal(true);
  });

  it("opens an order from its row: lines, totals, the invoice and a timeline in the order things happened", async () => {
    await b.page.click(`#admin-rows tr[data-order-id="${ids.twoMugs}"]`);
    await b.page.locator(`#admin-order[data-order-id="${ids.twoMugs}"]`).waitFor();
    expect(
      await b.page.locator("#admin-order-lines tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent))),
    ).to.deep.equal([
      ["0", "Coffee mug (MUG-01)", "2", "12.50 EUR", "25.00 EUR", "S 19 %"],
      ["–", "Standard shipping (domestic)", "1", "4.90 EUR", "4.90 EUR", ""],
    ]);
    // 29.90 EUR net + 19 % = 5.68 EUR VAT
    expect(await b.page.locator("#admin-order-totals dd").allTextContents()).to.deep.equal(["29.90 EUR", "5.68 EUR", "35.58 EUR"]);
    const invoiceNumber = await b.page.getAttribute("#admin-order-documents li.invoice", "data-number");
    expect(invoiceNumber).to.match(/^INV-\d{6}$/);
    // The invoice's link is the API's short-lived presigned URL of the stored PDF.
    const href = await b.page.getAttribute("#admin-order-documents li.invoice a", "href");
    const pdf = Buffer.from(await (await fetch(href!)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
    expect(await b.page.textContent("#admin-order-summary")).to.contain(`customer ${b.p.demoUser.email}`);
    const events = await b.page.locator("#admin-order-timeline li").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-event")));
    const milestones = events.filter((e) => ["created", "paid", "invoice-numbered", "invoiced", "notified"].includes(e!));
    expect(milestones).to.deep.equal(["created", "paid", "invoice-numbered", "invoiced", "notified"]);
    expect(await b.page.textContent("#admin-order-timeline")).to.contain(`invoice-numbered: ${invoiceNumber}`);
    await b.page.locator("#admin-order").screenshot({ path: ADMIN_SCREENSHOT });
    // An invoiced order is corrected by a credit note, never cancelled.
    expect(await b.page.isDisabled("#cancel-form button")).to.equal(true);
    expect(await b.page.isEnabled("#resend-form button")).to.equal(true);
    expect(await b.page.isEnabled('#credit-form button[type="submit"]')).to.equal(true);
    // One quantity per invoice line, from 0 to what was invoiced.
    expect(
      await b.page.locator("#credit-lines input").evaluateAll((is) => is.map((i) => [i.getAttribute("min"), i.getAttribute("max")])),
    ).to.deep.equal([["0", "2"]]);
  });

  it("offers neither a credit note nor a cancellation for a declined order, and shows why it failed", async () => {
    await b.page.click(`#admin-rows tr[data-order-id="${ids.declined}"]`);
    await b.page.locator(`#admin-order[data-order-id="${ids.declined}"]`).waitFor();
    expect(await b.page.textContent("#admin-order-documents")).to.contain("No document yet");
    expect(await b.page.isDisabled("#cancel-form button")).to.equal(true);
    expect(await b.page.isDisabled('#credit-form button[type="submit"]')).to.equal(true);
    await waitUntil(
      b.page,
      "payment-failed in the timeline",
      async () => (await b.page.locator('#admin-order-timeline li[data-event="payment-failed"]').count()) === 1,
    );
    expect(await b.page.textContent("#admin-order-summary")).to.contain("last payment failure:");
  });

  it("inserts what the API says as text: markup in an answer shows as characters and never runs", async () => {
    const evil = '<img src=x onerror="window.__pwned=1"><b id="injected">x</b>';
    await b.page.route("**/admin/orders?*", (route) =>
      route.fulfill({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({
          orders: [
            {
              orderId: ids.oneMug,
              status: "NOTIFIED",
              createdAt: new Date().toISOString(),
              customer: { id: "x", email: evil },
              total: { amount: 100, currency: "EUR" },
              invoiceNumber: evil,
              links: { self: "" },
            },
          ],
          nextCursor: null,
        }),
      }),
    );
    try {
      await filter({});
      expect(await b.page.locator("#injected").count()).to.equal(0);
      expect(await b.page.locator("#admin-rows td", { hasText: '<b id="injected">' }).count()).to.equal(2);
      expect(await b.page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).to.equal(undefined);
    } finally {
      await b.page.unroute("**/admin/orders?*");
    }
  });

  it("sends a form's request once while it is in flight: a second submit does nothing until the answer is shown", async () => {
    await filter({});
    await b.page.click(`#admin-rows tr[data-order-id="${ids.oneMug}"]`);
    await b.page.locator(`#admin-order[data-order-id="${ids.oneMug}"]`).waitFor();
    await b.page.fill('#credit-form input[name="reason"]', "Returned");
    const sent: string[] = [];
    // The answer is held back a moment (the contract's 202), so the second submit lands while the first is in flight.
    await b.page.route("**/credit-notes", async (route) => {
      sent.push(route.request().headers()["idempotency-key"]);
      await new Promise((f) => setTimeout(f, 1000));
      await route.fulfill({
        status: 202,
        contentType: "application/json",
        body: JSON.stringify({ creditNoteId: "cn_console01", status: "REQUESTED", refund: null }),
      });
    });
    try {
      await b.page.$eval("#credit-form", (f) => (f as unknown as { requestSubmit(): void }).requestSubmit());
      expect(await b.page.isDisabled('#credit-form button[type="submit"]')).to.equal(true);
      await b.page.$eval("#credit-form", (f) => (f as unknown as { requestSubmit(): void }).requestSubmit());
      await b.page
        .locator("#credit-result.ok", { hasText: "Credit note cn_console01 REQUESTED. The pipeline numbers and emails it." })
        .waitFor();
    } finally {
      await b.page.unroute("**/credit-notes");
    }
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(/^[0-9a-f-]{36}$/);
    expect(await b.page.isEnabled('#credit-form button[type="submit"]')).to.equal(true);
    // Accepted: the form's next request is another credit note, under a new key.
    expect(await b.page.textContent("#credit-key")).to.not.equal(sent[0]);
  });

  it("shows a route the build lacks (404) readably, and the rest of the page keeps working", async () => {
    await filter({});
    await b.page.click(`#admin-rows tr[data-order-id="${ids.oneMug}"]`);
    await b.page.locator(`#admin-order[data-order-id="${ids.oneMug}"]`).waitFor();
    await b.page.route("**/resend", (route) =>
      route.fulfill({
        status: 404,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "NOT_FOUND", message: "No such route." } }),
      }),
    );
    try {
      await b.page.click("#resend-form button");
      await b.page
        .locator("#resend-result", { hasText: "404 NOT_FOUND: No such route. This build does not have that route yet." })
        .waitFor();
    } finally {
      await b.page.unroute("**/resend");
    }
    await filter({ email: "carol@example.com" });
    expect(await rows()).to.deep.equal([ids.carol]);
  });
});
