import { expect } from "chai";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, queueDepth, tableItems } from "../../helpers/deps";
import { DUE_LATER, makePricedOrder } from "../../helpers/orders";
import { failingCommands } from "../../helpers/fail-commands";
import { orderBody, postOrder } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { OrderStore } from "../../../runtime/domain/store";

/** A transaction cancelled for a reason other than a condition, as DynamoDB does under throttling. */
const throttled = () =>
  new TransactionCanceledException({
    $metadata: {},
    message: "Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError, None]",
    CancellationReasons: [{ Code: "ThrottlingError" }, { Code: "None" }],
  });

describe("order API: store failures under an Idempotency-Key", () => {
  const ctx = useLocalAws();

  it("answers a cancelled-but-not-conflicting transaction with 500, and the retry with the same key succeeds once", async () => {
    // Prepare
    const headers = { "Idempotency-Key": "checkout-throttled" };
    const deps = apiDeps(ctx, { ddb: failingCommands(ctx.as["order-api"].ddb, "TransactWriteCommand", 1, throttled) });
    // Act
    const first = await handleApiRequest(postOrder(orderBody(), { headers }), deps);
    const retry = await handleApiRequest(postOrder(orderBody(), { headers }), deps);
    // Assess: the failure is ours (500), not a reused key (409); the retry gets through
    expect(first.statusCode).to.equal(500);
    expect(JSON.parse(first.body).error.code).to.equal("INTERNAL");
    expect(retry.statusCode).to.equal(202);
    const orders = (await tableItems(ctx)).filter((i) => i.type === "order");
    expect(orders).to.have.length(1);
    expect(await queueDepth(ctx)).to.equal(1);
  });

  it("still answers 409 when the key really was used for another body", async () => {
    const headers = { "Idempotency-Key": "checkout-reused" };
    expect((await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx))).statusCode).to.equal(202);
    const other = orderBody({ payment: { provider: "stripe", paymentMethod: "pm_card_mastercard" } });
    const r = await handleApiRequest(postOrder(other, { headers }), apiDeps(ctx));
    expect(r.statusCode).to.equal(409);
    expect(JSON.parse(r.body).error.code).to.equal("IDEMPOTENCY_KEY_REUSED");
  });
});

describe("order store: what counts as an idempotency conflict", () => {
  const ctx = useLocalAws();

  it("throws a transaction moto cancels for a non-condition reason instead of reporting a conflict", async () => {
    // Prepare: moto cancels a write of a lone surrogate with UnicodeEncodeError (validation now stops it earlier)
    const store = new OrderStore(ctx.as["order-api"].ddb, ctx.resources.table);
    const o = makePricedOrder();
    const unstorable = { ...o, shippingAddress: { ...o.shippingAddress, name: "A\ud800" } };
    // Act
    const outcome = await store.createOrderWithKey(unstorable, "key-hash", "request-hash", 4102444800, new Date(), DUE_LATER).then(
      (v) => ({ returned: v }),
      (e: Error) => ({ threw: e.name }),
    );
    // Assess
    expect(outcome).to.deep.equal({ threw: "TransactionCanceledException" });
  });

  it("reports a conflict when the key record exists", async () => {
    const store = new OrderStore(ctx.as["order-api"].ddb, ctx.resources.table);
    const now = new Date();
    expect(await store.createOrderWithKey(makePricedOrder(), "key-hash", "r1", 4102444800, now, DUE_LATER)).to.equal("created");
    expect(await store.createOrderWithKey(makePricedOrder(), "key-hash", "r2", 4102444800, now, DUE_LATER)).to.equal("conflict");
  });
});
