/**
 * The cost model of `npm run bench`: the AWS bill per 1,000 orders and per month for the dev and
 * prod stacks, from each stack's own settings (read from the Pulumi program under mocks), figures
 * measured in this run (handler durations, worker CPU per invoice, PDF and item sizes, log bytes)
 * and the list prices of bench/prices.json. The model itself (`costLines`) is a pure function;
 * BENCHMARKS.md ("Cost model") states its assumptions.
 */
import * as fs from "node:fs";
import { vatIdVerifierFor } from "../runtime/tax/vies";
import * as path from "node:path";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { median, round, type BenchRow, type BenchSection } from "./types";

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** One list price of bench/prices.json. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  readonly confirmed: boolean;
  readonly note?: string;
}

/** The price keys the model reads; bench/prices.json must hold every one. */
export const PRICE_KEYS = [
  "lambdaRequest",
  "lambdaArmGbSecond",
  "lambdaX86GbSecond",
  "apiGatewayRestRequest",
  "fargateVcpuHourX86",
  "fargateGbHourX86",
  "fargateVcpuHourArm",
  "fargateGbHourArm",
  "fargateSpotVcpuHour",
  "fargateSpotGbHour",
  "publicIpv4Hour",
  "sqsRequest",
  "dynamoWriteRequestUnit",
  "dynamoReadRequestUnit",
  "dynamoStorageGbMonth",
  "s3PutRequest",
  "s3GetRequest",
  "s3StorageGbMonth",
  "s3StandardIaTransition",
  "dataTransferOutGb",
  "sesEmail",
  "kmsKeyMonth",
  "kmsRequest",
  "logsIngestGb",
  "logsStorageGbMonth",
  "alarmMetricMonth",
  "dashboardMonth",
  "customMetricMonth",
  "interfaceEndpointAzHour",
  "interfaceEndpointGb",
  "cognitoMau",
  "xrayTraceRecorded",
] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];
/** Prices in USD per unit, by key. */
export type Prices = Record<PriceKey, number>;

/** The dated price file as stored. */
export interface PriceFile {
  readonly takenOn: string;
  readonly region: string;
  readonly currency: string;
  readonly prices: Record<string, Price>;
}

/** Reads bench/prices.json (or another file of its shape) and checks that every price is there. */
export function loadPrices(file = path.join(__dirname, "prices.json")): { file: PriceFile; prices: Prices } {
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as PriceFile;
  const prices = {} as Prices;
  for (const k of PRICE_KEYS) {
    const p = parsed.prices[k];
    if (!p || typeof p.usd !== "number" || !(p.usd >= 0) || !p.unit || !p.source)
      throw new Error(`${file}: price ${k} is missing or has no usd/unit/source`);
    prices[k] = p.usd;
  }
  return { file: parsed, prices };
}

/** What the model needs from a stack, read from its resources (see `stackSettings`). */
export interface StackSettings {
  readonly stack: string;
  readonly logLevel: string;
  readonly apiMemoryMb: number;
  readonly notifierMemoryMb: number;
  readonly lambdaArchitecture: "arm64" | "x86_64";
  readonly worker: {
    readonly vcpu: number;
    readonly memoryGb: number;
    readonly architecture: "x86_64" | "arm64";
    readonly spot: boolean;
    readonly minTasks: number;
    readonly maxTasks: number;
    readonly scaleInIdleMinutes: number;
    readonly waitSeconds: number;
    readonly publicIp: boolean;
  };
  /** Alarm metrics billed: one per plain alarm, one per metric a metric-math alarm reads. */
  readonly alarmMetrics: number;
  readonly dashboards: number;
  readonly kmsKeys: number;
  /** Sum over interface VPC endpoints of the subnets (AZs) each sits in. */
  readonly interfaceEndpointAzs: number;
  /** API Gateway detailed metrics (metricsEnabled), billed as custom metrics. */
  readonly apiDetailedMetrics: number;
  readonly logRetentionDays: number;
  /** Global secondary indexes that project every attribute of an order item. */
  readonly orderGsis: number;
  /** Days until invoices move to Standard-IA (0: never). */
  readonly invoiceArchiveAfterDays: number;
  /** Smallest object the lifecycle moves: the rule's objectSizeGreaterThan, else S3's default 128 KiB. */
  readonly archiveMinObjectBytes: number;
  /** Which invocations X-Ray records: API requests (stage or order API Lambda tracing), notifier invocations (its Lambda's). */
  readonly traces: { readonly apiRequests: boolean; readonly notifierInvocations: boolean };
}

/** Figures measured in the bench run (or given by a test). */
export interface Measured {
  /** Warm POST /orders handler duration, ms. */
  readonly apiPostMs: number;
  /** Warm GET /invoices/{id} (emailed link) handler duration, ms. */
  readonly apiLinkMs: number;
  /** Warm notifier duration for one S3 event of an invoiced order, ms. */
  readonly notifierMs: number;
  /** Worker CPU time (render + SDK work) per invoice on one core, ms. */
  readonly workerCpuMsPerInvoice: number;
  readonly pdfBytes: number;
  /** DynamoDB item sizes by DynamoDB's rules, bytes. */
  readonly items: { readonly order: number; readonly idempotency: number; readonly counter: number };
  /** Application log bytes per order, at the stack's log level: all parts together. */
  readonly appLogBytesPerOrder: number;
  /** Of those, the worker's (they pass the VPC's logs endpoint in prod). */
  readonly workerLogBytesPerOrder: number;
  /** One API Gateway access-log line, bytes. */
  readonly accessLogBytesPerRequest: number;
  /** The orders-queue message, bytes. */
  readonly messageBytes: number;
}

