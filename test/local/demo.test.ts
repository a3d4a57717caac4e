import { expect } from "chai";
import { sampleOrder, summaryTable } from "../../local/demo";
import { createOrderBodySchema } from "../../runtime/domain/order";
import { jsonContainsCardNumber } from "../../runtime/domain/card";

describe("demo orders", () => {
  it("are valid orders that never look like they carry a card number", () => {
    for (let i = 0; i < 2000; i++) {
      const body = sampleOrder(i);
      expect(createOrderBodySchema().safeParse(body).success, `order ${i}`).to.equal(true);
      expect(jsonContainsCardNumber(body), `order ${i}: ${body.payment.token}`).to.equal(false);
    }
  });

  it("summarise as a table counting refused and unfinished orders as failed", () => {
    const t = summaryTable({
      requested: 3,
      accepted: 2,
      invoiced: 2,
      emailed: 1,
      failed: 1,
      latencyMs: { p50: 10, p95: 20, max: 30 },
      errors: ["x"],
    });
    expect(t)
      .to.match(/\| failed\s+\|\s+2 \|/)
      .and.match(/\| order-to-email p95 \|\s+20 ms \|/);
  });
});
