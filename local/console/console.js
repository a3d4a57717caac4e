// The local console: plain browser JavaScript, no build step. It signs in through the local-only
// endpoint, then uses the real API (POST /orders, GET /orders, GET /orders/{id}) with the ID token.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // history: every status the page has shown per order, in order (the 202 body's PENDING first).
  const state = { token: null, email: null, history: new Map() };

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

  function orderBody(f) {
    const v = (n) => f.elements.namedItem(n).value.trim();
    return {
      items: [
        {
          sku: v("sku"),
          name: v("name"),
          quantity: Number(v("quantity")),
          unitPrice: { amount: Number(v("amount")), currency: v("currency") },
        },
      ],
      shippingAddress: { name: v("shipName"), line1: v("line1"), city: v("city"), postalCode: v("postalCode"), country: v("country") },
      // Letters only, like `npm run demo`: a provider token, never card data.
      payment: {
        provider: "stripe",
        token: "tok_console_" + Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => String.fromCharCode(97 + (b % 26))).join(""),
      },
    };
  }

  async function placeOrder(ev) {
    ev.preventDefault();
    const r = await api("POST", "/orders", orderBody(ev.target), { "Idempotency-Key": `console-${crypto.randomUUID()}` });
    if (r.status === 202) {
      text($("order-result"), `Accepted: ${r.data.orderId}, total ${money(r.data.total)}`);
      // shown at once as PENDING, before the next poll
      renderOrders([r.data, ...lastOrders.filter((o) => o.orderId !== r.data.orderId)]);
    } else {
      const e = r.data?.error;
      text(
        $("order-result"),
        `Refused (${r.status} ${e?.code ?? ""}): ${e?.message ?? ""} ${(e?.details ?? []).map((d) => `${d.path}: ${d.message}`).join("; ")}`,
      );
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
      if (o.invoiceNumber) {
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
    text($("m-pending"), s.orders.PENDING);
    text($("m-invoiced"), s.orders.INVOICED);
    text($("m-notified"), s.orders.NOTIFIED);
    text($("m-emails"), s.emailsSent);
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
  $("redrive").addEventListener("click", redrive);

  // Poll: statuses move PENDING -> INVOICED -> NOTIFIED within seconds locally.
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
  every(1000, refreshOrders);
  every(1500, refreshPipeline);
  every(2000, refreshInbox);
})();
