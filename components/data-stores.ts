import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { TABLE_DESIGN } from "../runtime/contracts/table";
import { tlsOnlyBucketPolicy } from "./policies";
import { lifecycleRule } from "./data-plan";

/** Arguments of the shared data stores (defaults: components/config.ts). */
export interface DataStoresArgs {
  /** Keep invoice versions (overwrites by a redelivered message stay recoverable). */
  readonly bucketVersioning: boolean;
  /** Days until invoices are deleted; 0 keeps them forever. */
  readonly expireAfterDays: number;
  /** Days a replaced invoice version is kept. */
  readonly noncurrentVersionExpireDays: number;
  /** Table deletion protection, and a bucket that refuses to be destroyed while it holds invoices. */
  readonly deletionProtection: boolean;
  /** Point-in-time recovery of the orders table. */
  readonly pointInTimeRecovery: boolean;
}

/** Days KMS waits before deleting the link key, by protection level. */
const KEY_DELETION_WINDOW_DAYS = { protected: 30, unprotected: 7 } as const;

/**
 * The stores every tier shares: the invoices bucket (private, TLS only, SSE-S3), the orders table
 * (single-table design of runtime/contracts/table.ts) and the KMS HMAC key that signs invoice links.
 */
export class DataStores extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly table: aws.dynamodb.Table;
  public readonly linkKey: aws.kms.Key;

  constructor(name: string, args: DataStoresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:data:DataStores", name, {}, opts);
    this.bucket = createInvoicesBucket(name, args, this);
    this.table = createOrdersTable(name, args, this);
    this.linkKey = createLinkKey(name, args.deletionProtection, this);
    this.registerOutputs({ bucketName: this.bucket.bucket, tableName: this.table.name, linkKeyArn: this.linkKey.arn });
  }
}

/** The invoices bucket: private (blocks, owner-enforced), SSE-S3, TLS only, optionally versioned, with its lifecycle. */
function createInvoicesBucket(name: string, args: DataStoresArgs, parent: pulumi.Resource): aws.s3.Bucket {
  const opts = { parent };
  const bucket = new aws.s3.Bucket(`${name}-invoices`, { forceDestroy: !args.deletionProtection }, opts);
  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-invoices-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  new aws.s3.BucketOwnershipControls(
    `${name}-invoices-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    opts,
  );
  // SSE-S3: the roles need no KMS grants to read or write invoices; the bucket stays private by policy and blocks.
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-invoices-encryption`,
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
    opts,
  );
  new aws.s3.BucketPolicy(
    `${name}-invoices-tls-only`,
    { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
    { ...opts, dependsOn: [publicAccess] },
  );
  // A bucket that never had versioning needs no versioning resource ("Disabled" is only valid at creation).
  const versioningConfig = args.bucketVersioning
    ? [
        new aws.s3.BucketVersioning(
          `${name}-invoices-versioning`,
          { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
          opts,
        ),
      ]
    : [];
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-invoices-lifecycle`,
    {
      bucket: bucket.id,
      rules: [lifecycleRule(args.expireAfterDays, args.bucketVersioning ? args.noncurrentVersionExpireDays : undefined)],
    },
    { ...opts, dependsOn: versioningConfig },
  );
  return bucket;
}

/** The orders table: on-demand, the customer and state indexes, TTL for idempotency records, PITR and deletion protection as configured. */
function createOrdersTable(name: string, args: DataStoresArgs, parent: pulumi.Resource): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    `${name}-orders`,
    {
      billingMode: "PAY_PER_REQUEST",
      hashKey: TABLE_DESIGN.partitionKey,
      attributes: [
        { name: TABLE_DESIGN.partitionKey, type: "S" },
        { name: TABLE_DESIGN.customerIndex.partitionKey, type: "S" },
        { name: TABLE_DESIGN.customerIndex.sortKey, type: "S" },
        { name: TABLE_DESIGN.stateIndex.partitionKey, type: "S" },
        { name: TABLE_DESIGN.stateIndex.sortKey, type: "S" },
      ],
      globalSecondaryIndexes: [
        {
          name: TABLE_DESIGN.customerIndex.name,
          hashKey: TABLE_DESIGN.customerIndex.partitionKey,
          rangeKey: TABLE_DESIGN.customerIndex.sortKey,
          projectionType: "ALL",
        },
        {
          name: TABLE_DESIGN.stateIndex.name,
          hashKey: TABLE_DESIGN.stateIndex.partitionKey,
          rangeKey: TABLE_DESIGN.stateIndex.sortKey,
          projectionType: "ALL",
        },
      ],
      ttl: { attributeName: TABLE_DESIGN.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: args.pointInTimeRecovery },
      deletionProtectionEnabled: args.deletionProtection,
    },
    { parent },
  );
}

/** The HMAC key that signs invoice links. HMAC keys cannot rotate automatically; the key policy stays the account default so IAM governs use. */
function createLinkKey(name: string, protect: boolean, parent: pulumi.Resource): aws.kms.Key {
  return new aws.kms.Key(
    `${name}-invoice-link-key`,
    {
      description: `Signs emailed invoice links (${name})`,
      customerMasterKeySpec: "HMAC_256",
      keyUsage: "GENERATE_VERIFY_MAC",
      deletionWindowInDays: protect ? KEY_DELETION_WINDOW_DAYS.protected : KEY_DELETION_WINDOW_DAYS.unprotected,
    },
    { parent },
  );
}
