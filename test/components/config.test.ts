import { expect } from "chai";
import { parseVatId } from "../../runtime/domain/vat-id";
import { spawnSync } from "node:child_process";
import {
  CONFIG_KEYS,
  PROJECT,
  REGION_KEY,
  SECRET_CONFIG_KEYS,
  StackConfigError,
  isPlaceholderAddress,
  parseStackConfig,
} from "../../components/config";
import { ROOT, stackFileConfig } from "../helpers/pulumi-mocks";
import { readStackConfigFile } from "../../local/stack-settings";
import { INVOICE_RETENTION_LAW, type RetentionJurisdiction } from "../../components/data-plan";

/** A stack file's config with its YAML types (as the local pipeline reads it). */
const yamlConfig = (stack: string) => readStackConfigFile(stack);

const minimal = (extra: Record<string, unknown> = {}) => ({
  [REGION_KEY]: "eu-west-1",
  [`${PROJECT}:emailSender`]: "invoices@shop.example",
  [`${PROJECT}:sellerName`]: "Acme",
  [`${PROJECT}:sellerAddress`]: "Street 1|City",
  [`${PROJECT}:sellerCountry`]: "DE",
  [`${PROJECT}:sellerVatId`]: "DE123456788",
  ...extra,
});
/** The payment secrets a deploy needs (`pulumi config set --secret`), as Pulumi hands them to the program: plain strings. */
const secrets = {
  [`${PROJECT}:stripeSecretKey`]: "sk_test_config",
  [`${PROJECT}:stripeWebhookSecret`]: "whsec_config",
};

