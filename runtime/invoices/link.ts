import { GenerateMacCommand, KMSClient, VerifyMacCommand } from "@aws-sdk/client-kms";

/**
 * Invoice links in emails are `GET {base}/invoices/{orderId}?expires=..&sig=..`, signed with a KMS
 * HMAC key; a link to another document of the order (a credit note) names it:
 * `?document=<creditNoteId>&expires=..&sig=..`, the document inside what is signed. The API answers a
 * valid link with a redirect to a fresh, short-lived presigned S3 URL.
 * Why not a presigned S3 URL in the email: one signed by a Lambda's temporary role credentials
 * dies with them (hours), whatever its expiry says; and the bucket stays private.
 */
export interface LinkSigner {
  /** Signs a link to the order's invoice, or, with `document`, to that document of the order. */
  sign(orderId: string, expiresEpoch: number, document?: string): Promise<string>;
  verify(orderId: string, expiresEpoch: number, sig: string, document?: string): Promise<boolean>;
}

/** What is signed: an invoice link's text is unchanged (links already emailed stay valid); a document's has its own prefix. */
const message = (orderId: string, expires: number, document?: string) =>
  new TextEncoder().encode(
    document === undefined ? `invoice-link:v1:${orderId}:${expires}` : `document-link:v1:${orderId}:${document}:${expires}`,
  );

/** A LinkSigner backed by a KMS HMAC_SHA_256 key: the secret never leaves KMS. */
export function kmsLinkSigner(kms: KMSClient, keyId: string): LinkSigner {
  return {
    async sign(orderId, expires, document) {
      const r = await kms.send(
        new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: "HMAC_SHA_256", Message: message(orderId, expires, document) }),
      );
      return Buffer.from(r.Mac!).toString("base64url");
    },
    async verify(orderId, expires, sig, document) {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(sig)) return false;
      try {
        const r = await kms.send(
          new VerifyMacCommand({
            KeyId: keyId,
            MacAlgorithm: "HMAC_SHA_256",
            Message: message(orderId, expires, document),
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

/** Builds the emailed URL of the order's invoice, or of its `document` (a credit note's id). */
export async function invoiceLink(
  signer: LinkSigner,
  baseUrl: string,
  orderId: string,
  expiresEpoch: number,
  document?: string,
): Promise<string> {
  const sig = await signer.sign(orderId, expiresEpoch, document);
  const named = document === undefined ? "" : `document=${encodeURIComponent(document)}&`;
  return `${baseUrl}/invoices/${encodeURIComponent(orderId)}?${named}expires=${expiresEpoch}&sig=${sig}`;
}