/** Workload assumptions (not measurable here); BENCHMARKS.md explains each. */
export interface Workload {
  /** Customers who open the emailed link, per order (each open: API call, Lambda, KMS verify, S3 GET, download). */
  readonly linkOpensPerOrder: number;
  /** Share of orders sent with an Idempotency-Key (the transaction path). */
  readonly idempotencyKeyShare: number;
  /** Lambda's own START/END/REPORT lines per invocation, bytes. */
  readonly platformLogBytesPerInvocation: number;
  /** Minutes from the first waiting message to a running task (alarm period + task start). */
  readonly scaleOutDelayMinutes: number;
  readonly hoursPerMonth: number;
}

/** The assumptions the bench prints with. */
export const DEFAULT_WORKLOAD: Workload = {
  linkOpensPerOrder: 1,
  idempotencyKeyShare: 1,
  platformLogBytesPerInvocation: 350,
  scaleOutDelayMinutes: 2,
  hoursPerMonth: 730,
};

/** One line of the bill. */
export interface LineItem {
  readonly service: string;
  readonly item: string;
  /** "fixed": paid whatever the order count; "variable": grows with orders. */
  readonly kind: "fixed" | "variable";
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

// ---------------------------------------------------------------------------------------------
// Pieces of the model
// ---------------------------------------------------------------------------------------------

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");
const GB = 1024 ** 3;

/** DynamoDB's size of one attribute value (names + values; numbers about 1 byte per 2 digits + 1). */
export function attributeValueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, "").replace(/^0+/, "").length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + utf8(k) + attributeValueBytes(x) + 1, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + attributeValueBytes(x) + 1, 0);
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + attributeValueBytes({ N: s }), 0);
  return 0;
}

/** DynamoDB's size of an item: the sum of its attribute names and values. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [k, v]) => n + utf8(k) + attributeValueBytes(v), 0);
}

/** Write units of one standard write of an item of `bytes` (1 KB each, at least 1). */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
/** Read units of one strongly consistent read of `bytes` (4 KB each, at least 1, absent items too). */
export const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));

/**
 * WRU and RRU of one order's whole life, call by call as runtime/domain/store.ts makes them:
 * API (idempotency GetItem, then a 2-item transaction, or one PutItem without a key; markEnqueued),
 * worker (GetItem order, GetItem counter, 2-item transaction, markInvoiced), notifier (GetItem,
 * claim, markNotified) and each link open (GetItem). Transactional writes cost double; every
 * write of an order item also writes each GSI that projects it (standard write, not doubled).
 */
export function dynamoUnitsPerOrder(
  items: Measured["items"],
  orderGsis: number,
  w: Pick<Workload, "linkOpensPerOrder" | "idempotencyKeyShare">,
): { wru: number; rru: number } {
  const o = writeUnits(items.order);
  const orderWrite = o + orderGsis * o;
  const k = w.idempotencyKeyShare;
  const api = {
    rru: k * 1,
    wru: k * (2 * (writeUnits(items.idempotency) + o) + orderGsis * o) + (1 - k) * orderWrite + orderWrite,
  };
  const worker = {
    rru: readUnits(items.order) + readUnits(items.counter),
    wru: 2 * (writeUnits(items.counter) + o) + orderGsis * o + orderWrite,
  };
  const notifier = { rru: readUnits(items.order), wru: 2 * orderWrite };
  const links = { rru: w.linkOpensPerOrder * readUnits(items.order), wru: 0 };
  return { wru: api.wru + worker.wru + notifier.wru + links.wru, rru: api.rru + worker.rru + notifier.rru + links.rru };
}

/**
 * The AWS calls per order the model prices (one link open), by service, as the handlers make
 * them on this branch. The bench counts the calls the handlers really make beside these: a
 * difference means the code path changed and `dynamoUnitsPerOrder` or `costLines` must follow.
 */
export const MODEL_CALLS_PER_ORDER: Record<string, number> = {
  // API: GetItem (key), TransactWriteItems, UpdateItem; worker: GetItem x2, TransactWriteItems,
  // UpdateItem; notifier: GetItem, UpdateItem x2; link: GetItem.
  DynamoDB: 11,
  // send, receive, delete
  SQS: 3,
  // PutObject (the GET is the customer's, on a presigned URL)
  S3: 1,
  SES: 1,
  // GenerateMac, VerifyMac
  KMS: 2,
};

/**
 * Fargate task-hours in a month of `orders` arriving evenly (a Poisson stream): `busy` is the
 * work itself (CPU time per invoice over the task's vCPU share; one Node process uses at most
 * one vCPU), `covered` the hours at least one task is up because an order arrived within the
 * scale-in idle window (plus the scale-out delay), `floor` the minimum tasks always on. The
 * service runs the largest of the three, capped by its maximum task count.
 */
