/**
 * `npm run demo [N]`: places N sample orders through the local HTTP API, pays them with the Stripe
 * stand-in's test cards (every fifth through 3-D Secure), and reports how they flowed.
 */
import { randomUUID } from "node:crypto";
import { demoUserToken, readSession } from "./session";

/** SKUs of the demo catalog (catalog/demo.json, which npm start loads): names and prices are the catalog's. */
const SKUS = ["TSHIRT-RED-M", "MUG-01", "SOCKS-3PK", "CAP-NAVY", "TOTE-BAG", "POSTER-A2"];

/** Every how-manyth order pays with the stand-in's 3-D Secure card (and is authenticated by the demo). */
export const THREE_D_SECURE_EVERY = 5;

/** A sample order body; `i` varies the lines, and every fifth pays with a card that asks for 3-D Secure. */
export function sampleOrder(i: number) {
  const n = 1 + (i % 4);
  return {
    items: Array.from({ length: n }, (_, k) => ({ sku: SKUS[(i + k) % SKUS.length], quantity: 1 + ((i + k) % 3) })),
    shippingAddress: { name: "Demo Customer", line1: `Main St ${i + 1}`, city: "Berlin", postalCode: "10115", country: "DE" },
    billingAddress: "same-as-shipping",
    shipping: { method: "standard" },
    // Stripe's test payment methods, which the local stand-in knows: one succeeds at once, one asks for 3-D Secure.
    payment: {
      provider: "stripe",
      paymentMethod: i % THREE_D_SECURE_EVERY === THREE_D_SECURE_EVERY - 1 ? "pm_card_threeDSecure2Required" : "pm_card_visa",
    },
  };
}

/** The 202 body's fields the demo reads. */
interface Accepted {
  readonly orderId: string;
  readonly status: string;
  readonly payment?: { readonly actionUrl?: string };
}

/**
 * Completes a payment waiting for 3-D Secure as the customer would on the provider's page: the local
 * stand-in's page (payment.actionUrl) takes the "Complete" button's POST; the provider's webhook then makes the order PAID.
 */
export async function authenticate(actionUrl: string): Promise<void> {
  const r = await fetch(`${actionUrl}?outcome=succeed`, { method: "POST", redirect: "manual" });
  if (r.status >= 400) throw new Error(`3-D Secure at ${actionUrl}: ${r.status} ${await r.text()}`);
}

/** Result of a demo run. */
export interface DemoSummary {
  readonly requested: number;
  readonly accepted: number;
  /** Accepted orders that waited for 3-D Secure, authenticated by the demo at the provider's page. */
  readonly authenticated: number;
  readonly invoiced: number;
  readonly emailed: number;
  readonly failed: number;
  /** Order accepted -> email sent, from the server's own timestamps (ms). */
  readonly latencyMs: { p50: number; p95: number; max: number } | undefined;
  /** Why orders were refused, one line each. */
  readonly errors: readonly string[];
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Places `count` orders (5 at a time), then polls them until emailed or `timeoutMs` passes. */
export async function runDemo(o: {
  apiUrl: string;
  token: string;
  count: number;
  timeoutMs?: number;
  onProgress?: (s: DemoSummary) => void;
}): Promise<DemoSummary> {
  const auth = { authorization: `Bearer ${o.token}` };
  const ids: string[] = [];
  let failed = 0;
  let authenticated = 0;
  const errors: string[] = [];
  let next = 0;
  const place = async () => {
    while (next < o.count) {
      const i = next++;
      try {
        const r = await fetch(`${o.apiUrl}/orders`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json", "idempotency-key": `demo-${randomUUID()}` },
          body: JSON.stringify(sampleOrder(i)),
        });
        if (r.status === 202) {
          const a = (await r.json()) as Accepted;
          if (a.status === "AWAITING_PAYMENT") {
            if (!a.payment?.actionUrl) throw new Error(`${a.orderId} awaits payment but names no page to authenticate it`);
            await authenticate(a.payment.actionUrl);
            authenticated++;
          }
          ids.push(a.orderId);
        } else {
          failed++;
          errors.push(`order ${i}: ${r.status} ${await r.text()}`);
        }
      } catch (e) {
        failed++;
        errors.push(`order ${i}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 5 }, place));

  const state = new Map<string, { status: string; latency?: number }>();
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  const summary = (): DemoSummary => {
    const statuses = [...state.values()];
    const lat = statuses
      .map((s) => s.latency)
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    return {
      requested: o.count,
      accepted: ids.length,
      authenticated,
      invoiced: statuses.filter((s) => s.status === "INVOICED" || s.status === "NOTIFIED").length,
      emailed: statuses.filter((s) => s.status === "NOTIFIED").length,
      failed,
      latencyMs: lat.length ? { p50: pct(lat, 50), p95: pct(lat, 95), max: lat[lat.length - 1] } : undefined,
      errors,
    };
  };
  while (Date.now() < deadline) {
    await Promise.all(
      ids
        .filter((id) => state.get(id)?.status !== "NOTIFIED")
        .map(async (id) => {
          const r = await fetch(`${o.apiUrl}/orders/${id}`, { headers: auth });
          if (r.status !== 200) return;
          const b = (await r.json()) as { status: string; createdAt: string; notifiedAt: string | null };
          state.set(id, {
            status: b.status,
            latency: b.notifiedAt ? Date.parse(b.notifiedAt) - Date.parse(b.createdAt) : undefined,
          });
        }),
    );
    const s = summary();
    o.onProgress?.(s);
    if (s.emailed === ids.length) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return summary();
}

/** The summary as a small table. */
export function summaryTable(s: DemoSummary): string {
  const rows: [string, string][] = [
    ["orders requested", String(s.requested)],
    ["accepted (202)", String(s.accepted)],
    ["paid after 3-D Secure", String(s.authenticated)],
    ["invoiced", String(s.invoiced)],
    ["emailed", String(s.emailed)],
    ["failed", String(s.failed + (s.accepted - s.emailed))],
    ["order-to-email p50", s.latencyMs ? `${s.latencyMs.p50} ms` : "-"],
    ["order-to-email p95", s.latencyMs ? `${s.latencyMs.p95} ms` : "-"],
    ["order-to-email max", s.latencyMs ? `${s.latencyMs.max} ms` : "-"],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const line = `+${"-".repeat(w + 2)}+${"-".repeat(12)}+`;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v.padStart(10)} |`), line].join("\n");
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const count = Number(process.argv[2] ?? process.env.ORDERS ?? 20);
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new Error("usage: npm run demo [N]   (N from 1 to 1000, default 20)");
  const s = readSession();
  const token = await demoUserToken(s);
  process.stdout.write(`placing ${count} orders at ${s.apiUrl} ...\n`);
  const tty = process.stdout.isTTY;
  let lastLine = "";
  const result = await runDemo({
    apiUrl: s.apiUrl,
    token,
    count,
    onProgress: (p) => {
      const line = `accepted ${p.accepted}/${p.requested}  invoiced ${p.invoiced}  emailed ${p.emailed}  failed ${p.failed}`;
      if (line === lastLine) return;
      lastLine = line;
      process.stdout.write(tty ? `\r${line}` : `${line}\n`);
    },
  });
  process.stdout.write(`${tty ? "\n" : ""}\n${summaryTable(result)}\nemails: ${s.inboxUrl}\n`);
  for (const e of result.errors) process.stdout.write(`refused: ${e}\n`);
  if (result.emailed !== count) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}
