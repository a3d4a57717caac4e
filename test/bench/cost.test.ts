import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  PRICE_KEYS,
  accessLogLineBytes,
  costLines,
  dynamoUnitsPerOrder,
  itemBytes,
  loadPrices,
  readUnits,
  stackSettings,
  summarize,
  workerTaskHours,
  writeUnits,
  type LineItem,
  type Measured,
  type Prices,
  type StackSettings,
  type Workload,
} from "../../bench/cost";
import { programRun } from "../helpers/pulumi-mocks";

// Factories: small, round inputs whose bills can be checked by hand.

/** Every price 0 except the ones given, so a test sees only the lines it prices. */
function prices(only: Partial<Prices> = {}): Prices {
  return { ...(Object.fromEntries(PRICE_KEYS.map((k) => [k, 0])) as Prices), ...only };
}

function settings(o: Partial<Omit<StackSettings, "worker">> & { worker?: Partial<StackSettings["worker"]> } = {}): StackSettings {
  const { worker, ...rest } = o;
  return {
    stack: "test",
    logLevel: "info",
    apiMemoryMb: 1024,
    notifierMemoryMb: 512,
    lambdaArchitecture: "arm64",
    alarmMetrics: 5,
    dashboards: 0,
    kmsKeys: 1,
    interfaceEndpointAzs: 0,
    apiDetailedMetrics: 0,
    logRetentionDays: 30,
    orderGsis: 1,
    invoiceArchiveAfterDays: 0,
    archiveMinObjectBytes: 128 * 1024,
    traces: { apiRequests: false, notifierInvocations: false },
    ...rest,
    worker: {
      vcpu: 0.5,
      memoryGb: 1,
      architecture: "x86_64",
      spot: false,
      minTasks: 1,
      maxTasks: 4,
      scaleInIdleMinutes: 5,
      waitSeconds: 20,
      publicIp: false,
      ...worker,
    },
  };
}

function measured(o: Partial<Measured> = {}): Measured {
  return {
    apiPostMs: 10,
    apiLinkMs: 10,
    notifierMs: 10,
    workerCpuMsPerInvoice: 100,
    pdfBytes: 50 * 1024,
    items: { order: 900, idempotency: 300, counter: 40 },
    appLogBytesPerOrder: 1000,
    workerLogBytesPerOrder: 300,
    accessLogBytesPerRequest: 400,
    messageBytes: 1000,
    ...o,
  };
}

const WORKLOAD: Workload = {
  linkOpensPerOrder: 0,
  idempotencyKeyShare: 1,
  platformLogBytesPerInvocation: 0,
  scaleOutDelayMinutes: 0,
  hoursPerMonth: 730,
};
const line = (lines: LineItem[], service: string, item: RegExp) => {
  const found = lines.filter((l) => l.service === service && item.test(l.item));
  expect(found, `${service} ${item}`).to.have.length(1);
  return found[0];
};

