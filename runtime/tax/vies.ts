/**
 * Whether a buyer's VAT ID is registered, asked of the EU's VIES through its REST API
 * (`POST {base}/check-vat-number`, contract: https://ec.europa.eu/assets/taxud/vow-information/swagger_publicVAT.yaml).
 * VIES answers `{ valid, requestDate, name, address, requestIdentifier, ... }`, or, for any failure and with any
 * HTTP status (200 included), `{ actionSucceed: false, errorWrappers: [{ error, message }] }`. Every answer that
 * is not a well-formed yes or no about the ID asked is a VatServiceUnavailable: never a guess.
 */
import { z } from "zod";

import { parseVatId, type VatId } from "../domain/vat-id";

/** The EU's VIES REST API (production; locally the stand-in's url). */
export const VIES_REST_BASE_URL = "https://ec.europa.eu/taxation_customs/vies/rest-api";

/** VIES's answer about one VAT ID: what the exemption's evidence is made of. */
export interface VatIdCheck {
  /** The ID asked about (VIES form, e.g. "ATU12345675"). */
  readonly vatId: string;
  /** Registered and active for intra-Community transactions on the request date. */
  readonly valid: boolean;
  /** The registered name, when the member state discloses it (Germany does not). */
  readonly name?: string;
  /** The registered address, when the member state discloses it; lines separated by "\n" as VIES sends them. */
  readonly address?: string;
  /** VIES's consultation number: proof of this check, given only when the requester (the seller) is sent. */
  readonly requestIdentifier?: string;
  /** When VIES answered, as VIES wrote it. */
  readonly requestDate: string;
  readonly source: "vies";
}

/** The VAT ID service's port: another source (a national service, a cache of answers) can stand behind it. */
export interface VatIdVerifier {
  /** Asks whether the ID is registered; rejects with VatServiceUnavailable whenever there is no clear answer. */
  check(vatId: VatId): Promise<VatIdCheck>;
}

/** Error codes VIES documents in `errorWrappers[].error`. */
export const VIES_ERRORS = [
  "INVALID_INPUT",
  "INVALID_REQUESTER_INFO",
  "SERVICE_UNAVAILABLE",
  "MS_UNAVAILABLE",
  "TIMEOUT",
  "VAT_BLOCKED",
  "IP_BLOCKED",
  "GLOBAL_MAX_CONCURRENT_REQ",
  "GLOBAL_MAX_CONCURRENT_REQ_TIME",
  "MS_MAX_CONCURRENT_REQ",
  "MS_MAX_CONCURRENT_REQ_TIME",
] as const;
export type ViesError = (typeof VIES_ERRORS)[number];

/**
 * Why no answer came: a VIES error code, or what went wrong on the way (NETWORK, CLIENT_TIMEOUT: our timeout,
 * HTTP_STATUS: an error status without VIES's error body, MALFORMED_ANSWER, UNKNOWN_VIES_ERROR).
 */
export type VatServiceFailure = ViesError | "NETWORK" | "CLIENT_TIMEOUT" | "HTTP_STATUS" | "MALFORMED_ANSWER" | "UNKNOWN_VIES_ERROR";

/** Failures that asking again later will not cure: the input, our requester ID, or a block need a person. */
const NOT_RETRYABLE: ReadonlySet<VatServiceFailure> = new Set(["INVALID_INPUT", "INVALID_REQUESTER_INFO", "VAT_BLOCKED", "IP_BLOCKED"]);

/** The VAT ID service gave no clear answer: the ID is neither confirmed nor refused. */
export class VatServiceUnavailable extends Error {
  override name = "VatServiceUnavailable";
  /** Whether asking again later may succeed (member state down, throttled, timed out). */
  readonly retryable: boolean;
  constructor(
    readonly failure: VatServiceFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.retryable = !NOT_RETRYABLE.has(failure);
  }
}

