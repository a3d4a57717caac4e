/**
 * The local pipeline end to end (`npm start`'s parts: moto through the launcher, gateway, worker
 * process, notifier), each figure beside the raw moto ceiling for the same AWS calls:
 * - orders/s and order-to-email percentiles for two consecutive batches (the second runs on a
 *   table the first has grown: flat means the pipeline does not slow as it runs), against the
 *   calls one order makes (put, send, receive, delete, reads, a two-item transaction, a 12 KB S3
 *   put, updates, an SES send) made directly, 5 orders at a time;
 * - intake through the local gateway (Cognito JWT check, validation, the API Lambda's transaction
 *   and queue send), against a bare DynamoDB put + SQS send, 5 requests at a time.
 */
import { randomUUID } from "node:crypto";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { createClients, destroyClients, type AwsClients } from "../runtime/clients";
import { signIn } from "../local/auth";
import { runDemo, sampleOrder } from "../local/demo";
import { startLocalPipeline } from "../local/pipeline";
import { localStackSettings } from "../local/stack-settings";
import { startMoto } from "../local/moto";
import { median, percentile, round, type BenchRow, type BenchSection } from "./types";

/** Runs `count` tasks `concurrency` at a time; returns each one's duration (ms) and the wall time. */
async function timed(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ each: number[]; wallMs: number }> {
  const each: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const start = performance.now();
        await task(i);
        each.push(performance.now() - start);
      }
    }),
  );
  return { each, wallMs: performance.now() - t0 };
}

/** The AWS calls of one order's whole journey, made directly against the same moto. */
function rawOrderJourney(c: AwsClients, table: string, queueUrl: string, bucket: string, sender: string) {
  const pdf = new Uint8Array(12 * 1024);
  return async (i: number) => {
    const pk = `BENCH#${randomUUID()}`;
    await c.ddb.send(new PutCommand({ TableName: table, Item: { pk, type: "bench", n: i } }));
    await c.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: pk }));
    const got = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    for (const m of got.Messages ?? []) await c.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    await c.ddb.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }));
    await c.ddb.send(new GetCommand({ TableName: table, Key: { pk: "BENCH#counter" }, ConsistentRead: true }));
    await c.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: `BENCH#counter-${i % 5}`, value: i } } },
          { Update: { TableName: table, Key: { pk }, UpdateExpression: "SET numbered = :t", ExpressionAttributeValues: { ":t": true } } },
        ],
      }),
    );
    await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `bench/${pk}.pdf`, Body: pdf }));
    await c.ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk },
        UpdateExpression: "SET invoiced = :t",
        ExpressionAttributeValues: { ":t": true },
      }),
    );
    await c.ses.send(
      new SendEmailCommand({
        Source: sender,
        Destination: { ToAddresses: ["bench@example.com"] },
        Message: { Subject: { Data: "bench" }, Body: { Text: { Data: "bench" } } },
      }),
    );
    await c.ddb.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk },
        UpdateExpression: "SET notified = :t",
        ExpressionAttributeValues: { ":t": true },
      }),
    );
  };
}

/**
 * Median ms of a two-item TransactWriteItems on a table already holding `size` items, on a moto
 * started by the launcher with or without its item-level rollback.
 */
async function transactionMs(wholeTableRollback: boolean, sizes: number[], reps: number): Promise<number[]> {
  if (wholeTableRollback) process.env.MOTO_WHOLE_TABLE_ROLLBACK = "1";
  const moto = await startMoto().finally(() => delete process.env.MOTO_WHOLE_TABLE_ROLLBACK);
  const clients = createClients({ region: "us-east-1", endpoint: moto.endpoint });
  const raw = new DynamoDBClient({ region: "us-east-1", endpoint: moto.endpoint });
  try {
    const table = "bench-growth";
    await raw.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    const out: number[] = [];
    let filled = 0;
    // Warm-up, not counted: the first transactions pay for moto's and the client's first use.
    for (let i = 0; i < 3; i++)
      await clients.ddb.send(
        new TransactWriteCommand({ TransactItems: [{ Put: { TableName: table, Item: { pk: "counter", value: -1 } } }] }),
      );
    for (const size of sizes) {
      for (; filled < size; filled += 25) {
        const items = Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: `item-${filled + i}`, body: "x".repeat(400) } } }));
        await clients.ddb.send(new BatchWriteCommand({ RequestItems: { [table]: items } }));
      }
      const samples: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        await clients.ddb.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: table, Item: { pk: "counter", value: i } } },
              { Put: { TableName: table, Item: { pk: `tx-${size}-${i}`, value: i } } },
            ],
          }),
        );
        samples.push(performance.now() - t0);
      }
      out.push(median(samples));
    }
    return out;
  } finally {
    raw.destroy();
    destroyClients(clients);
    await moto.stop();
  }
}

