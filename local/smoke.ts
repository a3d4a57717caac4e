import { randomBytes } from "node:crypto";
import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { probeMessage, type ProbeReceipt } from "../runtime/domain/probe";
import { OrderStore } from "../runtime/domain/store";
import { isProductionStack } from "../components/config";

/**
 * `npm run smoke`: a check of a running stack, deployed or `npm start`. Exits non-zero at the first
 * step that fails, naming it.
 * - full (runSmoke): one real customer journey: sign up a throwaway user, place an order, wait for
 *   NOTIFIED, follow the invoice link to the PDF, delete the user. Not for prod: it consumes an invoice number.
 * - read-only (runReadOnlySmoke): proves the API, the authorizer, the link check, the queue and the worker
 *   without an order: nothing it does reaches a customer, the invoice series, the bucket or an inbox.
 */

/** Where the smoke test runs and how it reaches the stack. */
export interface SmokeTarget {
  readonly apiUrl: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** The orders queue (the read-only smoke sends its probe there) and table (where the worker records the probe). */
  readonly queueUrl: string;
  readonly table: string;
  /** The release of the worker just deployed (stack output `workerRelease`): the probe must be answered by it. */
  readonly expectedRelease?: string;
  /** AWS endpoint override (moto) and its dummy credentials; unset for AWS. */
  readonly endpoint?: string;
  /** "user": USER_PASSWORD_AUTH (dev, local); "admin": ADMIN_USER_PASSWORD_AUTH with the caller's AWS credentials (prod). */
  readonly signIn: "user" | "admin";
  /** The throwaway customer's address: SES's mailbox simulator on AWS (allowed in the sandbox), any address locally. */
  readonly email: string;
  /** Where the emailed link is read: the local inbox; on AWS the order's presigned invoice URL is followed instead. */
  readonly inboxUrl?: string;
  /** How long to wait for NOTIFIED, or for the probe's receipt (a worker scaled to zero needs minutes to start). */
  readonly timeoutSeconds: number;
}

const SHIPPING_ADDRESS = { name: "Smoke Test", line1: "Teststr. 1", city: "Berlin", postalCode: "10115", country: "DE" };

/**
 * The smoke's order, from the stack's own catalog (GET /products): its first product and shipping
 * method priced in the same currency for the address. Paid with Stripe's test card, so it needs a
 * stack with test-mode keys (dev, local); prod takes the read-only smoke.
 */
async function smokeOrder(apiUrl: string): Promise<Record<string, unknown>> {
  const r = await fetch(`${apiUrl}/products`);
  if (r.status !== 200) throw new Error(`GET /products answered ${r.status}`);
  const c = (await r.json()) as {
    products: { sku: string; prices: { currency: string }[] }[];
    shippingMethods: { id: string; zones: { countries: string[] | "*"; prices: { currency: string }[] }[] }[];
  };
  for (const m of c.shippingMethods) {
    const zone =
      m.zones.find((z) => z.countries !== "*" && z.countries.includes(SHIPPING_ADDRESS.country)) ??
      m.zones.find((z) => z.countries === "*");
    for (const p of c.products) {
      const currency = p.prices.map((x) => x.currency).find((cur) => zone?.prices.some((x) => x.currency === cur));
      if (currency) {
        return {
          currency,
          items: [{ sku: p.sku, quantity: 1 }],
          shippingAddress: SHIPPING_ADDRESS,
          billingAddress: "same-as-shipping",
          shipping: { method: m.id },
          payment: { provider: "stripe", paymentMethod: "pm_card_visa" },
        };
      }
    }
  }
  throw new Error("the catalog has no product and shipping method to Germany priced in one currency: import a catalog first");
}

/** A throwaway address for a smoke run. */
export function smokeEmail(local: boolean): string {
  const tag = `smoke-${randomBytes(5).toString("hex")}`;
  return local ? `${tag}@shop.example` : `success+${tag}@simulator.amazonses.com`;
}

