import { randomBytes } from "node:crypto";
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateGroupCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { ADMIN_GROUP } from "../runtime/contracts/routes";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";

/** The local user pool, its app client and the demo user. */
export interface LocalUserPool {
  readonly poolId: string;
  readonly clientId: string;
  readonly issuer: string;
  readonly jwksUrl: string;
  /** The shop admins' group (ADMIN_GROUP): its members' ID tokens carry it in `cognito:groups`. */
  readonly adminGroup: string;
}

/** A user who can sign in locally. */
export interface LocalUser {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

/** Creates a user pool like the stack's (email as username, the admins' group) and an app client allowing password sign-in. */
export async function createLocalUserPool(
  cognito: CognitoIdentityProviderClient,
  endpoint: string,
  region: string,
  prefix: string,
): Promise<LocalUserPool> {
  const pool = await cognito.send(
    new CreateUserPoolCommand({
      PoolName: `${prefix}-customers`,
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
      Policies: {
        PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false },
      },
    }),
  );
  const poolId = pool.UserPool!.Id!;
  const client = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: `${prefix}-web`,
      GenerateSecret: false,
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      ReadAttributes: ["email", "name"],
    }),
  );
  await cognito.send(
    new CreateGroupCommand({
      UserPoolId: poolId,
      GroupName: ADMIN_GROUP,
      Description: "Shop staff: may edit the catalog (the /admin routes)",
    }),
  );
  return {
    poolId,
    adminGroup: ADMIN_GROUP,
    clientId: client.UserPoolClient!.ClientId!,
    issuer: `https://cognito-idp.${region}.amazonaws.com/${poolId}`,
    jwksUrl: `${endpoint}/${poolId}/.well-known/jwks.json`,
  };
}

/** Creates a confirmed user with a permanent password. */
export async function createLocalUser(
  cognito: CognitoIdentityProviderClient,
  pool: Pick<LocalUserPool, "poolId">,
  user: LocalUser,
): Promise<void> {
  await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: pool.poolId,
      Username: user.email,
      MessageAction: "SUPPRESS",
      UserAttributes: [
        { Name: "email", Value: user.email },
        { Name: "email_verified", Value: "true" },
        { Name: "name", Value: user.name },
      ],
    }),
  );
  await cognito.send(
    new AdminSetUserPasswordCommand({ UserPoolId: pool.poolId, Username: user.email, Password: user.password, Permanent: true }),
  );
}

/** The local shop admin's address: a member of the shop admins' group, created with the local pipeline. */
export const LOCAL_ADMIN_EMAIL = "admin@shop.example";

/** Makes a local user a shop admin (what `aws cognito-idp admin-add-user-to-group` does for a deployed stack). */
export async function addLocalAdmin(cognito: CognitoIdentityProviderClient, pool: LocalUserPool, email: string): Promise<void> {
  await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.poolId, Username: email, GroupName: pool.adminGroup }));
}

/** An email address a local user may have (what Cognito's email username accepts, roughly). */
export const LOCAL_EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

/**
 * A fresh ID token for a local user, created on first use (confirmed, named after its address).
 * Its password is set anew each time: only this machine's tools sign local users in.
 */
export async function localUserToken(
  cognito: CognitoIdentityProviderClient,
  pool: Pick<LocalUserPool, "poolId" | "clientId">,
  email: string,
): Promise<string> {
  if (!LOCAL_EMAIL.test(email)) throw new Error(`"${email}" is not an email address`);
  const password = `Local-${randomBytes(12).toString("base64url")}1a`;
  try {
    await cognito.send(new AdminGetUserCommand({ UserPoolId: pool.poolId, Username: email }));
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.poolId, Username: email, Password: password, Permanent: true }));
  } catch (e) {
    if ((e as { name?: string }).name !== "UserNotFoundException") throw e;
    const local =
      email
        .split("@")[0]
        .replace(/[^A-Za-z]+/g, " ")
        .trim() || "Local";
    await createLocalUser(cognito, pool, { email, name: `${local[0].toUpperCase()}${local.slice(1)} (local)`, password });
  }
  return signIn(cognito, pool, email, password);
}

/** Signs a user in with USER_PASSWORD_AUTH and returns the ID token (what the API's authorizer expects). */
export async function signIn(
  cognito: CognitoIdentityProviderClient,
  pool: Pick<LocalUserPool, "clientId">,
  email: string,
  password: string,
): Promise<string> {
  const r = await cognito.send(
    new InitiateAuthCommand({
      ClientId: pool.clientId,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  );
  const token = r.AuthenticationResult?.IdToken;
  if (!token) throw new Error(`sign-in of ${email} returned no ID token (challenge: ${r.ChallengeName ?? "none"})`);
  return token;
}

/** Why a bearer token was refused; becomes a 401. */
export class TokenRejected extends Error {
  override name = "TokenRejected";
}

/**
 * Verifies ID tokens as API Gateway's Cognito user-pool authorizer does: RS256 signature
 * against the pool's JWKS, issuer, audience (the app client), token_use "id", expiry.
 * The JWKS is fetched once: jose's remote JWKS refuses nothing, but aws-jwt-verify refuses http.
 */
export async function cognitoVerifier(
  pool: LocalUserPool,
  now: () => Date = () => new Date(),
): Promise<(authorization: string | undefined) => Promise<JWTPayload>> {
  const res = await fetch(pool.jwksUrl);
  if (!res.ok) throw new Error(`could not fetch the user pool's JWKS from ${pool.jwksUrl}: ${res.status}`);
  const jwks = createLocalJWKSet((await res.json()) as JSONWebKeySet);
  return async (authorization) => {
    const m = /^Bearer\s+([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)$/.exec(authorization?.trim() ?? "");
    if (!m) throw new TokenRejected("missing or malformed Authorization header");
    try {
      const { payload } = await jwtVerify(m[1], jwks, {
        issuer: pool.issuer,
        audience: pool.clientId,
        algorithms: ["RS256"],
        currentDate: now(),
      });
      if (payload.token_use !== "id") throw new TokenRejected("not an ID token");
      return payload;
    } catch (e) {
      if (e instanceof TokenRejected) throw e;
      throw new TokenRejected((e as Error).message);
    }
  };
}