export function workerTaskHours(
  worker: StackSettings["worker"],
  orders: number,
  cpuMsPerInvoice: number,
  w: Pick<Workload, "hoursPerMonth" | "scaleOutDelayMinutes">,
): { floor: number; busy: number; covered: number; total: number } {
  const H = w.hoursPerMonth;
  const floor = worker.minTasks * H;
  const invoicesPerTaskSecond = Math.min(worker.vcpu, 1) / (cpuMsPerInvoice / 1000);
  const busy = orders / invoicesPerTaskSecond / 3600;
  const perMinute = orders / (H * 60);
  const window = worker.scaleInIdleMinutes + w.scaleOutDelayMinutes;
  const covered = H * (1 - Math.exp(-perMinute * window));
  const total = Math.min(worker.maxTasks * H, Math.max(floor, covered, busy));
  return { floor, busy, covered, total };
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

/**
 * The bill of one month with `orders` orders: every line item, fixed ones apart. Pure: the same
 * inputs give the same lines. Free tiers are ignored (list prices from the first unit).
 */
export function costLines(prices: Prices, s: StackSettings, m: Measured, orders: number, w: Workload = DEFAULT_WORKLOAD): LineItem[] {
  const lines: LineItem[] = [];
  const add = (service: string, item: string, kind: LineItem["kind"], quantity: number, unit: string, price: number) =>
    lines.push({ service, item, kind, quantity, unit, usd: quantity * price });
  const H = w.hoursPerMonth;
  const links = orders * w.linkOpensPerOrder;

  // API Gateway and the order API Lambda: POST /orders, then each link open.
  const apiRequests = orders + links;
  add("API Gateway", "REST requests", "variable", apiRequests, "requests", prices.apiGatewayRestRequest);
  add("CloudWatch", "API Gateway detailed metrics", "fixed", s.apiDetailedMetrics, "metric-months", prices.customMetricMonth);
  const gbSecond = s.lambdaArchitecture === "arm64" ? prices.lambdaArmGbSecond : prices.lambdaX86GbSecond;
  // Lambda bills each invocation's duration rounded up to the millisecond.
  const apiGbs = ((s.apiMemoryMb / 1024) * (orders * Math.ceil(m.apiPostMs) + links * Math.ceil(m.apiLinkMs))) / 1000;
  const notifierGbs = ((s.notifierMemoryMb / 1024) * orders * Math.ceil(m.notifierMs)) / 1000;
  add("Lambda", "requests (order API + notifier)", "variable", apiRequests + orders, "requests", prices.lambdaRequest);
  add("Lambda", `order API duration (${s.apiMemoryMb} MB ${s.lambdaArchitecture})`, "variable", apiGbs, "GB-s", gbSecond);
  add("Lambda", `notifier duration (${s.notifierMemoryMb} MB ${s.lambdaArchitecture})`, "variable", notifierGbs, "GB-s", gbSecond);

  // Fargate worker.
  const t = workerTaskHours(s.worker, orders, m.workerCpuMsPerInvoice, w);
  const wk = s.worker;
  const spot = wk.spot;
  const vcpuHour = spot ? prices.fargateSpotVcpuHour : wk.architecture === "arm64" ? prices.fargateVcpuHourArm : prices.fargateVcpuHourX86;
  const gbHour = spot ? prices.fargateSpotGbHour : wk.architecture === "arm64" ? prices.fargateGbHourArm : prices.fargateGbHourX86;
  const label = `${wk.vcpu} vCPU ${spot ? "Spot" : "on-demand"}`;
  const taskHour = wk.vcpu * vcpuHour + wk.memoryGb * gbHour;
  add("Fargate", `${label}: minimum tasks always on`, "fixed", t.floor, "task-hours", taskHour);
  add("Fargate", `${label}: tasks above the minimum (work + idle until scale-in)`, "variable", t.total - t.floor, "task-hours", taskHour);
  if (wk.publicIp) {
    add("VPC", "public IPv4 of tasks: minimum tasks", "fixed", t.floor, "address-hours", prices.publicIpv4Hour);
    add("VPC", "public IPv4 of tasks above the minimum", "variable", t.total - t.floor, "address-hours", prices.publicIpv4Hour);
  }

  // SQS: one send, one receive (low traffic: one message per receive), one delete per order;
  // idle tasks long-poll once per wait period.
  const pollsPerHour = 3600 / Math.max(1, wk.waitSeconds);
  const sqsChunks = Math.max(1, Math.ceil(m.messageBytes / 65536));
  add("SQS", "send + receive + delete per order", "variable", orders * (sqsChunks + 2), "requests", prices.sqsRequest);
  add("SQS", "idle long polls of the minimum tasks", "fixed", t.floor * pollsPerHour, "requests", prices.sqsRequest);
  add(
    "SQS",
    "idle long polls of tasks above the minimum",
    "variable",
    Math.max(0, t.total - t.floor - t.busy) * pollsPerHour,
    "requests",
    prices.sqsRequest,
  );

  // DynamoDB on demand.
  const ddb = dynamoUnitsPerOrder(m.items, s.orderGsis, w);
  add("DynamoDB", "write request units", "variable", orders * ddb.wru, "WRU", prices.dynamoWriteRequestUnit);
  add("DynamoDB", "read request units", "variable", orders * ddb.rru, "RRU", prices.dynamoReadRequestUnit);
  add(
    "DynamoDB",
    "storage of the month's orders (table + GSI copies, 100 B overhead each)",
    "variable",
    (orders * (m.items.order + 100) * (1 + s.orderGsis)) / GB,
    "GB-months",
    prices.dynamoStorageGbMonth,
  );

  // S3: one PUT per invoice, one GET per link open, a month of storage, the IA move if any.
  add("S3", "PUT (invoice PDF)", "variable", orders, "requests", prices.s3PutRequest);
  add("S3", "GET (invoice download)", "variable", links, "requests", prices.s3GetRequest);
  add(
    "S3",
    `storage of the month's PDFs (${round(m.pdfBytes / 1024, 1)} KiB each)`,
    "variable",
    (orders * m.pdfBytes) / GB,
    "GB-months",
    prices.s3StorageGbMonth,
  );
  // Since 2024 S3 lifecycle rules do not move objects under 128 KiB unless the rule filters by size.
  if (s.invoiceArchiveAfterDays > 0 && m.pdfBytes >= s.archiveMinObjectBytes)
    add("S3", "lifecycle transitions to Standard-IA", "variable", orders, "requests", prices.s3StandardIaTransition);
  add("Data transfer", "invoice downloads to the internet", "variable", (links * m.pdfBytes) / GB, "GB", prices.dataTransferOutGb);

  // SES and KMS.
  add("SES", "invoice emails", "variable", orders, "emails", prices.sesEmail);
  add("KMS", "GenerateMac (notifier) + VerifyMac (link opens)", "variable", orders + links, "requests", prices.kmsRequest);
  add("KMS", "customer managed keys", "fixed", s.kmsKeys, "key-months", prices.kmsKeyMonth);

  // CloudWatch: logs (application lines, Lambda platform lines, API access logs), alarms, dashboards.
  const invocations = apiRequests + orders;
  const logBytes =
    orders * m.appLogBytesPerOrder + invocations * w.platformLogBytesPerInvocation + apiRequests * m.accessLogBytesPerRequest;
  add("CloudWatch", `log ingestion (level ${s.logLevel})`, "variable", logBytes / GB, "GB", prices.logsIngestGb);
  add(
    "CloudWatch",
    `log storage (${s.logRetentionDays} days retained, uncompressed bound)`,
    "variable",
    (logBytes / GB) * (s.logRetentionDays / 30),
    "GB-months",
    prices.logsStorageGbMonth,
  );
  add("CloudWatch", "alarm metrics", "fixed", s.alarmMetrics, "alarm-metric-months", prices.alarmMetricMonth);
  add("CloudWatch", "dashboards", "fixed", s.dashboards, "dashboard-months", prices.dashboardMonth);

  // VPC interface endpoints (prod): hours per AZ, and the bytes the worker sends through them.
  if (s.interfaceEndpointAzs > 0) {
    add(
      "VPC endpoints",
      "interface endpoints (per AZ-hour)",
      "fixed",
      s.interfaceEndpointAzs * H,
      "endpoint-AZ-hours",
      prices.interfaceEndpointAzHour,
    );
    add(
      "VPC endpoints",
      "data processed (queue messages + worker logs)",
      "variable",
      (orders * (2 * m.messageBytes + m.workerLogBytesPerOrder)) / GB,
      "GB",
      prices.interfaceEndpointGb,
    );
  }

  // X-Ray: one trace per API request (API Gateway starts it, the order API Lambda joins it), another
  // per notifier invocation (S3 passes no trace on). An upper bound: the default sampling rule
  // records the first request each second and 5% of the rest, so a busy second records fewer.
  const traces = (s.traces.apiRequests ? apiRequests : 0) + (s.traces.notifierInvocations ? orders : 0);
  add(
    "X-Ray",
    "traces recorded (API requests + notifier invocations, every one sampled)",
    "variable",
    traces,
    "traces",
    prices.xrayTraceRecorded,
  );

  add("Cognito", "customers' sign-ins (assumed within the free MAU tier)", "variable", 0, "MAU", prices.cognitoMau);
  return lines;
}

/** Sums of a bill: fixed floor, variable part, total, and the variable part without SES. */
export function summarize(lines: readonly LineItem[]): { fixed: number; variable: number; total: number; variableButSes: number } {
  const sum = (f: (l: LineItem) => boolean) => lines.filter(f).reduce((n, l) => n + l.usd, 0);
  const fixed = sum((l) => l.kind === "fixed");
  const variable = sum((l) => l.kind === "variable");
  return { fixed, variable, total: fixed + variable, variableButSes: variable - sum((l) => l.kind === "variable" && l.service === "SES") };
}

// ---------------------------------------------------------------------------------------------
// Stack settings from the Pulumi program under mocks
// ---------------------------------------------------------------------------------------------

/** The slice of a mocked program run `stackSettings` reads (test/helpers/pulumi-mocks.ts ProgramRun). */
export interface ResourceView {
  readonly stack: string;
  readonly resources: readonly { readonly type: string; readonly name: string; readonly inputs: Record<string, any> }[];
}

/** S3's default for lifecycle transitions (all_storage_classes_128K): smaller objects stay where they are. */
export const S3_DEFAULT_TRANSITION_MIN_BYTES = 128 * 1024;

/** Reads the model's settings from a stack's resources, counting them rather than assuming counts. */
export function stackSettings(run: ResourceView): StackSettings {
  const ofType = (t: string) => run.resources.filter((r) => r.type === t);
  const one = (t: string, suffix = "") => {
    const found = ofType(t).filter((r) => r.name.endsWith(suffix));
    if (found.length !== 1) throw new Error(`${run.stack}: expected one ${t} named *${suffix}, found ${found.length}`);
    return found[0].inputs;
  };
  const api = one("aws:lambda/function:Function", "-api-handler");
  const notifier = one("aws:lambda/function:Function", "-notify-handler");
  const taskDef = one("aws:ecs/taskDefinition:TaskDefinition");
  const container = (JSON.parse(taskDef.containerDefinitions) as { environment?: { name: string; value: string }[] }[])[0];
  const env = Object.fromEntries((container.environment ?? []).map((e) => [e.name, e.value]));
  const service = one("aws:ecs/service:Service");
  const target = one("aws:appautoscaling/target:Target");
  const alarms = ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => r.inputs);
  const scaleIn = alarms.filter(
    (a) => Array.isArray(a.metricQueries) && a.alarmActions?.length && a.comparisonOperator === "LessThanOrEqualToThreshold",
  );
  if (scaleIn.length !== 1) throw new Error(`${run.stack}: expected one scale-in alarm, found ${scaleIn.length}`);
  const scaleInPeriod = scaleIn[0].metricQueries.find((q: any) => q.metric)?.metric.period ?? 60;
  const table = one("aws:dynamodb/table:Table");
  const gsis = (table.globalSecondaryIndexes ?? []) as { projectionType?: string }[];
  const methods = ofType("aws:apigateway/method:Method").length;
  const detailed = ofType("aws:apigateway/methodSettings:MethodSettings").some((m) => m.inputs.settings?.metricsEnabled);
  const lifecycle = ofType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").flatMap((r) => r.inputs.rules ?? []);
  const archiveRule = lifecycle.find((r: any) => (r.transitions ?? []).some((t: any) => t.storageClass === "STANDARD_IA"));
  const archive = archiveRule?.transitions.find((t: any) => t.storageClass === "STANDARD_IA");
  const arch = (api.architectures?.[0] ?? "x86_64") as "arm64" | "x86_64";
  const active = (fn: Record<string, any>) => fn.tracingConfig?.mode === "Active";
  return {
    stack: run.stack,
    logLevel: api.environment?.variables?.LOG_LEVEL ?? "info",
    apiMemoryMb: api.memorySize,
    notifierMemoryMb: notifier.memorySize,
    lambdaArchitecture: arch,
    worker: {
      vcpu: Number(taskDef.cpu) / 1024,
      memoryGb: Number(taskDef.memory) / 1024,
      architecture: taskDef.runtimePlatform?.cpuArchitecture === "ARM64" ? "arm64" : "x86_64",
      spot: (service.capacityProviderStrategies ?? []).some((c: any) => c.capacityProvider === "FARGATE_SPOT" && c.weight > 0),
      minTasks: target.minCapacity,
      maxTasks: target.maxCapacity,
      scaleInIdleMinutes: (scaleIn[0].evaluationPeriods * scaleInPeriod) / 60,
      waitSeconds: Number(env.WORKER_WAIT_SECONDS ?? 20),
      publicIp: service.networkConfiguration?.assignPublicIp === true,
    },
    alarmMetrics: alarms.reduce(
      (n, a) => n + (Array.isArray(a.metricQueries) ? a.metricQueries.filter((q: any) => q.metric).length : 1),
      0,
    ),
    dashboards: ofType("aws:cloudwatch/dashboard:Dashboard").length,
    kmsKeys: ofType("aws:kms/key:Key").length,
    interfaceEndpointAzs: ofType("aws:ec2/vpcEndpoint:VpcEndpoint")
      .filter((e) => e.inputs.vpcEndpointType === "Interface")
      .reduce((n, e) => n + (e.inputs.subnetIds?.length ?? 0), 0),
    // Per method: Count, Latency, IntegrationLatency, 4XXError, 5XXError (no cache, so no cache metrics).
    apiDetailedMetrics: detailed ? methods * 5 : 0,
    logRetentionDays: one("aws:cloudwatch/logGroup:LogGroup", "-api-handler-logs").retentionInDays,
    orderGsis: gsis.filter((g) => g.projectionType === "ALL").length,
    invoiceArchiveAfterDays: archive?.days ?? 0,
    archiveMinObjectBytes:
      archiveRule?.filter?.objectSizeGreaterThan !== undefined
        ? Number(archiveRule.filter.objectSizeGreaterThan) + 1
        : S3_DEFAULT_TRANSITION_MIN_BYTES,
    // Without an upstream trace, an actively traced Lambda samples its invocation itself.
    traces: {
      apiRequests: one("aws:apigateway/stage:Stage").xrayTracingEnabled === true || active(api),
      notifierInvocations: active(notifier),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement: the pipeline's handlers from source against moto, one order at a time
// ---------------------------------------------------------------------------------------------

/** An access-log line as API Gateway would write it: the stack's format with typical values. */
export function accessLogLineBytes(format: string): number {
  const sample: Record<string, string> = {
    "$context.requestId": "8f0e6d2c-5b7a-4c1e-9d3f-2a1b0c9d8e7f",
    "$context.requestTime": "26/Nov/2026:12:00:00 +0000",
    "$context.identity.sourceIp": "203.0.113.9",
    "$context.httpMethod": "POST",
    "$context.resourcePath": "/orders",
    "$context.status": "202",
    "$context.responseLength": "412",
    "$context.responseLatency": "45",
    "$context.integrationLatency": "41",
    "$context.authorizer.claims.sub": "4f1c2a9e-1111-4a1b-9c1d-aaaaaaaaaaaa",
    "$context.error.responseType": "-",
  };
  return utf8(format.replace(/\$context\.[A-Za-z.]+/g, (v) => sample[v] ?? "x".repeat(16))) + 1;
}

/** What one measurement run of the pipeline gives; log bytes per order at each level. */
export interface PipelineFigures extends Omit<Measured, "appLogBytesPerOrder" | "workerLogBytesPerOrder" | "accessLogBytesPerRequest"> {
  readonly renderCpuMs: number;
  /** AWS SDK calls per order the handlers made, by service. */
  readonly callsPerOrder: Record<string, number>;
  readonly appLogBytesPerOrder: Record<"debug" | "info", number>;
  readonly workerLogBytesPerOrder: Record<"debug" | "info", number>;
  readonly orders: number;
}

/**
 * Runs `n` orders (after one warm-up) through the real handlers against a fresh moto: POST
 * /orders, the worker's message handling (CPU time by process.cpuUsage, the same process doing
 * nothing else), the notifier's S3 event, and one emailed-link GET. Medians of the warm runs.
 * The orders start once `settled` has: other work may overlap moto's start, never the timing.
 */
export async function measurePipeline(n: number, settled: Promise<unknown> = Promise.resolve()): Promise<PipelineFigures> {
  const { ScanCommand } = await import("@aws-sdk/client-dynamodb");
  const { ReceiveMessageCommand, DeleteMessageCommand } = await import("@aws-sdk/client-sqs");
  const { createLogger } = await import("../runtime/log");
  const { createEmfEmitter } = await import("../runtime/metrics");
  const { loadApiSettings, loadWorkerSettings, loadNotifierSettings } = await import("../runtime/settings");
  const { invoiceKey } = await import("../runtime/contracts/env");
  const { kmsLinkSigner, invoiceLink } = await import("../runtime/invoices/link");
  const { renderInvoicePdf } = await import("../runtime/invoices/pdf");
  const { newOrderId } = await import("../runtime/domain/ids");
  const { handleApiRequest } = await import("../runtime/handlers/order-api");
  const { processOrderMessage } = await import("../runtime/handlers/invoice-worker");
  const { handleS3Event } = await import("../runtime/handlers/email-notifier");
  const { apiEvent, orderBody, postOrder, s3Event } = await import("../test/helpers/events");
  const { startCheckoutStack } = await import("./checkout-stack");

  // Orders are priced from the demo catalog and paid with pm_card_visa through the Stripe stand-in.
  const stack = await startCheckoutStack("cost", "debug");
  const { clients, bare: benchClients, ddbRaw, resources, env, payments } = stack;
  try {
    const logged: { part: string; level: string; bytes: number }[] = [];
    const logger = (part: string) =>
      createLogger(part, "debug", {}, (l) => logged.push({ part, level: JSON.parse(l).level, bytes: utf8(l) + 1 }));
    // EMF lines are log bytes too, at every log level.
    const metrics = (part: string) => createEmfEmitter("bench", (l) => logged.push({ part, level: "metric", bytes: utf8(l) + 1 }));
    const links = kmsLinkSigner(clients.kms, resources.linkKeyId);
    // Every SDK request the handlers send, by service (the bench's own calls use other clients).
    // Counted at the deserialize step, the last before the wire: presigning stops earlier.
    const calls = new Map<string, number>();
    const services: [string, { middlewareStack: { add: (mw: any, o: { step: "deserialize"; name: string }) => void } }][] = [
      ["DynamoDB", clients.ddb],
      ["SQS", clients.sqs],
      ["S3", clients.s3],
      ["SES", clients.ses],
      ["KMS", clients.kms],
    ];
    for (const [service, client] of services) {
      client.middlewareStack.add(
        (next: (a: unknown) => Promise<unknown>) => (a: unknown) => (calls.set(service, (calls.get(service) ?? 0) + 1), next(a)),
        { step: "deserialize", name: `costCallCounter${service}` },
      );
    }
    const benchLinks = kmsLinkSigner(benchClients.kms, resources.linkKeyId);
    const apiDeps = {
      ddb: clients.ddb,
      sqs: clients.sqs,
      s3: clients.s3,
      links,
      settings: loadApiSettings(env),
      now: () => new Date(),
      newOrderId,
      payments,
      // Domestic bench orders never ask VIES; a sale abroad to a business would.
      vatIds: vatIdVerifierFor(loadApiSettings(env).tax),
      log: logger("order-api"),
      metrics: metrics("order-api"),
    };
    let pdfBytes = 0;
    let renderCpu = 0;
    const render: typeof renderInvoicePdf = (doc) => {
      const c0 = process.cpuUsage();
      const pdf = renderInvoicePdf(doc);
      const c = process.cpuUsage(c0);
      renderCpu = (c.user + c.system) / 1000;
      pdfBytes = pdf.byteLength;
      return pdf;
    };
    const workerDeps = {
      ddb: clients.ddb,
      sqs: clients.sqs,
      s3: clients.s3,
      settings: loadWorkerSettings({ ...env, WORKER_WAIT_SECONDS: "1" }),
      render,
      now: () => new Date(),
      log: logger("invoice-worker"),
      metrics: metrics("invoice-worker"),
    };
    const notifierDeps = {
      ddb: clients.ddb,
      ses: clients.ses,
      links,
      settings: loadNotifierSettings(env),
      now: () => new Date(),
      log: logger("email-notifier"),
      metrics: metrics("email-notifier"),
    };
    await settled;
    const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const t0 = performance.now();
      const r = await fn();
      return [r, performance.now() - t0];
    };

    const runs: { post: number; worker: number; render: number; notifier: number; link: number; pdf: number; message: number }[] = [];
    for (let i = 0; i <= n; i++) {
      const [res, post] = await timed(() =>
        handleApiRequest(postOrder(orderBody(), { headers: { "Idempotency-Key": `cost-${i}-${Date.now()}` } }), apiDeps),
      );
      if (res.statusCode !== 202) throw new Error(`POST /orders answered ${res.statusCode}: ${res.body}`);
      const orderId = JSON.parse(res.body).orderId as string;
      // The worker loop's receive and delete, made here on the counted client.
      const got = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }),
      );
      const m = got.Messages?.[0];
      if (!m?.Body) throw new Error("the order's message did not arrive");
      const c0 = process.cpuUsage();
      const done = await processOrderMessage(m.Body, workerDeps);
      const c = process.cpuUsage(c0);
      if (done.orderId !== orderId || done.outcome !== "invoiced")
        throw new Error(`worker answered ${JSON.stringify(done)} for ${orderId}`);
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: resources.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      const [sent, notifier] = await timed(() => handleS3Event(s3Event(resources.bucket, [invoiceKey(orderId)]), notifierDeps));
      if (sent.sent !== 1) throw new Error(`notifier answered ${JSON.stringify(sent)}`);
      const url = new URL(await invoiceLink(benchLinks, "https://api.shop.example/bench", orderId, Math.floor(Date.now() / 1000) + 86400));
      const event = apiEvent({
        method: "GET",
        resource: "/invoices/{orderId}",
        path: `/invoices/${orderId}`,
        pathParameters: { orderId },
        claims: null,
        query: Object.fromEntries(url.searchParams),
      });
      const [linkRes, link] = await timed(() => handleApiRequest(event, apiDeps));
      if (linkRes.statusCode !== 302) throw new Error(`invoice link answered ${linkRes.statusCode}: ${linkRes.body}`);
      if (i === 0) {
        logged.length = 0; // the warm-up's lines include one-time work
        calls.clear();
        continue;
      }
      runs.push({ post, worker: (c.user + c.system) / 1000, render: renderCpu, notifier, link, pdf: pdfBytes, message: utf8(m.Body) });
    }

    const scan = await ddbRaw.send(new ScanCommand({ TableName: resources.table, ConsistentRead: true }));
    const sizes = (type: string) => (scan.Items ?? []).filter((it) => it.type?.S === type).map((it) => itemBytes(it));
    const biggest = (type: string) => {
      const xs = sizes(type);
      if (!xs.length) throw new Error(`no ${type} item in the table`);
      return Math.max(...xs);
    };
    const perOrder = (f: (l: (typeof logged)[number]) => boolean) => logged.filter(f).reduce((s, l) => s + l.bytes, 0) / n;
    const atInfo = (l: (typeof logged)[number]) => l.level !== "debug";
    return {
      orders: n,
      callsPerOrder: Object.fromEntries(services.map(([service]) => [service, (calls.get(service) ?? 0) / n])),
      apiPostMs: median(runs.map((r) => r.post)),
      apiLinkMs: median(runs.map((r) => r.link)),
      notifierMs: median(runs.map((r) => r.notifier)),
      workerCpuMsPerInvoice: median(runs.map((r) => r.worker)),
      renderCpuMs: median(runs.map((r) => r.render)),
      pdfBytes: median(runs.map((r) => r.pdf)),
      messageBytes: median(runs.map((r) => r.message)),
      // Order items grow over their life; the final (largest) size is charged for every write.
      items: { order: biggest("order"), idempotency: biggest("idempotency"), counter: biggest("counter") },
      appLogBytesPerOrder: { debug: perOrder(() => true), info: perOrder(atInfo) },
      workerLogBytesPerOrder: {
        debug: perOrder((l) => l.part === "invoice-worker"),
        info: perOrder((l) => l.part === "invoice-worker" && atInfo(l)),
      },
    };
  } finally {
    await stack.stop();
  }
}