/** Runs `fn` as the step `name`: a failure names the step. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`smoke step "${name}" failed: ${(e as Error).message}`);
  }
}

/** SDK settings for the target: its region, and moto's endpoint with dummy credentials locally. */
const sdkConfig = (t: SmokeTarget) => ({
  region: t.region,
  ...(t.endpoint ? { endpoint: t.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
});

/**
 * Creates a throwaway user, signs it in and hands `fn` its ID token; deletes the user after, whatever
 * happened. "sign-up": self sign-up confirmed by an admin, as a customer registers (Cognito mails it a
 * code); "admin": created by an admin with its email marked verified and no message sent.
 */
async function withThrowawayUser<T>(
  t: SmokeTarget,
  how: "sign-up" | "admin",
  log: (line: string) => void,
  fn: (token: string) => Promise<T>,
): Promise<T> {
  const cognito = new CognitoIdentityProviderClient(sdkConfig(t));
  const password = `Smoke-${randomBytes(12).toString("base64url")}1a`;
  const attributes = [
    { Name: "email", Value: t.email },
    { Name: "name", Value: "Smoke Test" },
  ];
  let created = false;
  try {
    await step(how === "sign-up" ? "sign up" : "create the user", async () => {
      if (how === "sign-up") {
        await cognito.send(new SignUpCommand({ ClientId: t.clientId, Username: t.email, Password: password, UserAttributes: attributes }));
        created = true;
        await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: t.userPoolId, Username: t.email }));
      } else {
        const verified = [...attributes, { Name: "email_verified", Value: "true" }];
        await cognito.send(
          new AdminCreateUserCommand({ UserPoolId: t.userPoolId, Username: t.email, MessageAction: "SUPPRESS", UserAttributes: verified }),
        );
        created = true;
        await cognito.send(
          new AdminSetUserPasswordCommand({ UserPoolId: t.userPoolId, Username: t.email, Password: password, Permanent: true }),
        );
      }
    });
    log(`${how === "sign-up" ? "signed up" : "created"} ${t.email}`);
    const token = await step("sign in", async () => {
      const auth = { USERNAME: t.email, PASSWORD: password };
      const r =
        t.signIn === "admin"
          ? await cognito.send(
              new AdminInitiateAuthCommand({
                UserPoolId: t.userPoolId,
                ClientId: t.clientId,
                AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
                AuthParameters: auth,
              }),
            )
          : await cognito.send(new InitiateAuthCommand({ ClientId: t.clientId, AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: auth }));
      if (!r.AuthenticationResult?.IdToken) throw new Error(`no ID token (challenge ${r.ChallengeName ?? "none"})`);
      return r.AuthenticationResult.IdToken;
    });
    return await fn(token);
  } finally {
    if (created)
      await cognito
        .send(new AdminDeleteUserCommand({ UserPoolId: t.userPoolId, Username: t.email }))
        .then(() => log(`deleted ${t.email}`))
        .catch(() => log(`could not delete ${t.email}`));
    cognito.destroy();
  }
}

