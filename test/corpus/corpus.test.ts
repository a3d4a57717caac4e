import { expect } from "chai";
import { loadCorpus, loadCorpusCatalog, runCorpus } from "../helpers/corpus";
import { localPipelineTarget, usePipeline } from "../helpers/pipeline";

describe("hostile input corpus against the local pipeline (gateway, moto, worker process, notifier)", function () {
  this.timeout(300_000);
  const ctx = usePipeline();

  it("answers every case with its documented status and code, never 5xx, leaves nothing behind, and keeps serving", async () => {
    // Prepare
    const cases = loadCorpus();
    await loadCorpusCatalog(ctx.clients.ddb, ctx.p.resources.table);
    expect(cases.length).to.be.at.least(400);
    // Act
    const report = await runCorpus(cases, localPipelineTarget(ctx), { checkEvery: 50 });
    // Assess
    console.log(
      `      corpus: ${report.tried} cases ${JSON.stringify(report.byCategory)}; statuses ${JSON.stringify(report.byStatus)}; ` +
        `5xx ${report.serverErrors}; store checks ${report.storeChecks}; recorded ${report.accepted.length}, paid and emailed ${report.paid.length}; ` +
        `ms ${JSON.stringify(report.ms)}`,
    );
    expect(report.failures, report.failures.join("\n")).to.deep.equal([]);
    expect(report.serverErrors).to.equal(0);
    expect(({} as Record<string, unknown>).polluted, "Object.prototype polluted").to.equal(undefined);
  });
});
