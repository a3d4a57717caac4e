import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import {
  buildOpenApiDocument,
  errorCatalogue,
  EXAMPLES,
  responseSchemas,
  retryAfterCodes,
  statusOrder,
  type DocumentedStatus,
} from "../../openapi/document";
import type { ErrorCode } from "../../runtime/contracts/error-codes";
import { generatedFiles } from "../../openapi/generate";
import { API_ROUTES, handleApiRequest } from "../../runtime/handlers/order-api";
import { createOrderBodySchema, priceOrder } from "../../runtime/domain/order";
import { processOrderMessage } from "../../runtime/handlers/invoice-worker";
import { localStackSettings } from "../../local/stack-settings";
import { useLocalAws } from "../helpers/aws";
import { apiDeps, drainQueue, workerDeps } from "../helpers/deps";
import { apiEvent, orderBody, postOrder, ALICE } from "../helpers/events";

const ROOT = path.resolve(__dirname, "..", "..");
const checkedIn = () => JSON.parse(fs.readFileSync(path.join(ROOT, "openapi", "openapi.json"), "utf8"));

/** The rows of the README's error-code table: status (one, or the family "4XX") and code. */
function readmeErrorCodes(): { status: DocumentedStatus; code: string }[] {
  const rows = [...fs.readFileSync(path.join(ROOT, "README.md"), "utf8").matchAll(/^\|\s*(\d{3}|4XX)\s*\|\s*`([A-Z_]+)`\s*\|/gm)];
  return rows.map((m) => ({ status: m[1] === "4XX" ? "4XX" : Number(m[1]), code: m[2] }));
}

