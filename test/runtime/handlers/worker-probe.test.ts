import { expect } from "chai";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { useLocalAws, type LocalAws } from "../../helpers/aws";
import { capturingLogger, capturingMetrics, queueDepth, tableItems, workerDeps } from "../../helpers/deps";
import { waitUntil } from "../../helpers/wait";
import { PoisonMessage } from "../../../runtime/handlers/invoice-worker";
import { processQueueMessage, startWorkerLoop } from "../../../runtime/handlers/worker-loop";

/**
 * The probe, as the smoke test sends it (`npm run smoke -- --read-only`): the worker records its
 * receipt as a short-lived PROBE#<id> item and does nothing else, so a smoke run in prod leaves no
 * order, consumes no invoice number, renders no PDF and sends no email.
 */

/** The probe's wire format, written out: what an older smoke sends must keep working. */
const probeBody = (probeId: string, sentAt = new Date().toISOString()) => JSON.stringify({ kind: "probe", v: 1, probeId, sentAt });

const pdfCount = async (ctx: LocalAws) =>
  (await ctx.clients.s3.send(new ListObjectsV2Command({ Bucket: ctx.resources.bucket }))).KeyCount ?? 0;

describe("invoice worker: probe messages", () => {
  const ctx = useLocalAws({ catalog: false });

  it("records the probe's receipt as PROBE#<id> with a TTL and makes no order, number, PDF or metric", async () => {
    // Prepare
    const sentAt = "2026-12-01T10:00:00.000Z";
    const now = new Date("2026-12-01T10:00:02.000Z");
    const m = capturingMetrics();
    // Act
    const r = await processQueueMessage(probeBody("smoke-0123456789ab", sentAt), workerDeps(ctx, { now: () => now, metrics: m.metrics }));
    // Assess
    expect(r).to.deep.equal({ probeId: "smoke-0123456789ab", outcome: "probe-recorded" });
    expect(await tableItems(ctx)).to.deep.equal([
      {
        pk: "PROBE#smoke-0123456789ab",
        type: "probe",
        probeId: "smoke-0123456789ab",
        sentAt,
        receivedAt: now.toISOString(),
        expiresAt: Math.floor(now.getTime() / 1000) + 3600,
      },
    ]);
    expect(await pdfCount(ctx)).to.equal(0);
    expect(m.points()).to.deep.equal([]);
  });

  it("records the release of the worker that took the probe, when it has one (WORKER_RELEASE)", async () => {
    const deps = workerDeps(ctx);
    await processQueueMessage(probeBody("smoke-release-01"), { ...deps, settings: { ...deps.settings, release: "0123abcd4567" } });
    expect((await tableItems(ctx))[0]).to.include({ pk: "PROBE#smoke-release-01", release: "0123abcd4567" });
  });

  it("records a probe delivered twice once (the second receipt overwrites the first)", async () => {
    const deps = workerDeps(ctx);
    await processQueueMessage(probeBody("smoke-twice-0001"), deps);
    await processQueueMessage(probeBody("smoke-twice-0001"), deps);
    expect((await tableItems(ctx)).map((i) => i.pk)).to.deep.equal(["PROBE#smoke-twice-0001"]);
  });

  it("takes a probe off the queue in the polling loop, records it and deletes the message", async () => {
    // Prepare
    await ctx.clients.sqs.send(new SendMessageCommand({ QueueUrl: ctx.resources.queueUrl, MessageBody: probeBody("smoke-loop-0001") }));
    const { log, lines } = capturingLogger();
    // Act
    const loop = startWorkerLoop(workerDeps(ctx, { log }));
    const recorded = await waitUntil(async () => (await tableItems(ctx)).some((i) => i.pk === "PROBE#smoke-loop-0001"), 10000);
    await waitUntil(() => loop.stats().processed >= 1, 5000);
    await loop.stop();
    // Assess
    expect(recorded, lines.join("\n")).to.equal(true);
    expect(loop.stats()).to.deep.equal({ processed: 1, failed: 0, inFlight: 0 });
    expect(await queueDepth(ctx)).to.equal(0);
    expect((await tableItems(ctx)).map((i) => i.type)).to.deep.equal(["probe"]);
    expect(lines.map((l) => JSON.parse(l)).find((l) => l.msg === "probe recorded")).to.include({ probeId: "smoke-loop-0001" });
  });

  const poison: [string, string][] = [
    [
      "of an unknown probe version",
      JSON.stringify({ kind: "probe", v: 2, probeId: "smoke-0123456789ab", sentAt: new Date().toISOString() }),
    ],
    ["with an id that is not a probe id", JSON.stringify({ kind: "probe", v: 1, probeId: "x#y", sentAt: new Date().toISOString() })],
    ["with a field probes do not have", probeBody("smoke-0123456789ab").replace("}", ',"order":{}}')],
    ["of an unknown kind", JSON.stringify({ kind: "ping", v: 1 })],
  ];
  for (const [what, body] of poison) {
    it(`refuses a probe ${what} as poison and records nothing`, async () => {
      let err: unknown;
      await processQueueMessage(body, workerDeps(ctx)).catch((e) => (err = e));
      expect(err).to.be.instanceOf(PoisonMessage);
      expect(await tableItems(ctx)).to.deep.equal([]);
    });
  }
});
