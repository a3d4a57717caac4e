import { REGION, type LocalAws } from "./aws";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import { createClients, destroyClients, type AwsClients, type ClientOptions } from "../../runtime/clients";

/** A fault proxy in front of the test's moto, and clients that talk through it. */
export interface FaultyAws {
  proxy: FaultProxy;
  clients: AwsClients;
}

/**
 * Registers hooks that start a fault proxy for the enclosing describe, build clients through it
 * (with `opts`), clear every rule after each test, and stop it all at the end.
 */
export function useFaultProxy(ctx: LocalAws, opts: ClientOptions = {}): FaultyAws {
  const f = {} as FaultyAws;
  before(async () => {
    f.proxy = await startFaultProxy(ctx.moto.endpoint);
    f.clients = createClients({ region: REGION, endpoint: f.proxy.url, ...opts });
  });
  afterEach(() => f.proxy.clear());
  after(async () => {
    if (f.clients) destroyClients(f.clients);
    await f.proxy?.close();
  });
  return f;
}
