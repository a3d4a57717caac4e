/**
 * A local Stripe: the part of Stripe's HTTP API that the payment provider (runtime/payments/stripe.ts) and a
 * browser confirming with the client secret use, spoken to the official SDK unchanged. PaymentIntents with
 * Stripe's documented test payment methods, Refunds (by payment intent), idempotency keys, Stripe's error
 * shapes, a 3-D Secure page, and signed webhooks with retries. State lives in memory; nothing leaves 127.0.0.1.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { expandList, type FormParams, parseStripeForm, str } from "./form";
import {
  authenticationFailure,
  chargeJson,
  type ChargeRecord,
  declineError,
  type IntentRecord,
  intentJson,
  nowSeconds,
  paymentMethodJson,
  type RefundRecord,
  refundJson,
  stripeErrors,
  stripeId,
  TEST_PAYMENT_METHODS,
} from "./objects";
import { type StripeEvent, type WebhookDelivery, WebhookSender } from "./webhooks";

/** How to start the stand-in. */
export interface StripeStandInOptions {
  /** The secret key clients must present (`Authorization: Bearer sk_test_...`). */
  readonly secretKey: string;
  /** The publishable key a browser may use to read and confirm an intent together with its client secret. */
  readonly publishableKey?: string;
  /** Signs the webhooks (`whsec_...`). */
  readonly webhookSecret: string;
  /** Where webhooks go; a function is asked at each event. Without one, events are kept but not sent. */
  readonly webhookUrl?: string | (() => string | undefined);
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Delivery attempts per event, the first included. @default 4 */
  readonly webhookAttempts?: number;
  /** Wait before the first redelivery, doubled for each further one. @default 100 */
  readonly webhookBackoffMs?: number;
}

/** One API request the stand-in answered, for tests (the drift check reads `operation`, `params` and `body`). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Stripe's operationId, e.g. "PostPaymentIntents"; undefined for unknown routes. */
  readonly operation?: string;
  /** The decoded form body (POST) or query string (GET). */
  readonly params: FormParams;
  readonly status: number;
  readonly body: unknown;
  readonly replayed: boolean;
}

/** A running stand-in. */
export interface StripeStandIn {
  /** `http://127.0.0.1:<port>`: the provider's `apiBaseUrl`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** Every webhook delivery attempt and the endpoint's answer. */
  deliveries(): WebhookDelivery[];
  /** Every event created, oldest first (sent or not). */
  events(): StripeEvent[];
  /** Every API request answered, oldest first. */
  requests(): RecordedRequest[];
  setWebhookUrl(url: string | (() => string | undefined) | undefined): void;
  /** What the customer does on the 3-D Secure page; the intent must be `requires_action`. */
  authenticate(paymentIntentId: string, outcome: "succeed" | "fail"): void;
  /** Resolves when every webhook has been delivered or given up on. */
  webhooksIdle(): Promise<void>;
  /**
   * Refunds a succeeded intent as the Stripe dashboard would: `amountMinor` (default: what is left), no
   * credit-note metadata; sends the same `charge.refunded` webhook. Throws with Stripe's message when Stripe would refuse.
   */
  dashboardRefund(paymentIntentId: string, amountMinor?: number): RefundJson;
}

/** A Refund as the stand-in answers it (Stripe's `refund` object). */
export type RefundJson = Record<string, unknown> & { readonly id: string; readonly object: "refund"; readonly amount: number };

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface Caller {
  readonly kind: "secret" | "publishable";
  readonly stripeVersion: string;
  readonly requestId: string;
  readonly idempotencyKey: string | null;
}

const CANCELABLE = ["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"];
const CONFIRMABLE = ["requires_payment_method", "requires_confirmation"];
const EXPANDABLE = new Set(["latest_charge"]);
const CREATE_PARAMS = new Set([
  "amount",
  "currency",
  "metadata",
  "description",
  "payment_method",
  "payment_method_types",
  "allowed_payment_method_types",
  "confirm",
  "return_url",
  "expand",
]);
const CONFIRM_PARAMS = new Set(["payment_method", "return_url", "expand", "client_secret", "key"]);
const CANCEL_PARAMS = new Set(["cancellation_reason", "expand"]);
const REFUND_PARAMS = new Set(["payment_intent", "amount", "metadata", "reason"]);
const REFUND_REASONS = new Set(["duplicate", "fraudulent", "requested_by_customer"]);
const LIST_PARAMS = new Set(["payment_intent", "limit", "starting_after", "ending_before"]);
const MAX_BODY = 1 << 20;

