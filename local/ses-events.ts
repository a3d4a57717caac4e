import { randomUUID } from "node:crypto";

/**
 * SES's event publishing, locally. moto accepts a configuration set and its event destinations but
 * publishes nothing (test/local/ses-events.test.ts holds it to that), so the local pipeline publishes
 * in its stead: for each email moto accepted with the stack's configuration set (local/moto_server.py
 * records the set and the message tags), the events a real account would publish, in the shape SES
 * writes them ("Examples of event data that Amazon SES publishes to Amazon SNS"), each wrapped in the
 * SNS notification that invokes the email events Lambda. What a recipient's mail server does is
 * taken from SES's mailbox simulator: bounce@, complaint@ and suppressionlist@simulator.amazonses.com
 * behave as they do on SES; every other address is delivered.
 */

/** An email moto accepted, as the launcher's /_local/ses/messages returns it. */
export interface SentMessage {
  readonly id: string;
  readonly source: string;
  readonly destinations: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  readonly subject: string;
  /** The configuration set named by the send; null without one. */
  readonly configurationSet: string | null;
  readonly tags: Record<string, string>;
}

/** The account and region the local events claim to come from. */
export interface LocalAccount {
  readonly region: string;
  readonly accountId: string;
}

export const SIMULATOR_DOMAIN = "simulator.amazonses.com";

/** What SES's mailbox simulator does with a message to `address`; any other address is delivered. */
export type SimulatedOutcome = "delivery" | "bounce" | "complaint" | "suppressed";
export function simulatedOutcome(address: string): SimulatedOutcome {
  const at = address.lastIndexOf("@");
  if (address.slice(at + 1).toLowerCase() !== SIMULATOR_DOMAIN) return "delivery";
  // The simulator ignores a +label: bounce+order42@ bounces too.
  const local = address.slice(0, at).split("+")[0].toLowerCase();
  return local === "bounce" ? "bounce" : local === "complaint" ? "complaint" : local === "suppressionlist" ? "suppressed" : "delivery";
}

const later = (t: Date, ms: number) => new Date(t.getTime() + ms).toISOString();
const recipientsOf = (m: SentMessage) => [
  ...(m.destinations.ToAddresses ?? []),
  ...(m.destinations.CcAddresses ?? []),
  ...(m.destinations.BccAddresses ?? []),
];

/** The `mail` object of every event of `m`: the message as SES describes it, with the send's tags and SES's own. */
export function mailObject(m: SentMessage, sentAt: Date, a: LocalAccount) {
  const to = recipientsOf(m);
  const domain = m.source.slice(m.source.lastIndexOf("@") + 1);
  return {
    timestamp: sentAt.toISOString(),
    source: m.source,
    sourceArn: `arn:aws:ses:${a.region}:${a.accountId}:identity/${m.source}`,
    sendingAccountId: a.accountId,
    messageId: m.id,
    destination: to,
    headersTruncated: false,
    headers: [
      { name: "From", value: m.source },
      { name: "To", value: to.join(", ") },
      { name: "Subject", value: m.subject },
      { name: "MIME-Version", value: "1.0" },
    ],
    commonHeaders: { from: [m.source], to, messageId: m.id, subject: m.subject },
    tags: {
      ...(m.configurationSet ? { "ses:configuration-set": [m.configurationSet] } : {}),
      "ses:source-ip": ["127.0.0.1"],
      "ses:from-domain": [domain],
      "ses:caller-identity": ["local"],
      ...Object.fromEntries(Object.entries(m.tags).map(([k, v]) => [k, [v]])),
    },
  };
}

