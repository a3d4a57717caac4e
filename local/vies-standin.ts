/**
 * A local VIES: `POST {url}/check-vat-number` as the EU's REST API answers it (same path under
 * /taxation_customs/vies/rest-api, same JSON), over made-up test data whose check digits are right.
 * Point the verifier's baseUrl at `url`. Run alone: `npx ts-node --transpile-only local/vies-standin.ts`
 * (VIES_STANDIN_PORT).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** What the stand-in answers for one VAT ID (prefix and number, e.g. "FR32123456789"). */
export type ViesBehaviour =
  /** Registered: `valid: true`; "---" where the member state discloses nothing (as Germany). */
  | { readonly kind: "registered"; readonly name: string; readonly address: string }
  /** One of VIES's errors in its `{ actionSucceed: false, errorWrappers }` body, with this HTTP status. */
  | { readonly kind: "error"; readonly error: string; readonly status: number }
  /** Answers only after `delayMs` (then as `then`, else as not registered): a client's timeout. */
  | { readonly kind: "slow"; readonly delayMs: number; readonly then?: ViesBehaviour }
  /** Exactly this status and body text: broken or unexpected answers. */
  | { readonly kind: "raw"; readonly status: number; readonly body: string };

/** Test data. Every ID not listed, but well-formed, is answered `valid: false`. */
export const VIES_TEST_DATA: Readonly<Record<string, ViesBehaviour>> = {
  FR32123456789: { kind: "registered", name: "SARL EXEMPLE MAISON", address: "12 RUE DE LA PAIX\n75002 PARIS" },
  ATU12345675: { kind: "registered", name: "Beispiel Handels GmbH", address: "Hauptstraße 1\nAT-1010 Wien" },
  DE123456788: { kind: "registered", name: "---", address: "---" },
  IT01234560017: { kind: "error", error: "MS_UNAVAILABLE", status: 200 },
  ESB12345674: { kind: "error", error: "TIMEOUT", status: 500 },
  BE0123456749: { kind: "error", error: "MS_MAX_CONCURRENT_REQ", status: 200 },
  PL1234567890: { kind: "slow", delayMs: 5_000 },
};

/** How to start the stand-in. */
export interface ViesStandInOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Answers that replace or add to VIES_TEST_DATA, by VAT ID. */
  readonly answers?: Readonly<Record<string, ViesBehaviour>>;
}

/** One request the stand-in answered. */
export interface ViesRecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
  readonly status: number;
}

/** A running stand-in. */
export interface ViesStandIn {
  /** `http://127.0.0.1:<port>/taxation_customs/vies/rest-api`: the verifier's baseUrl. */
  readonly url: string;
  close(): Promise<void>;
  /** Every request answered, oldest first. */
  requests(): ViesRecordedRequest[];
}

const BASE_PATH = "/taxation_customs/vies/rest-api";
const VIES_COUNTRY = /^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)$/;

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startViesStandIn(options: ViesStandInOptions = {}): Promise<ViesStandIn> {
  const data: Record<string, ViesBehaviour> = { ...VIES_TEST_DATA, ...options.answers };
  const recorded: ViesRecordedRequest[] = [];
  let consultations = 0;
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const answerCheck = async (body: unknown): Promise<Answer> => {
    const req = readRequest(body);
    if (!req) return errorAnswer(400, "INVALID_INPUT");
    let behaviour: ViesBehaviour | undefined = data[req.countryCode + req.vatNumber];
    while (behaviour?.kind === "slow") {
      const slow: Extract<ViesBehaviour, { kind: "slow" }> = behaviour;
      await sleep(slow.delayMs);
      behaviour = slow.then;
    }
    if (behaviour?.kind === "error") return errorAnswer(behaviour.status, behaviour.error);
    if (behaviour?.kind === "raw") return { status: behaviour.status, text: behaviour.body };
    let requestIdentifier = "";
    if (req.requester) {
      if (data[req.requester]?.kind !== "registered") return errorAnswer(400, "INVALID_REQUESTER_INFO");
      requestIdentifier = `WAPIAAAA${String(++consultations).padStart(8, "0")}`;
    }
    const registered = behaviour?.kind === "registered" ? behaviour : undefined;
    return json(200, {
      countryCode: req.countryCode,
      vatNumber: req.vatNumber,
      requestDate: new Date().toISOString(),
      valid: registered !== undefined,
      requestIdentifier,
      name: registered?.name ?? "---",
      address: registered?.address ?? "---",
      traderName: "---",
      traderStreet: "---",
      traderPostalCode: "---",
      traderCity: "---",
      traderCompanyType: "---",
      traderNameMatch: "NOT_PROCESSED",
      traderStreetMatch: "NOT_PROCESSED",
      traderPostalCodeMatch: "NOT_PROCESSED",
      traderCityMatch: "NOT_PROCESSED",
      traderCompanyTypeMatch: "NOT_PROCESSED",
    });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = parseJson(text);
      const path = (req.url ?? "/").split("?")[0];
      const answering =
        req.method === "POST" && path === `${BASE_PATH}/check-vat-number`
          ? answerCheck(body)
          : Promise.resolve(errorAnswer(404, "SERVICE_UNAVAILABLE"));
      void answering.then((answer) => {
        recorded.push({ method: req.method ?? "", path, body: body === undefined ? text : body, status: answer.status });
        if (res.destroyed) return;
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${BASE_PATH}`,
    requests: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        // Slow answers still pending must not keep close() or the process waiting.
        timers.forEach(clearTimeout);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface CheckRequest {
  readonly countryCode: string;
  readonly vatNumber: string;
  /** The requester's VAT ID (prefix and number), when both requester fields were sent. */
  readonly requester?: string;
}

function readRequest(body: unknown): CheckRequest | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const { countryCode, vatNumber, requesterMemberStateCode: rc, requesterNumber: rn } = b;
  if (typeof countryCode !== "string" || !VIES_COUNTRY.test(countryCode)) return undefined;
  if (typeof vatNumber !== "string" || !/^[A-Z0-9+*]{2,14}$/.test(vatNumber)) return undefined;
  const requester = typeof rc === "string" && typeof rn === "string" && rc && rn ? rc + rn : undefined;
  return { countryCode, vatNumber, requester };
}

function errorAnswer(status: number, error: string): Answer {
  return json(status, { actionSucceed: false, errorWrappers: [{ error }] });
}

function json(status: number, body: unknown): Answer {
  return { status, text: JSON.stringify(body) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const standIn = await startViesStandIn({ port: Number(process.env.VIES_STANDIN_PORT ?? 0) });
  const stop = (): void => void standIn.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  console.log(`VIES stand-in at ${standIn.url}`);
}

if (require.main === module) void main();
