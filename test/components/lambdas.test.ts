import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { ROOT, programRun, type MockedResource, type ProgramRun } from "../helpers/pulumi-mocks";
import { REGION, useLocalAws, type LocalAws } from "../helpers/aws";
import { workerDeps, drainQueue, tableItems } from "../helpers/deps";
import { ALICE, apiEvent, getOrder, orderBody, postOrder, s3Event } from "../helpers/events";
import { motoSentEmails } from "../../local/moto";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { PROVIDED_BY_LAMBDA_RUNTIME } from "../../components/packaging";

/**
 * The code that would be deployed, executed: each CallbackFunction's archive is taken from the
 * mocked Function's `code` input, laid out as Lambda unpacks it, and run in a fresh node process
 * whose only extra modules are the AWS SDK packages the nodejs22.x runtime provides.
 */

interface Archive {
  /** The serialized closure. */
  readonly indexJs: string;
  /** Archive entry name -> local path, for every entry other than __index.js. */
  readonly folders: Record<string, string>;
}

async function archiveOf(fn: MockedResource): Promise<Archive> {
  const assets = (await fn.inputs.code.assets) as Record<string, { text?: Promise<string>; path?: Promise<string> }>;
  const folders: Record<string, string> = {};
  let indexJs = "";
  for (const [name, asset] of Object.entries(assets)) {
    if (name === "__index.js") indexJs = (await asset.text) ?? "";
    else folders[name] = path.resolve(ROOT, (await asset.path) ?? "");
  }
  return { indexJs, folders };
}

function filesUnder(dir: string): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      count++;
      bytes += fs.statSync(path.join(e.parentPath, e.name)).size;
    }
  }
  return { count, bytes };
}

/** A stand-in for /var/runtime/node_modules: links to the installed SDK packages and nothing else. */
function runtimeModules(dir: string): string {
  const target = path.join(dir, "runtime-node_modules");
  for (const scope of ["@aws-sdk", "@smithy", "@aws-crypto"]) {
    const from = path.join(ROOT, "node_modules", scope);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.join(target, scope), { recursive: true });
    for (const pkg of fs.readdirSync(from)) fs.symlinkSync(path.join(from, pkg), path.join(target, scope, pkg), "dir");
  }
  return target;
}

/** Lays the archive out as Lambda does under /var/task. */
function unpack(archive: Archive, dir: string): string {
  const task = path.join(dir, "task");
  fs.mkdirSync(task, { recursive: true });
  fs.writeFileSync(path.join(task, "__index.js"), archive.indexJs);
  for (const [name, from] of Object.entries(archive.folders)) fs.cpSync(from, path.join(task, name), { recursive: true });
  return task;
}

/** The Lambda's environment: the mocked function's variables, each resource name pointed at moto's. */
function functionEnv(fn: MockedResource, ctx: LocalAws, endpoint: string): Record<string, string> {
  const declared = fn.inputs.environment.variables as Record<string, string>;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_SESSION_TOKEN: "testing",
    AWS_ENDPOINT_URL: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  for (const [k, v] of Object.entries(declared)) env[k] = ctx.env[k] ?? v;
  return env;
}