describe("the cost model (bench/cost.ts)", () => {
  describe("DynamoDB capacity units", () => {
    const units = [
      { bytes: 1, wru: 1, rru: 1 },
      { bytes: 1024, wru: 1, rru: 1 },
      { bytes: 1025, wru: 2, rru: 1 },
      { bytes: 4097, wru: 5, rru: 2 },
    ];
    for (const c of units) {
      it(`charges ${c.wru} WRU and ${c.rru} RRU for an item of ${c.bytes} bytes`, () => {
        expect([writeUnits(c.bytes), readUnits(c.bytes)]).to.deep.equal([c.wru, c.rru]);
      });
    }

    it("sizes an item as DynamoDB does: names plus values, numbers by digits, 3 bytes per map", () => {
      // "pk"+"ORDER#1" = 9; "n"+123 (2 digits-pairs + 1) = 1+3; "m"+map(3 + "a"+"x"+1) = 1+6
      expect(itemBytes({ pk: { S: "ORDER#1" }, n: { N: "123" }, m: { M: { a: { S: "x" } } } })).to.equal(20);
    });

    const orders = [
      { what: "items under 1 KB, one GSI, a key, one link open", order: 900, gsis: 1, key: 1, links: 1, wru: 18, rru: 5 },
      { what: "a 1.5 KB order item (2 WRU per write)", order: 1500, gsis: 1, key: 1, links: 1, wru: 32, rru: 5 },
      { what: "no GSI", order: 900, gsis: 0, key: 1, links: 1, wru: 12, rru: 5 },
      { what: "no Idempotency-Key (one PutItem, no key read)", order: 900, gsis: 1, key: 0, links: 0, wru: 15, rru: 3 },
    ];
    for (const c of orders) {
      it(`counts ${c.wru} WRU and ${c.rru} RRU over an order's life with ${c.what}`, () => {
        const got = dynamoUnitsPerOrder({ order: c.order, idempotency: 300, counter: 40 }, c.gsis, {
          linkOpensPerOrder: c.links,
          idempotencyKeyShare: c.key,
        });
        expect(got).to.deep.equal({ wru: c.wru, rru: c.rru });
      });
    }
  });

  describe("worker task-hours", () => {
    const w = { hoursPerMonth: 730, scaleOutDelayMinutes: 0 };
    it("runs no task at all for a stack scaled to zero without orders, and the minimum otherwise", () => {
      expect(workerTaskHours(settings({ worker: { minTasks: 0 } }).worker, 0, 100, w).total).to.equal(0);
      expect(workerTaskHours(settings({ worker: { minTasks: 2 } }).worker, 0, 100, w).total).to.equal(1460);
    });

    it("derives busy hours from CPU per invoice over the task's vCPU, one vCPU at most per process", () => {
      // 0.25 vCPU, 100 ms per invoice: 2.5 invoices/s, 9,000 an hour.
      expect(workerTaskHours(settings({ worker: { vcpu: 0.25 } }).worker, 90_000, 100, w).busy).to.be.closeTo(10, 1e-9);
      // 2 vCPU count as 1: 10 invoices/s, 36,000 an hour.
      expect(workerTaskHours(settings({ worker: { vcpu: 2 } }).worker, 36_000, 100, w).busy).to.be.closeTo(1, 1e-9);
    });

    it("keeps a scaled-to-zero task up for the idle window after each order", () => {
      // One order per hour on average, a 60-minute window: up 1 - e^-1 of the month.
      const t = workerTaskHours(settings({ worker: { minTasks: 0, scaleInIdleMinutes: 60 } }).worker, 730, 100, w);
      expect(t.covered).to.be.closeTo(730 * (1 - Math.exp(-1)), 1e-9);
      expect(t.total).to.equal(t.covered);
    });

    it("never runs more task-hours than the maximum task count allows", () => {
      const t = workerTaskHours(settings({ worker: { maxTasks: 2 } }).worker, 100_000_000, 1000, w);
      expect(t.busy).to.be.greaterThan(1460);
      expect(t.total).to.equal(1460);
    });
  });

  describe("costLines", () => {
    it("applies the Spot price only to the stack whose service runs on Fargate Spot", () => {
      const p = prices({ fargateVcpuHourX86: 0.04, fargateGbHourX86: 0.004, fargateSpotVcpuHour: 0.012, fargateSpotGbHour: 0.0012 });
      const onDemand = line(costLines(p, settings({ worker: { spot: false } }), measured(), 0, WORKLOAD), "Fargate", /minimum tasks/);
      const spot = line(costLines(p, settings({ worker: { spot: true } }), measured(), 0, WORKLOAD), "Fargate", /minimum tasks/);
      // One task of 0.5 vCPU and 1 GB for 730 hours.
      expect(onDemand.usd).to.be.closeTo(730 * (0.5 * 0.04 + 1 * 0.004), 1e-9);
      expect(spot.usd).to.be.closeTo(730 * (0.5 * 0.012 + 1 * 0.0012), 1e-9);
      expect(onDemand.item).to.include("on-demand");
      expect(spot.item).to.include("Spot");
    });

    it("keeps the fixed floor the same whatever the order count, and the variable part zero without orders", () => {
      const p = loadPrices().prices;
      const at = (orders: number) =>
        summarize(costLines(p, settings({ interfaceEndpointAzs: 8, alarmMetrics: 5 }), measured(), orders, WORKLOAD));
      expect(at(0).variable).to.equal(0);
      expect(at(0).fixed).to.be.greaterThan(0);
      expect(at(10_000).fixed).to.equal(at(0).fixed);
      expect(at(1_000_000).fixed).to.equal(at(0).fixed);
      expect(at(1_000_000).variable).to.be.greaterThan(at(10_000).variable);
    });

    it("prices the fixed floor from counted resources: alarm metrics, keys, dashboards, endpoint AZ-hours", () => {
      const p = prices({ alarmMetricMonth: 0.1, kmsKeyMonth: 1, dashboardMonth: 3, interfaceEndpointAzHour: 0.01, customMetricMonth: 0.3 });
      const s = settings({
        alarmMetrics: 5,
        kmsKeys: 2,
        dashboards: 1,
        interfaceEndpointAzs: 8,
        apiDetailedMetrics: 15,
        worker: { minTasks: 0 },
      });
      // 0.5 + 2 + 3 + 8 * 730 * 0.01 + 4.5
      expect(summarize(costLines(p, s, measured(), 0, WORKLOAD)).fixed).to.be.closeTo(0.5 + 2 + 3 + 58.4 + 4.5, 1e-9);
      expect(
        costLines(p, settings({ interfaceEndpointAzs: 0 }), measured(), 0, WORKLOAD).some((l) => l.service === "VPC endpoints"),
      ).to.equal(false);
    });

    it("bills Lambda duration rounded up to the millisecond, times memory, per invocation", () => {
      const p = prices({ lambdaArmGbSecond: 1, lambdaX86GbSecond: 100 });
      // 1,000 POSTs of 9.2 ms (billed 10 ms) at 1 GB: 10 GB-s; no link opens.
      const lines = costLines(p, settings({ apiMemoryMb: 1024 }), measured({ apiPostMs: 9.2 }), 1000, WORKLOAD);
      expect(line(lines, "Lambda", /order API duration/).quantity).to.be.closeTo(10, 1e-9);
      expect(line(lines, "Lambda", /order API duration/).usd).to.be.closeTo(10, 1e-9);
    });

    it("counts one email per order and leaves SES out of the 'all but SES' sum", () => {
      const sum = summarize(costLines(prices({ sesEmail: 0.0001 }), settings(), measured(), 1000, WORKLOAD));
      expect(sum.variable).to.be.closeTo(0.1, 1e-12);
      expect(sum.variableButSes).to.equal(0);
    });

    it("counts a send, a receive and a delete per order on the queue", () => {
      const lines = costLines(prices({ sqsRequest: 0.0000004 }), settings(), measured(), 1000, WORKLOAD);
      expect(line(lines, "SQS", /per order/).quantity).to.equal(3000);
      expect(line(lines, "SQS", /per order/).usd).to.be.closeTo(0.0012, 1e-12);
    });

    it("charges public IPv4 only for tasks in public subnets", () => {
      const p = prices({ publicIpv4Hour: 0.005 });
      const pub = costLines(p, settings({ worker: { publicIp: true, minTasks: 1 } }), measured(), 0, WORKLOAD);
      expect(line(pub, "VPC", /minimum tasks/).usd).to.be.closeTo(730 * 0.005, 1e-9);
      expect(costLines(p, settings({ worker: { publicIp: false } }), measured(), 0, WORKLOAD).some((l) => l.service === "VPC")).to.equal(
        false,
      );
    });

    const archives = [
      { what: "a 54 KiB PDF under S3's 128 KiB default", archiveAfterDays: 90, pdf: 54 * 1024, min: 128 * 1024, moves: false },
      { what: "a 200 KiB PDF", archiveAfterDays: 90, pdf: 200 * 1024, min: 128 * 1024, moves: true },
      { what: "a 54 KiB PDF under a rule that filters from 1 KiB", archiveAfterDays: 90, pdf: 54 * 1024, min: 1024, moves: true },
      { what: "a stack that never archives", archiveAfterDays: 0, pdf: 200 * 1024, min: 128 * 1024, moves: false },
    ];
    for (const c of archives) {
      it(`${c.moves ? "charges" : "does not charge"} a Standard-IA transition for ${c.what}`, () => {
        const lines = costLines(
          prices({ s3StandardIaTransition: 0.00001 }),
          settings({ invoiceArchiveAfterDays: c.archiveAfterDays, archiveMinObjectBytes: c.min }),
          measured({ pdfBytes: c.pdf }),
          1000,
          WORKLOAD,
        );
        expect(summarize(lines).variable).to.be.closeTo(c.moves ? 0.01 : 0, 1e-12);
      });
    }

    const tracing = [
      { what: "API requests and notifier invocations", traces: { apiRequests: true, notifierInvocations: true }, recorded: 3000 },
      { what: "API requests only", traces: { apiRequests: true, notifierInvocations: false }, recorded: 2000 },
      { what: "nothing (no tracing)", traces: { apiRequests: false, notifierInvocations: false }, recorded: 0 },
    ];
    for (const c of tracing) {
      it(`records an X-Ray trace per traced invocation: ${c.what}`, () => {
        // 1,000 orders, one link open each: 2,000 API requests (POST + link), 1,000 notifier invocations.
        const lines = costLines(prices({ xrayTraceRecorded: 0.000005 }), settings({ traces: c.traces }), measured(), 1000, {
          ...WORKLOAD,
          linkOpensPerOrder: 1,
        });
        const got = line(lines, "X-Ray", /traces recorded/);
        expect(got.quantity).to.equal(c.recorded);
        expect(got.usd).to.be.closeTo(c.recorded * 0.000005, 1e-12);
      });
    }

    it("sizes log ingestion from measured bytes per order, Lambda platform lines and access-log lines", () => {
      const p = prices({ logsIngestGb: 1 });
      const w = { ...WORKLOAD, linkOpensPerOrder: 1, platformLogBytesPerInvocation: 100 };
      // Per order: 1000 app bytes + 3 invocations * 100 + 2 API requests * 400 = 2,100 bytes.
      const got = line(costLines(p, settings(), measured(), 1024 ** 3 / 2100, w), "CloudWatch", /log ingestion/);
      expect(got.quantity).to.be.closeTo(1, 1e-9);
    });
  });

  describe("inputs", () => {
    it("has every price the model reads in the dated price file, each with a unit and a source", () => {
      const { file, prices: p } = loadPrices();
      expect(file.takenOn).to.match(/^\d{4}-\d{2}-\d{2}$/);
      expect(file.region).to.equal("eu-central-1");
      expect(file.currency).to.equal("USD");
      expect(Object.keys(p).sort()).to.deep.equal([...PRICE_KEYS].sort());
      expect(p.sesEmail * 1000).to.be.closeTo(0.1, 1e-12);
    });

    it("refuses a price file that lacks a price", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cost-prices-"));
      const file = path.join(dir, "prices.json");
      const { file: full } = loadPrices();
      const { sesEmail: _dropped, ...rest } = full.prices;
      fs.writeFileSync(file, JSON.stringify({ ...full, prices: rest }));
      try {
        expect(() => loadPrices(file)).to.throw(/sesEmail/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("fills the access-log format with typical values", () => {
      expect(accessLogLineBytes('{"id":"$context.requestId","s":"$context.status"}')).to.equal(
        '{"id":"8f0e6d2c-5b7a-4c1e-9d3f-2a1b0c9d8e7f","s":"202"}'.length + 1,
      );
    });

    const stacks = [
      {
        stack: "dev",
        api: 512,
        spot: true,
        min: 0,
        max: 2,
        vcpu: 0.25,
        idle: 5,
        endpointAzs: 0,
        publicIp: true,
        retention: 7,
        level: "debug",
        archive: 0,
      },
      {
        stack: "prod",
        api: 1024,
        spot: false,
        min: 1,
        max: 10,
        vcpu: 0.5,
        idle: 10,
        endpointAzs: 8,
        publicIp: false,
        retention: 90,
        level: "info",
        archive: 0,
      },
    ] as const;
    for (const c of stacks) {
      it(`reads the ${c.stack} stack's own settings from its resources under Pulumi mocks`, async function () {
        this.timeout(60000);
        const s = stackSettings(await programRun(c.stack));
        expect(s.apiMemoryMb).to.equal(c.api);
        expect(s.lambdaArchitecture).to.equal("arm64");
        expect(s.worker).to.include({
          spot: c.spot,
          minTasks: c.min,
          maxTasks: c.max,
          vcpu: c.vcpu,
          scaleInIdleMinutes: c.idle,
          publicIp: c.publicIp,
          waitSeconds: 20,
        });
        expect(s).to.include({
          interfaceEndpointAzs: c.endpointAzs,
          logRetentionDays: c.retention,
          logLevel: c.level,
          invoiceArchiveAfterDays: c.archive,
          archiveMinObjectBytes: 128 * 1024,
          kmsKeys: 1,
          dashboards: 1,
          // byCustomer, byState (the catalog, orders awaiting payment, the outbox) and byMonth (the admins' listing): all project every attribute
          orderGsis: 3,
        });
        expect(s.traces).to.deep.equal({ apiRequests: true, notifierInvocations: true });
        // Queue tier: DLQ depth, email failures, oldest message: 3. Worker scaling (components/scaling.ts), one billed metric per
        // metric query: wake (desired, visible, accepted), backlog-high (desired, visible), backlog-low (running, visible,
        // in flight), queue-idle (visible, in flight, accepted, desired, running): 13. Operations (components/operations.ts):
        // 4 Lambda, 5xx rate (2), p99, worker crashed, tasks below desired (2), no invoices, invoice emails bounced,
        // the account's SES bounce and complaint rates: 14.
        expect(s.alarmMetrics).to.equal(30);
        // 14 methods with detailed metrics on (the 4 order routes; the catalog, the 8 admin routes and the webhook), 5 metrics each.
        expect(s.apiDetailedMetrics).to.equal(70);
      });
    }
  });
});
