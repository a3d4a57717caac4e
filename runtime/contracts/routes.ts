/**
 * The API's public contract: every route and who may call it. The Pulumi ApiTier, the local
 * gateway and the order API's router (runtime/handlers/order-api.ts, which adds the handlers) are
 * built from this list. "cognito": the user-pool authorizer must pass; "signed-link": no
 * authorizer, the KMS HMAC signature in the query string is the credential; "public": anyone (the
 * storefront's catalog); "provider-signature": no authorizer, the payment provider's signature over
 * the raw body is the credential (webhooks). `role: "admin"` routes also need the caller in the shop
 * admins' Cognito group (ADMIN_GROUP), checked by the handler on the verified token's claims.
 */
export const API_ROUTE_CONTRACT = [
  { method: "POST", resource: "/orders", auth: "cognito" },
  { method: "GET", resource: "/orders", auth: "cognito" },
  { method: "GET", resource: "/orders/{orderId}", auth: "cognito" },
  { method: "GET", resource: "/invoices/{orderId}", auth: "signed-link" },
  { method: "GET", resource: "/products", auth: "public" },
  { method: "PUT", resource: "/admin/products/{sku}", auth: "cognito", role: "admin" },
  { method: "DELETE", resource: "/admin/products/{sku}", auth: "cognito", role: "admin" },
  { method: "GET", resource: "/admin/orders", auth: "cognito", role: "admin" },
  { method: "GET", resource: "/admin/orders/{orderId}", auth: "cognito", role: "admin" },
  { method: "POST", resource: "/admin/orders/{orderId}/credit-notes", auth: "cognito", role: "admin" },
  { method: "GET", resource: "/admin/exports", auth: "cognito", role: "admin" },
  { method: "POST", resource: "/admin/orders/{orderId}/cancel", auth: "cognito", role: "admin" },
  { method: "POST", resource: "/admin/orders/{orderId}/resend", auth: "cognito", role: "admin" },
  { method: "POST", resource: "/webhooks/stripe", auth: "provider-signature" },
] as const;

/** The Cognito group whose members are the shop's admins (catalog, and later the back office). */
export const ADMIN_GROUP = "shop-admins";
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
