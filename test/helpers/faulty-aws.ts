import { partClients, REGION, type LocalAws } from "./aws";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";
import { destroyClients, type AwsClients, type ClientOptions } from "../../runtime/clients";
import type { Part } from "../../local/identities";

/** A fault proxy in front of the test's moto, and one part's clients that talk through it. */
export interface FaultyAws {
  proxy: FaultProxy;
  /** The part's clients (signing as its role), through the proxy. */
  clients: AwsClients;
}

/**
 * Registers hooks that start a fault proxy for the enclosing describe, build `part`'s clients
 * through it (with `opts`), clear every rule after each test, and stop it all at the end.
 */
export function useFaultProxy(ctx: LocalAws, part: Part, opts: ClientOptions = {}): FaultyAws {
  const f = {} as FaultyAws;
  before(async () => {
    f.proxy = await startFaultProxy(ctx.moto.endpoint);
    f.clients = partClients(part, { region: REGION, endpoint: f.proxy.url, ...opts });
  });
  afterEach(() => f.proxy.clear());
  after(async () => {
    if (f.clients) destroyClients(f.clients);
    await f.proxy?.close();
  });
  return f;
}