describe("the OpenAPI document (openapi/openapi.json)", () => {
  it("is the one generated from the zod schemas and routes (run `npm run openapi` after changing them)", () => {
    for (const [file, text] of Object.entries(generatedFiles())) {
      expect(fs.readFileSync(file, "utf8"), `${path.relative(ROOT, file)} is stale: run npm run openapi`).to.equal(text);
    }
  });

  it("is OpenAPI 3.1 and documents every route of API_ROUTES with its method and authorization", () => {
    const doc = checkedIn();
    expect(doc.openapi).to.equal("3.1.0");
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).to.deep.equal(API_ROUTES.map((r) => `${r.method} ${r.resource}`).sort());
    for (const r of API_ROUTES) {
      const op = doc.paths[r.resource][r.method.toLowerCase()];
      expect(op.security, `${r.method} ${r.resource}`).to.deep.equal(r.auth === "cognito" ? [{ cognitoIdToken: [] }] : []);
      expect(op.operationId).to.be.a("string");
    }
  });

  it("names every error code and status of the README, and the README every one the API answers with", () => {
    const doc = checkedIn();
    const readme = readmeErrorCodes();
    expect(readme).to.have.length.greaterThan(10);
    const enumCodes: string[] = doc.components.schemas.Error.properties.error.properties.code.enum;
    const statuses = new Set(
      Object.values(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>).flatMap((ops) =>
        Object.values(ops).flatMap((o) => Object.keys(o.responses)),
      ),
    );
    for (const { status, code } of readme) {
      expect(enumCodes, code).to.include(code);
      expect([...statuses], `status ${status}`).to.include(String(status));
      const described = Object.values(
        doc.paths as Record<string, Record<string, { responses: Record<string, { description: string }> }>>,
      ).some((ops) => Object.values(ops).some((o) => o.responses[String(status)]?.description.split(", ").includes(code)));
      expect(described, `${status} ${code} is described on some route`).to.equal(true);
    }
    expect(errorCatalogue()).to.deep.equal(
      [...readme].sort((a, b) => statusOrder(a.status) - statusOrder(b.status) || a.code.localeCompare(b.code)),
    );
  });

  it("gives every answer that carries Retry-After the header in the document, API Gateway's 429 included", () => {
    const doc = checkedIn();
    expect(retryAfterCodes()).to.deep.equal(["ORDER_OUTCOME_UNKNOWN", "SERVICE_UNAVAILABLE", "THROTTLED"]);
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, any> }>>)) {
      for (const [m, op] of Object.entries(ops)) {
        for (const [status, r] of Object.entries(op.responses)) {
          const retries = (r.description ?? "").split(", ").some((c: string) => retryAfterCodes().includes(c as ErrorCode));
          expect(Boolean(r.headers?.["Retry-After"]), `${m} ${p} ${status}`).to.equal(retries);
        }
      }
      expect(
        Object.values(ops).every((op) => op.responses["429"]?.description === "THROTTLED"),
        p,
      ).to.equal(true);
      expect(
        Object.values(ops).every((op) => op.responses["4XX"]?.description === "REQUEST_REFUSED"),
        p,
      ).to.equal(true);
    }
  });

  it("holds examples that the schemas accept, priced at the local stack's tax rate", () => {
    const doc = checkedIn();
    const body = createOrderBodySchema().parse(doc.components.schemas.CreateOrder.example);
    const s = responseSchemas();
    for (const [name, schema] of [
      ["OrderAccepted", s.accepted],
      ["Order", s.order],
      ["OrderList", s.list],
      ["Error", s.error],
    ] as const) {
      const r = schema.safeParse(doc.components.schemas[name].example);
      expect(r.success, `${name}: ${r.success ? "" : r.error.message}`).to.equal(true);
    }
    const priced = priceOrder(
      body,
      { id: "c", email: "a@b.example" },
      localStackSettings("dev").taxRateBps,
      "ord_Hmcs9fZo6qKlbLwNbtmO",
      new Date(),
    );
    expect([priced.subtotalMinor, priced.taxMinor, priced.totalMinor]).to.deep.equal([
      EXAMPLES.accepted.subtotal.amount,
      EXAMPLES.accepted.tax.amount,
      EXAMPLES.accepted.total.amount,
    ]);
  });

  it("is built outside the Lambda's import graph: nothing under runtime/ imports the generator", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name) && /zod-to-openapi|openapi\//.test(fs.readFileSync(p, "utf8")))
          offenders.push(path.relative(ROOT, p));
      }
    };
    walk(path.join(ROOT, "runtime"));
    expect(offenders).to.deep.equal([]);
    expect(Object.keys(buildOpenApiDocument().paths ?? {})).to.have.length(new Set(API_ROUTES.map((r) => r.resource)).size);
  });

  describe("against the handlers' real answers", function () {
    this.timeout(30000);
    const ctx = useLocalAws({ taxRateBps: localStackSettings("dev").taxRateBps });
    const s = responseSchemas();
    const call = (e: ReturnType<typeof apiEvent>) => handleApiRequest(e, apiDeps(ctx));
    const expectValid = (schema: { safeParse(v: unknown): { success: boolean; error?: { message: string } } }, body: string) => {
      const r = schema.safeParse(JSON.parse(body));
      expect(r.success, r.error?.message).to.equal(true);
    };

    it("answers POST /orders, GET /orders, GET /orders/{orderId} and errors in the documented shapes", async () => {
      const accepted = await call(postOrder(orderBody()));
      expect(accepted.statusCode).to.equal(202);
      expectValid(s.accepted, accepted.body);
      const { orderId } = JSON.parse(accepted.body);
      const [msg] = await drainQueue(ctx);
      await processOrderMessage(msg.body, workerDeps(ctx));
      const one = await call(
        apiEvent({ method: "GET", resource: "/orders/{orderId}", path: `/orders/${orderId}`, pathParameters: { orderId } }),
      );
      expect(one.statusCode).to.equal(200);
      expectValid(s.order, one.body);
      expect(JSON.parse(one.body).invoice).to.not.equal(null);
      const list = await call(apiEvent({ method: "GET", resource: "/orders", path: "/orders", query: { limit: "1" }, claims: ALICE }));
      expect(list.statusCode).to.equal(200);
      expectValid(s.list, list.body);
      const bad = await call(postOrder({ ...orderBody(), items: [] }));
      expect(bad.statusCode).to.equal(400);
      expectValid(s.error, bad.body);
    });
  });
});
