import { expect } from "chai";
import { judge, runCorpus, type CorpusCase, type CorpusResponse, type CorpusTarget, type LeftBehind } from "../helpers/corpus";

/** A target answering from a script, with a store the test controls: the runner's own checks must be able to fail. */
function scriptedTarget(answer: (i: number) => CorpusResponse, store: LeftBehind = { stored: [], queued: [], emailed: [] }): CorpusTarget {
  let i = 0;
  return { request: async () => answer(i++), leftBehind: async () => store };
}

const accepted = (orderId: string, status = "PAID"): CorpusResponse => ({
  status: 202,
  headers: {},
  body: JSON.stringify({ orderId, status }),
});
const refused = (status: number, code: string, paths: string[] = []): CorpusResponse => ({
  status,
  headers: {},
  body: JSON.stringify({ error: { code, message: "m", details: paths.map((path) => ({ path, message: "m" })) } }),
});
const aCase = (id: string, expect: CorpusCase["expect"]): CorpusCase => ({
  id,
  category: "c",
  file: "f.yaml",
  request: { method: "POST", path: "/orders", headers: {}, body: Buffer.from("{}") },
  expect,
});

describe("corpus runner", () => {
  const cases: [string, CorpusCase["expect"], CorpusResponse, string | undefined][] = [
    [
      "the documented answer",
      { status: 400, code: "VALIDATION_FAILED", path: "items" },
      refused(400, "VALIDATION_FAILED", ["items"]),
      undefined,
    ],
    ["another status", { status: 400, code: "VALIDATION_FAILED" }, refused(422, "ORDER_REJECTED"), "expected 400"],
    ["another code", { status: 400, code: "VALIDATION_FAILED" }, refused(400, "INVALID_JSON"), "expected code VALIDATION_FAILED"],
    [
      "a missing detail path",
      { status: 400, code: "VALIDATION_FAILED", path: "items.0" },
      refused(400, "VALIDATION_FAILED", ["items"]),
      'detail at "items.0"',
    ],
    ["a 500 even when a 500 is written down", { status: 500 }, refused(500, "INTERNAL"), "a server error"],
  ];
  for (const [what, expected, res, problem] of cases) {
    it(`judges ${what} ${problem ? "wrong" : "right"}`, () => {
      const verdict = judge({ id: "x", expect: expected }, res);
      if (problem) expect(verdict).to.contain(problem);
      else expect(verdict).to.equal(undefined);
    });
  }

  it("reports an order left behind by a refused case, in the table, on the queue or in an email", async () => {
    const store = { stored: ["ord_stray1"], queued: ["ord_stray2"], emailed: ["ord_stray3"] };
    const target = scriptedTarget((i) => (i === 0 ? refused(400, "VALIDATION_FAILED") : accepted("ord_good")), store);
    const report = await runCorpus([aCase("bad", { status: 400, code: "VALIDATION_FAILED" })], target);
    expect(report.failures).to.have.length(3);
    expect(report.failures.join("\n"))
      .to.contain("table after cases bad .. bad: ord_stray1")
      .and.contain("queue after cases bad .. bad: ord_stray2")
      .and.contain("email after cases bad .. bad: ord_stray3");
  });

  it("reports a service that stops taking good orders after the hostile ones", async () => {
    const report = await runCorpus(
      [aCase("bad", { status: 400 })],
      scriptedTarget((i) => (i === 0 ? refused(400, "X") : refused(503, "DOWN"))),
    );
    expect(report.failures).to.have.length(1);
    expect(report.failures[0]).to.contain("a good order").and.contain("503");
  });

  it("reports a paid order that is never emailed", async () => {
    const target = { ...scriptedTarget((i) => accepted(i === 0 ? "ord_case" : "ord_good")), waitEmailed: async () => undefined };
    const report = await runCorpus([aCase("ok", { status: 202 })], target);
    expect(report.failures).to.deep.equal(["paid but never emailed: ord_case, ord_good"]);
  });

  it("allows an unpaid or declined order in the table but reports it on the queue", async () => {
    const declined: CorpusResponse = {
      status: 402,
      headers: {},
      body: JSON.stringify({ error: { code: "PAYMENT_DECLINED", message: "m", orderId: "ord_declined" } }),
    };
    const store = { stored: ["ord_unpaid", "ord_declined"], queued: ["ord_unpaid"], emailed: [] };
    const answers = [accepted("ord_unpaid", "AWAITING_PAYMENT"), declined, accepted("ord_good")];
    const report = await runCorpus(
      [aCase("unpaid", { status: 202 }), aCase("declined", { status: 402, code: "PAYMENT_DECLINED" })],
      scriptedTarget((i) => answers[i], store),
    );
    expect(report.failures).to.have.length(1);
    expect(report.failures[0]).to.match(
      /^left behind in the queue after cases unpaid \.\. declined: ord_unpaid \(answered 202 to unpaid: \{/,
    );
    expect(report.paid).to.deep.equal(["ord_good"]);
  });

  it("counts a 202 that awaits payment but says the payment succeeded as paid (the webhook completes it)", async () => {
    const succeeded: CorpusResponse = {
      status: 202,
      headers: {},
      body: JSON.stringify({ orderId: "ord_late", status: "AWAITING_PAYMENT", payment: { provider: "stripe", status: "succeeded" } }),
    };
    const store = { stored: ["ord_late"], queued: ["ord_late"], emailed: ["ord_late"] };
    const answers = [succeeded, accepted("ord_good")];
    const report = await runCorpus(
      [aCase("late", { status: 202 })],
      scriptedTarget((i) => answers[i], store),
    );
    expect(report.failures, report.failures.join("\n")).to.deep.equal([]);
    expect(report.paid).to.deep.equal(["ord_late", "ord_good"]);
  });
});