/** How to reach VIES. */
export interface ViesSettings {
  /** The REST API's base, without a trailing slash. @default VIES_REST_BASE_URL */
  readonly baseUrl?: string;
  /** The seller's own VAT ID, sent as requester: without it VIES gives no consultation number. */
  readonly requester: VatId;
  /** How long one check may take, answer read included. @default 10000 */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** VIES's error body; sent with 200, 400 or 500. */
const errorBody = z.object({
  actionSucceed: z.literal(false).optional(),
  errorWrappers: z.array(z.object({ error: z.string().optional(), message: z.string().optional() })).min(1),
});

/** The part of VIES's CheckVatResponse we rely on; anything else in it is ignored. */
const checkBody = z.object({
  countryCode: z.string().optional(),
  vatNumber: z.string().optional(),
  valid: z.boolean(),
  requestDate: z.string().min(1),
  requestIdentifier: z.string().optional(),
  name: z.string().nullish(),
  address: z.string().nullish(),
});

/** The VatIdVerifier against VIES's REST API. */
export function viesVerifier(settings: ViesSettings): VatIdVerifier {
  const url = `${(settings.baseUrl ?? VIES_REST_BASE_URL).replace(/\/+$/, "")}/check-vat-number`;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async check(vatId) {
      const request = {
        countryCode: vatId.country,
        vatNumber: vatId.number,
        requesterMemberStateCode: settings.requester.country,
        requesterNumber: settings.requester.number,
      };
      const { status, text } = await post(url, request, timeoutMs, vatId.full);
      return readAnswer(vatId, status, text);
    },
  };
}

async function post(url: string, body: unknown, timeoutMs: number, what: string) {
  try {
    // One signal for the whole exchange: a server that sends headers and then stalls is cut off too.
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  } catch (e) {
    if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError"))
      throw new VatServiceUnavailable("CLIENT_TIMEOUT", `VIES did not answer about ${what} within ${timeoutMs} ms.`, { cause: e });
    throw new VatServiceUnavailable("NETWORK", `VIES could not be reached about ${what}.`, { cause: e });
  }
}

/** Turns VIES's answer into a check, or the reason there is none. */
function readAnswer(vatId: VatId, status: number, text: string): VatIdCheck {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const failed = errorBody.safeParse(json);
  if (failed.success) throw viesError(vatId, status, failed.data.errorWrappers[0]);
  if (status < 200 || status > 299) throw new VatServiceUnavailable("HTTP_STATUS", `VIES answered HTTP ${status} about ${vatId.full}.`);

  const parsed = checkBody.safeParse(json);
  if (!parsed.success) throw malformed(vatId, parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  const answer = parsed.data;
  if (
    (answer.countryCode !== undefined && answer.countryCode !== vatId.country) ||
    (answer.vatNumber !== undefined && answer.vatNumber !== vatId.number)
  )
    throw malformed(vatId, `it is about ${answer.countryCode ?? ""}${answer.vatNumber ?? ""}`);
  // Undisclosed fields are left out, not set to undefined: the check is stored as it is.
  const name = disclosed(answer.name);
  const address = disclosed(answer.address);
  const requestIdentifier = disclosed(answer.requestIdentifier);
  return {
    vatId: vatId.full,
    valid: answer.valid,
    ...(name && { name }),
    ...(address && { address }),
    ...(requestIdentifier && { requestIdentifier }),
    requestDate: answer.requestDate,
    source: "vies",
  };
}

function viesError(vatId: VatId, status: number, wrapper: { error?: string; message?: string }): VatServiceUnavailable {
  const code = wrapper.error ?? "";
  const failure: VatServiceFailure = (VIES_ERRORS as readonly string[]).includes(code) ? (code as ViesError) : "UNKNOWN_VIES_ERROR";
  const detail = [code || "no error code", wrapper.message].filter(Boolean).join(": ");
  return new VatServiceUnavailable(failure, `VIES could not check ${vatId.full} (HTTP ${status}, ${detail}).`);
}

function malformed(vatId: VatId, why: string): VatServiceUnavailable {
  return new VatServiceUnavailable("MALFORMED_ANSWER", `VIES's answer about ${vatId.full} is not one we can read (${why}).`);
}

/** VIES writes "---" (and sometimes "" or "-") where a member state discloses nothing. */
function disclosed(value: string | null | undefined): string | undefined {
  const v = value?.trim();
  return v && v !== "---" && v !== "-" ? v : undefined;
}

/**
 * The verifier a process uses, from its settings: VIES (or `viesApiBaseUrl`, the local stand-in) asked
 * with the seller's VAT ID as requester. A shop without a VAT ID of its own gets no consultation number
 * and cannot sell VAT-free to businesses: every check says so, and the shop's policy decides.
 */
export function vatIdVerifierFor(s: { sellerVatId?: string; viesApiBaseUrl?: string; viesTimeoutMs: number }): VatIdVerifier {
  const requester = s.sellerVatId ? parseVatId(s.sellerVatId) : undefined;
  if (!requester?.ok) {
    return {
      check: async (vatId) => {
        throw new VatServiceUnavailable("INVALID_REQUESTER_INFO", `The shop has no VAT ID of its own to check ${vatId.full} with VIES.`);
      },
    };
  }
  return viesVerifier({ baseUrl: s.viesApiBaseUrl, requester: requester.vatId, timeoutMs: s.viesTimeoutMs });
}
