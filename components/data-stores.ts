import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { TABLE_DESIGN } from "../runtime/contracts/table";
import { tlsOnlyBucketPolicy } from "./policies";
import { lifecycleRule } from "./data-plan";

/** Arguments of the shared data stores. */
export interface DataStoresArgs {
  /** Keep invoice versions (overwrites by a redelivered message stay recoverable). @default true */
  readonly bucketVersioning?: boolean;
  /** Days until invoices are deleted; 0 keeps them forever. @default 0 */
  readonly expireAfterDays?: number;
  /** Days a replaced invoice version is kept. @default 30 */
  readonly noncurrentVersionExpireDays?: number;
  /** Table deletion protection, and a bucket that refuses to be destroyed while it holds invoices. @default true */
  readonly deletionProtection?: boolean;
  /** Point-in-time recovery of the orders table. @default true */
  readonly pointInTimeRecovery?: boolean;
}

/** Days KMS waits before deleting the link key, by protection level. */
const KEY_DELETION_WINDOW_DAYS = { protected: 30, unprotected: 7 } as const;

/**
 * The stores every tier shares: the invoices bucket (private, TLS only, SSE-S3), the orders table
 * (single-table design of runtime/domain/store.ts) and the KMS HMAC key that signs invoice links.
 */
export class DataStores extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly table: aws.dynamodb.Table;
  public readonly linkKey: aws.kms.Key;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  public readonly tableName: pulumi.Output<string>;
  public readonly tableArn: pulumi.Output<string>;
  public readonly linkKeyArn: pulumi.Output<string>;

  constructor(name: string, args: DataStoresArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("shop:data:DataStores", name, {}, opts);
    const expireAfterDays = args.expireAfterDays ?? 0;
    const versioning = args.bucketVersioning ?? true;
    const protect = args.deletionProtection ?? true;
    const parent = { parent: this };

    this.bucket = new aws.s3.Bucket(`${name}-invoices`, { forceDestroy: !protect }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-invoices-public-access`,
      { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-invoices-ownership`,
      { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    // SSE-S3: the roles need no KMS grants to read or write invoices; the bucket stays private by policy and blocks.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-invoices-encryption`,
      { bucket: this.bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-invoices-tls-only`,
      { bucket: this.bucket.id, policy: this.bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      { ...parent, dependsOn: [publicAccess] },
    );
    // A bucket that never had versioning needs no versioning resource ("Disabled" is only valid at creation).
    const versioningConfig = versioning
      ? [
          new aws.s3.BucketVersioning(
            `${name}-invoices-versioning`,
            { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } },
            parent,
          ),
        ]
      : [];
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-invoices-lifecycle`,
      {
        bucket: this.bucket.id,
        rules: [lifecycleRule(expireAfterDays, versioning ? (args.noncurrentVersionExpireDays ?? 30) : undefined)],
      },
      { ...parent, dependsOn: versioningConfig },
    );

    this.table = new aws.dynamodb.Table(
      `${name}-orders`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: TABLE_DESIGN.partitionKey,
        attributes: [
          { name: TABLE_DESIGN.partitionKey, type: "S" },
          { name: TABLE_DESIGN.customerIndex.partitionKey, type: "S" },
          { name: TABLE_DESIGN.customerIndex.sortKey, type: "S" },
        ],
        globalSecondaryIndexes: [
          {
            name: TABLE_DESIGN.customerIndex.name,
            hashKey: TABLE_DESIGN.customerIndex.partitionKey,
            rangeKey: TABLE_DESIGN.customerIndex.sortKey,
            projectionType: "ALL",
          },
        ],
        ttl: { attributeName: TABLE_DESIGN.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? true },
        deletionProtectionEnabled: protect,
      },
      parent,
    );

    // HMAC keys cannot rotate automatically; the key policy stays the account default so IAM governs use.
    this.linkKey = new aws.kms.Key(
      `${name}-invoice-link-key`,
      {
        description: `Signs emailed invoice links (${name})`,
        customerMasterKeySpec: "HMAC_256",
        keyUsage: "GENERATE_VERIFY_MAC",
        deletionWindowInDays: protect ? KEY_DELETION_WINDOW_DAYS.protected : KEY_DELETION_WINDOW_DAYS.unprotected,
      },
      parent,
    );

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.tableName = this.table.name;
    this.tableArn = this.table.arn;
    this.linkKeyArn = this.linkKey.arn;
    this.registerOutputs({ bucketName: this.bucketName, tableName: this.tableName, linkKeyArn: this.linkKeyArn });
  }
}
