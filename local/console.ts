/**
 * The local console (`/_local/` on `npm start`): a page for trying the pipeline by hand, and the
 * few local-only JSON endpoints it needs beyond the API itself (sign-in as a local user, queue
 * depths, counts, DLQ redrive). Everything else the page does goes through the real API.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as http from "node:http";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ORDER_STATUSES, type OrderStatus } from "../runtime/domain/order";
import { LOCAL_EMAIL } from "./auth";
import type { ReceivedEvent } from "./event-log";

/** What the console reads and drives. */
export interface ConsoleDeps {
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  readonly table: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** The demo user's address (offered first on the page). */
  readonly demoEmail: string;
  /** A shop admin's address (the admin view signs in as this user). */
  readonly adminEmail: string;
  /** A fresh ID token of a local user (the demo user, or another one created on first use). */
  signInAs(email: string): Promise<string>;
  /** How many emails SES (moto) accepted. */
  emailsSent(): Promise<number>;
  /** The business events published on the local bus, newest first (local/event-log.ts). */
  events(): readonly ReceivedEvent[];
}

/** A local answer of the gateway. */
export interface LocalAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const STATIC: Record<string, { file: string; type: string }> = {
  "/_local/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/_local/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/_local/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
  "/_local/admin.js": { file: "admin.js", type: "text/javascript; charset=utf-8" },
};

const jsonAnswer = (status: number, body: unknown): LocalAnswer => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  body: JSON.stringify(body),
});
const problem = (status: number, code: string, message: string) => jsonAnswer(status, { error: { code, message } });

function readJson(req: http.IncomingMessage, max = 4096): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      text += c;
      if (text.length > max) req.destroy(new Error("body too large"));
    });
    req.on("end", () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch {
        resolve(undefined);
      }
    });
    req.on("error", reject);
  });
}

/** Messages waiting and in flight on a queue. */
async function depth(sqs: SQSClient, url: string): Promise<{ waiting: number; inFlight: number }> {
  const r = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    waiting: Number(r.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Orders by status, read with a scan: fine for a local table, never for a real one. */
async function ordersByStatus(ddb: DynamoDBDocumentClient, table: string): Promise<Record<OrderStatus, number>> {
  const counts = Object.fromEntries(ORDER_STATUSES.map((st) => [st, 0])) as Record<OrderStatus, number>;
  let start: Record<string, unknown> | undefined;
  do {
    const r = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: "#t = :order",
        ProjectionExpression: "#s",
        ExpressionAttributeNames: { "#t": "type", "#s": "status" },
        ExpressionAttributeValues: { ":order": "order" },
        ExclusiveStartKey: start,
      }),
    );
    for (const i of r.Items ?? []) if (i.status in counts) counts[i.status as OrderStatus]++;
    start = r.LastEvaluatedKey;
  } while (start);
  return counts;
}

/**
 * Moves every message of the DLQ back to the orders queue, ten at a time: sent first, deleted
 * from the DLQ only once the send succeeded, so a failure duplicates at worst and loses nothing.
 */
export async function redriveDlq(sqs: SQSClient, dlqUrl: string, queueUrl: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const r = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
        VisibilityTimeout: 30,
      }),
    );
    const msgs = r.Messages ?? [];
    if (!msgs.length) return moved;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: msgs.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? "", MessageAttributes: m.MessageAttributes })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
    const done = msgs.filter((_, i) => ok.has(i));
    if (done.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    moved += done.length;
    if (done.length < msgs.length) throw new Error(`${msgs.length - done.length} message(s) could not be moved back; they stay on the DLQ`);
  }
}

/** The console's routes for the gateway's `localRoutes`; undefined for a path it does not serve. */
export function consoleRoutes(d: ConsoleDeps, dir = path.join(__dirname, "console")) {
  const files = new Map<string, string>();
  const file = (name: string) => {
    if (!files.has(name)) files.set(name, fs.readFileSync(path.join(dir, name), "utf8"));
    return files.get(name)!;
  };
  return async (req: http.IncomingMessage, url: URL): Promise<LocalAnswer | undefined> => {
    const method = req.method ?? "GET";
    const page = STATIC[url.pathname];
    if (page && method === "GET")
      return { status: 200, headers: { "content-type": page.type, "cache-control": "no-store" }, body: file(page.file) };
    if (url.pathname === "/_local/api/config" && method === "GET")
      return jsonAnswer(200, { demoEmail: d.demoEmail, adminEmail: d.adminEmail });
    if (url.pathname === "/_local/api/sign-in" && method === "POST") {
      const body = (await readJson(req)) as { email?: unknown } | undefined;
      const email = typeof body?.email === "string" ? body.email.trim() : "";
      if (!LOCAL_EMAIL.test(email))
        return problem(400, "VALIDATION_FAILED", "Give the email address of a local user, e.g. bob@example.com.");
      return jsonAnswer(200, { email, token: await d.signInAs(email) });
    }
    if (url.pathname === "/_local/api/state" && method === "GET") {
      const [orders, dlq, byStatus, emailsSent] = await Promise.all([
        depth(d.sqs, d.queueUrl),
        depth(d.sqs, d.dlqUrl),
        ordersByStatus(d.ddb, d.table),
        d.emailsSent(),
      ]);
      return jsonAnswer(200, { queues: { orders, dlq }, orders: byStatus, emailsSent });
    }
    if (url.pathname === "/_local/api/events" && method === "GET") return jsonAnswer(200, { events: d.events() });
    if (url.pathname === "/_local/api/redrive" && method === "POST") {
      return jsonAnswer(200, { moved: await redriveDlq(d.sqs, d.dlqUrl, d.queueUrl) });
    }
    return undefined;
  };
}