/** The measured figures as one stack sees them (its log level picks the log bytes). */
export function measuredFor(p: PipelineFigures, s: StackSettings, accessLogBytesPerRequest: number): Measured {
  const level = s.logLevel === "debug" ? "debug" : "info";
  return {
    ...p,
    appLogBytesPerOrder: p.appLogBytesPerOrder[level],
    workerLogBytesPerOrder: p.workerLogBytesPerOrder[level],
    accessLogBytesPerRequest,
  };
}

/** Orders per month the bench prices. */
export const VOLUMES = [10_000, 100_000, 1_000_000] as const;
const usd = (x: number) => (x >= 100 ? round(x, 0) : x >= 1 ? round(x, 2) : round(x, 4));
const volume = (v: number) => (v >= 1_000_000 ? `${v / 1_000_000}M` : `${v / 1000}k`);

/** The bench section: measures, reads both stacks, prints the bill. */
export const benchCost: BenchSection = async ({ quick }) => {
  const section = "cost";
  const rows: BenchRow[] = [];
  const { file, prices } = loadPrices();
  const { programRun } = await import("../test/helpers/pulumi-mocks");
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  // The stacks are read under mocks while moto starts; the orders are timed after both.
  const stacks = Promise.all((["dev", "prod"] as const).map((stack) => programRun(stack).then(stackSettings)));
  stacks.then(
    () => process.stderr.write(`bench: cost: both stacks read under Pulumi mocks after ${elapsed()}\n`),
    () => undefined,
  );
  const figures = await measurePipeline(quick ? 5 : 20, stacks);
  process.stderr.write(`bench: cost: ${figures.orders} orders measured after ${elapsed()}\n`);
  const { ACCESS_LOG_FORMAT } = await import("../components/api-routes");
  const access = accessLogLineBytes(ACCESS_LOG_FORMAT);
  const sample = `median of ${figures.orders} warm orders, handlers from source against moto`;
  rows.push({ section, figure: `order API POST /orders (${sample})`, value: round(figures.apiPostMs, 1), unit: "ms" });
  rows.push({ section, figure: "order API GET emailed invoice link", value: round(figures.apiLinkMs, 1), unit: "ms" });
  rows.push({ section, figure: "notifier, one S3 event of an invoiced order", value: round(figures.notifierMs, 1), unit: "ms" });
  rows.push({
    section,
    figure: "worker CPU per invoice (render + AWS calls)",
    value: round(figures.workerCpuMsPerInvoice, 1),
    unit: "ms",
    baseline: { label: "renderInvoicePdf alone", value: round(figures.renderCpuMs, 1) },
  });
  for (const [service, expected] of Object.entries(MODEL_CALLS_PER_ORDER)) {
    rows.push({
      section,
      figure: `${service} calls per order the handlers made`,
      value: round(figures.callsPerOrder[service] ?? 0, 2),
      unit: "",
      baseline: { label: "calls the model prices", value: expected },
    });
  }
  rows.push({ section, figure: "invoice PDF", value: round(figures.pdfBytes / 1024, 1), unit: "KiB" });
  rows.push({
    section,
    figure: "DynamoDB items: order / idempotency / counter",
    value: `${figures.items.order} / ${figures.items.idempotency} / ${figures.items.counter}`,
    unit: "B",
  });
  rows.push({
    section,
    figure: "application log bytes per order at info (debug)",
    value: `${round(figures.appLogBytesPerOrder.info, 0)} (${round(figures.appLogBytesPerOrder.debug, 0)})`,
    unit: "B",
  });
  for (const s of await stacks) {
    const stack = s.stack;
    const m = measuredFor(figures, s, access);
    const ddb = dynamoUnitsPerOrder(m.items, s.orderGsis, DEFAULT_WORKLOAD);
    rows.push({ section, figure: `${stack}: DynamoDB units per order (WRU / RRU)`, value: `${ddb.wru} / ${ddb.rru}`, unit: "" });
    const floor = summarize(costLines(prices, s, m, 0)).fixed;
    rows.push({
      section,
      figure: `${stack}: fixed monthly floor (${file.region}, prices of ${file.takenOn})`,
      value: usd(floor),
      unit: "$",
    });
    for (const v of VOLUMES) {
      const sum = summarize(costLines(prices, s, m, v));
      rows.push({
        section,
        figure: `${stack}: monthly bill at ${volume(v)} orders`,
        value: usd(sum.total),
        unit: "$",
        baseline: { label: "fixed floor alone", value: usd(sum.fixed) },
      });
      rows.push({
        section,
        figure: `${stack}: variable cost per 1,000 orders at ${volume(v)}/month, all but SES`,
        value: usd((sum.variableButSes / v) * 1000),
        unit: "$",
        baseline: { label: "SES alone (its $0.10 floor)", value: usd(prices.sesEmail * 1000) },
      });
    }
    // Where the variable money goes, per 1,000 orders at the middle volume.
    const mid = VOLUMES[1];
    const byService = new Map<string, number>();
    for (const l of costLines(prices, s, m, mid))
      if (l.kind === "variable") byService.set(l.service, (byService.get(l.service) ?? 0) + l.usd);
    for (const [service, x] of [...byService].sort((a, b) => b[1] - a[1])) {
      rows.push({
        section,
        figure: `${stack}: ${service} per 1,000 orders at ${volume(mid)}/month`,
        value: usd((x / mid) * 1000),
        unit: "$",
      });
    }
  }
  return rows;
};