describe("parseStackConfig", () => {
  for (const stack of ["dev", "prod"]) {
    it(`finds every key the program reads in Pulumi.${stack}.yaml, and no other, secrets excepted (never committed in plain text)`, () => {
      const keys = Object.keys(yamlConfig(stack)).sort();
      const plain = CONFIG_KEYS.filter((k) => !(SECRET_CONFIG_KEYS as readonly string[]).includes(k));
      expect(keys).to.deep.equal([REGION_KEY, ...plain.map((k) => `${PROJECT}:${k}`)].sort());
    });

    it(`reads Pulumi.${stack}.yaml the same from YAML values and from Pulumi's strings`, () => {
      expect(parseStackConfig(yamlConfig(stack), stack)).to.deep.equal(parseStackConfig(stackFileConfig(stack), stack));
    });
  }

  it("gives the dev and prod stacks the settings the issue asks for", () => {
    const dev = parseStackConfig(yamlConfig("dev"), "dev");
    const prod = parseStackConfig(yamlConfig("prod"), "prod");
    expect([
      dev.worker.spot,
      dev.worker.minTasks,
      dev.data.deletionProtection,
      dev.data.pointInTimeRecovery,
      dev.network.mode,
    ]).to.deep.equal([true, 0, false, false, "public"]);
    expect([
      prod.worker.spot,
      prod.worker.minTasks,
      prod.data.deletionProtection,
      prod.data.pointInTimeRecovery,
      prod.network.mode,
    ]).to.deep.equal([false, 1, true, true, "private"]);
    expect(prod.logRetentionDays).to.be.greaterThan(dev.logRetentionDays);
  });

  const addressCases: [string, boolean][] = [
    ["invoices@shop.example", true],
    ["a@example.com", true],
    ["a@mail.example.org", true],
    ["a@EXAMPLE.NET", true],
    ["a@shop.test", true],
    ["a@host.invalid", true],
    ["a@mail.localhost", true],
    ["invoices@acme-shop.eu", false],
    ["a@example.company", false],
    ["a@myexample.com", false],
    ["a@test.de", false],
  ];
  for (const [address, placeholder] of addressCases) {
    it(`${placeholder ? "refuses" : "accepts"} ${address} as a deployed stack's sender, and the local pipeline accepts it either way`, () => {
      const raw = minimal({ [`${PROJECT}:emailSender`]: address, ...secrets });
      const deploy = () => parseStackConfig(raw, "staging", { deploying: true });
      if (placeholder) expect(deploy).to.throw(StackConfigError, `${PROJECT}:emailSender "${address}" is a placeholder`);
      else expect(deploy().emailSender).to.equal(address);
      expect(parseStackConfig(raw, "staging").emailSender).to.equal(address);
      expect(isPlaceholderAddress(address)).to.equal(placeholder);
    });
  }

  const alarmEmailCases = [
    { stack: "prod", alarmEmail: undefined, refused: true },
    { stack: "prod-eu", alarmEmail: "", refused: true },
    { stack: "prod", alarmEmail: "ops@shop.example", refused: false },
    { stack: "dev", alarmEmail: undefined, refused: false },
    { stack: "production-like", alarmEmail: undefined, refused: false },
  ];
  for (const c of alarmEmailCases) {
    it(`${c.refused ? "refuses" : "accepts"} stack "${c.stack}" with alarmEmail ${JSON.stringify(c.alarmEmail)}`, () => {
      // COMPLIANCE: a production stack must lock its invoices so (the retention cases below).
      const raw = minimal({
        [`${PROJECT}:invoiceRetentionMode`]: "COMPLIANCE",
        ...(c.alarmEmail === undefined ? {} : { [`${PROJECT}:alarmEmail`]: c.alarmEmail }),
      });
      const parse = () => parseStackConfig(raw, c.stack);
      if (c.refused) expect(parse).to.throw(StackConfigError, `${PROJECT}:alarmEmail is required in a production stack`);
      else expect(parse().alarmEmail).to.equal(c.alarmEmail || undefined);
    });
  }

  describe("invoice retention (S3 Object Lock)", () => {
    const prodRaw = (extra: Record<string, unknown>) => minimal({ [`${PROJECT}:alarmEmail`]: "ops@acme-shop.eu", ...extra });
    const k = (name: string) => `${PROJECT}:${name}`;
    const lawCases: { jurisdiction: RetentionJurisdiction; years: number }[] = [
      { jurisdiction: "DE", years: 9 },
      { jurisdiction: "AT", years: 8 },
      { jurisdiction: "FR", years: 11 },
    ];
    for (const c of lawCases) {
      it(`locks a ${c.jurisdiction} shop's invoices for ${c.years} years from upload: the law's ${INVOICE_RETENTION_LAW[c.jurisdiction].years} from the end of the year of issue, plus that year`, () => {
        const raw = prodRaw({ [k("invoiceRetentionJurisdiction")]: c.jurisdiction, [k("invoiceRetentionMode")]: "COMPLIANCE" });
        expect(parseStackConfig(raw, "prod").data.retention).to.deep.equal({ mode: "COMPLIANCE", years: c.years });
      });
    }

    it("names a statute for every jurisdiction it knows, and counts from the end of the year of issue", () => {
      for (const law of Object.values(INVOICE_RETENTION_LAW)) {
        expect(law.source).to.match(/§|art\./i);
        expect(law.fromYearEnd).to.equal(true);
      }
    });

    const refusals: { name: string; stack: string; extra: Record<string, unknown>; message: string }[] = [
      {
        name: "a production stack in GOVERNANCE mode",
        stack: "prod",
        extra: {},
        message: `${k("invoiceRetentionMode")} must be COMPLIANCE in a production stack`,
      },
      {
        name: "a production stack locking for fewer days than the law",
        stack: "prod-eu",
        extra: { [k("invoiceRetentionMode")]: "COMPLIANCE", [k("invoiceRetentionDays")]: 365 },
        message: `${k("invoiceRetentionDays")} (365) is shorter than the law of DE requires (3285 days)`,
      },
      {
        name: "any stack without versioning (Object Lock needs it)",
        stack: "staging",
        extra: { [k("bucketVersioning")]: false },
        message: `${k("bucketVersioning")} must be true`,
      },
      {
        name: "an expiry before the lock ends",
        stack: "staging",
        extra: { [k("invoiceRetentionDays")]: 40, [k("invoiceExpireAfterDays")]: 30 },
        message: `${k("invoiceExpireAfterDays")} (30) ends before the invoices' Object Lock retention (40 days)`,
      },
      {
        name: "an unknown jurisdiction",
        stack: "staging",
        extra: { [k("invoiceRetentionJurisdiction")]: "XX" },
        message: `${k("invoiceRetentionJurisdiction")}`,
      },
    ];
    for (const c of refusals) {
      it(`refuses ${c.name}`, () => {
        expect(() => parseStackConfig(prodRaw(c.extra), c.stack)).to.throw(StackConfigError, c.message);
      });
    }

    it("lets a non-production stack lock for a day in GOVERNANCE mode (dev), and reads an empty days key as the law's period", () => {
      const dev = parseStackConfig(prodRaw({ [k("invoiceRetentionDays")]: "1", [k("invoiceExpireAfterDays")]: 30 }), "dev");
      expect(dev.data.retention).to.deep.equal({ mode: "GOVERNANCE", days: 1 });
      const prod = parseStackConfig(prodRaw({ [k("invoiceRetentionMode")]: "COMPLIANCE", [k("invoiceRetentionDays")]: "" }), "prod");
      expect(prod.data.retention).to.deep.equal({ mode: "COMPLIANCE", years: 9 });
    });

    it("gives the committed stacks what the issue asks: prod COMPLIANCE for Germany's period, dev a one-day GOVERNANCE lock", () => {
      expect(parseStackConfig(yamlConfig("prod"), "prod").data.retention).to.deep.equal({ mode: "COMPLIANCE", years: 9 });
      expect(parseStackConfig(yamlConfig("dev"), "dev").data.retention).to.deep.equal({ mode: "GOVERNANCE", days: 1 });
    });
  });

  it("applies documented defaults to a minimal config, with or without the project prefix", () => {
    const c = parseStackConfig(minimal(), "staging");
    expect(c).to.deep.include({
      stack: "staging",
      region: "eu-west-1",
      tax: { ossRegistered: false, supplyKind: "goods", vatCheckPolicy: "charge-vat" },
      logLevel: "info",
      logRetentionDays: 30,
      alarmEmail: undefined,
    });
    expect(c.worker).to.deep.equal({
      cpu: 512,
      memoryMb: 1024,
      architecture: "x86_64",
      spot: false,
      minTasks: 0,
      maxTasks: 4,
      concurrency: 4,
      messageBudgetSeconds: 60,
      backlogPerTask: 20,
      scaleInIdleMinutes: 5,
      ecsServiceLinkedRole: false,
    });
    expect(c.notifier).to.deep.equal({ memoryMb: 256, timeoutSeconds: 30, linkTtlDays: 30, sesMaxSendRate: 1 });
    expect(c.data).to.deep.equal({
      bucketVersioning: true,
      expireAfterDays: 0,
      noncurrentVersionExpireDays: 30,
      deletionProtection: true,
      pointInTimeRecovery: true,
      // Germany's 8 years from the end of the year of issue; GOVERNANCE until a stack says COMPLIANCE.
      retention: { mode: "GOVERNANCE", years: 9 },
      retentionJurisdiction: "DE",
    });
    expect({ shop: c.shop, payment: c.payment }).to.deep.equal({
      shop: { currency: "EUR" },
      payment: { provider: "stripe", expiryMinutes: 30, stripeSecretKey: undefined, stripeWebhookSecret: undefined },
    });
    const bare = Object.fromEntries(Object.entries(minimal()).map(([k, v]) => [k.replace(`${PROJECT}:`, ""), v]));
    expect(parseStackConfig(bare, "staging")).to.deep.equal(c);
  });

  describe("payments (issue 15)", () => {
    it("refuses a deploy without the two Stripe secrets, naming the pulumi config set --secret command of each", () => {
      // Act
      const deploy = () =>
        parseStackConfig(minimal({ [`${PROJECT}:emailSender`]: "invoices@acme-shop.eu" }), "staging", { deploying: true });
      // Assess
      expect(deploy).to.throw(StackConfigError, `pulumi config set --secret ${PROJECT}:stripeSecretKey <value>`);
      expect(deploy).to.throw(StackConfigError, `pulumi config set --secret ${PROJECT}:stripeWebhookSecret <value>`);
    });

    it("refuses a deploy with only one of them, naming the missing one only", () => {
      const raw = minimal({ [`${PROJECT}:emailSender`]: "invoices@acme-shop.eu", [`${PROJECT}:stripeSecretKey`]: "sk_test_1" });
      expect(() => parseStackConfig(raw, "staging", { deploying: true }))
        .to.throw(StackConfigError, /stripeWebhookSecret is required to deploy/)
        .and.not.match(/stripeSecretKey is required/);
    });

    it("lets the local pipeline and the tests go without them", () => {
      expect(parseStackConfig(minimal(), "staging").payment).to.deep.include({
        stripeSecretKey: undefined,
        stripeWebhookSecret: undefined,
      });
    });

    it("passes the secrets, currency and expiry through as set", () => {
      const c = parseStackConfig(
        minimal({
          [`${PROJECT}:emailSender`]: "invoices@acme-shop.eu",
          [`${PROJECT}:shopCurrency`]: "CHF",
          [`${PROJECT}:paymentExpiryMinutes`]: "45",
          ...secrets,
        }),
        "staging",
        { deploying: true },
      );
      expect({ shop: c.shop, payment: c.payment }).to.deep.equal({
        shop: { currency: "CHF" },
        payment: { provider: "stripe", expiryMinutes: 45, stripeSecretKey: "sk_test_config", stripeWebhookSecret: "whsec_config" },
      });
    });

    const paymentRefusals = [
      { what: "a currency that is no ISO 4217 code", extra: { shopCurrency: "euro" }, message: /shopCurrency must be an ISO 4217 code/ },
      { what: "a provider the order API lacks", extra: { paymentProvider: "paypal" }, message: /paymentProvider Invalid enum value/ },
      {
        what: "a publishable key given as the secret key, without echoing it",
        extra: { stripeSecretKey: "pk_live_abc" },
        message: /^(?![\s\S]*pk_live_abc)[\s\S]*stripeSecretKey must be a Stripe secret or restricted key/,
      },
      {
        what: "a webhook secret that is none",
        extra: { stripeWebhookSecret: "sk_test_abc" },
        message: /stripeWebhookSecret must be a Stripe webhook signing secret/,
      },
      {
        what: "an expiry under the schedule's five minutes",
        extra: { paymentExpiryMinutes: 2 },
        message: /paymentExpiryMinutes must be at least 5/,
      },
    ];
    for (const r of paymentRefusals) {
      it(`refuses ${r.what}, naming the key`, () => {
        const raw = minimal(Object.fromEntries(Object.entries(r.extra).map(([k, v]) => [`${PROJECT}:${k}`, v])));
        expect(() => parseStackConfig(raw, "dev")).to.throw(StackConfigError, r.message);
      });
    }
  });

  const refusals: { what: string; raw: Record<string, unknown>; stack?: string; message: RegExp }[] = [
    { what: "a misspelt key", raw: minimal({ [`${PROJECT}:workerMaxTask`]: 3 }), message: /unknown key\(s\): shop-backend:workerMaxTask/ },
    {
      what: "a missing sender",
      raw: { ...minimal(), [`${PROJECT}:emailSender`]: undefined },
      message: /shop-backend:emailSender is required/,
    },
    { what: "a region that is not one", raw: minimal({ [REGION_KEY]: "Frankfurt" }), message: /aws:region must name an AWS region/ },
    {
      what: "min tasks above max",
      raw: minimal({ [`${PROJECT}:workerMinTasks`]: 5, [`${PROJECT}:workerMaxTasks`]: 2 }),
      message: /workerMinTasks \(5\) exceeds shop-backend:workerMaxTasks \(2\)/,
    },
    {
      what: "a memory size Fargate lacks",
      raw: minimal({ [`${PROJECT}:workerCpu`]: 256, [`${PROJECT}:workerMemoryMb`]: 4096 }),
      message: /workerMemoryMb 4096 is not a Fargate size/,
    },
    { what: "a boolean spelt yes", raw: minimal({ [`${PROJECT}:workerSpot`]: "yes" }), message: /workerSpot must be true or false/ },
    {
      what: "an API timeout API Gateway cannot wait for",
      raw: minimal({ [`${PROJECT}:apiTimeoutSeconds`]: 60 }),
      message: /apiTimeoutSeconds must be at most 29/,
    },
    {
      what: "a log retention CloudWatch lacks",
      raw: minimal({ [`${PROJECT}:logRetentionDays`]: 10 }),
      message: /logRetentionDays must be one of/,
    },
    {
      what: "a message budget a stopping task cannot wait for",
      raw: minimal({ [`${PROJECT}:workerMessageBudgetSeconds`]: 200 }),
      message: /workerMessageBudgetSeconds \(200\) must be at most 105/,
    },
    {
      what: "the removed STANDARD_IA key",
      raw: minimal({ [`${PROJECT}:invoiceArchiveAfterDays`]: 90 }),
      message: /unknown key\(s\): shop-backend:invoiceArchiveAfterDays/,
    },
    { what: "a stack name no stage can carry", raw: minimal(), stack: "my stack", message: /stack name "my stack"/ },
    {
      what: "the retired flat tax rate",
      raw: minimal({ [`${PROJECT}:taxRateBps`]: 1900 }),
      message: /shop-backend:taxRateBps is gone: VAT rates come from the rate table/,
    },
    {
      what: "the renamed sellerTaxId",
      raw: minimal({ [`${PROJECT}:sellerTaxId`]: "DE123456788" }),
      message: /shop-backend:sellerTaxId is now sellerVatId/,
    },
    {
      what: "no seller country",
      raw: { ...minimal(), [`${PROJECT}:sellerCountry`]: undefined },
      message: /shop-backend:sellerCountry is required/,
    },
    {
      what: "a seller with neither VAT ID nor tax number",
      raw: { ...minimal(), [`${PROJECT}:sellerVatId`]: undefined, [`${PROJECT}:sellerTaxNumber`]: undefined },
      message: /shop-backend:sellerVatId or shop-backend:sellerTaxNumber is required/,
    },
    {
      what: "a seller VAT ID of another country",
      raw: minimal({ [`${PROJECT}:sellerVatId`]: "ATU12345675" }),
      message: /sellerVatId ATU12345675 is not a VAT ID of shop-backend:sellerCountry DE \(it must start with DE\)/,
    },
    {
      what: "Monaco as the seller's country",
      raw: minimal({ [`${PROJECT}:sellerCountry`]: "MC" }),
      message: /sellerCountry must be an EU member state/,
    },
    {
      what: "a seller outside the EU",
      raw: minimal({ [`${PROJECT}:sellerCountry`]: "CH" }),
      message: /sellerCountry must be an EU member state/,
    },
    {
      what: "a seller VAT ID with a GB prefix",
      raw: minimal({ [`${PROJECT}:sellerVatId`]: "GB123456789" }),
      message: /sellerVatId must be an EU VAT ID/,
    },
    { what: "an unknown VIES policy", raw: minimal({ [`${PROJECT}:vatCheckPolicy`]: "guess" }), message: /shop-backend:vatCheckPolicy/ },
    {
      what: "a sender identity kind SES lacks",
      raw: minimal({ [`${PROJECT}:emailIdentity`]: "dns" }),
      message: /shop-backend:emailIdentity Invalid enum value. Expected .address. \| .domain. \| .external./,
    },
    {
      what: "a MAIL FROM subdomain that is no DNS label",
      raw: minimal({ [`${PROJECT}:emailMailFromSubdomain`]: "mail.from" }),
      message: /emailMailFromSubdomain must be one DNS label/,
    },
    {
      what: "an SES sending rate under one email a second",
      raw: minimal({ [`${PROJECT}:sesMaxSendRate`]: 0 }),
      message: /shop-backend:sesMaxSendRate must be at least 1/,
    },
    {
      what: "arm64 on Fargate Spot, which runs x86 only",
      raw: minimal({ [`${PROJECT}:workerArchitecture`]: "arm64", [`${PROJECT}:workerSpot`]: true }),
      message: /shop-backend:workerArchitecture arm64 cannot run with shop-backend:workerSpot true/,
    },
  ];
  for (const r of refusals) {
    it(`refuses ${r.what}, naming the key`, () => {
      expect(() => parseStackConfig(r.raw, r.stack ?? "dev")).to.throw(StackConfigError, r.message);
    });
  }

  describe("Cognito's mail through SES (issue 19, point 1)", () => {
    // Cognito checks the SES identity at CreateUserPool/UpdateUserPool: it must already be verified then.
    const cases: { identity: string; verified: boolean; refused: boolean }[] = [
      { identity: "address", verified: false, refused: true },
      { identity: "domain", verified: false, refused: true },
      { identity: "external", verified: false, refused: true },
      { identity: "address", verified: true, refused: false },
      { identity: "domain", verified: true, refused: false },
      { identity: "external", verified: true, refused: false },
    ];
    for (const c of cases) {
      it(`${c.refused ? "refuses" : "accepts"} cognitoEmailViaSes: true with emailIdentity ${c.identity}, emailIdentityVerified ${c.verified}`, () => {
        const raw = minimal({
          [`${PROJECT}:cognitoEmailViaSes`]: true,
          [`${PROJECT}:emailIdentity`]: c.identity,
          [`${PROJECT}:emailIdentityVerified`]: c.verified,
        });
        const parse = () => parseStackConfig(raw, "staging");
        if (!c.refused) {
          expect(parse().api.cognitoEmailViaSes).to.equal(true);
          return;
        }
        let message = "";
        try {
          parse();
        } catch (e) {
          expect(e).to.be.instanceOf(StackConfigError);
          message = (e as Error).message;
        }
        // The keys, the reason, and the way out in two steps.
        expect(message).to.include(`${PROJECT}:cognitoEmailViaSes is true but ${PROJECT}:emailIdentityVerified is false`);
        expect(message).to.include("InvalidParameterException");
        expect(message).to.match(
          /\(1\) up with cognitoEmailViaSes: false.*\(2\) once SES shows .* verified, set emailIdentityVerified: true and cognitoEmailViaSes: true/s,
        );
        expect(message).to.include(c.identity === "domain" ? "emailDnsRecords" : "emailIdentity: external");
      });
    }

    it("defaults to the stack creating the sender's address identity, not yet verified, MAIL FROM subdomain mail", () => {
      expect(parseStackConfig(minimal(), "staging").senderIdentity).to.deep.equal({
        kind: "address",
        verified: false,
        mailFromSubdomain: "mail",
      });
    });
  });

  it("leaves ECS's service-linked role to the account unless a stack is told to own it", () => {
    expect(parseStackConfig(minimal(), "staging").worker.ecsServiceLinkedRole).to.equal(false);
    expect(parseStackConfig(minimal({ [`${PROJECT}:ecsServiceLinkedRole`]: "true" }), "staging").worker.ecsServiceLinkedRole).to.equal(
      true,
    );
    for (const stack of ["dev", "prod"]) expect(parseStackConfig(yamlConfig(stack), stack).worker.ecsServiceLinkedRole).to.equal(false);
  });

  it("accepts arm64 on on-demand Fargate and x86_64 on Spot", () => {
    const arm = parseStackConfig(minimal({ [`${PROJECT}:workerArchitecture`]: "arm64", [`${PROJECT}:workerSpot`]: false }), "dev");
    const spot = parseStackConfig(minimal({ [`${PROJECT}:workerArchitecture`]: "x86_64", [`${PROJECT}:workerSpot`]: true }), "dev");
    expect([arm.worker.architecture, arm.worker.spot, spot.worker.architecture, spot.worker.spot]).to.deep.equal([
      "arm64",
      false,
      "x86_64",
      true,
    ]);
  });

  it("gives each committed stack a seller VAT ID whose check digits are right (the functions refuse to start otherwise)", () => {
    for (const stack of ["dev", "prod"]) {
      const { seller } = parseStackConfig(yamlConfig(stack), stack);
      const parsed = parseVatId(seller.vatId ?? "");
      expect(parsed.ok, `${stack}: ${seller.vatId}`).to.equal(true);
      expect(seller.country, stack).to.equal("DE");
    }
  });

  it("lists every problem at once", () => {
    try {
      parseStackConfig({ [`${PROJECT}:workerSpot`]: "maybe" }, "dev");
      expect.fail("should refuse");
    } catch (e) {
      const lines = (e as Error).message.split("\n").filter((l) => l.startsWith("  - "));
      expect(lines.length).to.be.greaterThanOrEqual(5);
    }
  });
});

describe("the stack config module", () => {
  it("loads without Pulumi, so the local pipeline can parse stack files with it", () => {
    // Prepare / act: a fresh process that loads only the parser.
    const r = spawnSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "-e",
        "require('./components/config'); process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('@pulumi'))))",
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    // Assess
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal([]);
  });
});