/** Starts the stand-in on 127.0.0.1. */
export async function startStripeStandIn(opts: StripeStandInOptions): Promise<StripeStandIn> {
  let webhookUrl = opts.webhookUrl;
  const sender = new WebhookSender({
    url: () => (typeof webhookUrl === "function" ? webhookUrl() : webhookUrl),
    webhookSecret: opts.webhookSecret,
    ...(opts.webhookAttempts !== undefined ? { attempts: opts.webhookAttempts } : {}),
    ...(opts.webhookBackoffMs !== undefined ? { backoffMs: opts.webhookBackoffMs } : {}),
  });
  const intents = new Map<string, IntentRecord>();
  const charges = new Map<string, ChargeRecord>();
  /** Oldest first (Stripe lists newest first). */
  const refunds: RefundRecord[] = [];
  const idempotency = new Map<string, { fingerprint: string; answer: Answer }>();
  const events: StripeEvent[] = [];
  const requests: RecordedRequest[] = [];
  let base = "";

  const emit = (type: string, pi: IntentRecord, caller: Caller | undefined): void => emitObject(type, intentJson(pi), caller);
  const emitObject = (type: string, object: Record<string, unknown>, caller: Caller | undefined): void => {
    const event: StripeEvent = {
      id: stripeId("evt"),
      object: "event",
      api_version: caller?.stripeVersion ?? Stripe.API_VERSION,
      created: nowSeconds(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: caller?.requestId ?? null, idempotency_key: caller?.idempotencyKey ?? null },
      type,
    };
    events.push(event);
    sender.send(event);
  };

  const newCharge = (pi: IntentRecord, pm: string, succeeded: boolean): ChargeRecord => {
    const charge: ChargeRecord = {
      id: stripeId("ch"),
      intent: pi,
      paymentMethod: pm,
      card: TEST_PAYMENT_METHODS[pm]!,
      succeeded,
      created: nowSeconds(),
      amountRefunded: 0,
    };
    charges.set(charge.id, charge);
    pi.latestCharge = charge.id;
    return charge;
  };

  const render = (pi: IntentRecord, params: FormParams): Answer => {
    const expand = expandList(params);
    const bad = expand.find((f) => !EXPANDABLE.has(f));
    if (bad) return stripeErrors.notExpandable(bad);
    const charge = expand.includes("latest_charge") && pi.latestCharge ? charges.get(pi.latestCharge) : undefined;
    return { status: 200, body: intentJson(pi, charge) };
  };

  /** Confirms with a test payment method: succeeds, declines (402) or asks for 3-D Secure. */
  const confirm = (pi: IntentRecord, pm: string, params: FormParams, caller: Caller): Answer => {
    const card = TEST_PAYMENT_METHODS[pm];
    if (!card) return stripeErrors.noSuchPaymentMethod(pm);
    pi.paymentMethod = pm;
    pi.returnUrl = str(params, "return_url") ?? pi.returnUrl;
    pi.lastPaymentError = null;
    if (card.outcome === "succeed") {
      newCharge(pi, pm, true);
      pi.status = "succeeded";
      emit("payment_intent.succeeded", pi, caller);
    } else if (card.outcome === "decline") {
      const charge = newCharge(pi, pm, false);
      pi.status = "requires_payment_method";
      pi.paymentMethod = null;
      pi.lastPaymentError = declineError(charge.id, paymentMethodJson(pm, card, pi.created));
      emit("payment_intent.payment_failed", pi, caller);
      return { status: 402, body: { error: { ...pi.lastPaymentError, payment_intent: intentJson(pi) } } };
    } else {
      pi.status = "requires_action";
      pi.nextAction = { type: "redirect_to_url", redirect_to_url: { url: `${base}/_standin/3ds/${pi.id}`, return_url: pi.returnUrl } };
      emit("payment_intent.requires_action", pi, caller);
    }
    return render(pi, params);
  };

  /**
   * Refunds `amount` (default: what is left) of the intent's successful charge, refusing as Stripe does,
   * and sends `charge.refunded` carrying the charge as it is after the refund.
   */
  const refund = (
    pi: IntentRecord,
    amount: number | undefined,
    metadata: Record<string, string>,
    reason: string | null,
    caller: Caller | undefined,
  ): Answer => {
    const charge = pi.status === "succeeded" && pi.latestCharge ? charges.get(pi.latestCharge) : undefined;
    if (!charge?.succeeded) return stripeErrors.nothingToRefund(pi.id);
    const left = pi.amount - charge.amountRefunded;
    if (left === 0) return stripeErrors.chargeAlreadyRefunded(charge.id);
    if (amount !== undefined && amount > left) return stripeErrors.amountTooLarge(amount, left, pi.currency);
    const r: RefundRecord = { id: stripeId("re"), charge, amount: amount ?? left, metadata, reason, created: nowSeconds() };
    charge.amountRefunded += r.amount;
    refunds.push(r);
    emitObject("charge.refunded", chargeJson(charge), caller);
    return { status: 200, body: refundJson(r) };
  };

  const operations = {
    PostPaymentIntents(params: FormParams, caller: Caller): Answer {
      const unknown = Object.keys(params).find((k) => !CREATE_PARAMS.has(k));
      if (unknown) return stripeErrors.unknownParam(unknown);
      const amount = str(params, "amount");
      const currency = str(params, "currency");
      if (amount === undefined) return stripeErrors.missingParam("amount");
      if (!/^[1-9]\d{0,7}$/.test(amount))
        return stripeErrors.invalidParam("amount", "Invalid integer: amount must be a positive integer up to 8 digits.");
      if (currency === undefined) return stripeErrors.missingParam("currency");
      if (!/^[a-zA-Z]{3}$/.test(currency)) return stripeErrors.invalidParam("currency", `Invalid currency: ${currency.toLowerCase()}.`);
      for (const name of ["payment_method_types", "allowed_payment_method_types"]) {
        const types = params[name];
        if (types !== undefined && (!Array.isArray(types) || types.some((t) => t !== "card"))) {
          return stripeErrors.invalidParam(name, `The stand-in supports only the payment method type "card" (${name}).`);
        }
      }
      const metadata = params.metadata;
      const pi: IntentRecord = {
        id: stripeId("pi"),
        clientSecret: "",
        amount: Number(amount),
        currency: currency.toLowerCase(),
        description: str(params, "description") ?? null,
        metadata: metadata && typeof metadata === "object" && !Array.isArray(metadata) ? (metadata as Record<string, string>) : {},
        created: nowSeconds(),
        status: str(params, "payment_method") ? "requires_confirmation" : "requires_payment_method",
        paymentMethod: str(params, "payment_method") ?? null,
        returnUrl: str(params, "return_url") ?? null,
        latestCharge: null,
        lastPaymentError: null,
        nextAction: null,
        canceledAt: null,
        cancellationReason: null,
      };
      Object.assign(pi, { clientSecret: `${pi.id}_secret_${stripeId("x").slice(2)}` });
      if (pi.paymentMethod && !TEST_PAYMENT_METHODS[pi.paymentMethod]) return stripeErrors.noSuchPaymentMethod(pi.paymentMethod);
      intents.set(pi.id, pi);
      emit("payment_intent.created", pi, caller);
      if (str(params, "confirm") !== "true") return render(pi, params);
      if (!pi.paymentMethod) return stripeErrors.missingParam("payment_method");
      return confirm(pi, pi.paymentMethod, params, caller);
    },

    GetPaymentIntentsIntent(pi: IntentRecord, params: FormParams): Answer {
      return render(pi, params);
    },

    PostPaymentIntentsIntentConfirm(pi: IntentRecord, params: FormParams, caller: Caller): Answer {
      const unknown = Object.keys(params).find((k) => !CONFIRM_PARAMS.has(k));
      if (unknown) return stripeErrors.unknownParam(unknown);
      if (!CONFIRMABLE.includes(pi.status)) return stripeErrors.unexpectedState(intentJson(pi), "confirm", CONFIRMABLE);
      const pm = str(params, "payment_method") ?? pi.paymentMethod;
      if (!pm) return stripeErrors.missingParam("payment_method");
      return confirm(pi, pm, params, caller);
    },

    PostRefunds(params: FormParams, caller: Caller): Answer {
      const unknown = Object.keys(params).find((k) => !REFUND_PARAMS.has(k));
      if (unknown) return stripeErrors.unknownParam(unknown);
      const id = str(params, "payment_intent");
      // Stripe also refunds by `charge`; this shop refunds by payment intent only.
      if (id === undefined) return stripeErrors.missingParam("payment_intent");
      const pi = intents.get(id);
      if (!pi) return stripeErrors.noSuchIntent(id);
      const amount = str(params, "amount");
      if (amount !== undefined && !/^[1-9]\d{0,7}$/.test(amount))
        return stripeErrors.invalidParam("amount", "Invalid integer: amount must be a positive integer up to 8 digits.");
      const reason = str(params, "reason");
      if (reason !== undefined && !REFUND_REASONS.has(reason)) return stripeErrors.invalidParam("reason", `Invalid reason: ${reason}`);
      const metadata = params.metadata;
      const meta = metadata && typeof metadata === "object" && !Array.isArray(metadata) ? (metadata as Record<string, string>) : {};
      return refund(pi, amount === undefined ? undefined : Number(amount), meta, reason ?? null, caller);
    },

    GetRefunds(params: FormParams): Answer {
      const unknown = Object.keys(params).find((k) => !LIST_PARAMS.has(k));
      if (unknown) return stripeErrors.unknownParam(unknown);
      const limitText = str(params, "limit") ?? "10";
      if (!/^\d{1,3}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 100)
        return stripeErrors.invalidParam("limit", "Invalid integer: limit must be between 1 and 100.");
      const intent = str(params, "payment_intent");
      const newestFirst = refunds.filter((r) => intent === undefined || r.charge.intent.id === intent).reverse();
      let from = 0;
      let to = newestFirst.length;
      const after = str(params, "starting_after");
      const before = str(params, "ending_before");
      if (after !== undefined) {
        const i = newestFirst.findIndex((r) => r.id === after);
        if (i < 0) return stripeErrors.noSuchRefund(after);
        from = i + 1;
      } else if (before !== undefined) {
        const i = newestFirst.findIndex((r) => r.id === before);
        if (i < 0) return stripeErrors.noSuchRefund(before);
        to = i;
        from = Math.max(0, i - Number(limitText));
      }
      const page = newestFirst.slice(from, Math.min(to, from + Number(limitText)));
      const hasMore = before !== undefined ? from > 0 : from + page.length < to;
      return { status: 200, body: { object: "list", data: page.map(refundJson), has_more: hasMore, url: "/v1/refunds" } };
    },

    GetRefundsRefund(id: string): Answer {
      const r = refunds.find((x) => x.id === id);
      return r ? { status: 200, body: refundJson(r) } : stripeErrors.noSuchRefund(id);
    },

    PostPaymentIntentsIntentCancel(pi: IntentRecord, params: FormParams, caller: Caller): Answer {
      const unknown = Object.keys(params).find((k) => !CANCEL_PARAMS.has(k));
      if (unknown) return stripeErrors.unknownParam(unknown);
      if (!CANCELABLE.includes(pi.status)) return stripeErrors.unexpectedState(intentJson(pi), "cancel", CANCELABLE);
      pi.status = "canceled";
      pi.canceledAt = nowSeconds();
      pi.cancellationReason = str(params, "cancellation_reason") ?? null;
      pi.nextAction = null;
      emit("payment_intent.canceled", pi, caller);
      return render(pi, params);
    },
  };

  const authenticate = (id: string, outcome: "succeed" | "fail"): IntentRecord => {
    const pi = intents.get(id);
    if (!pi) throw new Error(`no payment intent ${id}`);
    if (pi.status !== "requires_action" || !pi.paymentMethod) throw new Error(`payment intent ${id} is ${pi.status}, not requires_action`);
    const pm = pi.paymentMethod;
    pi.nextAction = null;
    if (outcome === "succeed") {
      newCharge(pi, pm, true);
      pi.status = "succeeded";
      emit("payment_intent.succeeded", pi, undefined);
    } else {
      pi.status = "requires_payment_method";
      pi.paymentMethod = null;
      pi.lastPaymentError = authenticationFailure(paymentMethodJson(pm, TEST_PAYMENT_METHODS[pm]!, pi.created));
      emit("payment_intent.payment_failed", pi, undefined);
    }
    return pi;
  };

  /** Routes one API request; answers Stripe's error shapes for everything it refuses. */
  const api = (method: string, path: string, params: FormParams, caller: Caller): { operation?: string; answer: Answer } => {
    const refundPath = /^\/v1\/refunds(?:\/([^/]+))?$/.exec(path);
    if (refundPath) {
      const operation =
        method === "POST" && !refundPath[1]
          ? "PostRefunds"
          : method === "GET"
            ? refundPath[1]
              ? "GetRefundsRefund"
              : "GetRefunds"
            : undefined;
      if (!operation) return { answer: stripeErrors.notFound(path) };
      // Refunds need the secret key: a browser's publishable key may not touch them.
      if (caller.kind !== "secret") return { operation, answer: stripeErrors.unauthenticated() };
      if (operation === "PostRefunds") return { operation, answer: operations.PostRefunds(params, caller) };
      if (operation === "GetRefunds") return { operation, answer: operations.GetRefunds(params) };
      return { operation, answer: operations.GetRefundsRefund(decodeURIComponent(refundPath[1]!)) };
    }
    if (path === "/v1/payment_intents" && method === "POST") {
      if (caller.kind !== "secret") return { operation: "PostPaymentIntents", answer: stripeErrors.unauthenticated() };
      return { operation: "PostPaymentIntents", answer: operations.PostPaymentIntents(params, caller) };
    }
    const m = /^\/v1\/payment_intents\/([^/]+)(?:\/(confirm|cancel))?$/.exec(path);
    const operation =
      m && method === "GET" && !m[2]
        ? "GetPaymentIntentsIntent"
        : m && method === "POST" && m[2] === "confirm"
          ? "PostPaymentIntentsIntentConfirm"
          : m && method === "POST" && m[2] === "cancel"
            ? "PostPaymentIntentsIntentCancel"
            : undefined;
    if (!m || !operation) return { answer: stripeErrors.notFound(path) };
    const pi = intents.get(decodeURIComponent(m[1]!));
    if (!pi) return { operation, answer: stripeErrors.noSuchIntent(m[1]!) };
    if (caller.kind === "publishable") {
      // A browser may read and confirm an intent it holds the client secret of, nothing else.
      if (operation === "PostPaymentIntentsIntentCancel") return { operation, answer: stripeErrors.unauthenticated() };
      if (str(params, "client_secret") !== pi.clientSecret) return { operation, answer: stripeErrors.noSuchIntent(pi.id) };
    }
    const { client_secret: _secret, key: _key, ...rest } = params;
    const own = caller.kind === "publishable" ? rest : params;
    if (operation === "GetPaymentIntentsIntent") return { operation, answer: operations.GetPaymentIntentsIntent(pi, own) };
    if (operation === "PostPaymentIntentsIntentConfirm")
      return { operation, answer: operations.PostPaymentIntentsIntentConfirm(pi, own, caller) };
    return { operation, answer: operations.PostPaymentIntentsIntentCancel(pi, own, caller) };
  };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { type: "api_error", message: `stand-in failure: ${(err as Error).message}` } }, {});
    });
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", base);
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    if (raw === undefined) return send(res, 413, { error: { type: "invalid_request_error", message: "Request body too large." } }, {});
    if (method === "OPTIONS") return send(res, 204, undefined, {});
    const threeDs = /^\/_standin\/3ds\/([^/]+)$/.exec(url.pathname);
    if (threeDs) return threeDsPage(res, method, decodeURIComponent(threeDs[1]!), url.searchParams.get("outcome"));

    const params = parseStripeForm(method === "GET" || method === "DELETE" ? url.search.slice(1) : raw);
    const requestId = stripeId("req").slice(0, 18);
    const stripeVersion = header(req, "stripe-version") ?? Stripe.API_VERSION;
    const idempotencyKey = method === "POST" ? (header(req, "idempotency-key") ?? null) : null;
    const headers: Record<string, string> = { "request-id": requestId, "stripe-version": stripeVersion };
    if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
    const key = apiKey(req, params);
    const kind = key === opts.secretKey ? "secret" : key !== undefined && key === opts.publishableKey ? "publishable" : undefined;
    const record = (operation: string | undefined, answer: Answer, replayed: boolean): void => {
      requests.push({
        method,
        path: url.pathname,
        ...(operation ? { operation } : {}),
        params,
        status: answer.status,
        body: answer.body,
        replayed,
      });
    };
    if (!kind) {
      const answer = stripeErrors.unauthenticated();
      record(undefined, answer, false);
      return send(res, answer.status, answer.body, { ...headers, "www-authenticate": 'Bearer realm="Stripe"' });
    }

    // Stripe keys idempotency per account and key; a replay answers the first answer, marked as such.
    const scope = idempotencyKey ? `${kind}:${idempotencyKey}` : undefined;
    const fingerprint = `${method} ${url.pathname} ${canonical(params)}`;
    const stored = scope ? idempotency.get(scope) : undefined;
    if (stored && idempotencyKey) {
      if (stored.fingerprint !== fingerprint) {
        const answer = stripeErrors.idempotencyReused(idempotencyKey);
        record(undefined, answer, false);
        return send(res, answer.status, answer.body, headers);
      }
      record(operationOf(method, url.pathname), stored.answer, true);
      return send(res, stored.answer.status, stored.answer.body, { ...headers, "idempotent-replayed": "true" });
    }
    const { operation, answer } = api(method, url.pathname, params, { kind, stripeVersion, requestId, idempotencyKey });
    if (scope && answer.status < 500) idempotency.set(scope, { fingerprint, answer });
    record(operation, answer, false);
    send(res, answer.status, answer.body, headers);
  };

  const threeDsPage = (res: http.ServerResponse, method: string, id: string, outcome: string | null): void => {
    const pi = intents.get(id);
    if (!pi) return html(res, 404, "<p>No such payment.</p>");
    if (method === "POST" && (outcome === "succeed" || outcome === "fail")) {
      if (pi.status === "requires_action") authenticate(id, outcome);
      if (pi.returnUrl) {
        const back = new URL(pi.returnUrl);
        back.searchParams.set("payment_intent", pi.id);
        back.searchParams.set("payment_intent_client_secret", pi.clientSecret);
        back.searchParams.set("redirect_status", pi.status === "succeeded" ? "succeeded" : "failed");
        res.writeHead(303, { location: back.toString() }).end();
        return;
      }
      return html(res, 200, `<p>Authentication ${pi.status === "succeeded" ? "complete" : "failed"}. You may close this page.</p>`);
    }
    if (pi.status !== "requires_action") return html(res, 409, `<p>This payment is ${pi.status}; there is nothing to authenticate.</p>`);
    const amount = `${(pi.amount / 100).toFixed(2)} ${pi.currency.toUpperCase()}`;
    return html(
      res,
      200,
      `<h1>3D Secure test page</h1><p>Authenticate the payment of ${amount}?</p>` +
        `<form method="post" action="/_standin/3ds/${pi.id}?outcome=succeed"><button type="submit">Complete</button></form>` +
        `<form method="post" action="/_standin/3ds/${pi.id}?outcome=fail"><button type="submit">Fail</button></form>`,
    );
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    port,
    async close() {
      sender.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
    deliveries: () => sender.deliveries(),
    events: () => [...events],
    requests: () => [...requests],
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    authenticate(id, outcome) {
      authenticate(id, outcome);
    },
    webhooksIdle: () => sender.idle(),
    dashboardRefund(paymentIntentId, amountMinor) {
      const pi = intents.get(paymentIntentId);
      if (!pi) throw new Error(`no payment intent ${paymentIntentId}`);
      const answer = refund(pi, amountMinor, {}, "requested_by_customer", undefined);
      if (answer.status !== 200) throw new Error((answer.body as { error: { message: string } }).error.message);
      return answer.body as RefundJson;
    },
  };
}

