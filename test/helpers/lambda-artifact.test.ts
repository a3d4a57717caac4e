import { expect } from "chai";
import * as net from "node:net";
import { deployedLambdas, lambdaEnv, LambdaProcess, type DeployedFunction, type LambdaError } from "./lambda-artifact";
import { orderBody, postOrder } from "./events";
import { readStackConfigFile } from "../../local/stack-settings";
import { lambdaRuntimeMajor, nodeMajor } from "../../local/pinned-node";
import { parseStackConfig } from "../../components/config";

/**
 * The Lambda stand-in itself: the deployed archives run on their runtime's Node major with the
 * heap their configured memory buys, and an invocation past the function's timeout or heap ends
 * as Lambda ends it. Fast by design: tiny timeouts and heaps, no moto.
 */

const MiB = 1024 * 1024;
const dev = parseStackConfig(readStackConfigFile("dev"), "dev");

/** A TCP server that accepts connections and never answers: an AWS endpoint that hangs. */
async function silentEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A one-file function that keeps `event.keepMb` MiB of JavaScript objects alive, then answers with its heap use. */
const allocating = (memorySize: number): DeployedFunction => ({
  files: {
    "index.js": `exports.handler = async (event) => {
      const keep = [];
      for (let i = 0; i < event.keepMb; i++) keep.push(new Array(131072).fill(i + 0.5)); // 1 MiB of doubles each
      return { heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1048576), kept: keep.length };
    };`,
  },
  part: "order-api",
  handler: "index.handler",
  environment: {},
  runtime: "nodejs22.x",
  memorySize,
  timeout: 10,
});

describe("the Lambda stand-in (test/helpers/lambda-artifact.ts)", function () {
  this.timeout(60000);
  let p: LambdaProcess | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  for (const [name, config] of [
    ["api", dev.api],
    ["notifier", dev.notifier],
  ] as const) {
    it(`runs the deployed ${name} archive on its runtime's Node major, with the heap of its configured ${config.memoryMb} MB`, async () => {
      const fn = (await deployedLambdas("dev"))[name];
      expect([fn.memorySize, fn.timeout], "the stack's memory and timeout reach the stand-in").to.deep.equal([
        config.memoryMb,
        config.timeoutSeconds,
      ]);
      p = await LambdaProcess.start(fn, lambdaEnv(fn, {}, "http://127.0.0.1:9"));
      const inside = p.coldStarts[0];
      expect(fn.runtime).to.equal("nodejs22.x");
      expect(nodeMajor(inside.nodeVersion), `Node inside the stand-in: ${inside.nodeVersion}`).to.equal(lambdaRuntimeMajor(fn.runtime));
      // Lambda's bootstrap: a tenth of the memory for the young generation, the rest for the old; V8 adds a little on top.
      expect(inside.heapSizeLimit / MiB, "V8's heap_size_limit inside, MiB").to.be.within(config.memoryMb * 0.9, config.memoryMb * 1.15);
      expect(inside.execArgv).to.include(`--max-old-space-size=${config.memoryMb - Math.floor(config.memoryMb / 10)}`);
    });
  }

  it("ends an invocation that outlasts the function's timeout as Lambda does (Sandbox.Timedout), and starts the next one cold", async () => {
    // Prepare: the deployed order API with a 1 s timeout, its AWS endpoint accepting connections and never answering.
    const hang = await silentEndpoint();
    try {
      const fn = { ...(await deployedLambdas("dev")).api, timeout: 1 };
      p = await LambdaProcess.start(fn, lambdaEnv(fn, {}, hang.url));
      // Act
      const t0 = performance.now();
      const err = (await p.invoke(postOrder(orderBody())).then(
        () => undefined,
        (e: LambdaError) => e,
      )) as LambdaError | undefined;
      const elapsed = performance.now() - t0;
      // Assess: the function error Lambda reports, and its log line, after the timeout and not before.
      expect(err?.name, err?.stack).to.equal("Sandbox.Timedout");
      expect(err?.message).to.match(/^RequestId: inv-1 Error: Task timed out after 1\.\d\d seconds$/);
      expect(p.logs.some((l) => / inv-1 Task timed out after 1\.\d\d seconds$/.test(l))).to.equal(true);
      expect(elapsed).to.be.at.least(1000);
      // The environment was reset: the next invocation (a refusal that needs no AWS call) is answered by a new process.
      const refused = await p.invoke<{ statusCode: number }>(postOrder("{not json"));
      expect(refused.statusCode).to.equal(400);
      expect(p.coldStarts).to.have.length(2);
    } finally {
      await hang.close();
    }
  });

  it("lets a function keep what its memory's heap holds, and reports exceeding it as Lambda does (Runtime.ExitError)", async () => {
    // Within the heap of 512 MB, 200 MiB of live objects are fine.
    p = await LambdaProcess.start(allocating(512), {});
    expect(await p.invoke({ keepMb: 200 })).to.include({ kept: 200 });
    await p.stop();
    // Act: the same 200 MiB in a 128 MB function.
    p = await LambdaProcess.start(allocating(128), {});
    const err = (await p.invoke({ keepMb: 200 }).then(
      () => undefined,
      (e: LambdaError) => e,
    )) as LambdaError | undefined;
    // Assess: V8 gave up at the heap limit and the runtime died with it; the next invocation starts cold.
    expect(err?.name, err?.stack).to.equal("Runtime.ExitError");
    expect(err?.message).to.equal("RequestId: inv-1 Error: Runtime exited with error: signal: aborted");
    expect(p.logs.join("\n")).to.contain("JavaScript heap out of memory");
    expect(await p.invoke({ keepMb: 1 })).to.include({ kept: 1 });
    expect(p.coldStarts).to.have.length(2);
  });
});
