import { expect } from "chai";
import type { APIGatewayProxyResult } from "aws-lambda";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, drainQueue, queueDepth, tableItems } from "../../helpers/deps";
import { apiEvent, orderBody, postOrder } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";

/**
 * What the order API's contract suite (test/contract/order-api.contract.test.ts) cannot reach
 * through a client's request: events API Gateway would never send, and faults injected into one
 * SDK client.
 */

const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body);

/** An SQS client whose SendMessage fails the first `n` times: a fault moto cannot produce. */
function failingSends(real: SQSClient, n: number): SQSClient {
  let left = n;
  return new Proxy(real, {
    get(target, prop, recv) {
      if (prop !== "send") return Reflect.get(target, prop, recv);
      return (cmd: { constructor: { name: string } }, ...rest: unknown[]) => {
        if (cmd.constructor.name === "SendMessageCommand" && left-- > 0) {
          return Promise.reject(Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailable" }));
        }
        return (target.send as (...a: unknown[]) => unknown)(cmd, ...rest);
      };
    },
  });
}

describe("order API handler", () => {
  const ctx = useLocalAws();

  it("completes the order on a retry after the queue send failed, without duplicating it", async () => {
    // Prepare: the first attempt records the order but cannot enqueue it.
    const headers = { "Idempotency-Key": "retry-me" };
    const first = await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx, { sqs: failingSends(ctx.clients.sqs, 1) }));
    expect(first.statusCode).to.equal(500);
    expect(await queueDepth(ctx)).to.equal(0);
    // Act
    const retry = await handleApiRequest(postOrder(orderBody(), { headers }), apiDeps(ctx));
    // Assess
    expect(retry.statusCode).to.equal(202);
    const orders = (await tableItems(ctx)).filter((i) => i.type === "order");
    expect(orders).to.have.length(1);
    expect(orders[0].enqueuedAt).to.be.a("string");
    const msgs = await drainQueue(ctx);
    expect(msgs).to.have.length(1);
    expect(JSON.parse(msgs[0].body).order.orderId).to.equal(bodyOf(retry).orderId);
  });

  it("leaves no order behind when the send fails and there is no key to retry with", async () => {
    const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx, { sqs: failingSends(ctx.clients.sqs, 1) }));
    expect(r.statusCode).to.equal(500);
    expect(bodyOf(r).error.code).to.equal("INTERNAL");
    expect(await tableItems(ctx)).to.deep.equal([]);
  });

  it("answers 401 to claims without an email (an authorizer misconfiguration), writing nothing", async () => {
    const r = await handleApiRequest(postOrder(orderBody(), { claims: { sub: "x", email: "" } }), apiDeps(ctx));
    expect(r.statusCode).to.equal(401);
    expect(bodyOf(r).error.code).to.equal("UNAUTHENTICATED");
    expect(await tableItems(ctx)).to.deep.equal([]);
  });

  it("answers 404 to an event for a method the route does not have, as API Gateway would", async () => {
    const r = await handleApiRequest(apiEvent({ method: "DELETE", resource: "/orders", path: "/orders" }), apiDeps(ctx));
    expect(r.statusCode).to.equal(404);
    expect(bodyOf(r).error.code).to.equal("NOT_FOUND");
  });
});
