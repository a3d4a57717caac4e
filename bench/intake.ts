/**
 * Intake with the catalog and the payment provider (issue 15): POST /orders latency p50 / p99 from
 * source against moto and the Stripe stand-in, beside the same run's bare calls it is made of (a
 * DynamoDB GetItem, a BatchGetItem of the order's catalog keys, the provider's create call alone);
 * and the DynamoDB commands one order sends with 1 line and with 50, to show the catalog is read in
 * one round trip per order, not one per line.
 */
import { percentile, round, type BenchRow, type BenchSection } from "./types";
import { vatIdVerifierFor } from "../runtime/tax/vies";

type Middlewared = { middlewareStack: { add: (mw: any, o: { step: "initialize"; name: string }) => void } };

const bench: BenchSection = async ({ quick }) => {
  const n = quick ? 15 : 60;
  const { BatchGetCommand, GetCommand } = await import("@aws-sdk/lib-dynamodb");
  const { createLogger } = await import("../runtime/log");
  const { createEmfEmitter } = await import("../runtime/metrics");
  const { loadApiSettings } = await import("../runtime/settings");
  const { newOrderId } = await import("../runtime/domain/ids");
  const { kmsLinkSigner } = await import("../runtime/invoices/link");
  const { CatalogStore } = await import("../runtime/domain/catalog-store");
  const { handleApiRequest } = await import("../runtime/handlers/order-api");
  const { orderBody, postOrder } = await import("../test/helpers/events");
  const { catalogFile } = await import("../test/helpers/catalog");
  const { startCheckoutStack } = await import("./checkout-stack");

  const stack = await startCheckoutStack("intake", "info");
  const { clients, bare, resources, env, payments } = stack;
  try {
    const table = resources.table;
    // 50 more products (SKU-0001..SKU-0050) for the 50-line order; the demo's shipping methods stay.
    await new CatalogStore(bare.ddb, table).importCatalog(catalogFile(50, { shipping: false }), new Date());
    // The DynamoDB commands the handler sends, by name, at the first step (one per send, retries not counted twice).
    let commands: string[] = [];
    (clients.ddb as unknown as Middlewared).middlewareStack.add(
      (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => (a: unknown) => {
        commands.push(String(context.commandName).replace(/Command$/, ""));
        return next(a);
      },
      { step: "initialize", name: "intakeCommandCounter" },
    );
    const deps = {
      ddb: clients.ddb,
      sqs: clients.sqs,
      s3: clients.s3,
      links: kmsLinkSigner(clients.kms, resources.linkKeyId),
      settings: loadApiSettings(env),
      now: () => new Date(),
      newOrderId,
      payments,
      // Domestic bench orders never ask VIES; a sale abroad to a business would.
      vatIds: vatIdVerifierFor(loadApiSettings(env).tax),
      log: createLogger("order-api", "info", {}, () => undefined),
      metrics: createEmfEmitter("bench", () => undefined),
    };
    const post = async (body: unknown) => {
      const r = await handleApiRequest(postOrder(body), deps);
      if (r.statusCode !== 202 || JSON.parse(r.body).status !== "PAID") throw new Error(`POST /orders answered ${r.statusCode}: ${r.body}`);
    };
    const ms = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };

    // Commands of one order: 1 line, then 50 lines (distinct SKUs), after a warm-up order.
    await post(orderBody());
    commands = [];
    await post(orderBody({ items: [{ sku: "MUG-01", quantity: 1 }] }));
    const one = [...commands];
    commands = [];
    await post(orderBody({ items: Array.from({ length: 50 }, (_, i) => ({ sku: `SKU-${String(i + 1).padStart(4, "0")}`, quantity: 1 })) }));
    const fifty = [...commands];

    // Latencies, interleaved so each figure sees the same machine load: the order, then its parts alone.
    const keys = [{ pk: "PRODUCT#TSHIRT-RED-M" }, { pk: "PRODUCT#MUG-01" }, { pk: "SHIPPING#standard" }];
    const t = { order: [] as number[], lookup: [] as number[], batch: [] as number[], get: [] as number[], create: [] as number[] };
    const store = new CatalogStore(bare.ddb, table);
    for (let i = 0; i < n; i++) {
      t.order.push(await ms(() => post(orderBody())));
      t.lookup.push(await ms(() => store.lookup(["TSHIRT-RED-M", "MUG-01"], "standard")));
      t.batch.push(await ms(() => bare.ddb.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }))));
      t.get.push(await ms(() => bare.ddb.send(new GetCommand({ TableName: table, Key: keys[1], ConsistentRead: true }))));
      const orderId = newOrderId();
      t.create.push(
        await ms(() =>
          payments.createPayment({
            orderId,
            amountMinor: 6886,
            currency: "EUR",
            paymentMethod: "pm_card_visa",
            description: `Order ${orderId}`,
          }),
        ),
      );
    }
    const p = (xs: number[]) => `${round(percentile(xs, 50))} / ${round(percentile(xs, 99))}`;
    const section = "intake";
    const count = (cs: string[], name: string) => cs.filter((c) => c === name).length;
    const byName = (cs: string[]) => [...new Set(cs)].map((c) => `${c} x${count(cs, c)}`).join(", ");
    const rows: BenchRow[] = [
      {
        section,
        figure: `POST /orders p50 / p99, 2 lines paid with pm_card_visa (n=${n}, handler from source, moto + Stripe stand-in)`,
        value: p(t.order),
        unit: "ms",
        baseline: {
          label: "bare GetItem + BatchGetItem + provider create, p50 sum",
          value: round(percentile(t.get, 50) + percentile(t.batch, 50) + percentile(t.create, 50)),
        },
      },
      {
        section,
        figure: "catalog lookup alone (CatalogStore.lookup: 2 SKUs + shipping) p50 / p99",
        value: p(t.lookup),
        unit: "ms",
        baseline: { label: "bare BatchGetItem of the same 3 keys", value: p(t.batch) },
      },
      { section, figure: "bare DynamoDB GetItem round trip p50 / p99", value: p(t.get), unit: "ms" },
      {
        section,
        figure: "provider create call alone (PaymentIntent, pm_card_visa, official SDK -> stand-in) p50 / p99",
        value: p(t.create),
        unit: "ms",
      },
      {
        section,
        figure: `DynamoDB commands of one order, 1 line (${byName(one)})`,
        value: one.length,
        unit: "",
        baseline: { label: `50 lines (${byName(fifty)})`, value: fifty.length },
      },
      {
        section,
        figure: "catalog reads (BatchGetItem) per order, 1 line",
        value: count(one, "BatchGetItem"),
        unit: "",
        baseline: { label: "50 lines", value: count(fifty, "BatchGetItem") },
      },
    ];
    return rows;
  } finally {
    await stack.stop();
  }
};

export default bench;
