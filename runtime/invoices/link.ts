import { GenerateMacCommand, KMSClient, VerifyMacCommand } from "@aws-sdk/client-kms";

/**
 * Invoice links in emails are `GET {base}/invoices/{orderId}?expires=..&sig=..`, signed with a KMS
 * HMAC key. The API answers a valid link with a redirect to a fresh, short-lived presigned S3 URL.
 * Why not a presigned S3 URL in the email: one signed by a Lambda's temporary role credentials
 * dies with them (hours), whatever its expiry says; and the bucket stays private.
 */
export interface LinkSigner {
  sign(orderId: string, expiresEpoch: number): Promise<string>;
  verify(orderId: string, expiresEpoch: number, sig: string): Promise<boolean>;
}

const message = (orderId: string, expires: number) => new TextEncoder().encode(`invoice-link:v1:${orderId}:${expires}`);

/** A LinkSigner backed by a KMS HMAC_SHA_256 key: the secret never leaves KMS. */
export function kmsLinkSigner(kms: KMSClient, keyId: string): LinkSigner {
  return {
    async sign(orderId, expires) {
      const r = await kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: "HMAC_SHA_256", Message: message(orderId, expires) }));
      return Buffer.from(r.Mac!).toString("base64url");
    },
    async verify(orderId, expires, sig) {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(sig)) return false;
      try {
        const r = await kms.send(
          new VerifyMacCommand({
            KeyId: keyId,
            MacAlgorithm: "HMAC_SHA_256",
            Message: message(orderId, expires),
            Mac: Buffer.from(sig, "base64url"),
          }),
        );
        return r.MacValid === true;
      } catch (e) {
        if ((e as { name?: string }).name === "KMSInvalidMacException") return false;
        throw e;
      }
    },
  };
}

/** Builds the emailed invoice URL. */
export async function invoiceLink(signer: LinkSigner, baseUrl: string, orderId: string, expiresEpoch: number): Promise<string> {
  const sig = await signer.sign(orderId, expiresEpoch);
  return `${baseUrl}/invoices/${encodeURIComponent(orderId)}?expires=${expiresEpoch}&sig=${sig}`;
}
