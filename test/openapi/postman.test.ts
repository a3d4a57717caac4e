import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import * as newman from "newman";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { localStackSettings } from "../../local/stack-settings";
import { signIn } from "../../local/auth";

const DIR = path.resolve(__dirname, "..", "..", "openapi");
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(DIR, f), "utf8"));

/** Runs the checked-in collection with newman, as a library, with the local environment pointed at `baseUrl`. */
function runCollection(baseUrl: string, token: string): Promise<newman.NewmanRunSummary> {
  const environment = read("local.postman_environment.json");
  environment.values = environment.values.map((v: { key: string }) =>
    v.key === "baseUrl" ? { ...v, value: baseUrl } : v.key === "token" ? { ...v, value: token } : v,
  );
  return new Promise((resolve, reject) =>
    newman.run(
      { collection: read("shop-backend.postman_collection.json"), environment, reporters: [], timeoutRequest: 30000 },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    ),
  );
}

describe("the Postman collection (openapi/shop-backend.postman_collection.json)", function () {
  this.timeout(120000);
  let p: LocalPipeline;
  let token: string;

  before(async () => {
    p = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), print: () => undefined });
    const cognito = new CognitoIdentityProviderClient({
      region: p.region,
      endpoint: p.endpoint,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    token = await signIn(cognito, p.pool, p.demoUser.email, p.demoUser.password);
    cognito.destroy();
  });
  after(async () => p?.stop());

  it("passes every request and test under newman against the local pipeline, error cases included", async () => {
    const summary = await runCollection(p.apiUrl, token);
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? "?"}: ${f.error.test ?? ""} ${f.error.message}`);
    expect(failures).to.deep.equal([]);
    const { requests, assertions } = summary.run.stats;
    const collection = read("shop-backend.postman_collection.json");
    expect(requests.total).to.equal(collection.item.length);
    // Each request checks at least its status; every 4xx its error code; JSON answers their schema.
    expect(assertions.total).to.be.greaterThan(2 * collection.item.length);
    const statuses = summary.run.executions.map((e) => (e.response as { code: number }).code);
    expect(statuses.filter((s) => s >= 400)).to.have.length.greaterThan(8);
    process.stdout.write(
      `      newman: ${requests.total} requests, ${assertions.total} assertions, ${assertions.failed} failed; statuses ${[...new Set(statuses)].sort().join(" ")}\n`,
    );
  });

  it("reports failures when the answers differ: run against a base URL where every route is unknown", async () => {
    const summary = await runCollection(`${p.apiUrl}/_local/nowhere`, token);
    expect(summary.run.failures.length).to.be.greaterThan(5);
  });
});
