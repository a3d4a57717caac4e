// The console's admin view: plain browser JavaScript, no build step, beside console.js. It signs in as the
// local shop admin (a member of the shop-admins group) and calls the admin API with that ID token:
// GET /admin/orders, GET /admin/orders/{id}, POST /admin/orders/{id}/resend|cancel|credit-notes and
// GET /admin/exports; the events come from the local-only GET /_local/api/events.
// Whatever the API returns is inserted with textContent (never innerHTML), and links only when http(s).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // The order statuses, in lifecycle order (runtime/domain/order.ts ORDER_STATUSES).
  const STATUSES = ["AWAITING_PAYMENT", "PAYMENT_FAILED", "EXPIRED", "CANCELLED", "PAID", "INVOICED", "NOTIFIED"];
  // query: the filters of the listing shown (for "More"); order: the order open below it;
  // keys: one Idempotency-Key per form and order, kept until the API accepted the request (a retry reuses it).
  const admin = { token: null, email: null, query: null, cursor: null, order: null, keys: {}, exportUrl: null };

  const money = (minor, currency) => `${(minor / 100).toFixed(2)} ${currency}`; // display only; the API speaks minor units
  const instant = (iso) => (typeof iso === "string" ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC") : "–");
  /** An element with its text (always textContent) and properties. */
  const el = (tag, text, props) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return Object.assign(e, props || {});
  };
  /** A link to a URL the API gave, only if it is http(s): a javascript: URL in data never becomes clickable. */
  const safeLink = (url, label) => {
    try {
      const u = new URL(String(url), location.href);
      if (u.protocol === "http:" || u.protocol === "https:") return el("a", label, { href: u.href, target: "_blank", rel: "noopener" });
    } catch {
      // not a URL: shown as text below
    }
    return el("span", label);
  };
  const answer = (id, ok, message) => {
    const p = $(id);
    p.className = `answer ${ok ? "ok" : "error"}`;
    p.textContent = message;
  };

  /** A request with the admin's token; a network failure is an answer with status 0, never a thrown error. */
  async function send(method, path, { body, headers } = {}) {
    const h = { ...(headers || {}) };
    if (admin.token) h.Authorization = `Bearer ${admin.token}`;
    if (body !== undefined) h["Content-Type"] = "application/json";
    try {
      return await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      return { status: 0, ok: false, headers: new Headers(), failure: e.message, json: async () => null };
    }
  }
  async function call(method, path, opts) {
    const r = await send(method, path, opts);
    const data = await r.json().catch(() => null);
    return { status: r.status, headers: r.headers, data, failure: r.failure };
  }

  /** What went wrong, for people: the API's code and message, and what a status means when the body says nothing. */
  function problemText(r) {
    if (r.status === 0) return `The request did not reach the API (${r.failure}). Try again: a retry is safe.`;
    const e = r.data && r.data.error;
    const details = e && Array.isArray(e.details) ? e.details.map((d) => `${d.path}: ${d.message}`).join("; ") : "";
    const said = e && e.code ? `${r.status} ${e.code}: ${e.message || ""}${details ? ` (${details})` : ""}` : `${r.status}`;
    if (r.status === 404 && (!e || e.message === "No such route.")) return `${said} This build does not have that route yet.`;
    if (r.status === 401) return `${said} Sign in as the shop admin again.`;
    if (e && e.code) return said;
    return `${said}: ${(r.data && r.data.message) || "unexpected answer"}`;
  }

  async function signIn() {
    const config = await call("GET", "/_local/api/config");
    const r = await call("POST", "/_local/api/sign-in", { body: { email: config.data && config.data.adminEmail } });
    if (r.status !== 200) return answer("admin-list-result", false, `Sign-in failed: ${problemText(r)}`);
    admin.token = r.data.token;
    admin.email = r.data.email;
    $("admin-signed-in").textContent = `Signed in as ${admin.email} (shop admin)`;
    await listOrders(false);
  }

  /** The filters of the form as a query string; empty fields are left out. */
  function filterQuery() {
    const f = $("admin-filters");
    const q = new URLSearchParams();
    for (const n of ["status", "from", "to", "email", "number", "limit"]) {
      const v = f.elements.namedItem(n).value.trim();
      if (v) q.set(n, v);
    }
    return q;
  }

  async function listOrders(more) {
    if (!admin.token) return answer("admin-list-result", false, "Sign in as the shop admin first.");
    const q = more ? new URLSearchParams(admin.query) : filterQuery();
    if (more) q.set("cursor", admin.cursor);
    const r = await call("GET", `/admin/orders?${q}`);
    if (r.status !== 200) return answer("admin-list-result", false, problemText(r));
    if (!more) {
      admin.query = q.toString();
      $("admin-rows").replaceChildren();
    }
    for (const o of r.data.orders) addRow(o);
    admin.cursor = r.data.nextCursor;
    $("admin-more").hidden = !admin.cursor;
    const shown = $("admin-rows").querySelectorAll("tr[data-order-id]").length;
    if (!shown) {
      const td = $("admin-rows").insertRow().insertCell();
      td.colSpan = 6;
      td.textContent = "No order matches these filters.";
    }
    answer("admin-list-result", true, `${shown} order(s) shown, newest first${admin.cursor ? "; more with the button below" : ""}.`);
  }

  function addRow(o) {
    const tr = $("admin-rows").insertRow();
    tr.dataset.orderId = o.orderId;
    tr.dataset.status = o.status;
    tr.tabIndex = 0;
    for (const v of [o.orderId, instant(o.createdAt), o.customer.email]) tr.insertCell().textContent = v;
    const st = tr.insertCell();
    st.className = `status ${o.status}`;
    st.textContent = o.status;
    tr.insertCell().textContent = money(o.total.amount, o.total.currency);
    tr.insertCell().textContent = o.invoiceNumber || "–";
    tr.addEventListener("click", () => openOrder(o.orderId));
    tr.addEventListener("keydown", (ev) => ev.key === "Enter" && openOrder(o.orderId));
  }

  /** Opens an order below the table (or refreshes the one open): its lines, totals, documents and timeline. */
  async function openOrder(orderId) {
    const r = await call("GET", `/admin/orders/${encodeURIComponent(orderId)}`);
    if (r.status !== 200) return answer("admin-list-result", false, `Order ${orderId}: ${problemText(r)}`);
    const other = !admin.order || admin.order.orderId !== orderId;
    admin.order = { orderId, record: r.data };
    for (const tr of $("admin-rows").rows) tr.classList.toggle("open", tr.dataset.orderId === orderId);
    renderOrder(r.data);
    if (other) resetActions(r.data);
    else enableActions(r.data);
  }

  function renderOrder(d) {
    const o = d.order;
    const box = $("admin-order");
    box.hidden = false;
    box.dataset.orderId = o.orderId;
    box.dataset.status = d.status;
    $("admin-order-id").textContent = o.orderId;
    const pay = d.payment || {};
    $("admin-order-summary").textContent = [
      `Status ${d.status}`,
      `customer ${o.customer.email} (${o.customer.id})`,
      `created ${instant(o.createdAt)}`,
      `payment ${pay.provider || "–"} ${pay.paymentId || ""}${pay.paidAt ? `, paid ${instant(pay.paidAt)}` : ""}`.trim(),
      ...(pay.lastFailure ? [`last payment failure: ${pay.lastFailure.message || pay.lastFailure.code || ""}`] : []),
      ...(d.email && d.email.status ? [`email ${d.email.status} to ${d.email.to}`] : []),
    ].join(" · ");

    const lines = $("admin-order-lines");
    lines.replaceChildren();
    o.lines.forEach((l, i) => {
      const tr = lines.insertRow();
      tr.dataset.line = String(i);
      const vat = l.vat ? `${l.vat.code} ${l.vat.rateBps / 100} %` : "";
      for (const v of [
        i,
        `${l.name} (${l.sku})`,
        l.quantity,
        money(l.unitPriceMinor, o.currency),
        money(l.lineTotalMinor, o.currency),
        vat,
      ])
        tr.insertCell().textContent = v;
    });
    const ship = lines.insertRow();
    ship.dataset.line = "shipping";
    for (const v of [
      "–",
      `${o.shipping.name} (${o.shipping.zone})`,
      1,
      money(o.shipping.priceMinor, o.currency),
      money(o.shipping.priceMinor, o.currency),
      "",
    ])
      ship.insertCell().textContent = v;

    const totals = $("admin-order-totals");
    totals.replaceChildren();
    for (const [k, v] of [
      ["Net", o.subtotalMinor],
      ["VAT", o.taxMinor],
      ["Total", o.totalMinor],
    ]) {
      totals.append(el("dt", k), el("dd", money(v, o.currency), { id: `admin-total-${k.toLowerCase()}` }));
    }

    renderDocuments(d);
    const tl = $("admin-order-timeline");
    tl.replaceChildren();
    for (const e of d.timeline || []) {
      const li = el("li", undefined, { className: "event" });
      li.dataset.event = e.event;
      li.append(el("code", instant(e.at)), ` ${e.event}`, ...(e.detail ? [el("span", `: ${e.detail}`, { className: "meta" })] : []));
      tl.append(li);
    }
  }

  /** The invoice and the credit notes of GET /admin/orders/{orderId}, each with its number and, once stored, a link to its PDF. */
  function renderDocuments(d) {
    const ul = $("admin-order-documents");
    ul.replaceChildren();
    const addDocument = (className, number, label, url, meta) => {
      const li = el("li", undefined, { className: `document ${className}` });
      if (number) li.dataset.number = number;
      li.append(url ? safeLink(url, label) : el("span", label), el("span", meta, { className: "meta" }));
      ul.append(li);
      return li;
    };
    if (d.invoice)
      addDocument("invoice", d.invoice.number, `Invoice ${d.invoice.number}`, d.invoice.url, ` issued ${instant(d.invoice.issuedAt)}`);
    for (const cn of d.creditNotes || []) {
      const meta = [
        cn.number ? ` issued ${instant(cn.issuedAt)}` : "",
        cn.status ? ` ${cn.status}` : "",
        ` ${cn.kind}, ${money(cn.total.amount, cn.total.currency)}: ${cn.reason}`,
        cn.refund ? `; refund ${cn.refund.status}` : "",
      ].join("");
      const li = addDocument("credit-note", cn.number, `Credit note ${cn.number || "(not numbered yet)"}`, cn.url, meta);
      li.dataset.creditNoteId = cn.creditNoteId;
    }
    if (!ul.children.length) ul.append(el("li", "No document yet (an invoice is issued once the order is paid)."));
  }

  const invoiced = (d) => Boolean(d.invoice && d.invoice.number);
  /** Resend and credit notes need an invoice; cancelling needs an order that has none and is still open. */
  function enableActions(d) {
    const closed = ["CANCELLED", "EXPIRED", "PAYMENT_FAILED"].includes(d.status);
    const allowed = { "cancel-form": !invoiced(d) && !closed, "resend-form": invoiced(d), "credit-form": invoiced(d) };
    for (const [form, ok] of Object.entries(allowed)) submitOf(form).disabled = !ok || busy.has(form);
  }

  // The forms with a request in flight: their button stays disabled until the answer is shown, also as the order refreshes.
  const busy = new Set();
  const submitOf = (form) => $(form).querySelector('button[type="submit"]');
  /** Runs one request of a form at a time (no double submit). */
  async function oneAtATime(form, f) {
    if (busy.has(form)) return;
    busy.add(form);
    submitOf(form).disabled = true;
    try {
      await f();
    } finally {
      busy.delete(form);
      if (admin.order) enableActions(admin.order.record);
    }
  }

  function newKey(form) {
    admin.keys[form] = crypto.randomUUID();
    if (form === "credit") $("credit-key").textContent = admin.keys.credit;
  }

  /** A newly opened order: fresh forms, fresh Idempotency-Keys, one quantity input per invoice line (0 to what was invoiced). */
  function resetActions(d) {
    for (const id of ["resend-result", "cancel-result", "credit-result"]) answer(id, true, "");
    $("resend-form").reset();
    $("credit-form").reset();
    $("credit-partial").hidden = true;
    const rows = $("credit-lines");
    rows.replaceChildren();
    d.order.lines.forEach((l, i) => {
      const tr = rows.insertRow();
      for (const v of [i, `${l.name} (${l.sku})`, l.quantity]) tr.insertCell().textContent = v;
      const input = el("input", undefined, { type: "number", min: "0", max: String(l.quantity), step: "1", value: "0", name: `line-${i}` });
      input.dataset.line = String(i);
      input.setAttribute("aria-label", `units of line ${i} to credit`);
      tr.insertCell().append(input);
    });
    newKey("credit");
    newKey("cancel");
    enableActions(d);
  }

  async function resend(ev) {
    ev.preventDefault();
    const { orderId } = admin.order;
    const email = ev.target.elements.namedItem("email").value.trim();
    await oneAtATime("resend-form", async () => {
      const r = await call("POST", `/admin/orders/${encodeURIComponent(orderId)}/resend`, email ? { body: { email } } : {});
      if (r.status === 202 || r.status === 200)
        answer("resend-result", true, `The invoice email goes out again${email ? ` to ${email}` : ""}.`);
      else if (r.status === 429) {
        const wait = r.headers.get("retry-after");
        answer("resend-result", false, `${problemText(r)}${wait ? ` Try again in ${wait} s.` : ""}`);
      } else answer("resend-result", false, problemText(r));
      await openOrder(orderId);
    });
  }

  async function cancel(ev) {
    ev.preventDefault();
    const { orderId } = admin.order;
    if (!confirm(`Cancel order ${orderId}? No invoice number is used; a payment already taken is refunded.`)) return;
    await oneAtATime("cancel-form", async () => {
      const r = await call("POST", `/admin/orders/${encodeURIComponent(orderId)}/cancel`, {
        headers: { "Idempotency-Key": admin.keys.cancel },
      });
      if (r.status === 200) {
        answer("cancel-result", true, `Order ${r.data.status}${refundText(r.data.refund)}.`);
        newKey("cancel");
      } else answer("cancel-result", false, problemText(r));
      await openOrder(orderId);
    });
  }

  /** A refund of an answer, for people ("; refund succeeded (re_123)"), or nothing. */
  const refundText = (refund) => {
    if (!refund) return "";
    const id = refund.refundId || refund.id;
    return `; refund ${refund.status}${id ? ` (${id})` : ""}`;
  };

  /** The credit-note body of the form, or a message saying what is missing. */
  function creditBody(f) {
    const kind = f.elements.namedItem("kind").value;
    const reason = f.elements.namedItem("reason").value.trim();
    if (!reason) return { problem: "Give a reason: it is printed on the credit note." };
    if (kind === "full") return { body: { kind, reason } };
    const lines = [];
    for (const input of $("credit-lines").querySelectorAll("input")) {
      const quantity = Number(input.value);
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > Number(input.max))
        return { problem: `Line ${input.dataset.line}: credit a whole number of units from 0 to ${input.max}.` };
      if (quantity > 0) lines.push({ line: Number(input.dataset.line), quantity });
    }
    const shipping = f.elements.namedItem("shipping").checked;
    if (!lines.length && !shipping) return { problem: "Choose the units of at least one line, or the shipping, to credit." };
    return { body: { kind, reason, lines, shipping } };
  }

  async function issueCreditNote(ev) {
    ev.preventDefault();
    const { orderId } = admin.order;
    const { body, problem } = creditBody(ev.target);
    if (problem) return answer("credit-result", false, problem);
    await oneAtATime("credit-form", async () => {
      const r = await call("POST", `/admin/orders/${encodeURIComponent(orderId)}/credit-notes`, {
        body,
        headers: { "Idempotency-Key": admin.keys.credit },
      });
      if (r.status === 202 || r.status === 200 || r.status === 201) {
        const done = `Credit note ${r.data.creditNoteId} ${r.data.status}${refundText(r.data.refund)}.`;
        answer("credit-result", true, `${done} The pipeline numbers and emails it.`);
        newKey("credit");
      } else answer("credit-result", false, `${problemText(r)} (sending again reuses the same Idempotency-Key)`);
      await openOrder(orderId);
    });
  }

  /** A file name from Content-Disposition, reduced to safe characters. */
  function fileNameOf(disposition, fallback) {
    const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition || "");
    const raw = m ? decodeURIComponent(m[1] || m[2]) : fallback;
    return raw.replace(/[^A-Za-z0-9._-]/g, "_") || fallback;
  }

  /**
   * The exported file of an answer: the body itself (named by Content-Disposition), or the JSON envelope
   * GET /admin/exports answers with ({filename, contentType, encoding: "base64", content}).
   */
  async function exportedFile(r, fallback) {
    if (!(r.headers.get("content-type") || "").startsWith("application/json"))
      return { blob: await r.blob(), name: fileNameOf(r.headers.get("content-disposition"), fallback) };
    const e = await r.json();
    const bytes = Uint8Array.from(atob(e.content), (c) => c.charCodeAt(0));
    return { blob: new Blob([bytes], { type: e.contentType || "text/csv" }), name: fileNameOf(`filename="${e.filename}"`, fallback) };
  }

  /** Fetches the export with the admin's token (a plain link could not send it) and hands it to the browser as a download. */
  async function downloadExport(ev) {
    ev.preventDefault();
    if (!admin.token) return answer("export-result", false, "Sign in as the shop admin first.");
    const f = ev.target;
    const v = (n) => f.elements.namedItem(n).value.trim();
    const q = new URLSearchParams({ from: v("from"), to: v("to"), format: v("format") });
    // DATEV's header names the tax adviser (Beraternummer) and the client (Mandantennummer).
    if (v("format") === "datev") for (const n of ["consultant", "client"]) if (v(n)) q.set(n, v(n));
    const r = await send("GET", `/admin/exports?${q}`);
    if (!r.ok) {
      const data = await r.json().catch(() => null);
      return answer("export-result", false, problemText({ status: r.status, data, failure: r.failure }));
    }
    const { blob, name } = await exportedFile(r, `export_${q.get("from")}_${q.get("to")}_${q.get("format")}.csv`);
    if (admin.exportUrl) URL.revokeObjectURL(admin.exportUrl);
    admin.exportUrl = URL.createObjectURL(blob);
    const a = el("a", name, { href: admin.exportUrl, download: name, id: "export-link" });
    const p = $("export-result");
    p.className = "answer ok";
    p.replaceChildren(`Exported ${blob.size} bytes: `, a);
    a.click();
  }

  async function refreshEvents() {
    const r = await call("GET", "/_local/api/events");
    const list = r.status === 200 ? (Array.isArray(r.data) ? r.data : r.data && r.data.events) : null;
    if (!Array.isArray(list)) {
      $("events-status").textContent = `No events to show: GET /_local/api/events answered ${problemText(r)}`;
      return;
    }
    $("events-status").textContent = `${list.length} event(s), newest first; refreshed ${new Date().toLocaleTimeString()}.`;
    const ol = $("event-list");
    ol.replaceChildren();
    for (const e of list.slice(0, 50)) {
      const type = e.type || e.detailType || e["detail-type"] || "event";
      const li = el("li", undefined, { className: "event" });
      li.dataset.type = type;
      li.append(el("code", instant(e.time || e.at)), ` ${type} `, el("code", JSON.stringify(e.detail === undefined ? e : e.detail)));
      ol.append(li);
    }
  }

  function setUp() {
    const status = $("admin-filters").elements.namedItem("status");
    for (const s of STATUSES) status.append(new Option(s, s));
    const today = new Date().toISOString().slice(0, 10);
    $("export-form").elements.namedItem("from").value = `${today.slice(0, 8)}01`;
    $("export-form").elements.namedItem("to").value = today;

    $("admin-sign-in").addEventListener("click", signIn);
    $("admin-filters").addEventListener("submit", (ev) => {
      ev.preventDefault();
      listOrders(false);
    });
    $("admin-more").addEventListener("click", () => listOrders(true));
    $("admin-order-close").addEventListener("click", () => {
      $("admin-order").hidden = true;
      admin.order = null;
    });
    $("resend-form").addEventListener("submit", resend);
    $("cancel-form").addEventListener("submit", cancel);
    $("credit-form").addEventListener("submit", issueCreditNote);
    for (const radio of $("credit-form").querySelectorAll('input[name="kind"]'))
      radio.addEventListener(
        "change",
        () => ($("credit-partial").hidden = $("credit-form").elements.namedItem("kind").value !== "partial"),
      );
    $("export-form").addEventListener("submit", downloadExport);
  }

  setUp();
  // The open order's timeline and documents move as the pipeline works (numbered, emailed); the events too.
  const { every } = window.shopConsole;
  every(2000, async () => admin.order && admin.token && (await openOrder(admin.order.orderId)));
  every(2000, refreshEvents);
})();
