import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builtinModules } from "node:module";
import * as errors from "../../runtime/errors";
import { programRun } from "../helpers/pulumi-mocks";
import { deployedFunction, LambdaProcess } from "../helpers/lambda-artifact";
import {
  LAMBDA_ENTRIES,
  LAMBDA_FILE,
  LAMBDA_HANDLER,
  buildLambda,
  capturedByValue,
  bundleClosure,
  serializeFactory,
  type LambdaBundle,
  type LambdaEntry,
} from "../../components/lambda-bundle";

/**
 * The build step of each Lambda (components/lambda-bundle.ts) and what it hands the stack. What
 * the deployed code does is proven by the contract suites (test/contract/), which run this very
 * archive in a process of its own.
 */

const isBuiltin = (spec: string) => builtinModules.includes(spec.replace(/^node:/, ""));
const inputsUnder = (b: LambdaBundle, pkg: string) => b.inputs.filter((i) => i.includes(`node_modules/${pkg}/`));

describe("Lambda bundles", function () {
  this.timeout(120000);
  const bundles = {} as Record<LambdaEntry, LambdaBundle>;
  before(async () => {
    for (const e of Object.keys(LAMBDA_ENTRIES) as LambdaEntry[]) bundles[e] = await buildLambda(e);
  });

  for (const entry of Object.keys(LAMBDA_ENTRIES) as LambdaEntry[]) {
    it(`${entry}: the serialized factory captures no runtime code, only the require of its entry module`, async () => {
      const text = await serializeFactory(LAMBDA_ENTRIES[entry]);
      expect(capturedByValue(text)).to.deep.equal([]);
      expect(text).to.match(new RegExp(`require\\("\\.\\./runtime/lambda/${entry}"\\)`));
      expect(text).not.to.match(/__super|class |prototype/);
    });

    it(`${entry}: the bundle leaves only Node built-ins to require at run time`, () => {
      const b = bundles[entry];
      expect(b.externals.filter((x) => !isBuiltin(x))).to.deep.equal([]);
      // The SDK comes from our lockfile, compiled in; the runtime's copy is never asked for.
      expect(inputsUnder(b, "@aws-sdk/client-dynamodb")).to.not.be.empty;
      expect(inputsUnder(b, "zod")).to.not.be.empty;
    });

    it(`${entry}: the bundle holds none of the worker's or the deployment's packages`, () => {
      for (const pkg of ["jspdf", "dejavu-fonts-ttf", "@pulumi", "esbuild"]) expect(inputsUnder(bundles[entry], pkg), pkg).to.be.empty;
    });
  }

  it("each bundle holds only the SDK clients its handler uses, the EventBridge client included", () => {
    expect(inputsUnder(bundles["order-api"], "@aws-sdk/s3-request-presigner")).to.not.be.empty;
    expect(inputsUnder(bundles["order-api"], "@aws-sdk/client-sqs")).to.not.be.empty;
    expect(inputsUnder(bundles["order-api"], "@aws-sdk/client-ses")).to.be.empty;
    expect(inputsUnder(bundles["email-notifier"], "@aws-sdk/client-ses")).to.not.be.empty;
    expect(inputsUnder(bundles["email-notifier"], "@aws-sdk/client-sesv2")).to.be.empty;
    expect(inputsUnder(bundles["email-notifier"], "@aws-sdk/client-sqs")).to.be.empty;
    expect(inputsUnder(bundles["email-notifier"], "@aws-sdk/s3-request-presigner")).to.be.empty;
    // The email events Lambda only reads and writes the table (and publishes email.failed).
    for (const pkg of ["@aws-sdk/client-ses", "@aws-sdk/client-sqs", "@aws-sdk/client-s3", "@aws-sdk/client-kms"])
      expect(inputsUnder(bundles["email-events"], pkg), pkg).to.be.empty;
    // Each publishes business events (order.paid, email.sent, email.failed) on the stack's bus.
    for (const entry of ["order-api", "email-notifier", "email-events"] as const)
      expect(inputsUnder(bundles[entry], "@aws-sdk/client-eventbridge"), entry).to.not.be.empty;
  });

  it("is byte-for-byte reproducible, so an unchanged function is not redeployed", async () => {
    expect((await buildLambda("order-api")).code).to.equal(bundles["order-api"].code);
  });

  describe("why no runtime code may pass through the serializer", () => {
    const capturing = () => (event: unknown) => errors.toErrorResponse(new errors.InvalidJson(String(event))).status;

    it("Pulumi's serializer rebuilds an ApiError subclass without its class fields: its 400 becomes a 500", async () => {
      // The defect behind the deployed API's 500s: run what the serializer makes of a closure that captures runtime/errors.
      const text = await serializeFactory(capturing);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-serialized-"));
      try {
        fs.writeFileSync(path.join(dir, "index.js"), text);
        const handler = require(path.join(dir, "index.js")).handler as (e: unknown) => number;
        expect(capturing()("x")).to.equal(400);
        expect(handler("x")).to.equal(500);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("the build refuses a factory that captured runtime code by value, naming the fix", async () => {
      const text = await serializeFactory(capturing);
      expect(capturedByValue(text)).to.include("errors");
      let err: Error | undefined;
      await bundleClosure(text, __dirname).catch((e) => (err = e));
      expect(err?.message).to.match(/captured .*errors.* by value.*LAMBDA_ENTRIES/);
    });
  });
});

describe("deployed Lambda functions", function () {
  this.timeout(120000);

  for (const [suffix, entry] of [
    ["-api-handler", "order-api"],
    ["-notify-handler", "email-notifier"],
    ["-mail-handler", "email-events"],
  ] as const) {
    it(`${entry}: the stack deploys one file, ${LAMBDA_FILE}, loaded as ${LAMBDA_HANDLER} on nodejs22.x arm64`, async () => {
      const run = await programRun("dev");
      const fn = run.one("aws:lambda/function:Function", suffix);
      const deployed = await deployedFunction(fn, entry);
      expect(Object.keys(deployed.files)).to.deep.equal([LAMBDA_FILE]);
      expect(deployed.files[LAMBDA_FILE]).to.equal((await buildLambda(entry)).code);
      expect(fn.inputs).to.include({ handler: LAMBDA_HANDLER, runtime: "nodejs22.x" });
      expect(fn.inputs.architectures).to.deep.equal(["arm64"]);
    });

    it(`${entry}: loads in an empty folder with nothing but Node, and refuses to start without its settings`, async () => {
      const deployed = await deployedFunction((await programRun("dev")).one("aws:lambda/function:Function", suffix), entry);
      const p = await LambdaProcess.start(deployed, { PATH: process.env.PATH ?? "" });
      try {
        let err: Error | undefined;
        await p.invoke({}).catch((e) => (err = e));
        // The init error is the settings check naming what is missing, not a module that could not be found.
        expect(err?.message)
          .to.match(/invalid settings/)
          .and.match(/ORDERS_TABLE/);
        expect(err?.message).not.to.match(/Cannot find module/);
        expect(p.external).to.deep.equal([]);
      } finally {
        await p.stop();
      }
    });
  }
});
