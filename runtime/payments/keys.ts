import { z } from "zod";
import type { PaymentSecret } from "../contracts/payments";
import { PaymentProviderUnavailable } from "./provider";

/** What reads a secret's JSON with a cache (Powertools Parameters' SecretsProvider fits). */
export interface SecretReader {
  get(name: string, options: { maxAge: number; transform: "json" }): Promise<unknown>;
}

/** How long the provider's keys are cached per container: a rotated key is in use within this time. */
export const PAYMENT_KEYS_MAX_AGE_SECONDS = 300;

const secretSchema = z.object({
  secretKey: z.string().regex(/^(sk|rk)_[A-Za-z0-9_]+$/, "secretKey must be a Stripe secret or restricted key (sk_... or rk_...)"),
  webhookSecret: z.string().regex(/^whsec_[A-Za-z0-9_]+$/, "webhookSecret must be a Stripe webhook signing secret (whsec_...)"),
});

/**
 * The payment provider's keys from the secret `secretId`, read through `reader` (cached for
 * PAYMENT_KEYS_MAX_AGE_SECONDS). A malformed secret fails with the rule it breaks, never its value.
 */
export function paymentKeys(reader: SecretReader, secretId: string): () => Promise<PaymentSecret> {
  return async () => {
    let raw: unknown;
    try {
      raw = await reader.get(secretId, { maxAge: PAYMENT_KEYS_MAX_AGE_SECONDS, transform: "json" });
    } catch (e) {
      // Secrets Manager throttling or down: the provider was never called, so nothing can have been paid.
      throw new PaymentProviderUnavailable(`The payment secret ${secretId} could not be read`, { cause: e }, "not-sent");
    }
    const parsed = secretSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`The payment secret ${secretId} is not usable: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    }
    return parsed.data;
  };
}
