import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { TABLE_DESIGN } from "../runtime/contracts/table";
import { tlsOnlyBucketPolicy } from "./policies";
import { lifecycleRule, type ObjectLockRetention } from "./data-plan";

/** Arguments of the shared data stores (defaults: components/config.ts). */
export interface DataStoresArgs {
  /** Keep invoice versions (overwrites by a redelivered message stay recoverable); Object Lock needs it. */
  readonly bucketVersioning: boolean;
  /** Days until invoices are deleted; 0 keeps them forever. */
  readonly expireAfterDays: number;
  /** Days a replaced invoice version is kept. */
  readonly noncurrentVersionExpireDays: number;
  /** Table deletion protection, and a bucket that refuses to be destroyed while it holds invoices. */
  readonly deletionProtection: boolean;
  /** Point-in-time recovery of the orders table. */
  readonly pointInTimeRecovery: boolean;
  /** The invoices' default S3 Object Lock retention (needs `bucketVersioning`). */
  readonly retention: ObjectLockRetention;
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
    if (!args.bucketVersioning) throw new Error(`${name}: retention (S3 Object Lock) needs bucketVersioning`);
    this.bucket = createInvoicesBucket(name, args, this);
    this.table = createOrdersTable(name, args, this);
    this.linkKey = createLinkKey(name, args.deletionProtection, this);
    this.registerOutputs({ bucketName: this.bucket.bucket, tableName: this.table.name, linkKeyArn: this.linkKey.arn });
  }
}

/**
 * The invoices bucket: private (blocks, owner-enforced), SSE-S3, TLS only, versioned, under Object
 * Lock, with its lifecycle. Protected, the bucket and its lock stay in the account when the stack
 * goes (retainOnDelete) and `pulumi destroy` refuses to start (protect).
 */
function createInvoicesBucket(name: string, args: DataStoresArgs, parent: pulumi.Resource): aws.s3.Bucket {
  const opts = { parent };
  const kept = { parent, protect: args.deletionProtection, retainOnDelete: args.deletionProtection };
  const bucket = new aws.s3.Bucket(`${name}-invoices`, { forceDestroy: !args.deletionProtection }, kept);
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
  const versioning = new aws.s3.BucketVersioning(
    `${name}-invoices-versioning`,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
  createObjectLock(name, bucket, versioning, args.retention, kept);
  // Noncurrent versions (an invoice re-stored by a redelivered message, or one hidden by a delete marker) are
  // pruned after their days, but lifecycle cannot remove a version whose retention has not ended: the rule
  // only tidies up after the law's period.
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-invoices-lifecycle`,
    { bucket: bucket.id, rules: [lifecycleRule(args.expireAfterDays, args.noncurrentVersionExpireDays)] },
    { ...opts, dependsOn: [versioning] },
  );
  return bucket;
}

/**
 * Object Lock with a default retention on every new invoice version. The configuration resource
 * (PutObjectLockConfiguration) enables Object Lock on an existing versioned bucket in place; the
 * bucket's own `objectLockEnabled` would replace it. Once enabled, Object Lock cannot be turned off.
 */
function createObjectLock(
  name: string,
  bucket: aws.s3.Bucket,
  versioning: aws.s3.BucketVersioning,
  retention: ObjectLockRetention,
  opts: pulumi.CustomResourceOptions,
): aws.s3.BucketObjectLockConfiguration {
  return new aws.s3.BucketObjectLockConfiguration(
    `${name}-invoices-lock`,
    { bucket: bucket.id, objectLockEnabled: "Enabled", rule: { defaultRetention: { ...retention } } },
    { ...opts, dependsOn: [versioning] },
  );
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
        { name: TABLE_DESIGN.monthIndex.partitionKey, type: "S" },
        { name: TABLE_DESIGN.monthIndex.sortKey, type: "S" },
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
        {
          name: TABLE_DESIGN.monthIndex.name,
          hashKey: TABLE_DESIGN.monthIndex.partitionKey,
          rangeKey: TABLE_DESIGN.monthIndex.sortKey,
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
