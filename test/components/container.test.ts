import { expect } from "chai";
import { waitUntil } from "../helpers/wait";
import { execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT, programRun } from "../helpers/pulumi-mocks";
import { useLocalAws } from "../helpers/aws";
import { localCredentials } from "../../local/identities";
import { apiDeps, tableItems } from "../helpers/deps";
import { orderBody, postOrder } from "../helpers/events";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { WORKER_HEALTHCHECK } from "../../components/worker-tier";
import { imageNodeVersion } from "../../invoice-container/build";
import { imageNode } from "../../local/worker-process";
import { nodeMajor } from "../../local/pinned-node";

/**
 * The worker image without Docker: the Dockerfile's shape is checked as text, its compile step is
 * run as the build stage runs it, and the compiled entry is started with exactly the task
 * definition's environment against moto_server.
 */

const DOCKERFILE = fs.readFileSync(path.join(ROOT, "invoice-container/Dockerfile"), "utf8");
/** The Dockerfile's bundle command: `npx ts-node ... invoice-container/build.ts dist`. */
const IMAGE_BUILD = ["npx", "ts-node", "--transpile-only", "invoice-container/build.ts", "dist"];
const instructions = (name: string) => DOCKERFILE.split("\n").filter((l) => l.startsWith(`${name} `));

describe("invoice-container/Dockerfile", () => {
  it("is multi-stage on a pinned Node 22 image, the version the worker bundle is compiled for", () => {
    const [, version] = /^ARG NODE_IMAGE=node:(22\.\d+\.\d+)-bookworm-slim$/m.exec(DOCKERFILE) ?? [];
    expect(version, "ARG NODE_IMAGE=node:22.x.y-bookworm-slim").to.be.a("string");
    expect(imageNodeVersion()).to.equal(version);
    expect(instructions("FROM")).to.deep.equal(["FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build", "FROM ${NODE_IMAGE}"]);
  });

  it("builds on the builder's own platform and ships an image of the target's", () => {
    // The build stage makes platform-free JavaScript (esbuild, no native modules: npm ci --ignore-scripts), so it runs
    // natively instead of under QEMU; only the final stage, unpinned, follows --platform (the task's architecture).
    const [build, final] = instructions("FROM");
    expect(build).to.match(/^FROM --platform=\$BUILDPLATFORM /);
    expect(final).to.not.contain("--platform");
    expect(DOCKERFILE).to.contain("npm ci --no-audit --no-fund --ignore-scripts");
  });

  it("type-checks with tsconfig.build.json, bundles with invoice-container/build.ts and ships the bundle alone", () => {
    expect(DOCKERFILE).to.contain("RUN npx tsc -p tsconfig.build.json --noEmit");
    expect(DOCKERFILE).to.contain(`RUN ${IMAGE_BUILD.join(" ")}`);
    expect(instructions("COPY").filter((l) => l.includes("--from="))).to.deep.equal(["COPY --from=build /src/dist ./dist"]);
  });

  it("runs as the unprivileged node user with the same health check as the task definition", () => {
    expect(instructions("USER")).to.deep.equal(["USER node"]);
    expect(DOCKERFILE).to.contain(`CMD ${JSON.stringify([...WORKER_HEALTHCHECK].slice(1)).replace(/,/g, ", ")}`);
    expect(instructions("CMD")).to.deep.equal(['CMD ["node", "dist/invoice-container/main.js"]']);
  });

  it("has a .dockerignore that lets in exactly what the build copies", () => {
    const ignore = fs
      .readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore).to.deep.equal([
      "**",
      "!package.json",
      "!package-lock.json",
      "!tsconfig.json",
      "!tsconfig.build.json",
      "!runtime/**",
      "!invoice-container/**",
    ]);
    const copied = instructions("COPY")
      .filter((l) => !l.includes("--from="))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copied.sort()).to.deep.equal([
      "invoice-container",
      "package-lock.json",
      "package.json",
      "runtime",
      "tsconfig.build.json",
      "tsconfig.json",
    ]);
  });
});

describe("the compiled worker under its task definition's environment", function () {
  this.timeout(90000);
  const ctx = useLocalAws();
  // Outside the project, so nothing resolves from its node_modules: the image has none.
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "image-")), "dist");
  let containerEnv: Record<string, string>;
  before(async () => {
    const run = await programRun("dev");
    const [container] = JSON.parse(run.one("aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions);
    containerEnv = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    // The build stage's bundle step, as the Dockerfile runs it.
    await promisify(execFile)("npx", [...IMAGE_BUILD.slice(1, -1), out], { cwd: ROOT });
  });
  after(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));

  const envFor = (heartbeat: string) => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      ...localCredentials("invoice-worker"), // the task role's, as the container credentials endpoint would give them
      AWS_ENDPOINT_URL: ctx.moto.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      WORKER_HEARTBEAT_FILE: heartbeat,
    };
    // Every variable the task definition sets, resource names pointed at moto's.
    for (const [k, v] of Object.entries(containerEnv)) env[k] = ctx.env[k] ?? v;
    // A stop lets the poll in progress end (nothing received is left hidden): a short poll keeps this test quick.
    env.WORKER_WAIT_SECONDS = "3";
    return env;
  };
  // imageNode(): the pinned binary, refused unless it is of the Dockerfile's major.
  const healthy = (env: Record<string, string>) =>
    spawnSync(imageNode(), [path.join(out, "invoice-container/healthcheck.js")], { env }).status;

  it("invoices a queued order on the image's Node major, reports healthy while polling, and exits 0 on SIGTERM", async () => {
    // Prepare: one order on the queue.
    const created = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const orderId = JSON.parse(created.body).orderId;
    const heartbeat = path.join(os.tmpdir(), `shop-heartbeat-${process.pid}`);
    fs.rmSync(heartbeat, { force: true });
    const env = envFor(heartbeat);
    expect(healthy(env)).to.equal(1);
    // Act: start the compiled entry as ECS would.
    const child = spawn(imageNode(), [path.join(out, "invoice-container/main.js")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    let status: unknown;
    await waitUntil(
      async () => {
        status = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)?.status;
        return status === "INVOICED" || child.exitCode !== null;
      },
      30000,
      200,
    );
    // Assess
    expect(status, stderr).to.equal("INVOICED");
    const started = stdout
      .split("\n")
      .filter((l) => l.includes('"worker started"'))
      .map((l) => JSON.parse(l));
    expect(started, stdout).to.have.length(1);
    expect(nodeMajor(started[0].node), `the worker ran on ${started[0].node}; the image is node:${imageNodeVersion(DOCKERFILE)}`).to.equal(
      nodeMajor(imageNodeVersion(DOCKERFILE)),
    );
    expect(healthy(env)).to.equal(0);
    child.kill("SIGTERM");
    expect(await exited).to.equal(0);
    expect(healthy({ ...env, WORKER_HEARTBEAT_MAX_AGE_SECONDS: "0" })).to.equal(1);
    fs.rmSync(heartbeat, { force: true });
    // One render thread per whole vCPU of the task (dev: 256 units, a quarter vCPU), whatever the host has.
    expect([containerEnv.WORKER_TASK_CPU_UNITS, started[0].renderThreads]).to.deep.equal(["256", 1]);
  });
});
