import { expect } from "chai";
import { createLogger } from "../../runtime/log";
import type { LogLevel } from "../../runtime/contracts/env";
import { lambdaContext } from "../helpers/events";

/** A logger writing into an array, and the lines it wrote, parsed. */
function capture(level: LogLevel, base = {}) {
  const lines: string[] = [];
  const log = createLogger("order-api", level, base, (l) => lines.push(l));
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe("the logger (runtime/log.ts: Powertools' Logger with our line format)", () => {
  const CASES: { level: LogLevel; printed: string[] }[] = [
    { level: "debug", printed: ["debug", "info", "warn", "error"] },
    { level: "info", printed: ["info", "warn", "error"] },
    { level: "warn", printed: ["warn", "error"] },
    { level: "error", printed: ["error"] },
  ];
  for (const c of CASES) {
    it(`at level ${c.level} prints ${c.printed.join(", ")}, each through the sink, none to stdout or stderr`, () => {
      const { log, parsed } = capture(c.level);
      const out: string[] = [];
      const [stdout, stderr] = [process.stdout.write, process.stderr.write];
      process.stdout.write = process.stderr.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
      try {
        log.debug("d");
        log.info("i");
        log.warn("w");
        log.error("e");
      } finally {
        process.stdout.write = stdout;
        process.stderr.write = stderr;
      }
      expect(parsed().map((l) => l.level)).to.deep.equal(c.printed);
      expect(out).to.deep.equal([]);
    });
  }

  it("writes time, level, part and msg first, then the base fields, then the call's fields", () => {
    const { log, lines } = capture("info", { shop: "acme" });
    log.info("order accepted", { orderId: "ord_1", total: 5818 });
    const rec = JSON.parse(lines[0]);
    expect(Object.keys(rec)).to.deep.equal(["time", "level", "part", "msg", "shop", "orderId", "total"]);
    expect(rec).to.include({ level: "info", part: "order-api", msg: "order accepted", shop: "acme", orderId: "ord_1", total: 5818 });
    expect(new Date(rec.time).toISOString()).to.equal(rec.time);
  });

  it("gives a child its fields on every line, without changing the parent's", () => {
    const { log, parsed } = capture("info");
    const child = log.child({ requestId: "r-1" }).child({ orderId: "ord_1" });
    child.info("in child", { step: 2 });
    log.info("in parent");
    const [a, b] = parsed();
    expect(a).to.include({ requestId: "r-1", orderId: "ord_1", step: 2 });
    expect(b).to.not.have.property("requestId");
    expect(b).to.not.have.property("orderId");
  });

  it("adds Lambda's request id and cold start once the entry hands it the context, and the X-Ray trace id from the environment", () => {
    const { log, parsed } = capture("info");
    const before = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = "Root=1-6745f1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1";
    try {
      log.powertools.addContext(lambdaContext("aws-req-1"));
      log.info("traced");
    } finally {
      if (before === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = before;
    }
    expect(parsed()[0]).to.include({ functionRequestId: "aws-req-1", traceId: "1-6745f1a0-0123456789abcdef01234567" });
    expect(parsed()[0]).to.have.property("coldStart");
  });
});
