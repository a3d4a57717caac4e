import { expect } from "chai";
import { useLocalAws } from "../helpers/aws";
import { drainQueue, tableItems, workerDeps } from "../helpers/deps";
import { orderBody } from "../helpers/events";
import { providerFor } from "../helpers/stripe";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { apiTarget, contractTargets, type ApiRequest, type ApiResponse, type ApiTarget } from "./targets";

/**
 * Issue 18's admin order writes on every target (handler from source, the deployed archive, the gateway
 * with real Cognito tokens): a customer's token gets 403 and changes nothing, and the archive answers each
 * new error class (OrderInvoiced, NotInvoiced, Forbidden) with its own status and code.
 */

const cancel = (orderId: string, as: ApiRequest["as"] = "admin", key = `cancel-${orderId}`): ApiRequest => ({
  method: "POST",
  path: `/admin/orders/${orderId}/cancel`,
  headers: { "Idempotency-Key": key },
  as,
});
const resend = (orderId: string, as: ApiRequest["as"] = "admin"): ApiRequest => ({
  method: "POST",
  path: `/admin/orders/${orderId}/resend`,
  body: { email: "alice.corrected@example.com" },
  as,
});

/** Every error answer has the one documented shape. */
function expectError(r: ApiResponse, status: number, code: string) {
  expect(r.status, r.text).to.equal(status);
  expect(r.json().error.code, r.text).to.equal(code);
  expect(r.json().error.message).to.be.a("string").and.have.length.greaterThan(10);
}

for (const target of contractTargets(["source", "artifact", "gateway"])) {
  describe(`admin order writes contract [${target}]`, function () {
    this.timeout(60000);
    const ctx = useLocalAws();
    let t: ApiTarget;
    beforeEach(() => (t = apiTarget(target, ctx)));
    afterEach(() => t.stop());

    /** A PAID order of Alice's, placed through the target; its id and payment. */
    const paidOrder = async () => {
      const r = await t.request({ method: "POST", path: "/orders", body: orderBody() });
      expect(r.status, r.text).to.equal(202);
      const orderId = r.json().orderId as string;
      const item = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;
      return { orderId, paymentId: String(item.paymentId) };
    };

    for (const c of [
      { name: "cancel", req: cancel },
      { name: "resend", req: resend },
    ]) {
      it(`answers a customer's token on ${c.name} 403 FORBIDDEN and changes nothing`, async () => {
        const { orderId, paymentId } = await paidOrder();

        const r = await t.request(c.req(orderId, "alice"));

        expectError(r, 403, "FORBIDDEN");
        expect(r.text).to.not.include(orderId);
        const item = (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;
        expect(item.status).to.equal("PAID");
        expect(await providerFor(ctx.stripe).listRefunds(paymentId)).to.deep.equal([]);
        expect((await tableItems(ctx)).filter((i) => i.type === "audit")).to.deep.equal([]);
      });
    }

    it("cancels a PAID order once: 200 CANCELLED with the refund, the same answer to a retry, one refund at the provider", async () => {
      const { orderId, paymentId } = await paidOrder();

      const first = await t.request(cancel(orderId));
      const again = await t.request(cancel(orderId));

      expect(first.status, first.text).to.equal(200);
      expect(first.json()).to.deep.include({ orderId, status: "CANCELLED" });
      expect(again.json()).to.deep.equal(first.json());
      expect(await providerFor(ctx.stripe).listRefunds(paymentId)).to.have.length(1);
    });

    it("answers 409 ORDER_INVOICED to the cancel of an invoiced order, and 409 NOT_INVOICED to the re-send of one without an invoice", async () => {
      const invoiced = await paidOrder();
      await processOrderMessage((await drainQueue(ctx))[0]!.body, workerDeps(ctx));
      const unpaid = await t.request({ method: "POST", path: "/orders", body: orderBody({ payment: { provider: "stripe" } }) });

      expectError(await t.request(cancel(invoiced.orderId)), 409, "ORDER_INVOICED");
      expectError(await t.request(resend(unpaid.json().orderId)), 409, "NOT_INVOICED");
      expect(await providerFor(ctx.stripe).listRefunds(invoiced.paymentId)).to.deep.equal([]);
    });
  });
}
