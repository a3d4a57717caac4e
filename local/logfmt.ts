/** Width of the part column in local logs. */
const PART_WIDTH = 9;

/**
 * Formats one runtime JSON log line for a terminal: time, the part's label, message, order id
 * first, then the other fields as key=value. Lines that are not JSON pass through under the label.
 */
export function formatLogLine(line: string, label: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line);
    if (!rec || typeof rec !== "object") throw new Error("not an object");
  } catch {
    return `${new Date().toISOString().slice(11, 23)} ${label.padEnd(PART_WIDTH)} ${line}`;
  }
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { time, level, part: _part, msg, orderId, ...rest } = rec;
  const t = typeof time === "string" ? time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const lvl = level && level !== "info" ? `${String(level).toUpperCase()} ` : "";
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  const head = orderId ? [`orderId=${orderId}`] : [];
  return `${t} ${label.padEnd(PART_WIDTH)} ${lvl}${msg ?? ""}${[...head, ...fields].length ? "  " + [...head, ...fields].join(" ") : ""}`;
}

/** Splits a stream of chunks into lines and hands each complete line on. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let buf = "";
  return (chunk) => {
    buf += chunk.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    for (const p of parts) if (p.trim()) onLine(p);
  };
}
