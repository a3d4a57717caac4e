import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { creditNoteMessageSchema, type CreditNoteMessage } from "../domain/credit-note";

/**
 * Puts a reserved credit note on the orders queue for the worker to number, render and store. Safe
 * to send twice: the worker numbers a credit note once and stores its PDF at one key. Kept apart from
 * the worker so the API's bundle does not carry the renderer.
 */
export async function enqueueCreditNote(sqs: SQSClient, queueUrl: string, orderId: string, creditNoteId: string): Promise<void> {
  const message: CreditNoteMessage = creditNoteMessageSchema().parse({ v: 1, kind: "credit-note", orderId, creditNoteId });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(message),
      // As for orders: a failed message is found by its order id (the worker logs it, the DLQ keeps it).
      MessageAttributes: { orderId: { DataType: "String", StringValue: orderId } },
    }),
  );
}
