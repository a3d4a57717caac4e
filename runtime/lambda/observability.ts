import { Tracer } from "@aws-lambda-powertools/tracer";
import type { Context } from "aws-lambda";
import { clientConfig, type ClientConfig, type ClientOptions } from "../clients";
import { createLogger, type Logger, type PowertoolsBackedLogger } from "../log";
import { createEmfEmitter, metricsStack, type MetricsEmitter } from "../metrics";
import type { LogLevel } from "../contracts/env";
import type { EntryOptions } from "./entry-options";

/**
 * What the Lambda entries add around a handler, with Powertools for AWS Lambda: the Tracer (the
 * SDK clients' calls as subsegments of the invocation's trace, one `## <part>` subsegment per
 * invocation annotated with the order it served) and the Logger's Lambda context (request id and
 * cold start on every line). The handlers themselves know nothing of either.
 *
 * Tracing is on only where Lambda runs the code with active tracing (Powertools checks
 * AWS_EXECUTION_ENV); in the local pipeline and the tests that run the source, the Tracer hands
 * every client back untouched.
 */

/** X-Ray annotations of one invocation: indexed, so a trace is found by `annotation.orderId = "..."`. */
export type TraceAnnotations = Record<string, string | number | boolean | undefined>;

/**
 * The Tracer of one Lambda part. Powertools would trace wherever AWS_EXECUTION_ENV is set (ECS and
 * CloudShell set it too); ours traces only under Lambda's task root, and POWERTOOLS_TRACE_ENABLED=false
 * still turns it off.
 */
export const lambdaTracer = (part: string, env: NodeJS.ProcessEnv = process.env): Tracer =>
  new Tracer({ serviceName: part, captureHTTPsRequests: false, enabled: Boolean(env.LAMBDA_TASK_ROOT) });

/** The client settings with every SDK client traced by `tracer` (see clientConfig's `trace`). */
export const tracedClients = (c: ClientConfig, tracer: Tracer): ClientConfig => ({
  ...c,
  trace: (client) => tracer.captureAWSv3Client(client),
});

/**
 * Wraps a handler as the Lambda entry: Lambda's context into the logger, and (when tracing) a
 * `## <part>` subsegment around the call, annotated with ColdStart, Service and what `annotate`
 * reads off the event and the result. A thrown error is recorded on the subsegment (a fault) and
 * thrown on; an answer annotated with a 5xx `statusCode` is flagged a fault and a 4xx an error, so
 * X-Ray's filters find them.
 */
export function lambdaInvocation<E, R>(
  part: string,
  tracer: Tracer,
  log: PowertoolsBackedLogger,
  handler: (event: E, context?: Context) => Promise<R>,
  annotate: (event: E, result: R | undefined) => TraceAnnotations,
): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    if (context?.awsRequestId) log.powertools.addContext(context);
    const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    if (!parent) return handler(event, context);
    const sub = parent.addNewSubsegment(`## ${part}`);
    tracer.setSegment(sub);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    let result: R | undefined;
    try {
      result = await handler(event, context);
      return result;
    } catch (e) {
      tracer.addErrorAsMetadata(e as Error);
      throw e;
    } finally {
      try {
        const a = annotate(event, result);
        for (const [k, v] of Object.entries(a)) if (v !== undefined) tracer.putAnnotation(k, v);
        // A handler that answers its failures (the API) says so by its statusCode annotation.
        if (typeof a.statusCode === "number" && a.statusCode >= 500) sub.addFaultFlag();
        else if (typeof a.statusCode === "number" && a.statusCode >= 400) sub.addErrorFlag();
      } catch {
        // an event or result of an unexpected shape has nothing to annotate; the answer stands
      }
      sub.close();
      tracer.setSegment(parent);
    }
  };
}

/** The deps of one invocation: its log lines carry Lambda's request id as `requestId`, so one invocation's lines are found together. */
export function withRequestId<D extends { readonly log: Logger }>(deps: D, context?: Context): D {
  return context?.awsRequestId ? { ...deps, log: deps.log.child({ requestId: context.awsRequestId }) } : deps;
}

/** What every Lambda entry builds once per container, before its own clients and deps. */
export interface EntryBasics {
  readonly tracer: Tracer;
  /** The SDK client config, traced: the entry builds the clients it needs from it. */
  readonly clients: ClientConfig;
  readonly log: PowertoolsBackedLogger;
  readonly metrics: MetricsEmitter;
}

/** The tracer, traced client config, logger and metrics emitter of one Lambda entry (`part`). */
export function entryBasics(
  part: string,
  settings: { readonly region: string; readonly logLevel: LogLevel },
  env: NodeJS.ProcessEnv,
  opts: EntryOptions,
  clientOptions: ClientOptions = {},
): EntryBasics {
  const tracer = lambdaTracer(part, env);
  return {
    tracer,
    clients: tracedClients(clientConfig({ region: settings.region, ...clientOptions }, env), tracer),
    log: createLogger(part, settings.logLevel, {}, opts.writeLog),
    metrics: createEmfEmitter(metricsStack(env), opts.writeLog),
  };
}
