/**
 * Rendering: one-line invoices per second per core and PDF bytes, against bare jsPDF drawing the
 * same text in its built-in Helvetica (no embedded font: the floor jsPDF itself sets); then the
 * cost per line from 10 to 5,000 lines, against the same bare jsPDF drawing as many table rows.
 * Times are CPU time of this process (a loaded machine's other work does not count), medians of runs.
 */
import { jsPDF } from "jspdf";
import { LIMITS } from "../runtime/domain/order";
import { renderInvoicePdf } from "../runtime/invoices/pdf";
import type { InvoiceDocument } from "../runtime/invoices/document";
import { makePricedLine, makePricedOrder, taxedOf, TEST_SHIPPING } from "../test/helpers/orders";
import { invoiceOf } from "../test/runtime/invoices/invoices";
import { median, round, type BenchRow, type BenchSection } from "./types";

/** An invoice of `n` generated lines (above the API's limit the schema is bypassed, as in the tests). */
export function invoiceWithLines(n: number): InvoiceDocument {
  const lines = Array.from({ length: n }, (_, i) => makePricedLine(i));
  const order =
    n <= LIMITS.maxLines ? makePricedOrder({ lines }) : { ...makePricedOrder(), ...taxedOf(lines, TEST_SHIPPING, "DE", "2025-03-14") };
  return invoiceOf(order);
}

/** The same words as the invoice, in jsPDF's core Helvetica: no font to embed, subset or measure. */
function bareJsPdf(doc: InvoiceDocument): Uint8Array {
  const pdf = new jsPDF({ unit: "pt", format: "a4", compress: true });
  pdf.setFont("helvetica");
  pdf.setFontSize(9);
  let y = 48;
  const row = (s: string) => {
    if (y > 780) {
      pdf.addPage();
      y = 48;
    }
    pdf.text(s, 48, y);
    y += 12;
  };
  for (const s of [
    "Invoice",
    doc.seller.name,
    ...doc.seller.addressLines,
    doc.invoiceNumber,
    doc.order.orderId,
    doc.order.customer.name ?? "",
  ])
    row(s);
  for (const l of doc.order.lines) row(`${l.sku} ${l.name} ${l.quantity} ${l.unitPriceMinor} ${l.lineTotalMinor}`);
  for (const s of ["Subtotal", "Tax", "Total", "Page 1 of 1"]) row(s);
  return new Uint8Array(pdf.output("arraybuffer"));
}

/** CPU milliseconds per call of `fn`, median of `runs` runs of `reps` calls each, after a warm-up. */
export function cpuMsPerCall(fn: () => unknown, reps: number, runs: number): number {
  for (let i = 0; i < Math.max(3, Math.min(reps, 20)); i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1000 / reps);
  }
  return median(samples);
}

const section: BenchSection = async ({ quick }) => {
  const rows: BenchRow[] = [];
  const runs = quick ? 2 : 7;
  const one = invoiceWithLines(1);
  const ours = cpuMsPerCall(() => renderInvoicePdf(one), quick ? 30 : 200, runs);
  const bare = cpuMsPerCall(() => bareJsPdf(one), quick ? 30 : 200, runs);
  const add = (figure: string, value: number, unit: string, baseline?: number, digits = 1) =>
    rows.push({
      section: "rendering",
      figure,
      value: round(value, digits),
      unit,
      baseline: baseline === undefined ? undefined : { label: "bare jsPDF, core Helvetica", value: round(baseline, digits) },
    });
  add("1-line invoices/s per core", 1000 / ours, "invoices/s", 1000 / bare, 0);
  add("1-line invoice CPU time", ours, "ms", bare, 2);
  add("1-line PDF size", renderInvoicePdf(one).byteLength / 1024, "KiB", bareJsPdf(one).byteLength / 1024);
  let previous = { n: 1, ms: ours, bareMs: bare };
  for (const n of quick ? [10, 100, 1000] : [10, 100, 1000, 5000]) {
    const doc = invoiceWithLines(n);
    const reps = Math.max(1, Math.round((quick ? 100 : 1500) / n));
    const ms = cpuMsPerCall(() => renderInvoicePdf(doc), reps, runs);
    const bareMs = cpuMsPerCall(() => bareJsPdf(doc), reps, runs);
    add(`${n} lines: CPU time`, ms, "ms", bareMs);
    // What each line costs from the previous size to this one: flat means linear scaling.
    add(
      `${n} lines: CPU per line since ${previous.n}`,
      ((ms - previous.ms) / (n - previous.n)) * 1000,
      "µs",
      ((bareMs - previous.bareMs) / (n - previous.n)) * 1000,
      0,
    );
    previous = { n, ms, bareMs };
  }
  return rows;
};

export default section;
