import { expect } from "chai";
import {
  IdempotencyKeyReused,
  InvalidJson,
  LinkExpired,
  LinkInvalid,
  NotFound,
  OrderRejected,
  PayloadTooLarge,
  PaymentDataNotAllowed,
  Unauthenticated,
  UnsupportedMediaType,
  ValidationFailed,
  toErrorResponse,
} from "../../runtime/errors";

describe("error mapping", () => {
  const cases: [Error, number, string][] = [
    [new InvalidJson("m"), 400, "INVALID_JSON"],
    [new ValidationFailed("m", [{ path: "items", message: "x" }]), 400, "VALIDATION_FAILED"],
    [new PaymentDataNotAllowed("m"), 400, "PAYMENT_DATA_NOT_ALLOWED"],
    [new Unauthenticated("m"), 401, "UNAUTHENTICATED"],
    [new LinkInvalid("m"), 403, "LINK_INVALID"],
    [new NotFound("m"), 404, "NOT_FOUND"],
    [new IdempotencyKeyReused("m"), 409, "IDEMPOTENCY_KEY_REUSED"],
    [new LinkExpired("m"), 410, "LINK_EXPIRED"],
    [new PayloadTooLarge("m"), 413, "PAYLOAD_TOO_LARGE"],
    [new UnsupportedMediaType("m"), 415, "UNSUPPORTED_MEDIA_TYPE"],
    [new OrderRejected("m"), 422, "ORDER_REJECTED"],
  ];
  for (const [err, status, code] of cases) {
    it(`maps ${err.name} to ${status} ${code}`, () => {
      const r = toErrorResponse(err);
      expect(r.status).to.equal(status);
      expect(r.body.error.code).to.equal(code);
      expect(r.body.error.message).to.equal("m");
    });
  }

  it("carries the failing paths of a validation error in details", () => {
    const r = toErrorResponse(new ValidationFailed("m", [{ path: "items.0.quantity", message: "too small" }]));
    expect(r.body.error.details).to.deep.equal([{ path: "items.0.quantity", message: "too small" }]);
  });

  it("turns an unknown error into a 500 that reveals nothing of it", () => {
    const r = toErrorResponse(new Error("ECONNREFUSED 10.0.0.7:5432 password=hunter2"));
    expect(r.status).to.equal(500);
    expect(r.body.error.code).to.equal("INTERNAL");
    expect(JSON.stringify(r.body)).not.to.match(/ECONNREFUSED|hunter2|10\.0\.0\.7/);
  });
});
