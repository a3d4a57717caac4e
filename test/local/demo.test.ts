import * as fs from "node:fs";
import { expect } from "chai";
import { DEMO_CATALOG_FILE } from "../../local/catalog";
import { runDemo, sampleOrder, summaryTable, THREE_D_SECURE_EVERY } from "../../local/demo";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { signIn } from "../../local/auth";
import { localStackSettings } from "../../local/stack-settings";
import { startLocalPipeline, type LocalPipeline } from "../../local/pipeline";
import { createOrderBodySchema } from "../../runtime/domain/order";
import { jsonContainsCardNumber } from "../../runtime/domain/card";

describe("demo orders", () => {
  it("are valid orders of the new contract (SKU and quantity only) that never look like they carry a card number", () => {
    for (let i = 0; i < 2000; i++) {
      const body = sampleOrder(i);
      expect(createOrderBodySchema().safeParse(body).success, `order ${i}`).to.equal(true);
      expect(jsonContainsCardNumber(body), `order ${i}`).to.equal(false);
      for (const line of body.items) expect(Object.keys(line).sort()).to.deep.equal(["quantity", "sku"]);
    }
  });

  it("pay with the stand-in's succeeding card, every fifth with its 3-D Secure card", () => {
    const methods = Array.from({ length: 20 }, (_, i) => sampleOrder(i).payment.paymentMethod);
    expect(methods.filter((m) => m === "pm_card_threeDSecure2Required")).to.have.length(20 / THREE_D_SECURE_EVERY);
    expect(methods.filter((m) => m === "pm_card_visa")).to.have.length(20 - 20 / THREE_D_SECURE_EVERY);
  });

  it("name only SKUs of the demo catalog npm start loads", () => {
    const demo = JSON.parse(fs.readFileSync(DEMO_CATALOG_FILE, "utf8")) as { products: { sku: string }[] };
    const skus = new Set(demo.products.map((p) => p.sku));
    for (let i = 0; i < 20; i++) for (const line of sampleOrder(i).items) expect(skus.has(line.sku), line.sku).to.equal(true);
  });

  it("summarise as a table counting refused and unfinished orders as failed", () => {
    const t = summaryTable({
      requested: 3,
      accepted: 2,
      authenticated: 1,
      invoiced: 2,
      emailed: 1,
      failed: 1,
      latencyMs: { p50: 10, p95: 20, max: 30 },
      errors: ["x"],
    });
    expect(t)
      .to.match(/\| failed\s+\|\s+2 \|/)
      .and.match(/\| order-to-email p95\s+\|\s+20 ms \|/)
      .and.match(/\| paid after 3-D Secure\s+\|\s+1 \|/);
  });
});

describe("npm run demo against the local pipeline with the Stripe stand-in", function () {
  this.timeout(180000);
  let p: LocalPipeline;
  let token: string;
  before(async () => {
    p = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), print: () => undefined });
    const cognito = new CognitoIdentityProviderClient({ region: p.region, endpoint: p.endpoint });
    token = await signIn(cognito, p.pool, p.demoUser.email, p.demoUser.password);
    cognito.destroy();
  });
  after(async () => p?.stop());

  it("pays every order, the 3-D Secure one through the stand-in's page and its webhook, and emails every invoice", async () => {
    const s = await runDemo({ apiUrl: p.apiUrl, token, count: THREE_D_SECURE_EVERY, timeoutMs: 150_000 });
    expect(s.errors).to.deep.equal([]);
    expect(s).to.include({ requested: 5, accepted: 5, authenticated: 1, invoiced: 5, emailed: 5, failed: 0 });
    const succeeded = p.stripe.deliveries().filter((d) => d.type === "payment_intent.succeeded" && d.status === 200);
    expect(succeeded.length).to.be.greaterThanOrEqual(5);
  });
});