function operationOf(method: string, path: string): string | undefined {
  if (method === "POST" && path === "/v1/payment_intents") return "PostPaymentIntents";
  if (method === "POST" && path === "/v1/refunds") return "PostRefunds";
  const m = /^\/v1\/payment_intents\/[^/]+\/(confirm|cancel)$/.exec(path);
  if (method === "POST" && m) return m[1] === "confirm" ? "PostPaymentIntentsIntentConfirm" : "PostPaymentIntentsIntentCancel";
  return undefined;
}

/** The API key: Bearer (the SDK), Basic with the key as user name (curl -u), or a `key` param (Stripe.js). */
function apiKey(req: http.IncomingMessage, params: FormParams): string | undefined {
  const auth = header(req, "authorization");
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  if (auth?.startsWith("Basic ")) return Buffer.from(auth.slice(6), "base64").toString("utf8").split(":")[0];
  return str(params, "key");
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The params in a stable order, so that the same request with reordered fields counts as the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  res.writeHead(status, {
    ...headers,
    "access-control-allow-origin": "*",
    "access-control-allow-headers": "authorization, content-type, idempotency-key, stripe-version",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    ...(body === undefined ? {} : { "content-type": "application/json" }),
  });
  res.end(body === undefined ? undefined : JSON.stringify(body, null, 2));
}

function html(res: http.ServerResponse, status: number, content: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Stripe stand-in</title></head><body>${content}</body></html>`);
}

/** Re-exported for tests that forge or replay events. */
export { signStripePayload } from "./webhooks";
export type { StripeEvent, WebhookDelivery } from "./webhooks";
