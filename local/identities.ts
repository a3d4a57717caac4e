/**
 * Who signs the local pipeline's AWS calls. In AWS each part runs as its own IAM role; locally each
 * part signs with an access key id that names it (moto accepts any key), so every request says
 * which role would have made it, and moto's call log (local/moto_call_log.py) keeps that name.
 */

/** The parts of the pipeline, each its own IAM role in the stack. */
export const PARTS = ["order-api", "invoice-worker", "email-notifier", "email-events"] as const;
/** One part of the pipeline. */
export type Part = (typeof PARTS)[number];

/** The environment that makes a part's clients sign as `who`: a part, or "local" (the pipeline's own setup, console and drivers). */
export function localCredentials(who: Part | "local"): Record<"AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_SESSION_TOKEN", string> {
  return { AWS_ACCESS_KEY_ID: who, AWS_SECRET_ACCESS_KEY: "local", AWS_SESSION_TOKEN: "local" };
}
