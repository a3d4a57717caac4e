import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deflateRawSync } from "node:zlib";
import * as esbuild from "esbuild";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LAMBDA_FILE, LAMBDA_HANDLER, LAMBDA_NODE_TARGET, buildLambda, type LambdaEntry } from "../components/lambda-bundle";
import { LambdaProcess, type DeployedFunction } from "../test/helpers/lambda-artifact";
import { orderBody, postOrder } from "../test/helpers/events";
import { createClients, destroyClients } from "../runtime/clients";
import { startMoto } from "../local/moto";
import { provisionLocalResources, runtimeEnv } from "../local/provision";
import { readStackConfigFile } from "../local/stack-settings";
import { parseStackConfig } from "../components/config";
import { median, round, type BenchRow, type BenchSection } from "./types";

/**
 * Lambda archives and cold starts: what the stack deploys (the serialized factory bundled with
 * the SDK, one file) beside the same handler bundled CDK-style (esbuild, minified, `@aws-sdk/*`
 * external, the SDK then loaded from the runtime's node_modules; here the project's copy stands
 * in for /var/runtime/node_modules).
 */

const ROOT = path.resolve(__dirname, "..");
const ENTRY_MODULE: Record<LambdaEntry, { file: string; factory: string }> = {
  "order-api": { file: "./runtime/lambda/order-api", factory: "createOrderApiHandler" },
  "email-notifier": { file: "./runtime/lambda/email-notifier", factory: "createEmailNotifierHandler" },
  "email-events": { file: "./runtime/lambda/email-events", factory: "createEmailEventsHandler" },
};

/** The CDK NodejsFunction way: the entry module bundled with the SDK left to the runtime. */
async function cdkStyle(entry: LambdaEntry): Promise<string> {
  const m = ENTRY_MODULE[entry];
  const r = await esbuild.build({
    stdin: { contents: `exports.handler = require(${JSON.stringify(m.file)}).${m.factory}();`, resolveDir: ROOT, loader: "js" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: LAMBDA_NODE_TARGET,
    minify: true,
    external: ["@aws-sdk/*"],
    write: false,
    absWorkingDir: ROOT,
    logLevel: "silent",
  });
  return r.outputFiles[0].text;
}

/** A stand-in for the Lambda runtime's /var/runtime/node_modules: links to the installed SDK. */
function runtimeSdk(dir: string): string {
  const target = path.join(dir, "node_modules");
  for (const scope of ["@aws-sdk", "@smithy", "@aws-crypto"]) {
    const from = path.join(ROOT, "node_modules", scope);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.join(target, scope), { recursive: true });
    for (const pkg of fs.readdirSync(from)) fs.symlinkSync(path.join(from, pkg), path.join(target, scope, pkg), "dir");
  }
  for (const pkg of ["tslib", "fast-xml-parser", "strnum", "uuid", "bowser"]) {
    const from = path.join(ROOT, "node_modules", pkg);
    if (fs.existsSync(from)) fs.symlinkSync(from, path.join(target, pkg), "dir");
  }
  return target;
}

/** Invocations after the first whose median is the warm figure. */
const WARM_CALLS = 5;

const zipped = (code: string) => deflateRawSync(Buffer.from(code)).length;
const kib = (n: number) => round(n / 1024, 1);

