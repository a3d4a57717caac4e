import { z } from "zod";
import { once } from "../memo";
import { orderMessageSchema } from "./order";
import { creditNoteMessageSchema } from "./credit-note";

/**
 * A probe proves the orders queue and a running invoice worker without an order: the smoke test
 * (`npm run smoke -- --read-only`) sends one, the worker records its receipt as a short-lived item
 * and does nothing else. No order, no invoice number, no PDF, no email: safe to send to prod.
 */

/** How long a probe's receipt stays in the table (TTL `expiresAt`); the smoke reads it within minutes. */
export const PROBE_TTL_SECONDS = 3600;

/** A probe's id: letters, digits, `_` and `-` only, so its key cannot reach outside `PROBE#`. */
export const probeIdSchema = once(() => z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 of A-Z a-z 0-9 _ -"));

/** The probe message: versioned like the order message, and refused whole if anything else is in it. */
export const probeMessageSchema = once(() =>
  z.object({ kind: z.literal("probe"), v: z.literal(1), probeId: probeIdSchema(), sentAt: z.string().datetime() }).strict(),
);
export type ProbeMessage = z.infer<ReturnType<typeof probeMessageSchema>>;

/**
 * Every message of the orders queue: an order (no `kind`: the format the API has always sent), a
 * reserved credit note, or a probe. One schema, so a message is checked once, at the worker's edge.
 */
export const queueMessageSchema = once(() =>
  z.discriminatedUnion("kind", [
    orderMessageSchema().extend({ kind: z.literal("order").optional() }),
    creditNoteMessageSchema(),
    probeMessageSchema(),
  ]),
);
export type QueueMessage = z.infer<ReturnType<typeof queueMessageSchema>>;

/** A probe message sent now. */
export function probeMessage(probeId: string, now: Date): ProbeMessage {
  return { kind: "probe", v: 1, probeId: probeIdSchema().parse(probeId), sentAt: now.toISOString() };
}

/** What the worker records when a probe arrives. */
export interface ProbeReceipt {
  readonly probeId: string;
  readonly sentAt: string;
  readonly receivedAt: string;
  /** The release of the worker that took it (WORKER_RELEASE), when it has one. */
  readonly release?: string;
}
