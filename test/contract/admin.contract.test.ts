import { expect } from "chai";
import { useLocalAws } from "../helpers/aws";
import { drainQueue, tableItems } from "../helpers/deps";
import { orderBody } from "../helpers/events";
import { productInput } from "../helpers/catalog";
import { API_ROUTE_CONTRACT } from "../../runtime/contracts/routes";
import { apiTarget, contractTargets, type ApiRequest, type ApiResponse, type ApiTarget, type Persona } from "./targets";

/**
 * The back office's routes on every target (handler from source, the deployed archive, the gateway
 * with real Cognito tokens): every route of the contract marked `role: "admin"` is closed to customers,
 * who get 403 and learn nothing (not whether an order exists, nor anything of it) and change nothing.
 * The list of routes is the contract itself, so a new admin route is covered the day it is added.
 */

const ADMIN_ROUTES = API_ROUTE_CONTRACT.filter((r) => "role" in r && r.role === "admin");

/** A request to `route` as `as`, its path parameters filled, with a body and key a write would need. */
function requestTo(route: (typeof ADMIN_ROUTES)[number], orderId: string, as: Persona | null): ApiRequest {
  const path = route.resource.replace("{orderId}", orderId).replace("{sku}", "MUG-01");
  const query = route.resource === "/admin/exports" ? "?from=2026-01-01&to=2026-12-31&format=csv" : "";
  const body =
    route.method === "PUT"
      ? productInput("MUG-01", { prices: { EUR: 1 } })
      : route.resource.endsWith("/credit-notes")
        ? { kind: "full", reason: "customer returned everything" }
        : route.method === "POST"
          ? {}
          : undefined;
  return {
    method: route.method,
    path: `${path}${query}`,
    as,
    ...(body === undefined ? {} : { body }),
    headers: { "Idempotency-Key": `contract-${route.method}-${route.resource}` },
  };
}

/** What a customer's denied request must not reveal: the order's id beyond the path, its customer, its amounts. */
function expectNothingLearned(r: ApiResponse, secrets: string[]) {
  for (const s of secrets) expect(r.text, `answer reveals ${s}`).not.to.include(s);
}

for (const target of contractTargets(["source", "artifact", "gateway"])) {
  describe(`admin routes contract [${target}]`, function () {
    this.timeout(90000);
    const ctx = useLocalAws();
    let t: ApiTarget;
    beforeEach(() => (t = apiTarget(target, ctx)));
    afterEach(() => t.stop());

    it(`closes all ${ADMIN_ROUTES.length} admin routes to a customer: 403 FORBIDDEN, nothing learned, nothing written or queued`, async () => {
      expect(ADMIN_ROUTES.length).to.be.at.least(5);
      const placed = await t.request({ method: "POST", path: "/orders", body: orderBody(), as: "bob" });
      expect(placed.status, placed.text).to.equal(202);
      const order = placed.json();
      await drainQueue(ctx);
      const before = JSON.stringify(await tableItems(ctx));
      const secrets = ["bob@example.com", String(order.total.amount), "Bob"];
      for (const route of ADMIN_ROUTES) {
        for (const orderId of [order.orderId, "ord_NoSuchOrder0000000000"]) {
          const r = await t.request(requestTo(route, orderId, "alice"));
          expect([r.status, r.json().error?.code], `${route.method} ${route.resource}: ${r.text}`).to.deep.equal([403, "FORBIDDEN"]);
          expectNothingLearned(r, secrets);
        }
      }
      expect(JSON.stringify(await tableItems(ctx)), "a denied request wrote something").to.equal(before);
      expect(await drainQueue(ctx), "a denied request queued something").to.deep.equal([]);
    });

    it("answers 401 UNAUTHENTICATED to every admin route without a token", async () => {
      for (const route of ADMIN_ROUTES) {
        const r = await t.request(requestTo(route, "ord_NoSuchOrder0000000000", null));
        expect([r.status, r.json().error?.code], `${route.method} ${route.resource}: ${r.text}`).to.deep.equal([401, "UNAUTHENTICATED"]);
      }
    });

    it("lets an admin find the order by the customer's email and read it, and answers 409 NOT_INVOICED to a credit note before its invoice", async () => {
      const placed = (await t.request({ method: "POST", path: "/orders", body: orderBody(), as: "bob" })).json();
      const found = await t.request({ method: "GET", path: "/admin/orders?email=BOB%40example.com", as: "admin" });
      expect(found.status, found.text).to.equal(200);
      expect(found.json().orders.map((o: { orderId: string }) => o.orderId)).to.include(placed.orderId);
      const one = await t.request({ method: "GET", path: `/admin/orders/${placed.orderId}`, as: "admin" });
      expect([one.status, one.json().status]).to.deep.equal([200, "PAID"]);
      const credit = await t.request({
        method: "POST",
        path: `/admin/orders/${placed.orderId}/credit-notes`,
        as: "admin",
        body: { kind: "full", reason: "returned" },
        headers: { "Idempotency-Key": "contract-credit-1" },
      });
      expect([credit.status, credit.json().error?.code], credit.text).to.deep.equal([409, "NOT_INVOICED"]);
    });
  });
}
