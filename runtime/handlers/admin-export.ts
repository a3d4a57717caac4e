import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { once } from "../memo";
import { OrderStore, type CreditNoteRecord } from "../domain/store";
import {
  creditNoteDocument,
  datevBuchungsstapel,
  documentsCsv,
  exportRows,
  invoiceDocument,
  SKR03_REVENUE_ACCOUNTS,
  toCp1252,
  UnmappedVatGroupError,
  type ExportDocument,
} from "../domain/export";
import { auditAdminAction } from "./admin-audit";
import { PayloadTooLarge, ValidationFailed } from "../errors";
import { adminFromClaims } from "./catalog-api";
import type { Logger } from "../log";

/**
 * GET /admin/exports: the invoices and credit notes issued in a period, for the accountant, as a CSV
 * (UTF-8 with a byte-order mark, so spreadsheets read its umlauts) or as a DATEV Buchungsstapel
 * (EXTF, Windows-1252, the format German accountants import). The file travels base64-encoded in a
 * JSON answer with its name: API Gateway's REST API passes text, and DATEV's encoding is not UTF-8.
 */

/** What the export needs. */
export interface AdminExportDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly settings: { readonly ordersTable: string };
  readonly now: () => Date;
  readonly log: Logger;
}

/** Bounds of one export: a period of at most a year and at most this many rows (the answer stays far below Lambda's 6 MB). */
export const EXPORT_LIMITS = { maxDays: 366, maxRows: 20_000 } as const;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date such as 2026-11-30")
  .refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().startsWith(s), { message: "is not a calendar date" });
const digits = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** The query string of GET /admin/exports; DATEV's numbers are the tax adviser's (consultant and client), required for that format. */
export const exportQuerySchema = once(() =>
  z
    .object({
      from: day,
      to: day,
      format: z.enum(["csv", "datev"]),
      consultant: digits(1001, 9_999_999).optional(),
      client: digits(1, 99_999).optional(),
      debtorAccount: z
        .string()
        .regex(/^\d{4,9}$/, "must be an account number of 4 to 9 digits")
        .optional(),
      fiscalYearStart: day.optional(),
    })
    .strict()
    .superRefine((q, ctx) => {
      if (q.from > q.to) ctx.addIssue({ code: "custom", path: ["from"], message: "must not be after to" });
      else if ((Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 + 1 > EXPORT_LIMITS.maxDays)
        ctx.addIssue({ code: "custom", path: ["to"], message: `the period spans more than ${EXPORT_LIMITS.maxDays} days` });
      if (q.format === "datev") {
        if (q.consultant === undefined)
          ctx.addIssue({ code: "custom", path: ["consultant"], message: "is required for DATEV (Beraternummer)" });
        if (q.client === undefined) ctx.addIssue({ code: "custom", path: ["client"], message: "is required for DATEV (Mandantennummer)" });
      }
    }),
);

/** The invoices and credit notes issued from `from` to `to` (days, inclusive), by date and number. */
export async function documentsIssued(store: OrderStore, from: string, to: string): Promise<ExportDocument[]> {
  const [start, end] = [`${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`];
  const invoices = (await store.listInvoicesIssued(start, end)).map(invoiceDocument);
  const creditNotes: CreditNoteRecord[] = await store.listCreditNotesIssued(start, end);
  const orders = new Map<string, ExportDocument["order"]>();
  const documents = [...invoices];
  for (const cn of creditNotes) {
    if (!cn.creditNoteNumber || !cn.issuedAt) continue;
    const orderId = cn.creditNote.orderId;
    if (!orders.has(orderId)) {
      const rec = await store.get(orderId);
      if (!rec) throw new Error(`credit note ${cn.creditNote.id} corrects order ${orderId}, which does not exist`);
      orders.set(orderId, rec.order);
    }
    documents.push(
      creditNoteDocument(orders.get(orderId)!, {
        creditNote: cn.creditNote,
        creditNoteNumber: cn.creditNoteNumber,
        issuedAt: cn.issuedAt,
        invoiceNumber: cn.invoiceNumber,
      }),
    );
  }
  return documents.sort((a, b) => (a.issuedAt === b.issuedAt ? (a.number < b.number ? -1 : 1) : a.issuedAt < b.issuedAt ? -1 : 1));
}

/** GET /admin/exports?from&to&format=csv|datev[&consultant&client&debtorAccount&fiscalYearStart]. */
export async function handleAdminExport(event: APIGatewayProxyEvent, deps: AdminExportDeps): Promise<APIGatewayProxyResult> {
  const who = adminFromClaims(event, "export the shop's invoices");
  const q = exportQuerySchema().safeParse(event.queryStringParameters ?? {});
  if (!q.success)
    throw new ValidationFailed(
      "The query string is not valid; see details.",
      q.error.issues.map((i) => ({ path: `query.${i.path.join(".")}`, message: i.message })),
    );
  const { from, to, format } = q.data;
  const store = new OrderStore(deps.ddb, deps.settings.ordersTable);
  const documents = await documentsIssued(store, from, to);
  const rows = exportRows(documents).length;
  if (rows > EXPORT_LIMITS.maxRows)
    throw new PayloadTooLarge(
      `The period holds ${rows} rows, more than the ${EXPORT_LIMITS.maxRows} one export carries; choose a shorter period.`,
    );
  let bytes: Buffer;
  let filename: string;
  if (format === "csv") {
    bytes = Buffer.from(`\uFEFF${documentsCsv(documents)}`, "utf8");
    filename = `invoices_${from}_${to}.csv`;
  } else {
    const currencies = [...new Set(documents.map((d) => d.currency))];
    if (currencies.length > 1)
      throw new ValidationFailed("A DATEV Buchungsstapel holds one currency; this period has several. Export them as CSV.", [
        { path: "query.format", message: `the period's documents are in ${currencies.join(", ")}` },
      ]);
    try {
      const text = datevBuchungsstapel(
        documents,
        {
          consultantNumber: q.data.consultant!,
          clientNumber: q.data.client!,
          fiscalYearStart: q.data.fiscalYearStart ?? `${from.slice(0, 4)}-01-01`,
          debtorAccount: q.data.debtorAccount ?? "10000",
          revenueAccounts: SKR03_REVENUE_ACCOUNTS,
          chart: "03",
        },
        { from, to, createdAt: deps.now() },
      );
      bytes = toCp1252(text);
    } catch (e) {
      if (!(e instanceof UnmappedVatGroupError)) throw e;
      throw new ValidationFailed(
        `The DATEV export books SKR03's accounts for 19 %, 7 %, K and G; ${e.message}. Export this period as CSV.`,
        [{ path: "query.format", message: e.message }],
      );
    }
    // DATEV's import takes files named EXTF_*.csv.
    filename = `EXTF_Buchungsstapel_${from}_${to}.csv`;
  }
  const counts = {
    invoices: documents.filter((d) => d.kind === "invoice").length,
    creditNotes: documents.filter((d) => d.kind === "credit_note").length,
  };
  await auditAdminAction(deps, event, who, "export.downloaded", `period:${from}..${to}`, { format, rows, ...counts });
  return {
    statusCode: 200,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify({
      filename,
      contentType: format === "csv" ? "text/csv; charset=utf-8" : "text/csv; charset=windows-1252",
      encoding: "base64",
      content: bytes.toString("base64"),
      period: { from, to },
      documents: counts,
      rows,
    }),
  };
}
