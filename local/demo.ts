/** `npm run demo [N]`: places N sample orders through the local HTTP API and reports how they flowed. */
import { randomBytes, randomUUID } from "node:crypto";
import { demoUserToken, readSession } from "./session";

const CATALOG = [
  { sku: "TSHIRT-RED-M", name: "T-shirt, red, M", price: 1999 },
  { sku: "MUG-01", name: "Coffee mug", price: 1250 },
  { sku: "SOCKS-3PK", name: "Socks, 3 pairs", price: 1499 },
  { sku: "CAP-NAVY", name: "Cap, navy", price: 2400 },
  { sku: "TOTE-BAG", name: "Tote bag (organic cotton)", price: 990 },
  { sku: "POSTER-A2", name: "Poster A2 «Ünïcödé»", price: 1500 },
];

/** A sample order body; `i` varies the lines. */
export function sampleOrder(i: number) {
  const n = 1 + (i % 4);
  return {
    items: Array.from({ length: n }, (_, k) => {
      const c = CATALOG[(i + k) % CATALOG.length];
      return { sku: c.sku, name: c.name, quantity: 1 + ((i + k) % 3), unitPrice: { amount: c.price, currency: "EUR" } };
    }),
    shippingAddress: { name: "Demo Customer", line1: `Main St ${i + 1}`, city: "Berlin", postalCode: "10115", country: "DE" },
    // Letters only: a hex UUID can hold a Luhn-valid run of 13+ digits, which the API refuses as a card number.
    payment: {
      provider: "stripe",
      token: `tok_demo_${
        randomBytes(18)
          .toString("base64url")
          .replace(/[^A-Za-z]/g, "") || "x"
      }`,
    },
  };
}

/** Result of a demo run. */
export interface DemoSummary {
  readonly requested: number;
  readonly accepted: number;
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
        if (r.status === 202) ids.push(((await r.json()) as { orderId: string }).orderId);
        else {
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
