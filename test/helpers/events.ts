import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { ADMIN_GROUP } from "../../runtime/contracts/routes";

/** A Cognito user's claims as the REST API authorizer passes them. */
export interface Claims {
  sub: string;
  email: string;
  name?: string;
}

export const ALICE: Claims = { sub: "4f1c2a9e-1111-4a1b-9c1d-aaaaaaaaaaaa", email: "alice@example.com", name: "Alice Example" };
export const BOB: Claims = { sub: "4f1c2a9e-2222-4a1b-9c1d-bbbbbbbbbbbb", email: "bob@example.com", name: "Bob Example" };

/** A shop admin's claims: in the admins' Cognito group (as the authorizer passes groups, a bracketed list). */
export const ADMIN: Claims = {
  ...BOB,
  sub: "4f1c2a9e-3333-4a1b-9c1d-cccccccccccc",
  email: "admin@shop.example",
  "cognito:groups": `[${ADMIN_GROUP}]`,
} as Claims;

/** Builds an API Gateway REST proxy event shaped as AWS sends it. */
export function apiEvent(o: {
  method: string;
  resource: string;
  path: string;
  body?: string | null;
  headers?: Record<string, string>;
  claims?: Claims | null;
  pathParameters?: Record<string, string> | null;
  query?: Record<string, string> | null;
}): APIGatewayProxyEvent {
  const claims = o.claims === undefined ? ALICE : o.claims;
  return {
    resource: o.resource,
    path: o.path,
    httpMethod: o.method,
    headers: o.headers ?? {},
    multiValueHeaders: Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k, [v]])),
    queryStringParameters: o.query ?? null,
    multiValueQueryStringParameters: o.query ? Object.fromEntries(Object.entries(o.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: o.pathParameters ?? null,
    stageVariables: null,
    body: o.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      stage: "test",
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      httpMethod: o.method,
      path: `/test${o.path}`,
      resourceId: "res",
      resourcePath: o.resource,
      protocol: "HTTP/1.1",
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: "203.0.113.9", userAgent: "test" } as never,
      authorizer: claims ? { claims: { ...claims, "cognito:username": claims.sub, token_use: "id" } } : null,
    },
  } as APIGatewayProxyEvent;
}

/** GET /invoices/{orderId} as an emailed `link` makes it (no sign-in: the signature in the query is the credential). */
export function linkEvent(link: string): APIGatewayProxyEvent {
  const u = new URL(link);
  const orderId = decodeURIComponent(u.pathname.split("/").pop()!);
  return apiEvent({
    method: "GET",
    resource: "/invoices/{orderId}",
    path: `/invoices/${orderId}`,
    pathParameters: { orderId },
    query: Object.fromEntries(u.searchParams),
    claims: null,
  });
}

/** A valid POST /orders body. */
export function orderBody(overrides: Record<string, unknown> = {}) {
  return {
    items: [
      { sku: "TSHIRT-RED-M", quantity: 2 },
      { sku: "MUG-01", quantity: 1 },
    ],
    shippingAddress: { name: "Alice Example", line1: "Hauptstr. 5", city: "Berlin", postalCode: "10115", country: "DE" },
    billingAddress: "same-as-shipping",
    shipping: { method: "standard" },
    // The stand-in's (and Stripe's) test card that succeeds at once: the order is PAID in the same request.
    payment: { provider: "stripe", paymentMethod: "pm_card_visa" },
    ...overrides,
  };
}

/** POST /orders as a JSON request of `claims`. */
export function postOrder(body: unknown, o: { claims?: Claims | null; headers?: Record<string, string> } = {}) {
  return apiEvent({
    method: "POST",
    resource: "/orders",
    path: "/orders",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: Object.keys(o.headers ?? {}).some((k) => k.toLowerCase() === "content-type")
      ? { ...o.headers }
      : { "Content-Type": "application/json", ...(o.headers ?? {}) },
    claims: o.claims,
  });
}

/** GET /orders/{orderId} of `claims`. */
export function getOrder(orderId: string, claims: Claims | null = ALICE) {
  return apiEvent({ method: "GET", resource: "/orders/{orderId}", path: `/orders/${orderId}`, pathParameters: { orderId }, claims });
}

/** An S3 ObjectCreated notification for the given keys, encoded as S3 encodes them. */
export function s3Event(bucket: string, keys: string[]) {
  return {
    Records: keys.map((key) => ({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventTime: new Date().toISOString(),
      eventName: "ObjectCreated:Put",
      s3: {
        s3SchemaVersion: "1.0",
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeURIComponent(key).replace(/%20/g, "+"), size: 1000 },
      },
    })),
  };
}

/** The Lambda context an invocation gets (Node.js runtime's shape), with `awsRequestId`. */
export function lambdaContext(awsRequestId: string, functionName = "shop-dev-notify-handler"): Context {
  return {
    awsRequestId,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "256",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/11/26/[$LATEST]0123456789abcdef",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** POST /webhooks/stripe as Stripe sends it: no authorizer, the raw JSON body and its Stripe-Signature header. */
export function webhookEvent(raw: string, signature: string | undefined) {
  return apiEvent({
    method: "POST",
    resource: "/webhooks/stripe",
    path: "/webhooks/stripe",
    body: raw,
    headers: { "Content-Type": "application/json; charset=utf-8", ...(signature === undefined ? {} : { "Stripe-Signature": signature }) },
    claims: null,
  });
}
