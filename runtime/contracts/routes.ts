/**
 * The API's public contract: every route and who may call it. The Pulumi ApiTier, the local
 * gateway and the order API's router (runtime/handlers/order-api.ts, which adds the handlers) are
 * built from this list. "cognito": the user-pool authorizer must pass; "signed-link": no
 * authorizer, the KMS HMAC signature in the query string is the credential.
 */
export const API_ROUTE_CONTRACT = [
  { method: "POST", resource: "/orders", auth: "cognito" },
  { method: "GET", resource: "/orders", auth: "cognito" },
  { method: "GET", resource: "/orders/{orderId}", auth: "cognito" },
  { method: "GET", resource: "/invoices/{orderId}", auth: "signed-link" },
] as const;
/** One route of the contract. */
export type RouteContract = (typeof API_ROUTE_CONTRACT)[number];
/** "METHOD /resource", the key a route is known by. */
export type RouteKey = RouteContract extends infer R
  ? R extends { readonly method: infer M extends string; readonly resource: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;
/** The key of a route. */
export const routeKey = (r: { readonly method: string; readonly resource: string }): string => `${r.method} ${r.resource}`;
