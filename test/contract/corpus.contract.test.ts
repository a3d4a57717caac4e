import { expect } from "chai";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { useLocalAws, type LocalAws } from "../helpers/aws";
import { tableItems } from "../helpers/deps";
import { loadCorpus, loadCorpusCatalog, runCorpus, storedOrderIds, type CorpusTarget } from "../helpers/corpus";
import { apiTarget, contractTargets, type ApiTarget } from "./targets";
import { motoSentEmails } from "../../local/moto";

/**
 * The hostile input corpus (test/corpus/*.yaml) against the handler from source and the deployed
 * archive in its own process. test/corpus/corpus.test.ts runs it through the whole local pipeline
 * (gateway, worker, notifier); here the same cases meet the code that ships.
 */

/** Order ids on a queue, peeked without hiding them (no worker runs here). */
async function queuedIds(ctx: LocalAws, url: string): Promise<string[]> {
  const ids: string[] = [];
  const r = await ctx.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageAttributeNames: ["orderId"] }),
  );
  for (const m of r.Messages ?? []) ids.push(m.MessageAttributes?.orderId?.StringValue ?? `message ${m.MessageId}`);
  return ids;
}

function corpusTarget(t: ApiTarget, ctx: LocalAws): CorpusTarget {
  return {
    request: async (req) => {
      const r = await t.request({ method: req.method, path: req.path, headers: req.headers, body: req.body, exactHeaders: true });
      return { status: r.status, headers: r.headers, body: r.text };
    },
    leftBehind: async () => {
      return {
        stored: storedOrderIds(await tableItems(ctx)),
        queued: [...(await queuedIds(ctx, ctx.resources.queueUrl)), ...(await queuedIds(ctx, ctx.resources.dlqUrl))],
        emailed: (await motoSentEmails(ctx.moto.endpoint)).map((m) => m.subject),
      };
    },
  };
}

for (const target of contractTargets(["source", "artifact"]) as ("source" | "artifact")[]) {
  describe(`hostile input corpus [${target}]`, function () {
    this.timeout(300_000);
    const ctx = useLocalAws();
    beforeEach(() => loadCorpusCatalog(ctx.clients.ddb, ctx.resources.table));

    it("answers every case with its documented status and code, never 5xx, leaves nothing behind, and keeps serving", async () => {
      const t = apiTarget(target, ctx);
      try {
        const cases = loadCorpus();
        const report = await runCorpus(cases, corpusTarget(t, ctx), { checkEvery: 50 });
        console.log(
          `      corpus [${target}]: ${report.tried} cases ${JSON.stringify(report.byCategory)}; statuses ${JSON.stringify(report.byStatus)}; 5xx ${report.serverErrors}; store checks ${report.storeChecks}`,
        );
        expect(report.failures, report.failures.join("\n")).to.deep.equal([]);
        expect(report.serverErrors).to.equal(0);
        expect(report.tried).to.be.at.least(150);
      } finally {
        await t.stop();
      }
    });
  });
}
