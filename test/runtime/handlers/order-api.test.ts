import { expect } from "chai";
import type { APIGatewayProxyResult } from "aws-lambda";
import { useLocalAws } from "../../helpers/aws";
import { apiDeps, tableItems } from "../../helpers/deps";
import { apiEvent, orderBody, postOrder } from "../../helpers/events";
import { handleApiRequest } from "../../../runtime/handlers/order-api";

/**
 * What the order API's contract suite (test/contract/order-api.contract.test.ts) cannot reach
 * through a client's request: events API Gateway would never send.
 */

const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body);

describe("order API handler", () => {
  const ctx = useLocalAws();

  it("answers 401 to claims without an email (an authorizer misconfiguration), writing nothing", async () => {
    const r = await handleApiRequest(postOrder(orderBody(), { claims: { sub: "x", email: "" } }), apiDeps(ctx));
    expect(r.statusCode).to.equal(401);
    expect(bodyOf(r).error.code).to.equal("UNAUTHENTICATED");
    expect((await tableItems(ctx)).filter((i) => i.type === "order" || i.type === "idempotency")).to.deep.equal([]);
  });

  it("answers 404 to an event for a method the route does not have, as API Gateway would", async () => {
    const r = await handleApiRequest(apiEvent({ method: "DELETE", resource: "/orders", path: "/orders" }), apiDeps(ctx));
    expect(r.statusCode).to.equal(404);
    expect(bodyOf(r).error.code).to.equal("NOT_FOUND");
  });
});
