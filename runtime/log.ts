import type { LogLevel } from "./settings";

/** Fields that may accompany a log line; never payment data or message bodies. */
export type LogFields = Record<string, string | number | boolean | undefined | null>;

/** A structured logger: one JSON line per event, tagged with the part of the pipeline. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Creates a JSON-lines logger writing to `write` (stdout by default). */
export function createLogger(
  part: string,
  level: LogLevel = "info",
  base: LogFields = {},
  write: (line: string) => void = (l) => process.stdout.write(l + "\n"),
  now: () => Date = () => new Date(),
): Logger {
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[lvl] < RANK[level]) return;
    write(JSON.stringify({ time: now().toISOString(), level: lvl, part, msg, ...base, ...fields }));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (f) => createLogger(part, level, { ...base, ...f }, write, now),
  };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** The name and message of an error, safe to log (no stack of request data). */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) return { errorName: err.name, errorMessage: err.message };
  return { errorName: "NonError", errorMessage: String(err) };
}
