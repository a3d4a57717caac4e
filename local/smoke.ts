import { randomBytes } from "node:crypto";
import {
  AdminConfirmSignUpCommand,
  AdminDeleteUserCommand,
  AdminInitiateAuthCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";

/**
 * `npm run smoke`: one real customer journey against a running stack, deployed or `npm start`:
 * sign up a throwaway user, place an order, wait for NOTIFIED, follow the invoice link to the PDF,
 * delete the user. Exits non-zero at the first step that fails, naming it.
 */

/** Where the smoke test runs and how it reaches the stack. */
export interface SmokeTarget {
  readonly apiUrl: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** Cognito endpoint override (moto) and its dummy credentials; unset for AWS. */
  readonly cognitoEndpoint?: string;
  /** "user": USER_PASSWORD_AUTH (dev, local); "admin": ADMIN_USER_PASSWORD_AUTH with the caller's AWS credentials (prod). */
  readonly signIn: "user" | "admin";
  /** The throwaway customer's address: SES's mailbox simulator on AWS (allowed in the sandbox), any address locally. */
  readonly email: string;
  /** Where the emailed link is read: the local inbox; on AWS the order's presigned invoice URL is followed instead. */
  readonly inboxUrl?: string;
  /** How long to wait for NOTIFIED (a worker scaled to zero needs minutes to start). */
  readonly timeoutSeconds: number;
}

const ORDER = {
  items: [{ sku: "SMOKE-01", name: "Smoke test item", quantity: 1, unitPrice: { amount: 100, currency: "EUR" } }],
  shippingAddress: { name: "Smoke Test", line1: "Teststr. 1", city: "Berlin", postalCode: "10115", country: "DE" },
  payment: { provider: "stripe", token: "tok_smoketest" },
};

/** A throwaway address for a smoke run. */
export function smokeEmail(local: boolean): string {
  const tag = `smoke-${randomBytes(5).toString("hex")}`;
  return local ? `${tag}@shop.example` : `success+${tag}@simulator.amazonses.com`;
}

/** Runs the journey; resolves with what it saw, throws with the failed step. */
export async function runSmoke(
  t: SmokeTarget,
  log: (line: string) => void,
): Promise<{ orderId: string; notifiedAfterSeconds: number; pdfBytes: number }> {
  const cognito = new CognitoIdentityProviderClient({
    region: t.region,
    ...(t.cognitoEndpoint ? { endpoint: t.cognitoEndpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
  });
  const password = `Smoke-${randomBytes(12).toString("base64url")}1a`;
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw new Error(`smoke step "${name}" failed: ${(e as Error).message}`);
    }
  };
  let signedUp = false;
  try {
    await step("sign up", async () => {
      await cognito.send(
        new SignUpCommand({
          ClientId: t.clientId,
          Username: t.email,
          Password: password,
          UserAttributes: [
            { Name: "email", Value: t.email },
            { Name: "name", Value: "Smoke Test" },
          ],
        }),
      );
      signedUp = true;
      await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: t.userPoolId, Username: t.email }));
    });
    log(`signed up ${t.email}`);
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
    const headers = {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": `smoke-${randomBytes(6).toString("hex")}`,
    };
    const orderId = await step("place an order", async () => {
      const r = await fetch(`${t.apiUrl}/orders`, { method: "POST", headers, body: JSON.stringify(ORDER) });
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
  } finally {
    if (signedUp)
      await cognito
        .send(new AdminDeleteUserCommand({ UserPoolId: t.userPoolId, Username: t.email }))
        .catch(() => log(`could not delete ${t.email}`));
    cognito.destroy();
  }
}

/** Parses `--stack NAME | --local [--timeout SECONDS]`. */
export function parseSmokeArgs(argv: readonly string[]): { target: { local: true } | { stack: string }; timeoutSeconds?: number } {
  const usage = "usage: npm run smoke -- [--stack dev|prod | --local] [--timeout SECONDS]";
  let stack: string | undefined;
  let local = false;
  let timeoutSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack") stack = argv[++i];
    else if (a === "--local") local = true;
    else if (a === "--timeout") timeoutSeconds = Number(argv[++i]);
    else throw new Error(`unknown argument "${a}"\n${usage}`);
  }
  if (local && stack) throw new Error(`give --stack or --local, not both\n${usage}`);
  if (stack !== undefined && !/^[A-Za-z0-9_-]+$/.test(stack)) throw new Error(`--stack needs a stack name\n${usage}`);
  if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds > 0))
    throw new Error(`--timeout needs a whole number of seconds\n${usage}`);
  return { target: local ? { local: true } : { stack: stack ?? "dev" }, timeoutSeconds };
}
