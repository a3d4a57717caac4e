import { expect } from "chai";
import { createPublicKey, createHmac } from "node:crypto";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { CreateUserPoolClientCommand, CreateUserPoolCommand, InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import { SignJWT, decodeJwt, importPKCS8, type JWTPayload, type KeyLike } from "jose";
import { createLocalUser, signIn } from "../../local/auth";
import { kmsLinkSigner } from "../../runtime/invoices/link";
import { httpRequest, usePipeline, type PipelineContext } from "../helpers/pipeline";
import { motoSigningKeyPem } from "../helpers/tokens";
import { orderBody } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import type { CorpusResponse } from "../helpers/corpus";

const b64url = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** POST /orders with the sample order, as `authorization` (or none), with optional extra headers and body. */
function post(ctx: PipelineContext, authorization: string | undefined, o: { body?: unknown; headers?: Record<string, string> } = {}) {
  return httpRequest(
    ctx.p.apiUrl,
    {
      method: "POST",
      path: "/orders",
      headers: { "content-type": "application/json", ...o.headers },
      body: Buffer.from(JSON.stringify(o.body ?? orderBody())),
    },
    authorization,
  );
}
const get = (ctx: PipelineContext, path: string, authorization?: string) =>
  httpRequest(ctx.p.apiUrl, { method: "GET", path, headers: {}, body: undefined }, authorization);
const codeOf = (r: CorpusResponse) => (JSON.parse(r.body) as { error?: { code: string } }).error?.code;

/** Order ids of the order items in the table. */
async function storedOrderIds(ctx: PipelineContext): Promise<string[]> {
  const r = await ctx.clients.ddb.send(new ScanCommand({ TableName: ctx.p.resources.table, ConsistentRead: true }));
  return (r.Items ?? []).filter((i) => i.type === "order").map((i) => String(i.pk).replace(/^ORDER#/, ""));
}

/** Waits for the email of an order in the local inbox and returns its invoice link. */
async function emailedLink(ctx: PipelineContext, orderId: string): Promise<string> {
  const link = await waitUntil(
    async () => {
      const res = await fetch(ctx.p.inboxUrl, { headers: { accept: "application/json" } });
      const { emails } = (await res.json()) as { emails: { invoiceLink?: string }[] };
      return emails.find((m) => m.invoiceLink?.includes(`/invoices/${orderId}?`))?.invoiceLink;
    },
    60_000,
    250,
  );
  expect(link, `email of ${orderId}`).to.be.a("string");
  return link!;
}

describe("security through the local gateway (Cognito JWT check, order API, KMS-signed links)", function () {
  this.timeout(120_000);
  const ctx = usePipeline();

  describe("authentication", () => {
    let claims: JWTPayload;
    let motoKey: KeyLike;
    const now = () => Math.floor(Date.now() / 1000);
    /** Claims of the demo user's real ID token, re-signed with the pool's own key (moto's) after `change`. */
    const poolSigned = (change: JWTPayload) =>
      new SignJWT({ ...claims, ...change }).setProtectedHeader({ alg: "RS256", kid: decodeProtectedKid(ctx.token) }).sign(motoKey);

    before(async () => {
      claims = decodeJwt(ctx.token);
      motoKey = await importPKCS8(motoSigningKeyPem(), "RS256");
    });

    it("accepts the pool's ID token and the same claims re-signed with the pool's key (the control)", async () => {
      expect((await post(ctx, `Bearer ${ctx.token}`)).status).to.equal(202);
      expect((await post(ctx, `Bearer ${await poolSigned({ iat: now(), exp: now() + 600 })}`)).status).to.equal(202);
    });

    it("answers 401 UNAUTHENTICATED to every bad credential, and nothing is written", async () => {
      // Prepare: one of each kind of bad credential
      const t = now();
      const jwks = (await (await fetch(ctx.p.pool.jwksUrl)).json()) as { keys: Record<string, string>[] };
      const publicPem = createPublicKey({ key: jwks.keys[0] as never, format: "jwk" })
        .export({ type: "spki", format: "pem" })
        .toString();
      const hs256WithPublicKey = (() => {
        const head = b64url({ alg: "HS256", typ: "JWT", kid: jwks.keys[0].kid });
        const body = b64url({ ...claims, iat: t, exp: t + 600 });
        const sig = createHmac("sha256", publicPem).update(`${head}.${body}`).digest("base64url");
        return `${head}.${body}.${sig}`;
      })();
      const unsigned = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ ...claims, iat: t, exp: t + 600 })}`;
      // A second pool: moto signs it with the same key, so only the issuer and audience tell them apart.
      const other = await ctx.cognito.send(new CreateUserPoolCommand({ PoolName: "other-pool", UsernameAttributes: ["email"] }));
      const otherPoolId = other.UserPool!.Id!;
      const otherClient = await ctx.cognito.send(
        new CreateUserPoolClientCommand({
          UserPoolId: otherPoolId,
          ClientName: "other",
          ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        }),
      );
      const otherPool = { poolId: otherPoolId, clientId: otherClient.UserPoolClient!.ClientId! };
      const mallory = { email: "mallory@example.com", name: "Mallory", password: "Mallory-Password-1" };
      await createLocalUser(ctx.cognito, { ...ctx.p.pool, ...otherPool }, mallory);
      const otherPoolToken = await signIn(ctx.cognito, otherPool, mallory.email, mallory.password);
      const auth = await ctx.cognito.send(
        new InitiateAuthCommand({
          ClientId: ctx.p.pool.clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: ctx.p.demoUser.email, PASSWORD: ctx.p.demoUser.password },
        }),
      );
      const accessToken = auth.AuthenticationResult!.AccessToken!;
      const cases: [string, string | undefined][] = [
        ["no Authorization header", undefined],
        ["an empty bearer", "Bearer "],
        ["a malformed token", "Bearer not-a-jwt"],
        ["a two-part token", `Bearer ${ctx.token.split(".").slice(0, 2).join(".")}`],
        ["the ID token without the Bearer scheme", ctx.token],
        ["Basic credentials", `Basic ${Buffer.from("demo:pw").toString("base64")}`],
        ["alg none with an empty signature", `Bearer ${unsigned}.`],
        ["alg none with a made-up signature", `Bearer ${unsigned}.AAAA`],
        ["HS256 signed with the pool's public key", `Bearer ${hs256WithPublicKey}`],
        [
          "a token whose payload was edited after signing",
          `Bearer ${ctx.token.split(".")[0]}.${b64url({ ...claims, sub: "someone-else" })}.${ctx.token.split(".")[2]}`,
        ],
        ["an expired token signed with the pool's key", `Bearer ${await poolSigned({ iat: t - 7200, exp: t - 3600 })}`],
        [
          "a token not yet valid (iat and nbf in the future)",
          `Bearer ${await poolSigned({ iat: t + 3600, nbf: t + 3600, exp: t + 7200 })}`,
        ],
        ["another audience", `Bearer ${await poolSigned({ aud: "some-other-app-client", iat: t, exp: t + 600 })}`],
        [
          "a pool-signed token with another pool's issuer",
          `Bearer ${await poolSigned({ iss: `https://cognito-idp.${ctx.p.region}.amazonaws.com/${otherPoolId}`, iat: t, exp: t + 600 })}`,
        ],
        ["a real ID token of another user pool", `Bearer ${otherPoolToken}`],
        ["an access token of this pool", `Bearer ${accessToken}`],
        ["an ID token re-labelled token_use access", `Bearer ${await poolSigned({ token_use: "access", iat: t, exp: t + 600 })}`],
      ];
      const before = await storedOrderIds(ctx);
      for (const [what, authorization] of cases) {
        // Act
        const r = await post(ctx, authorization);
        // Assess
        expect(r.status, what).to.equal(401);
        expect(codeOf(r), what).to.equal("UNAUTHENTICATED");
        const g = await get(ctx, `/orders/${before[0] ?? "ord_AAAAAAAAAAAAAAAAAAAA"}`, authorization);
        expect(g.status, `GET with ${what}`).to.equal(401);
      }
      expect(await storedOrderIds(ctx)).to.have.members(before);
      console.log(`      authentication: ${cases.length} bad credentials, each 401 on POST and GET`);
    });
  });

  describe("ownership", () => {
    it("answers another customer's order, before and after its invoice, with a 404 byte-identical to a missing order's", async () => {
      // Prepare: Alice (the demo user) orders; Eve is another customer of the same pool
      const placed = await post(ctx, `Bearer ${ctx.token}`);
      expect(placed.status).to.equal(202);
      const { orderId } = JSON.parse(placed.body) as { orderId: string };
      const eve = `Bearer ${await ctx.newCustomer("eve@example.com")}`;
      const missing = "ord_" + "Z".repeat(20);
      const comparable = (r: CorpusResponse) => ({ status: r.status, body: r.body, contentType: r.headers["content-type"] });
      // Act + assess: while PENDING
      const pendingTheirs = comparable(await get(ctx, `/orders/${orderId}`, eve));
      expect(pendingTheirs).to.deep.equal(comparable(await get(ctx, `/orders/${missing}`, eve)));
      expect(pendingTheirs.status).to.equal(404);
      // ... and once invoiced and emailed, when the owner's view carries the invoice URL
      await emailedLink(ctx, orderId);
      const mine = await get(ctx, `/orders/${orderId}`, `Bearer ${ctx.token}`);
      expect(mine.status).to.equal(200);
      expect(JSON.parse(mine.body).invoice.url).to.be.a("string");
      const invoicedTheirs = comparable(await get(ctx, `/orders/${orderId}`, eve));
      expect(invoicedTheirs).to.deep.equal(comparable(await get(ctx, `/orders/${missing}`, eve)));
      expect(JSON.parse(invoicedTheirs.body)).to.deep.equal({ error: { code: "NOT_FOUND", message: "No such order." } });
    });
  });

  describe("identity claims as input", () => {
    it("leaves out a Cognito name holding bidi overrides or controls instead of carrying it to the invoice and email", async () => {
      // Prepare: a user whose self-chosen name would display reversed ("Eve" + RLO + "fdp.exe")
      const user = { email: "rlo@example.com", name: "Eve ‮fdp.exe", password: "Rlo-Password-123" };
      await createLocalUser(ctx.cognito, ctx.p.pool, user);
      const token = await signIn(ctx.cognito, ctx.p.pool, user.email, user.password);
      expect(decodeJwt(token).name).to.equal(user.name);
      // Act
      const r = await post(ctx, `Bearer ${token}`);
      // Assess: accepted, and the stored (and queued) customer carries no name
      expect(r.status).to.equal(202);
      const { orderId } = JSON.parse(r.body) as { orderId: string };
      const item = await ctx.clients.ddb.send(new ScanCommand({ TableName: ctx.p.resources.table, ConsistentRead: true }));
      const stored = (item.Items ?? []).find((i) => i.pk === `ORDER#${orderId}`)!;
      expect(stored.order.customer).to.deep.equal({ id: decodeJwt(token).sub, email: user.email });
      expect(JSON.stringify(stored)).to.not.match(/[\u202e\u0085]/);
    });
  });

  describe("invoice links", () => {
    let orderId: string;
    let link: URL;
    before(async () => {
      const placed = await post(ctx, `Bearer ${ctx.token}`);
      orderId = (JSON.parse(placed.body) as { orderId: string }).orderId;
      link = new URL(await emailedLink(ctx, orderId));
    });
    const open = (path: string) => get(ctx, path);
    const signer = () => kmsLinkSigner(ctx.clients.kms, ctx.p.resources.linkKeyId);
    const withQuery = (q: Record<string, string>, id = orderId) => `/invoices/${id}?${new URLSearchParams(q)}`;

    it("redirects the emailed link to the PDF", async () => {
      const r = await open(link.pathname + link.search);
      expect(r.status).to.equal(302);
      expect(r.headers.location).to.contain(`invoices/${orderId}.pdf`);
    });

    it("answers tampered, expired, malformed and invoice-less links with their documented codes", async () => {
      const expires = link.searchParams.get("expires")!;
      const sig = link.searchParams.get("sig")!;
      const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
      const past = Math.floor(Date.now() / 1000) - 60;
      const pending = JSON.parse((await post(ctx, `Bearer ${ctx.token}`, { headers: { "Idempotency-Key": "links-pending" } })).body)
        .orderId as string;
      const farFuture = Math.floor(Date.now() / 1000) + 86400;
      const cases: [string, string, number, string][] = [
        ["a flipped signature character", withQuery({ expires, sig: flipped }), 403, "LINK_INVALID"],
        ["a later expiry with the old signature", withQuery({ expires: String(Number(expires) + 86400), sig }), 403, "LINK_INVALID"],
        ["the signature on another order", withQuery({ expires, sig }, pending), 403, "LINK_INVALID"],
        ["a truncated signature", withQuery({ expires, sig: sig.slice(0, 20) }), 403, "LINK_INVALID"],
        ["no signature", withQuery({ expires }), 403, "LINK_INVALID"],
        ["no expiry", withQuery({ sig }), 403, "LINK_INVALID"],
        ["a non-numeric expiry", withQuery({ expires: "tomorrow", sig }), 403, "LINK_INVALID"],
        ["a fractional expiry", withQuery({ expires: `${expires}.5`, sig }), 403, "LINK_INVALID"],
        ["a malformed order id", withQuery({ expires, sig }, "ord_!!"), 403, "LINK_INVALID"],
        [
          "an expired link signed with the real KMS key",
          withQuery({ expires: String(past), sig: await signer().sign(orderId, past) }),
          410,
          "LINK_EXPIRED",
        ],
        ["an expired link with a tampered signature", withQuery({ expires: String(past), sig: flipped }), 403, "LINK_INVALID"],
        // (A valid signature for an order not invoiced yet is 404 too: the contract suite proves it where no worker races the check.)
        [
          "a valid signature for an order that does not exist",
          withQuery({ expires: String(farFuture), sig: await signer().sign("ord_" + "Q".repeat(20), farFuture) }, "ord_" + "Q".repeat(20)),
          404,
          "NOT_FOUND",
        ],
      ];
      for (const [what, path, status, code] of cases) {
        const r = await open(path);
        expect(r.status, what).to.equal(status);
        expect(codeOf(r), what).to.equal(code);
        expect(r.headers.location, what).to.equal(undefined);
      }
      console.log(`      invoice links: ${cases.length} bad links, each its documented code`);
    });
  });

  describe("concurrency on one Idempotency-Key", () => {
    it("turns 20 concurrent identical POSTs into one order and 20 identical 202 answers", async () => {
      // Prepare
      const before = await storedOrderIds(ctx);
      const headers = { "Idempotency-Key": "concurrent-same-body" };
      // Act
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(ctx, `Bearer ${ctx.token}`, { headers })));
      // Assess
      expect(answers.map((a) => a.status)).to.deep.equal(Array(20).fill(202));
      expect(new Set(answers.map((a) => a.body)).size, "distinct bodies").to.equal(1);
      const created = (await storedOrderIds(ctx)).filter((id) => !before.includes(id));
      expect(created).to.deep.equal([JSON.parse(answers[0].body).orderId]);
      await emailedLink(ctx, created[0]);
      const replayed = answers.filter((a) => a.headers["idempotent-replayed"] === "true").length;
      const resent = ctx.lines.filter(
        (l) => l.includes(created[0]) && l.includes("completing an order whose message was never sent"),
      ).length;
      console.log(`      20 identical: 1 order, ${replayed} replayed answers, messages re-sent by replays ${resent}`);
    });

    it("turns 10 concurrent different bodies on one key into exactly one 202 and nine 409s", async () => {
      const before = await storedOrderIds(ctx);
      const headers = { "Idempotency-Key": "concurrent-different-bodies" };
      const bodies = Array.from({ length: 10 }, (_, i) => orderBody({ items: [{ sku: "MUG-01", quantity: 1 + i }] }));
      const answers = await Promise.all(bodies.map((body) => post(ctx, `Bearer ${ctx.token}`, { headers, body })));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).to.deep.equal([202, ...Array(9).fill(409)]);
      for (const a of answers.filter((x) => x.status === 409)) expect(codeOf(a)).to.equal("IDEMPOTENCY_KEY_REUSED");
      const created = (await storedOrderIds(ctx)).filter((id) => !before.includes(id));
      expect(created).to.deep.equal([JSON.parse(answers.find((a) => a.status === 202)!.body).orderId]);
    });
  });
});

/** The `kid` of a JWT's protected header. */
function decodeProtectedKid(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString()) as { kid: string }).kid;
}
