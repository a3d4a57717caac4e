/**
 * The local stack the checkout benches run on: a fresh moto with the stack's resources, the demo
 * catalog, and the Stripe stand-in the official SDK pays through (pm_card_visa succeeds at once).
 * `clients` are the handlers' (a bench may count their calls); `bare` are the bench's own.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { AwsClients } from "../runtime/clients";
import type { LocalResources } from "../local/provision";
import type { PaymentProvider } from "../runtime/payments/provider";

/** What a checkout bench gets; `stop` releases everything. */
export interface CheckoutStack {
  readonly endpoint: string;
  readonly clients: AwsClients;
  readonly bare: AwsClients;
  readonly ddbRaw: DynamoDBClient;
  readonly resources: LocalResources;
  /** The runtime environment of every part, at `logLevel`. */
  readonly env: Record<string, string>;
  readonly payments: PaymentProvider;
  stop(): Promise<void>;
}

/** Starts moto, provisions `prefix`'s resources, loads the demo catalog (on `bare`: not counted) and starts the stand-in. */
export async function startCheckoutStack(prefix: string, logLevel: "debug" | "info"): Promise<CheckoutStack> {
  const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
  const { startMoto } = await import("../local/moto");
  const { provisionLocalResources, runtimeEnv } = await import("../local/provision");
  const { loadDemoCatalog } = await import("../local/catalog");
  const { startStripeStandIn } = await import("../local/stripe-standin");
  const { createClients, destroyClients } = await import("../runtime/clients");
  const { createStripeProvider } = await import("../runtime/payments/stripe");

  const region = "us-east-1";
  // moto accepts any credentials; the SDK only needs some to sign with.
  process.env.AWS_ACCESS_KEY_ID ??= "bench";
  process.env.AWS_SECRET_ACCESS_KEY ??= "bench";
  const moto = await startMoto();
  const clients = createClients({ region, endpoint: moto.endpoint });
  const bare = createClients({ region, endpoint: moto.endpoint });
  const ddbRaw = new DynamoDBClient({ region, endpoint: moto.endpoint });
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>> | undefined;
  const stop = async () => {
    destroyClients(clients);
    destroyClients(bare);
    ddbRaw.destroy();
    await standIn?.close();
    await moto.stop();
  };
  try {
    const resources = await provisionLocalResources(clients, ddbRaw, {
      prefix,
      region,
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 30,
      sender: "invoices@shop.example",
      bucketEventsQueue: false,
    });
    await loadDemoCatalog(bare.ddb, resources.table, new Date());
    standIn = await startStripeStandIn({ ...resources.paymentKeys });
    const payments = createStripeProvider({
      keys: async () => resources.paymentKeys,
      apiBaseUrl: standIn.url,
      maxNetworkRetries: 0,
      timeoutMs: 5000,
    });
    const env = runtimeEnv(resources, {
      region,
      endpoint: moto.endpoint,
      linkBaseUrl: "https://api.shop.example/bench",
      seller: { name: "Bench GmbH", address: "Street 1|10115 Berlin|Germany", country: "DE", vatId: "DE123456788" },
      tax: { ossRegistered: false, supplyKind: "goods", vatCheckPolicy: "charge-vat" },
      logLevel,
    });
    return { endpoint: moto.endpoint, clients, bare, ddbRaw, resources, env, payments, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
