import { expect } from "chai";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { decodeJwt } from "jose";
import { DeleteObjectCommand, GetObjectLockConfigurationCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { REGION, SENDER, useLocalAws } from "../helpers/aws";
import { STRIPE_KEYS } from "../helpers/stripe";
import { addLocalAdmin, createLocalUser, createLocalUserPool, signIn } from "../../local/auth";
import { provisionLocalResources, runtimeEnv } from "../../local/provision";

const STRIPE_KEYS_AS_SECRET = { secretKey: STRIPE_KEYS.secretKey, webhookSecret: STRIPE_KEYS.webhookSecret };
import { localStackSettings } from "../../local/stack-settings";
import { ADMIN_GROUP } from "../../runtime/contracts/routes";
import { ENV } from "../../runtime/contracts/env";

describe("local provisioning (issue 15: catalog and payments)", function () {
  this.timeout(30000);
  const ctx = useLocalAws();

  it("indexes the local table by state as the stack does: gsi2pk HASH, gsi2sk RANGE, every attribute", async () => {
    const table = (await ctx.ddbRaw.send(new DescribeTableCommand({ TableName: ctx.resources.table }))).Table!;
    const byState = table.GlobalSecondaryIndexes!.find((i) => i.IndexName === "byState");
    expect(byState?.KeySchema).to.deep.equal([
      { AttributeName: "gsi2pk", KeyType: "HASH" },
      { AttributeName: "gsi2sk", KeyType: "RANGE" },
    ]);
    expect(byState?.Projection).to.deep.equal({ ProjectionType: "ALL" });
    expect(table.AttributeDefinitions).to.deep.include.members([
      { AttributeName: "gsi2pk", AttributeType: "S" },
      { AttributeName: "gsi2sk", AttributeType: "S" },
    ]);
  });

  it("puts the invoices bucket under Object Lock as dev deploys it, and moto enforces it: no checksum, no upload; a locked version stays", async () => {
    // Prepare: the run's bucket (dev's default), and a client that checksums only when an operation demands it.
    const bucket = ctx.resources.bucket;
    const lazy = new S3Client({
      region: REGION,
      endpoint: ctx.moto.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
    const key = "invoices/ord_lock.pdf";
    try {
      // Act
      const lock = await ctx.clients.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
      const bare = await lazy.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "%PDF" })).then(
        () => "stored",
        (e: Error) => e.name,
      );
      const put = await lazy.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "%PDF", ChecksumAlgorithm: "CRC32" }));
      const head = await ctx.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const del = await ctx.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: put.VersionId })).then(
        () => "deleted",
        (e: Error) => e.name,
      );
      // Assess
      expect(lock.ObjectLockConfiguration).to.deep.include({ ObjectLockEnabled: "Enabled" });
      expect(lock.ObjectLockConfiguration?.Rule?.DefaultRetention).to.deep.include({ Mode: "GOVERNANCE", Days: 1 });
      expect(bare).to.equal("MissingUploadObjectWithObjectLockHeaders");
      expect(head.ObjectLockMode).to.equal("GOVERNANCE");
      expect(del).to.equal("AccessDenied");
    } finally {
      lazy.destroy();
    }
  });

  it("makes up test-mode payment keys per run unless given, and points the order API at their secret", async () => {
    const made = await provisionLocalResources(ctx.clients, ctx.ddbRaw, {
      prefix: "keys",
      region: REGION,
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 30,
      sender: SENDER,
      bucketEventsQueue: false,
    });
    expect(made.paymentKeys.secretKey).to.match(/^sk_test_local_[0-9a-f]{24}$/);
    expect(made.paymentKeys.webhookSecret).to.match(/^whsec_local_[0-9a-f]{32}$/);
    expect(made.paymentSecretId).to.match(/:secretsmanager:.+:secret:keys-payment-keys-\w{6}$/);
    // The tests' resources hold the keys the run's stand-in knows.
    const { paymentKeys, paymentSecretId } = ctx.resources;
    expect(paymentKeys).to.deep.equal(STRIPE_KEYS_AS_SECRET);
    expect(paymentSecretId).to.match(/:secretsmanager:.+:secret:test-payment-keys-\w{6}$/);
    expect(ctx.env).to.deep.include({
      [ENV.paymentSecretId]: paymentSecretId,
      [ENV.shopCurrency]: "EUR",
      [ENV.paymentProvider]: "stripe",
      [ENV.paymentExpiryMinutes]: "30",
      [ENV.paymentApiBaseUrl]: ctx.stripe.url,
    });
  });

  it("gives the order API the stack file's payment settings and the stand-in's URL when one runs", () => {
    const s = localStackSettings("dev");
    const env = runtimeEnv(ctx.resources, {
      region: REGION,
      endpoint: ctx.moto.endpoint,
      linkBaseUrl: "http://127.0.0.1:1",
      seller: s.seller,
      tax: s.tax,
      payment: { ...s.payment, paymentApiBaseUrl: "http://127.0.0.1:12111" },
    });
    expect(s.payment).to.deep.equal({ shopCurrency: "EUR", paymentProvider: "stripe", paymentExpiryMinutes: 30 });
    expect(env[ENV.paymentApiBaseUrl]).to.equal("http://127.0.0.1:12111");
  });

  it("creates the admins' group in the local pool: a member's ID token carries it in cognito:groups, a customer's does not", async () => {
    const cognito = new CognitoIdentityProviderClient({ region: REGION, endpoint: ctx.moto.endpoint });
    try {
      const pool = await createLocalUserPool(cognito, ctx.moto.endpoint, REGION, "test-admins");
      const password = "Local-Password-1a";
      await createLocalUser(cognito, pool, { email: "staff@shop.example", name: "Staff", password });
      await createLocalUser(cognito, pool, { email: "customer@shop.example", name: "Customer", password });
      await addLocalAdmin(cognito, pool, "staff@shop.example");
      const groups = async (email: string) => decodeJwt(await signIn(cognito, pool, email, password))["cognito:groups"];
      expect(pool.adminGroup).to.equal(ADMIN_GROUP);
      expect(await groups("staff@shop.example")).to.deep.equal([ADMIN_GROUP]);
      expect(await groups("customer@shop.example")).to.equal(undefined);
    } finally {
      cognito.destroy();
    }
  });
});