/** The events SES would publish for `m`, one recipient at a time, in the order SES would. */
export function sesEventsFor(m: SentMessage, sentAt: Date, a: LocalAccount): Record<string, unknown>[] {
  const mail = mailObject(m, sentAt, a);
  const mta = `a1-23.smtp-out.${a.region}.amazonses.com`;
  const delivery = (recipient: string) => ({
    eventType: "Delivery",
    mail,
    delivery: {
      timestamp: later(sentAt, 500),
      processingTimeMillis: 500,
      recipients: [recipient],
      smtpResponse: "250 2.6.0 Message received",
      reportingMTA: mta,
      remoteMtaIp: "127.0.2.1",
    },
  });
  const bounce = (recipient: string, subType: string, diagnosticCode: string) => ({
    eventType: "Bounce",
    mail,
    bounce: {
      bounceType: "Permanent",
      bounceSubType: subType,
      bouncedRecipients: [{ emailAddress: recipient, action: "failed", status: "5.1.1", diagnosticCode }],
      timestamp: later(sentAt, 800),
      feedbackId: `local-${m.id}-bounce`,
      reportingMTA: `dns; ${mta}`,
    },
  });
  return recipientsOf(m).flatMap((r): Record<string, unknown>[] => {
    switch (simulatedOutcome(r)) {
      case "bounce":
        return [bounce(r, "General", "smtp; 550 5.1.1 user unknown")];
      case "suppressed":
        return [
          bounce(
            r,
            "OnAccountSuppressionList",
            "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
          ),
        ];
      case "complaint":
        return [
          delivery(r),
          {
            eventType: "Complaint",
            mail,
            complaint: {
              complainedRecipients: [{ emailAddress: r }],
              timestamp: later(sentAt, 2000),
              feedbackId: `local-${m.id}-complaint`,
              userAgent: "Amazon SES Mailbox Simulator",
              complaintFeedbackType: "abuse",
              arrivalDate: later(sentAt, 1500),
            },
          },
        ];
      case "delivery":
        return [delivery(r)];
    }
  });
}

/** An SNS notification carrying one SES event, as SNS invokes a subscribed Lambda with it. */
export function snsNotification(sesEvent: unknown, topicArn: string, at = new Date()) {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: `${topicArn}:${randomUUID()}`,
        Sns: {
          Type: "Notification",
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Subject: null,
          Message: JSON.stringify(sesEvent),
          Timestamp: at.toISOString(),
          SignatureVersion: "1",
          Signature: "local",
          SigningCertUrl: "",
          UnsubscribeUrl: "",
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** What the launcher answers at /_local/ses/messages. */
export interface SentPage {
  readonly total: number;
  readonly messages: SentMessage[];
}

/** The emails moto accepted from the `from`-th on, with their configuration set and tags; undefined without the launcher. */
export async function sentMessages(endpoint: string, from = 0): Promise<SentPage | undefined> {
  // Bounded: a frozen moto (the fault suite's SIGSTOP) must not hold the publisher's stop.
  const r = await fetch(`${endpoint}/_local/ses/messages?from=${from}`, { signal: AbortSignal.timeout(5000) });
  if (r.status === 404) return undefined;
  if (!r.ok) throw new Error(`moto answered ${r.status} for the sent emails`);
  return (await r.json()) as SentPage;
}

/**
 * Publishes, as SES would, the events of every email sent with `configurationSet` from now on:
 * each event as an SNS notification handed to `deliver` (the local stand-in for the SNS topic's
 * Lambda subscription). Polls the launcher every `intervalMs`; a message's events are handed on at
 * least once (the position moves only past what was delivered). Without the launcher (a plain
 * moto_server) it says so once and publishes nothing.
 */
export function startSesEventPublisher(o: {
  endpoint: string;
  configurationSet: string;
  account: LocalAccount;
  topicArn: string;
  deliver: (snsEvent: unknown) => Promise<void>;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  intervalMs?: number;
}): { stop(): Promise<void>; published(): number } {
  let next = 0;
  let published = 0;
  const pending = new Map<string, Record<string, unknown>[]>();
  let stopping = false;
  let wake: () => void = () => undefined;
  const loop = (async () => {
    while (!stopping) {
      try {
        const page = await sentMessages(o.endpoint, next);
        if (!page) {
          o.log("this moto_server does not record configuration sets (no local/moto_server.py): no SES events are published locally");
          return;
        }
        if (page.total < next) next = 0; // moto was reset
        for (const m of page.messages) {
          if (m.configurationSet === o.configurationSet) {
            // Built once per message: a retry after a failed hand-over sends the rest, not new events.
            if (!pending.has(m.id)) pending.set(m.id, sesEventsFor(m, new Date(), o.account));
            const events = pending.get(m.id)!;
            while (events.length) {
              await o.deliver(snsNotification(events[0], o.topicArn));
              events.shift();
              published++;
            }
            pending.delete(m.id);
          }
          next++;
        }
      } catch (e) {
        if (!stopping) o.log("publishing SES events failed; retrying", { error: (e as Error).message });
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, o.intervalMs ?? 500);
        wake = () => (clearTimeout(t), res());
      });
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake();
      await loop;
    },
    published: () => published,
  };
}
