import { expect } from "chai";
import { SHOP_CONFIG, programRun, runProgram, type ProgramRun } from "../../helpers/pulumi-mocks";

describe("the program's configuration check", () => {
  it("refuses a misspelt key in the stack's config, which the program itself never reads", async function () {
    this.timeout(60000);
    // Prepare: the shared runs first (mocks are process-wide), then a run of dev with a typo.
    await programRun("dev");
    await programRun("prod");
    // Act / assess
    let error: unknown;
    await runProgram("dev", { ...SHOP_CONFIG.dev, "shop-backend:workerMaxTask": "3" }).catch((e) => (error = e));
    expect(String(error)).to.match(/unknown key\(s\): shop-backend:workerMaxTask/);
  });

  it("refuses to deploy the committed stack files as they are, naming each placeholder address and missing secret and how to set it", async function () {
    this.timeout(60000);
    await programRun("dev");
    await programRun("prod");
    let error: unknown;
    await runProgram("prod").catch((e) => (error = e));
    const placeholders = [...String(error).matchAll(/shop-backend:(\w+) "([^"]+)" is a placeholder/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(placeholders).to.deep.equal([
      "emailSender=invoices@shop.example",
      "sellerEmail=billing@shop.example",
      "alarmEmail=ops@shop.example",
    ]);
    expect(String(error)).to.include("pulumi config set shop-backend:emailSender <address>");
    // ... and the payment secrets no stack file holds in plain text.
    expect(String(error)).to.include("pulumi config set --secret shop-backend:stripeSecretKey <value>");
    expect(String(error)).to.include("pulumi config set --secret shop-backend:stripeWebhookSecret <value>");
  });
});

describe("dev and prod differ where production differs", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async function () {
    this.timeout(60000);
    dev = await programRun("dev");
    prod = await programRun("prod");
  });

  const pick = (run: ProgramRun) => {
    const service = run.one("aws:ecs/service:Service").inputs;
    const table = run.one("aws:dynamodb/table:Table").inputs;
    return {
      capacity: service.capacityProviderStrategies.map((s: { capacityProvider: string }) => s.capacityProvider),
      desiredCount: service.desiredCount,
      assignPublicIp: service.networkConfiguration.assignPublicIp,
      subnets: service.networkConfiguration.subnets,
      logRetention: [...new Set(run.ofType("aws:cloudwatch/logGroup:LogGroup").map((g) => g.inputs.retentionInDays))],
      tableDeletionProtection: table.deletionProtectionEnabled,
      pointInTimeRecovery: table.pointInTimeRecovery.enabled,
      bucketForceDestroy: run.one("aws:s3/bucket:Bucket").inputs.forceDestroy,
      userPoolDeletionProtection: run.one("aws:cognito/userPool:UserPool").inputs.deletionProtection,
      versioning: run.ofType("aws:s3/bucketVersioning:BucketVersioning").map((v) => v.inputs.versioningConfiguration.status),
      objectLock: run.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").inputs.rule.defaultRetention,
      invoicesKept: ["aws:s3/bucket:Bucket", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"].map((t) => {
        const r = run.one(t);
        return { protect: r.protect, retainOnDelete: r.retainOnDelete };
      }),
      alarmSubscriptions: run.ofType("aws:sns/topicSubscription:TopicSubscription").filter((s) => s.inputs.protocol === "email").length,
      keyDeletionWindow: run.one("aws:kms/key:Key").inputs.deletionWindowInDays,
      forceDeleteImages: run.one("awsx:ecr:Repository").inputs.forceDelete,
    };
  };

  it("dev: Spot, scale to zero, default VPC, short retention (a one-day governance lock on invoices), nothing protected", () => {
    expect(pick(dev)).to.deep.equal({
      capacity: ["FARGATE_SPOT"],
      desiredCount: 0,
      assignPublicIp: true,
      subnets: ["subnet-default-a", "subnet-default-b", "subnet-default-c"],
      logRetention: [7],
      tableDeletionProtection: false,
      pointInTimeRecovery: false,
      bucketForceDestroy: true,
      userPoolDeletionProtection: "INACTIVE",
      versioning: ["Enabled"],
      objectLock: { mode: "GOVERNANCE", days: 1 },
      invoicesKept: [
        { protect: false, retainOnDelete: false },
        { protect: false, retainOnDelete: false },
      ],
      alarmSubscriptions: 0,
      keyDeletionWindow: 7,
      forceDeleteImages: true,
    });
  });

  it("prod: on-demand, at least one task, private subnets, longer retention, PITR, deletion protection and invoices locked in compliance mode for 9 years", () => {
    expect(pick(prod)).to.deep.equal({
      capacity: ["FARGATE"],
      desiredCount: 1,
      assignPublicIp: false,
      subnets: prod.ofType("aws:ec2/subnet:Subnet").map((s) => `${s.name}-id`),
      logRetention: [90],
      tableDeletionProtection: true,
      pointInTimeRecovery: true,
      bucketForceDestroy: false,
      userPoolDeletionProtection: "ACTIVE",
      versioning: ["Enabled"],
      // Germany: 8 years from the end of the year of issue, so 9 from upload.
      objectLock: { mode: "COMPLIANCE", years: 9 },
      invoicesKept: [
        { protect: true, retainOnDelete: true },
        { protect: true, retainOnDelete: true },
      ],
      alarmSubscriptions: 1,
      keyDeletionWindow: 30,
      forceDeleteImages: false,
    });
  });

  it("prod reaches every AWS API the worker and ECS use through VPC endpoints", () => {
    const endpoints = prod.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => `${e.inputs.vpcEndpointType} ${e.inputs.serviceName}`);
    expect(endpoints.sort()).to.deep.equal(
      [
        "Gateway com.amazonaws.eu-central-1.dynamodb",
        "Gateway com.amazonaws.eu-central-1.s3",
        "Interface com.amazonaws.eu-central-1.ecr.api",
        "Interface com.amazonaws.eu-central-1.ecr.dkr",
        "Interface com.amazonaws.eu-central-1.logs",
        "Interface com.amazonaws.eu-central-1.sqs",
      ].sort(),
    );
    for (const e of prod.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").filter((x) => x.inputs.vpcEndpointType === "Interface")) {
      expect(e.inputs.privateDnsEnabled).to.equal(true);
    }
    expect(prod.ofType("aws:ec2/subnet:Subnet").map((s) => [s.inputs.cidrBlock, s.inputs.mapPublicIpOnLaunch])).to.deep.equal([
      ["10.40.0.0/20", false],
      ["10.40.16.0/20", false],
    ]);
  });

  it("prod puts its private subnets in Availability Zones, never in an opted-in Local Zone (no interface endpoints there)", () => {
    // The mock lists the account's opted-in Hamburg Local Zone as "available", first by name, as AWS does.
    expect(prod.ofType("aws:ec2/subnet:Subnet").map((s) => s.inputs.availabilityZone)).to.deep.equal(["eu-central-1a", "eu-central-1b"]);
  });
});