/** Runs the journey; resolves with what it saw, throws with the failed step. */
export function runSmoke(
  t: SmokeTarget,
  log: (line: string) => void,
): Promise<{ orderId: string; notifiedAfterSeconds: number; pdfBytes: number }> {
  return withThrowawayUser(t, "sign-up", log, async (token) => {
    const headers = {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": `smoke-${randomBytes(6).toString("hex")}`,
    };
    const orderId = await step("place an order", async () => {
      const order = await smokeOrder(t.apiUrl);
      const r = await fetch(`${t.apiUrl}/orders`, { method: "POST", headers, body: JSON.stringify(order) });
      const body = await r.text();
      if (r.status !== 202) throw new Error(`POST /orders answered ${r.status}: ${body}`);
      return JSON.parse(body).orderId as string;
    });
    log(`order ${orderId} accepted`);
    const started = Date.now();
    const view = await step("wait for NOTIFIED", async () => {
      for (;;) {
        const r = await fetch(`${t.apiUrl}/orders/${orderId}`, { headers: { authorization: headers.authorization } });
        const v = (await r.json()) as { status?: string; invoice?: { url?: string } | null };
        if (r.status !== 200) throw new Error(`GET /orders/${orderId} answered ${r.status}`);
        if (v.status === "NOTIFIED") return v;
        if (Date.now() - started > t.timeoutSeconds * 1000) throw new Error(`still ${v.status} after ${t.timeoutSeconds} s`);
        await new Promise((res) => setTimeout(res, 1000));
      }
    });
    const notifiedAfterSeconds = Math.round((Date.now() - started) / 1000);
    log(`NOTIFIED after ${notifiedAfterSeconds} s`);
    const pdfBytes = await step("follow the invoice link", async () => {
      let link = view.invoice?.url;
      if (t.inboxUrl) {
        const inbox = (await (await fetch(t.inboxUrl, { headers: { accept: "application/json" } })).json()) as {
          emails: { to: string[]; invoiceLink?: string }[];
        };
        link = inbox.emails.find((m) => m.to.includes(t.email))?.invoiceLink;
        if (!link) throw new Error(`no email with an invoice link for ${t.email}`);
      }
      if (!link) throw new Error("the order has no invoice URL");
      const r = await fetch(link, { redirect: "follow" });
      const pdf = Buffer.from(await r.arrayBuffer());
      if (r.status !== 200 || pdf.subarray(0, 5).toString() !== "%PDF-")
        throw new Error(`the link answered ${r.status} with ${pdf.subarray(0, 5).toString()}`);
      return pdf.byteLength;
    });
    log(`invoice PDF ${pdfBytes} bytes via ${t.inboxUrl ? "the emailed link" : "the order's invoice URL"}`);
    return { orderId, notifiedAfterSeconds, pdfBytes };
  });
}

/** Fetches `url` and checks the answer's status and, for an error, its `error.code`; returns the parsed body. */
async function expectAnswer(url: string, init: RequestInit, status: number, code?: string): Promise<Record<string, unknown>> {
  const r = await fetch(url, { ...init, redirect: "manual" });
  const text = await r.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // checked below: a non-JSON answer fails on its status or code
  }
  const got = (body.error as { code?: string } | undefined)?.code;
  if (r.status !== status || (code !== undefined && got !== code)) {
    throw new Error(`expected ${status}${code ? ` ${code}` : ""}, got ${r.status}: ${text.slice(0, 300)}`);
  }
  return body;
}

/**
 * The read-only smoke: a probe on the orders queue (sent first, so a worker scaled to zero starts
 * while the rest runs), a throwaway user created without any message, the authorizer's 401, the
 * user's empty order list, a forged invoice link refused after the KMS check, the user deleted, and
 * the worker's receipt of the probe. Creates no order, consumes no invoice number, renders no PDF,
 * sends no email, deletes nothing but its user; the receipt expires by TTL.
 */
