// The local console: plain browser JavaScript, no build step. It signs in through the local-only
// endpoint, then uses the real API (GET /products, POST /orders, GET /orders, GET /orders/{id}) with the ID token.
// Payments go to the Stripe stand-in of npm start: its test cards, and its 3-D Secure page (payment.actionUrl).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // history: every status the page has shown per order, in order (the 202 body's status first).
  // actionUrls: where each order placed here that awaits 3-D Secure is authenticated (from its 202 answer).
  const state = { token: null, email: null, history: new Map(), actionUrls: new Map(), prices: new Map() };
  // The order statuses, in lifecycle order (runtime/domain/order.ts ORDER_STATUSES).
  const STATUSES = ["AWAITING_PAYMENT", "PAYMENT_FAILED", "EXPIRED", "CANCELLED", "PAID", "INVOICED", "NOTIFIED"];

  const text = (el, s) => {
    el.textContent = s;
  };
  const money = (m) => `${(m.amount / 100).toFixed(2)} ${m.currency}`; // display only; the API speaks minor units

  async function api(method, path, body, extraHeaders) {
    const headers = { ...(extraHeaders || {}) };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await r.json().catch(() => null);
    return { status: r.status, data };
  }

  async function signIn(email) {
    const r = await api("POST", "/_local/api/sign-in", { email });
    if (r.status !== 200) return text($("signed-in"), `Sign-in failed: ${r.data?.error?.message ?? r.status}`);
    state.token = r.data.token;
    state.email = r.data.email;
    state.history.clear();
    text($("signed-in"), `Signed in as ${state.email}`);
    $("place-order").disabled = false;
    await refreshOrders();
  }

  /** Fills the product list from the public catalog: names and prices are the shop's, never typed in here. */
  async function loadCatalog() {
    const r = await api("GET", "/products?currency=EUR&lang=en");
    const select = $("order-form").elements.namedItem("sku");
    if (r.status !== 200) return text(select.options[0], `catalog unavailable (${r.status})`);
    select.replaceChildren();
    for (const p of r.data.products) {
      state.prices.set(p.sku, p.prices[0]);
      select.append(new Option(`${p.name} (${p.sku}): ${money(p.prices[0])}`, p.sku, p.sku === "MUG-01", p.sku === "MUG-01"));
    }
    showUnitPrice();
  }

  function showUnitPrice() {
    const price = state.prices.get($("order-form").elements.namedItem("sku").value);
    text($("unit-price"), price ? `Unit price ${money(price)} (sent as expectedUnitPrice: a changed price answers 409)` : "");
  }

  function orderBody(f) {
    const v = (n) => f.elements.namedItem(n).value.trim();
    const price = state.prices.get(v("sku"));
    return {
      items: [{ sku: v("sku"), quantity: Number(v("quantity")), ...(price ? { expectedUnitPrice: price } : {}) }],
      shippingAddress: { name: v("shipName"), line1: v("line1"), city: v("city"), postalCode: v("postalCode"), country: v("country") },
      billingAddress: f.elements.namedItem("billSame").checked
        ? "same-as-shipping"
        : { name: v("billName"), line1: v("billLine1"), city: v("billCity"), postalCode: v("billPostalCode"), country: v("billCountry") },
      ...(v("company") || v("vatId")
        ? { buyer: { ...(v("company") ? { company: v("company") } : {}), ...(v("vatId") ? { vatId: v("vatId") } : {}) } }
        : {}),
      shipping: { method: v("shipping") },
      // A payment method id of the provider's test cards, never card data.
      payment: { provider: "stripe", paymentMethod: v("paymentMethod") },
    };
  }

  /** The billing address's fields are asked for only when it is not the shipping address. */
  function toggleBilling() {
    const f = $("order-form");
    const same = f.elements.namedItem("billSame").checked;
    $("bill-address").hidden = same;
    for (const n of ["billName", "billLine1", "billCity", "billPostalCode", "billCountry"]) f.elements.namedItem(n).required = !same;
  }

  /** The VAT breakdown of GET /orders/{id}: one part per category and rate ("S 19 % of 42.40 EUR: 8.06 EUR"). */
  const taxBreakdown = (t) =>
    t.groups
      .map(
        (g) =>
          `${g.category} ${g.rateBps / 100} % of ${money(g.taxable)}: ${money(g.tax)}${g.exemptionReason ? ` (${g.exemptionReason})` : ""}`,
      )
      .join("; ");

  function showAction(url) {
    $("order-action").hidden = !url;
    if (url) $("three-ds").href = url;
  }

  async function placeOrder(ev) {
    ev.preventDefault();
    showAction(undefined);
    const r = await api("POST", "/orders", orderBody(ev.target), { "Idempotency-Key": `console-${crypto.randomUUID()}` });
    if (r.status === 202) {
      const o = r.data;
      const verb = o.status === "PAID" ? "Paid" : "Awaiting payment";
      const result = `${verb}: ${o.orderId}, total ${money(o.total)} (shipping ${money(o.shipping.price)}), net ${money(o.subtotal)} + VAT ${money(o.tax)}`;
      text($("order-result"), result);
      // The breakdown (category, rate, exemption) is on the order itself.
      const one = await api("GET", `/orders/${encodeURIComponent(o.orderId)}`);
      if (one.status === 200)
        text($("order-result"), `${result}. VAT ${taxBreakdown(one.data.taxBreakdown)} (${one.data.taxBreakdown.rule})`);
      if (o.payment?.actionUrl) state.actionUrls.set(o.orderId, o.payment.actionUrl);
      showAction(o.payment?.actionUrl);
      // shown at once, before the next poll
      renderOrders([o, ...lastOrders.filter((x) => x.orderId !== o.orderId)]);
    } else {
      const e = r.data?.error;
      const verb = r.status === 402 ? "Declined" : "Refused";
      text(
        $("order-result"),
        `${verb} (${r.status} ${e?.code ?? ""}): ${e?.message ?? ""} ${(e?.details ?? []).map((d) => `${d.path}: ${d.message}`).join("; ")}`,
      );
      if (r.status === 402) await refreshOrders();
      if (r.status === 409) await loadCatalog();
    }
  }

  let lastOrders = [];
  function renderOrders(orders) {
    lastOrders = orders;
    const rows = $("order-rows");
    rows.replaceChildren();
    if (!orders.length) {
      const tr = rows.insertRow();
      const td = tr.insertCell();
      td.colSpan = 5;
      text(td, "No orders yet.");
      return;
    }
    for (const o of orders) {
      const tr = rows.insertRow();
      tr.dataset.orderId = o.orderId;
      tr.dataset.status = o.status;
      const h = state.history.get(o.orderId) || [];
      if (h[h.length - 1] !== o.status) h.push(o.status);
      state.history.set(o.orderId, h);
      tr.dataset.history = h.join(" ");
      for (const v of [o.orderId, new Date(o.createdAt).toLocaleTimeString(), money(o.total)]) text(tr.insertCell(), v);
      const st = tr.insertCell();
      st.className = `status ${o.status}`;
      text(st, o.status);
      const inv = tr.insertCell();
      const actionUrl = o.status === "AWAITING_PAYMENT" ? state.actionUrls.get(o.orderId) : undefined;
      if (actionUrl) {
        const a = Object.assign(document.createElement("a"), { href: actionUrl, target: "_blank", rel: "noopener", className: "three-ds" });
        text(a, "Complete 3-D Secure");
        inv.append(a);
      } else if (o.invoiceNumber) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "open-invoice";
        text(b, `Open ${o.invoiceNumber}`);
        b.addEventListener("click", () => openInvoice(o.orderId));
        inv.append(b);
      } else text(inv, "–");
    }
  }

  async function refreshOrders() {
    if (!state.token) return;
    const r = await api("GET", "/orders?limit=20");
    if (r.status === 200) renderOrders(r.data.orders);
  }

  async function openInvoice(orderId) {
    const r = await api("GET", `/orders/${encodeURIComponent(orderId)}`);
    if (r.status === 200 && r.data.invoice?.url) window.open(r.data.invoice.url, "_blank", "noopener");
  }

  async function refreshPipeline() {
    const r = await api("GET", "/_local/api/state");
    if (r.status !== 200) return;
    const s = r.data;
    text($("m-queue-waiting"), s.queues.orders.waiting);
    text($("m-queue-inflight"), s.queues.orders.inFlight);
    text($("m-dlq"), s.queues.dlq.waiting + s.queues.dlq.inFlight);
    renderStatusCounts(s.orders);
    text($("m-emails"), s.emailsSent);
  }

  function renderStatusCounts(counts) {
    const dl = $("status-counts");
    for (const st of STATUSES) {
      let dd = $(`m-${st}`);
      if (!dd) {
        const div = document.createElement("div");
        const dt = document.createElement("dt");
        text(dt, st);
        dd = Object.assign(document.createElement("dd"), { id: `m-${st}`, className: `status ${st}` });
        div.append(dt, dd);
        dl.append(div);
      }
      text(dd, counts[st] ?? 0);
    }
  }

  async function refreshInbox() {
    const r = await fetch("/_local/inbox", { headers: { Accept: "application/json" } });
    if (!r.ok) return;
    const { emails } = await r.json();
    const ul = $("mails");
    ul.replaceChildren();
    if (!emails.length) return ul.append(Object.assign(document.createElement("li"), { textContent: "No email yet." }));
    for (const m of emails) {
      const li = document.createElement("li");
      li.className = "mail";
      const h = document.createElement("strong");
      text(h, m.subject);
      const meta = document.createElement("span");
      meta.className = "meta";
      text(meta, ` to ${m.to.join(", ")}`);
      li.append(h, meta);
      if (m.invoiceLink) {
        const a = Object.assign(document.createElement("a"), {
          href: m.invoiceLink,
          target: "_blank",
          rel: "noopener",
          textContent: "invoice link",
        });
        li.append(" ", a);
      }
      ul.append(li);
    }
  }

  async function redrive() {
    const r = await api("POST", "/_local/api/redrive");
    text(
      $("redrive-result"),
      r.status === 200 ? `Moved ${r.data.moved} message(s) back to the orders queue.` : `Redrive failed (${r.status}).`,
    );
    await refreshPipeline();
  }

  $("sign-in-demo").addEventListener("click", async () => signIn((await api("GET", "/_local/api/config")).data.demoEmail));
  $("sign-in-other").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn($("other-email").value.trim());
  });
  $("order-form").addEventListener("submit", placeOrder);
  $("order-form").elements.namedItem("sku").addEventListener("change", showUnitPrice);
  $("order-form").elements.namedItem("billSame").addEventListener("change", toggleBilling);
  $("redrive").addEventListener("click", redrive);

  loadCatalog();
  // Poll: statuses move PAID -> INVOICED -> NOTIFIED within seconds locally (AWAITING_PAYMENT first with 3-D Secure).
  const every = (ms, f) => {
    const tick = async () => {
      try {
        await f();
      } finally {
        setTimeout(tick, ms);
      }
    };
    tick();
  };
  // Shared with the admin view (admin.js, loaded after this file).
  window.shopConsole = Object.freeze({ every });
  every(1000, refreshOrders);
  every(1500, refreshPipeline);
  every(2000, refreshInbox);
})();