/** Lambda archive size and cold start (spawn, load, first POST /orders answered 202 against moto). */
export const benchLambda: BenchSection = async ({ quick }) => {
  const runs = quick ? 3 : 7;
  const rows: BenchRow[] = [];
  const section = "lambda";
  const ours = { api: (await buildLambda("order-api")).code, notifier: (await buildLambda("email-notifier")).code };
  const cdk = { api: await cdkStyle("order-api"), notifier: await cdkStyle("email-notifier") };
  for (const [name, key] of [
    ["order API", "api"],
    ["email notifier", "notifier"],
  ] as const) {
    rows.push({
      section,
      figure: `${name} archive: files`,
      value: 1,
      unit: "",
      baseline: { label: "CDK-style bundle (+ runtime SDK)", value: 1 },
    });
    rows.push({
      section,
      figure: `${name} archive: bytes`,
      value: kib(Buffer.byteLength(ours[key])),
      unit: "KiB",
      baseline: { label: "CDK-style bundle", value: kib(Buffer.byteLength(cdk[key])) },
    });
    rows.push({
      section,
      figure: `${name} archive: zipped`,
      value: kib(zipped(ours[key])),
      unit: "KiB",
      baseline: { label: "CDK-style bundle", value: kib(zipped(cdk[key])) },
    });
  }

  const moto = await startMoto();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "shop-bench-lambda-"));
  const clients = createClients({ region: "us-east-1", endpoint: moto.endpoint });
  const ddbRaw = new DynamoDBClient({ region: "us-east-1", endpoint: moto.endpoint });
  try {
    const resources = await provisionLocalResources(clients, ddbRaw, {
      prefix: "bench",
      region: "us-east-1",
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 30,
      sender: "invoices@shop.example",
      bucketEventsQueue: false,
    });
    const env = {
      ...runtimeEnv(resources, {
        region: "us-east-1",
        endpoint: moto.endpoint,
        linkBaseUrl: "https://api.shop.example/bench",
        seller: { name: "Bench GmbH", address: "Street 1|Berlin", country: "DE", vatId: "DE123456788" },
        tax: { ossRegistered: false, supplyKind: "goods", vatCheckPolicy: "charge-vat" },
      }),
      PATH: process.env.PATH ?? "",
      AWS_ACCESS_KEY_ID: "bench",
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      LOG_LEVEL: "warn",
    };
    const sdk = runtimeSdk(work);
    const event = postOrder(orderBody());
    // The dev stack's order API: its memory sets the heap limits, its timeout ends a stuck invocation.
    const { memoryMb, timeoutSeconds } = parseStackConfig(readStackConfigFile("dev"), "dev").api;
    const coldStart = async (code: string, extraEnv: Record<string, string>) => {
      const fn: DeployedFunction = {
        part: "order-api",
        files: { [LAMBDA_FILE]: code },
        handler: LAMBDA_HANDLER,
        environment: {},
        runtime: "nodejs22.x",
        memorySize: memoryMb,
        timeout: timeoutSeconds,
      };
      const t0 = performance.now();
      const p = await LambdaProcess.start(fn, { ...env, ...extraEnv });
      const tReady = performance.now();
      const r = await p.invoke<{ statusCode: number }>({ ...event, requestContext: { ...event.requestContext, requestId: `bench-${t0}` } });
      const tFirst = performance.now();
      // Warm: the median of the next WARM_CALLS invocations (the second alone still pays for lazy loading).
      const warm: number[] = [];
      for (let i = 0; i < WARM_CALLS; i++) {
        const t2 = performance.now();
        await p.invoke({ ...event, requestContext: { ...event.requestContext, requestId: `bench-warm-${t0}-${i}` } });
        warm.push(performance.now() - t2);
      }
      const tWarm = median(warm);
      await p.stop();
      if (r.statusCode !== 202) throw new Error(`cold start invocation answered ${r.statusCode}`);
      return { init: tReady - t0, first: tFirst - t0, warm: tWarm };
    };
    // The two alternate run by run, so that drift in the machine's state (page cache, load) hits both alike.
    const xs: Awaited<ReturnType<typeof coldStart>>[] = [];
    const ys: Awaited<ReturnType<typeof coldStart>>[] = [];
    for (let i = 0; i < runs; i++) {
      xs.push(await coldStart(ours.api, {}));
      ys.push(await coldStart(cdk.api, { NODE_PATH: sdk }));
    }
    const med = (rs: typeof xs) => ({
      init: median(rs.map((x) => x.init)),
      first: median(rs.map((x) => x.first)),
      warm: median(rs.map((x) => x.warm)),
    });
    const a = med(xs);
    const b = med(ys);
    const label = "CDK-style bundle, SDK from runtime";
    rows.push({
      section,
      figure: `order API cold start: process start to handler loaded (median of ${runs})`,
      value: round(a.init, 0),
      unit: "ms",
      baseline: { label, value: round(b.init, 0) },
    });
    rows.push({
      section,
      figure: `order API cold start: to first 202 (median of ${runs})`,
      value: round(a.first, 0),
      unit: "ms",
      baseline: { label, value: round(b.first, 0) },
    });
    rows.push({
      section,
      figure: `order API warm POST /orders (median of ${runs} processes' medians of ${WARM_CALLS} calls)`,
      value: round(a.warm, 0),
      unit: "ms",
      baseline: { label, value: round(b.warm, 0) },
    });
  } finally {
    destroyClients(clients);
    ddbRaw.destroy();
    await moto.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return rows;
};
