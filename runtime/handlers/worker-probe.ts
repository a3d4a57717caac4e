import { OrderStore } from "../domain/store";
import type { ProbeMessage } from "../domain/probe";
import type { WorkerDeps } from "./invoice-worker";

/**
 * What the worker does with a probe (runtime/domain/probe.ts): records its receipt, and nothing
 * else. It touches no order, no invoice number, no bucket and emits no invoice metric; the task
 * role's PutItem on the table is all it needs.
 */
export async function recordProbe(
  probe: ProbeMessage,
  deps: Pick<WorkerDeps, "ddb" | "settings" | "now" | "log">,
): Promise<{ probeId: string; outcome: "probe-recorded" }> {
  const receipt = { probeId: probe.probeId, sentAt: probe.sentAt, receivedAt: deps.now().toISOString(), release: deps.settings.release };
  await new OrderStore(deps.ddb, deps.settings.ordersTable).recordProbe(receipt);
  deps.log.info("probe recorded", { probeId: probe.probeId, sentAt: probe.sentAt, release: receipt.release });
  return { probeId: probe.probeId, outcome: "probe-recorded" };
}
