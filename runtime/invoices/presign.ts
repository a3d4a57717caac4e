import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** Where documents are stored and how long a presigned URL to one lives. */
export interface PresignSettings {
  readonly invoicesBucket: string;
  readonly presignTtlSeconds: number;
}

/** A short-lived presigned GET of a stored PDF (an invoice or a credit note), opened inline under its number. */
export function presignDocument(s3: S3Client, settings: PresignSettings, key: string, number: string): Promise<string> {
  return getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: settings.invoicesBucket,
      Key: key,
      ResponseContentType: "application/pdf",
      ResponseContentDisposition: `inline; filename="${number}.pdf"`,
    }),
    { expiresIn: settings.presignTtlSeconds },
  );
}
