import { LogFormatter, LogItem, Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "./contracts/env";

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

/**
 * Powertools for AWS Lambda's Logger, printing our line format: `{time, level, part, msg, ...}` (the
 * local pipeline's one-line human format and the saved Logs Insights queries read these keys).
 * Powertools adds what it knows of the invocation: `functionRequestId` and `coldStart` once the
 * entry hands it Lambda's context, and `traceId` (the X-Ray trace) when Lambda traces the call.
 */
class ShopLogFormatter extends LogFormatter {
  formatAttributes(a: Parameters<LogFormatter["formatAttributes"]>[0], extra: Parameters<LogFormatter["formatAttributes"]>[1]): LogItem {
    return new LogItem({
      attributes: {
        time: this.formatTimestamp(a.timestamp),
        level: a.logLevel.toLowerCase(),
        part: a.serviceName,
        msg: a.message,
        functionRequestId: a.lambdaContext?.awsRequestId,
        coldStart: a.lambdaContext?.coldStart,
        traceId: a.xRayTraceId,
      },
    }).addAttributes(extra);
  }
}

/** Powertools' Logger writing each line to a sink of ours (stdout by default, whatever the level). */
class SinkLogger extends PowertoolsLogger {
  sink?: (line: string) => void;
  protected printLog(logLevel: number, log: LogItem): void {
    if (!this.sink) return super.printLog(logLevel, log); // only lines printed while the base constructor runs
    log.prepareForPrint();
    this.sink(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

/** A logger built on Powertools' Logger, with the Powertools instance for the Lambda entries (`addContext`). */
export interface PowertoolsBackedLogger extends Logger {
  readonly powertools: PowertoolsLogger;
}

/** Creates a JSON-lines logger (Powertools' Logger) writing to `write` (stdout by default). */
export function createLogger(
  part: string,
  level: LogLevel = "info",
  base: LogFields = {},
  write: (line: string) => void = (l) => process.stdout.write(l + "\n"),
): PowertoolsBackedLogger {
  const pt = new SinkLogger({ serviceName: part, logLevel: level, logFormatter: new ShopLogFormatter() });
  pt.sink = write;
  return withFields(pt, base);
}

/** Our Logger over one Powertools instance; `child` adds fields without a second instance. */
function withFields(pt: PowertoolsLogger, base: LogFields): PowertoolsBackedLogger {
  const at = (f?: LogFields) => ({ ...base, ...f });
  return {
    powertools: pt,
    debug: (m, f) => pt.debug(m, at(f)),
    info: (m, f) => pt.info(m, at(f)),
    warn: (m, f) => pt.warn(m, at(f)),
    error: (m, f) => pt.error(m, at(f)),
    child: (f) => withFields(pt, at(f)),
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
