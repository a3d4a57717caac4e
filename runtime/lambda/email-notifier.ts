import { clientConfig, ddbClient, kmsClient, sesClient } from "../clients";
import { createLogger } from "../log";
import { loadNotifierSettings } from "../settings";
import { handleS3Event } from "../handlers/email-notifier";
import { kmsLinkSigner } from "../invoices/link";
import { createEmfEmitter, metricsStack } from "../metrics";
import type { EntryOptions } from "./entry-options";

/** The email notifier Lambda's entry factory (S3 ObjectCreated events); see createOrderApiHandler. */
export function createEmailNotifierHandler(
  env: NodeJS.ProcessEnv = process.env,
  opts: EntryOptions = {},
): (event: unknown, context?: { awsRequestId?: string }) => Promise<unknown> {
  const settings = loadNotifierSettings(env);
  const c = clientConfig({ region: settings.region }, env);
  const deps = {
    ddb: ddbClient(c),
    ses: sesClient(c),
    links: kmsLinkSigner(kmsClient(c), settings.linkKeyId),
    settings,
    now: () => new Date(),
    log: createLogger("email-notifier", settings.logLevel, {}, opts.writeLog),
    metrics: createEmfEmitter(metricsStack(env), opts.writeLog),
  };
  // Lambda's request id on every line of the invocation: one invocation's lines found together.
  return (event, context) => handleS3Event(event, context?.awsRequestId ? { ...deps, log: deps.log.child({ requestId: context.awsRequestId }) } : deps);
}
