import type { Context } from "aws-lambda";
import { ddbClient } from "../clients";
import { loadEmailEventsSettings } from "../settings";
import { handleEmailEvents } from "../handlers/email-events";
import { ORDER_ID_TAG } from "../contracts/email-events";
import { eventPublisherFromEnv } from "../events";
import { entryBasics, lambdaInvocation, withRequestId } from "./observability";
import type { EntryOptions } from "./entry-options";

const PART = "email-events";

/** The email events Lambda's entry factory (SES events through SNS); see createOrderApiHandler. */
export function createEmailEventsHandler(
  env: NodeJS.ProcessEnv = process.env,
  opts: EntryOptions = {},
): (event: unknown, context?: Context) => Promise<unknown> {
  const settings = loadEmailEventsSettings(env);
  const { tracer, clients: c, log, metrics } = entryBasics(PART, settings, env, opts);
  const deps = {
    ddb: ddbClient(c),
    settings,
    now: () => new Date(),
    log,
    metrics,
    events: eventPublisherFromEnv(c, env),
  };
  return lambdaInvocation(
    PART,
    tracer,
    log,
    (event: unknown, context?: Context) => handleEmailEvents(event, withRequestId(deps, context)),
    emailEventsAnnotations,
  );
}

/** The order and SES event type of an SNS event's first record, for the trace's annotations. */
export function emailEventsAnnotations(event: unknown) {
  const records = (event as { Records?: { Sns?: { Message?: unknown } }[] })?.Records;
  const first = Array.isArray(records) && typeof records[0]?.Sns?.Message === "string" ? JSON.parse(records[0].Sns.Message) : undefined;
  return {
    orderId: first?.mail?.tags?.[ORDER_ID_TAG]?.[0] as string | undefined,
    eventType: first?.eventType as string | undefined,
    records: Array.isArray(records) ? records.length : 0,
  };
}