/** Invokes the unpacked handler once per event, in order, in a fresh node process; returns the results. */
function invoke(task: string, nodePath: string, env: Record<string, string>, events: unknown[]): Promise<unknown[]> {
  const runner = `
    const { handler } = require(${JSON.stringify(path.join(task, "__index.js"))});
    const events = JSON.parse(process.env.TEST_EVENTS);
    (async () => {
      const results = [];
      for (const e of events) results.push(await handler(e, { awsRequestId: "test", getRemainingTimeInMillis: () => 10000 }));
      process.stdout.write("\\n@@RESULT@@" + JSON.stringify(results));
    })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", runner], {
      cwd: task,
      env: { ...env, NODE_PATH: nodePath, TEST_EVENTS: JSON.stringify(events) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("exit", (code) => {
      const marker = out.lastIndexOf("@@RESULT@@");
      if (code !== 0 || marker < 0) reject(new Error(`handler process exited ${code}:\n${err}\n${out}`));
      else resolve(JSON.parse(out.slice(marker + "@@RESULT@@".length)));
    });
  });
}

const requiresOf = (js: string) => [...new Set([...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

describe("serialized Lambda handlers", function () {
  this.timeout(60000);
  let run: ProgramRun;
  const archives: Record<"api" | "notifier", Archive> = {} as never;
  let work: string;
  let nodePath: string;
  before(async () => {
    run = await programRun("dev");
    archives.api = await archiveOf(run.one("aws:lambda/function:Function", "-api-handler"));
    archives.notifier = await archiveOf(run.one("aws:lambda/function:Function", "-notify-handler"));
    work = fs.mkdtempSync(path.join(os.tmpdir(), "shop-lambda-"));
    nodePath = runtimeModules(work);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  for (const part of ["api", "notifier"] as const) {
    it(`${part}: the archive holds the closure and zod, no SDK and no PDF packages`, () => {
      const a = archives[part];
      expect(Object.keys(a.folders)).to.deep.equal(["node_modules/zod"]);
      const size = Buffer.byteLength(a.indexJs) + filesUnder(a.folders["node_modules/zod"]).bytes;
      const files = 1 + filesUnder(a.folders["node_modules/zod"]).count;
      // Recorded for the closing note; the bounds catch a dependency sneaking in.
      if (process.env.SHOW_ARCHIVES) console.log(`      ${part}: __index.js ${Buffer.byteLength(a.indexJs)} B, archive ${size} B in ${files} files`);
      expect(Buffer.byteLength(a.indexJs)).to.be.within(10_000, 150_000);
      expect(size).to.be.lessThan(5 * 1024 * 1024);
      expect(files).to.be.lessThan(700);
    });

    it(`${part}: the closure requires only node built-ins, zod and the runtime's AWS SDK`, () => {
      const required = requiresOf(archives[part].indexJs).map(packageOf);
      expect(required.length).to.be.greaterThan(0);
      for (const pkg of required) {
        const builtin = builtinModules.includes(pkg.replace(/^node:/, ""));
        expect(builtin || pkg === "zod" || PROVIDED_BY_LAMBDA_RUNTIME.test(`${pkg}/`), pkg).to.equal(true);
      }
      expect(required).to.include("zod");
      expect(archives[part].indexJs).to.not.match(/require\("(jspdf|dejavu-fonts-ttf|@pulumi\/[^"]+)"\)/);
    });
  }

  it("the API closure is the one that presigns (it brings @aws-sdk/s3-request-presigner from the runtime)", () => {
    expect(requiresOf(archives.api.indexJs).map(packageOf)).to.include("@aws-sdk/s3-request-presigner");
    expect(requiresOf(archives.notifier.indexJs).map(packageOf)).to.not.include("@aws-sdk/s3-request-presigner");
  });

  describe("run against moto_server", () => {
    const ctx = useLocalAws();

    it("takes an order, mails its invoice link and serves the PDF behind it, all through the deployed code", async () => {
      const api = unpack(archives.api, path.join(work, "api"));
      const notifier = unpack(archives.notifier, path.join(work, "notifier"));
      const apiFn = run.one("aws:lambda/function:Function", "-api-handler");
      const notifyFn = run.one("aws:lambda/function:Function", "-notify-handler");

      // Act 1: the API Lambda takes an order (the authorizer's claims in the event, as API Gateway sends them).
      const [created] = (await invoke(api, nodePath, functionEnv(apiFn, ctx, ctx.moto.endpoint), [postOrder(orderBody())])) as { statusCode: number; body: string }[];
      expect(created.statusCode).to.equal(202);
      const orderId: string = JSON.parse(created.body).orderId;

      // The worker (not a Lambda) turns the queued message into an invoice.
      const messages = await drainQueue(ctx);
      expect(messages).to.have.length(1);
      await processOrderMessage(messages[0].body, workerDeps(ctx));

      // Act 2: the notifier Lambda gets the S3 event of the new PDF.
      const [counts] = (await invoke(notifier, nodePath, functionEnv(notifyFn, ctx, ctx.moto.endpoint), [
        s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`]),
      ])) as Record<string, number>[];
      expect(counts.sent).to.equal(1);
      const mails = await motoSentEmails(ctx.moto.endpoint);
      expect(mails.map((m) => m.destinations.ToAddresses)).to.deep.equal([[ALICE.email]]);
      const link = new URL(mails[0].body.match(/https?:\/\/\S+\/invoices\/[^\s"<]+/)![0].replace(/&amp;/g, "&"));

      // Act 3: the owner reads the order; anyone with the emailed link (no sign-in) gets the PDF.
      const [order, redirect] = (await invoke(api, nodePath, functionEnv(apiFn, ctx, ctx.moto.endpoint), [
        getOrder(orderId),
        apiEvent({
          method: "GET",
          resource: "/invoices/{orderId}",
          path: `/invoices/${orderId}`,
          pathParameters: { orderId },
          query: Object.fromEntries(link.searchParams),
          claims: null,
        }),
      ])) as { statusCode: number; body: string; headers: Record<string, string> }[];
      expect(order.statusCode).to.equal(200);
      expect(JSON.parse(order.body).status).to.equal("NOTIFIED");
      expect(redirect.statusCode).to.equal(302);
      const pdf = await fetch(redirect.headers.location);
      expect(pdf.status).to.equal(200);
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).to.equal("%PDF-");
      const item = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;
      expect(item.status).to.equal("NOTIFIED");
    });
  });
});
