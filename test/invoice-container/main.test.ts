import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { useLocalAws } from "../helpers/aws";
import { apiDeps, queueDepth, tableItems } from "../helpers/deps";
import { orderBody, postOrder } from "../helpers/events";
import { handleApiRequest } from "../../runtime/handlers/order-api";

const ROOT = path.resolve(__dirname, "../..");

/** Starts the container's entry as its own process, as ECS would, collecting its log lines. */
function startWorkerProcess(env: Record<string, string>): { child: ChildProcess; lines: string[]; exited: Promise<{ code: number | null; at: number }> } {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "invoice-container/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env, WORKER_HEARTBEAT_FILE: path.join(require("node:os").tmpdir(), `hb-${process.pid}`) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buf = "";
  child.stdout!.on("data", (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts.filter(Boolean));
  });
  child.stderr!.on("data", () => undefined);
  const exited = new Promise<{ code: number | null; at: number }>((r) => child.on("exit", (code) => r({ code, at: Date.now() })));
  return { child, lines, exited };
}

const waitFor = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
};

describe("invoice-container entry", function () {
  this.timeout(60000);
  const ctx = useLocalAws();

  it("on SIGTERM stops polling, finishes what is in flight and exits 0 within 30 s", async () => {
    // Prepare: a backlog bigger than one batch, and a worker busy with it.
    for (let i = 0; i < 12; i++) await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
    const w = startWorkerProcess({ ...ctx.env, WORKER_CONCURRENCY: "4", WORKER_WAIT_SECONDS: "20" });
    expect(await waitFor(() => w.lines.some((l) => l.includes('"invoice stored"')), 20000)).to.equal(true);
    // Act
    const t0 = Date.now();
    w.child.kill("SIGTERM");
    const { code, at } = await w.exited;
    // Assess: clean exit, in time, and no order left half-done.
    expect(code).to.equal(0);
    expect(at - t0).to.be.lessThan(30000);
    expect(w.lines.some((l) => l.includes('"worker stopped"'))).to.equal(true);
    const orders = (await tableItems(ctx)).filter((i) => i.type === "order");
    const invoiced = orders.filter((o) => o.status === "INVOICED").length;
    expect(orders.filter((o) => o.invoiceNumber && o.status !== "INVOICED")).to.deep.equal([]);
    expect(invoiced).to.be.greaterThan(0);
    // Whatever was not finished is still on the queue for the next task.
    expect(await queueDepth(ctx)).to.equal(12 - invoiced);
  });

  it("exits at once on SIGTERM while idle in a 20 s long poll", async () => {
    const w = startWorkerProcess({ ...ctx.env, WORKER_WAIT_SECONDS: "20" });
    expect(await waitFor(() => w.lines.some((l) => l.includes('"worker started"')), 20000)).to.equal(true);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    w.child.kill("SIGTERM");
    const { code, at } = await w.exited;
    expect(code).to.equal(0);
    expect(at - t0).to.be.lessThan(5000);
  });

  it("refuses to start with a clear message when settings are missing", async () => {
    const w = startWorkerProcess({ ORDERS_TABLE: "", ORDERS_QUEUE_URL: "" });
    let stderr = "";
    w.child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const { code } = await w.exited;
    expect(code).to.equal(78);
    expect(stderr).to.contain("invoice worker: invalid settings").and.contain("ORDERS_TABLE");
  });
});