export async function runReadOnlySmoke(
  t: SmokeTarget,
  log: (line: string) => void,
): Promise<{ probeId: string; probeAfterSeconds: number }> {
  const sqs = new SQSClient(sdkConfig(t));
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(t)));
  try {
    const probeId = `smoke-${randomBytes(6).toString("hex")}`;
    const sentAt = Date.now();
    await step("send a probe to the orders queue", async () => {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: t.queueUrl, MessageBody: JSON.stringify(probeMessage(probeId, new Date(sentAt))) }),
      );
    });
    log(`probe ${probeId} sent to the orders queue`);
    await withThrowawayUser(t, "admin", log, async (token) => {
      await step("refuse a request without a token", () => expectAnswer(`${t.apiUrl}/orders`, {}, 401, "UNAUTHENTICATED"));
      log("GET /orders without a token: 401 UNAUTHENTICATED (the authorizer)");
      await step("list the user's orders", async () => {
        const body = await expectAnswer(`${t.apiUrl}/orders`, { headers: { authorization: `Bearer ${token}` } }, 200);
        if (!Array.isArray(body.orders) || body.orders.length !== 0 || body.nextCursor !== null)
          throw new Error(`expected no orders, got ${JSON.stringify(body).slice(0, 300)}`);
      });
      log("GET /orders with the user's token: 200, no orders");
      await step("refuse a forged invoice link", async () => {
        const orderId = `ord_${randomBytes(15)
          .toString("base64url")
          .replace(/[^A-Za-z0-9]/g, "x")}`;
        const expires = Math.floor(Date.now() / 1000) + 3600;
        const sig = randomBytes(32).toString("base64url");
        await expectAnswer(`${t.apiUrl}/invoices/${orderId}?expires=${expires}&sig=${sig}`, {}, 403, "LINK_INVALID");
      });
      log("GET /invoices/{id} with a forged signature: 403 LINK_INVALID (checked with KMS)");
    });
    const receipt = await step("wait for the worker to record the probe", () =>
      waitForProbe(new OrderStore(ddb, t.table), probeId, sentAt, t),
    );
    const probeAfterSeconds = Math.round((Date.parse(receipt.receivedAt) - sentAt) / 1000);
    log(`probe ${probeId} recorded by the worker ${probeAfterSeconds} s after it was sent`);
    if (t.expectedRelease !== undefined) {
      await step("check which worker answered", async () => {
        if (receipt.release !== t.expectedRelease)
          throw new Error(
            `the probe was answered by worker release ${receipt.release ?? "(none)"}, but this deploy's worker is ${t.expectedRelease}: ` +
              "its tasks did not take over (a deployment the circuit breaker rolled back?); read the ECS service's events",
          );
      });
      log(`probe answered by worker release ${receipt.release}, the one deployed`);
    }
    return { probeId, probeAfterSeconds };
  } finally {
    sqs.destroy();
    ddb.destroy();
  }
}

/** Polls the table for the probe's receipt until `timeoutSeconds` after it was sent. */
async function waitForProbe(store: OrderStore, probeId: string, sentAt: number, t: SmokeTarget): Promise<ProbeReceipt> {
  for (;;) {
    const receipt = await store.getProbe(probeId);
    if (receipt) return receipt;
    if (Date.now() - sentAt > t.timeoutSeconds * 1000) {
      throw new Error(
        `no worker recorded probe ${probeId} within ${t.timeoutSeconds} s: is the worker running and reading ${t.queueUrl}? (the probe stays on the queue)`,
      );
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** What `npm run smoke` was asked to do. */
export interface SmokeArgs {
  readonly target: { local: true } | { stack: string };
  readonly timeoutSeconds?: number;
  /** The read-only smoke (runReadOnlySmoke): the only one allowed against a production stack. */
  readonly readOnly: boolean;
}

/** Parses `--stack NAME | --local [--read-only] [--timeout SECONDS]`. */
export function parseSmokeArgs(argv: readonly string[]): SmokeArgs {
  const usage = "usage: npm run smoke -- [--stack dev|prod | --local] [--read-only] [--timeout SECONDS]";
  let stack: string | undefined;
  let local = false;
  let readOnly = false;
  let timeoutSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack") stack = argv[++i];
    else if (a === "--local") local = true;
    else if (a === "--read-only") readOnly = true;
    else if (a === "--timeout") timeoutSeconds = Number(argv[++i]);
    else throw new Error(`unknown argument "${a}"\n${usage}`);
  }
  if (local && stack) throw new Error(`give --stack or --local, not both\n${usage}`);
  if (stack !== undefined && !/^[A-Za-z0-9_-]+$/.test(stack)) throw new Error(`--stack needs a stack name\n${usage}`);
  if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0))
    throw new Error(`--timeout needs a whole number of seconds\n${usage}`);
  const name = stack ?? "dev";
  // An invoice is a legal document with a gap-free number series: a test order in prod would take a number.
  if (!local && isProductionStack(name) && !readOnly)
    throw new Error(
      `the full smoke places an order, takes an invoice number and sends an email: against "${name}" use --read-only\n${usage}`,
    );
  return { target: local ? { local: true } : { stack: name }, timeoutSeconds, readOnly };
}