const section: BenchSection = async ({ quick }) => {
  const rows: BenchRow[] = [];
  // moto accepts any credentials; never let the bench pick up real ones (the pipeline sets the same).
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_SESSION_TOKEN: "local",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
  const sizes = quick ? [0, 800] : [0, 400, 1600];
  const reps = quick ? 5 : 15;
  const itemLevel = await transactionMs(false, sizes, reps);
  const wholeTable = await transactionMs(true, sizes, reps);
  sizes.forEach((size, i) =>
    rows.push({
      section: "local DynamoDB",
      figure: `TransactWriteItems on a ${size}-item table`,
      value: round(itemLevel[i], 1),
      unit: "ms",
      baseline: { label: "moto's whole-table copy", value: round(wholeTable[i], 1) },
    }),
  );
  const batch = quick ? 10 : 100;
  const intake = quick ? 20 : 200;
  const p = await startLocalPipeline({ port: 0, stack: localStackSettings("dev"), print: () => undefined });
  const clients = createClients({ region: p.region, endpoint: p.endpoint });
  const cognito = new CognitoIdentityProviderClient({ region: p.region, endpoint: p.endpoint });
  try {
    const token = await signIn(cognito, p.pool, p.demoUser.email, p.demoUser.password);
    const scratch = (await clients.sqs.send(new CreateQueueCommand({ QueueName: `bench-raw-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
    const raw = rawOrderJourney(clients, p.resources.table, scratch, p.resources.bucket, p.resources.sender);

    // Warm-up, not counted: the worker process and its render threads start, the first poll lands.
    await runDemo({ apiUrl: p.apiUrl, token, count: 1, timeoutMs: 120_000 });

    // End to end: two batches in a row, then the raw ceiling for as many orders.
    for (const [n, label] of [
      [1, "first"],
      [2, "second"],
    ] as const) {
      const t0 = performance.now();
      const s = await runDemo({ apiUrl: p.apiUrl, token, count: batch, timeoutMs: quick ? 60_000 : 240_000 });
      const secs = (performance.now() - t0) / 1000;
      const tag = `${label} ${batch} orders${n === 2 ? " (on the grown table)" : ""}`;
      rows.push({ section: "local end to end", figure: `${tag}: emailed/s`, value: round(s.emailed / secs, 1), unit: "orders/s" });
      rows.push({ section: "local end to end", figure: `${tag}: emailed`, value: s.emailed, unit: `of ${batch}` });
      if (s.latencyMs) {
        rows.push({ section: "local end to end", figure: `${tag}: order to email p50`, value: s.latencyMs.p50, unit: "ms" });
        rows.push({ section: "local end to end", figure: `${tag}: order to email p95`, value: s.latencyMs.p95, unit: "ms" });
      }
    }
    const ceiling = await timed(batch, 5, raw);
    const last = rows.filter((r) => r.figure.endsWith("emailed/s")).pop()!;
    rows.push({
      ...last,
      figure: "second batch emailed/s vs raw moto calls",
      baseline: { label: "same AWS calls direct, 5 at a time", value: round((batch / ceiling.wallMs) * 1000, 1) },
    });
    rows.push({
      section: "local end to end",
      figure: "raw calls of one order, p50 / p99",
      value: `${round(percentile(ceiling.each, 50), 0)} / ${round(percentile(ceiling.each, 99), 0)}`,
      unit: "ms",
    });

    // Intake through the gateway, then the bare put + send.
    const post = await timed(intake, 5, async (i) => {
      const r = await fetch(`${p.apiUrl}/orders`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": `bench-${randomUUID()}` },
        body: JSON.stringify(sampleOrder(i)),
      });
      if (r.status !== 202) throw new Error(`intake answered ${r.status}: ${await r.text()}`);
    });
    const bare = await timed(intake, 5, async (i) => {
      await clients.ddb.send(new PutCommand({ TableName: p.resources.table, Item: { pk: `BENCH#intake-${randomUUID()}`, n: i } }));
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: scratch, MessageBody: String(i) }));
    });
    const baseline = (v: number) => ({ label: "bare DynamoDB put + SQS send", value: round(v, 0) });
    rows.push({
      section: "local intake",
      figure: "requests/s, 5 at a time",
      value: round((intake / post.wallMs) * 1000, 0),
      unit: "req/s",
      baseline: baseline((intake / bare.wallMs) * 1000),
    });
    rows.push({
      section: "local intake",
      figure: "latency p50",
      value: round(percentile(post.each, 50), 0),
      unit: "ms",
      baseline: baseline(percentile(bare.each, 50)),
    });
    rows.push({
      section: "local intake",
      figure: "latency p99",
      value: round(percentile(post.each, 99), 0),
      unit: "ms",
      baseline: baseline(percentile(bare.each, 99)),
    });
  } finally {
    cognito.destroy();
    destroyClients(clients);
    await p.stop();
  }
  return rows;
};

export default section;
