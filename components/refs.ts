import type * as pulumi from "@pulumi/pulumi";

/**
 * What a tier needs of another tier's resource. The resources themselves satisfy these
 * (aws.dynamodb.Table, aws.sqs.Queue, aws.s3.Bucket, aws.kms.Key, aws.cloudwatch.LogGroup), and
 * so does a plain object of names and ARNs, e.g. for a table another stack owns.
 */

/** A DynamoDB table. */
export interface TableRef {
  readonly name: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}

/** An SQS queue. */
export interface QueueRef {
  readonly url: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
}

/** An S3 bucket (`bucket` is its name, as aws.s3.Bucket spells it). */
export interface BucketRef {
  readonly bucket: pulumi.Input<string>;
  readonly arn: pulumi.Input<string>;
}

/** A KMS key, an SNS topic: anything known by its ARN. */
export interface ArnRef {
  readonly arn: pulumi.Input<string>;
}

/** Anything known by its name (a log group, a function, a queue). */
export interface NameRef {
  readonly name: pulumi.Input<string>;
}
