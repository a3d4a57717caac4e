import { programRun, type MockedResource, type ProgramRun } from "../../helpers/pulumi-mocks";

/**
 * What the per-tier stack tests share: the expected resource counts, which tier owns which
 * resource type, and one program run per stack (programRun caches it per process) with the ARNs
 * the IAM statements must name.
 */

/** Resource counts both stacks share. */
export const COMMON_COUNTS: Record<string, number> = {
  "shop:data:DataStores": 1,
  "shop:queue:QueueTier": 1,
  "shop:api:ApiTier": 1,
  "shop:notification:NotificationTier": 1,
  "shop:notification:EmailEvents": 1,
  "shop:network:Network": 1,
  "shop:worker:WorkerTier": 1,
  "shop:ops:AlarmTopic": 1,
  "shop:ops:Operations": 1,
  "shop:events:EventBus": 1,
  "aws:cloudwatch/eventBus:EventBus": 1,
  // data
  "aws:s3/bucket:Bucket": 1,
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
  "aws:s3/bucketPolicy:BucketPolicy": 1,
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
  // invoices under S3 Object Lock (which needs versioning) in every stack
  "aws:s3/bucketVersioning:BucketVersioning": 1,
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": 1,
  "aws:dynamodb/table:Table": 1,
  "aws:kms/key:Key": 1,
  // queue
  "aws:sqs/queue:Queue": 3,
  "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": 1,
  "aws:cloudwatch/metricAlarm:MetricAlarm": 19,
  // operations (test/components/operations.test.ts checks each)
  "aws:sns/topic:Topic": 2,
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": 1,
  "aws:cloudwatch/dashboard:Dashboard": 1,
  "aws:cloudwatch/queryDefinition:QueryDefinition": 4,
  // api
  "aws:cognito/userPool:UserPool": 1,
  "aws:cognito/userPoolClient:UserPoolClient": 1,
  "aws:cognito/userGroup:UserGroup": 1,
  // the payment provider's keys, and the schedule that expires unpaid orders (issue 15)
  "aws:secretsmanager/secret:Secret": 1,
  "aws:secretsmanager/secretVersion:SecretVersion": 1,
  "aws:cloudwatch/eventRule:EventRule": 1,
  "aws:cloudwatch/eventTarget:EventTarget": 1,
  "aws:apigateway/restApi:RestApi": 1,
  "aws:apigateway/authorizer:Authorizer": 1,
  // orders, orders/{orderId}, invoices, invoices/{orderId}, products, admin, admin/products, admin/products/{sku}, webhooks, webhooks/stripe, admin/orders, admin/orders/{orderId},
  // admin/orders/{orderId}/cancel, admin/orders/{orderId}/resend, admin/orders/{orderId}/credit-notes, admin/exports
  "aws:apigateway/resource:Resource": 16,
  "aws:apigateway/method:Method": 14,
  "aws:apigateway/integration:Integration": 14,
  "aws:apigateway/response:Response": 6,
  "aws:apigateway/deployment:Deployment": 1,
  "aws:apigateway/stage:Stage": 1,
  "aws:apigateway/methodSettings:MethodSettings": 1,
  // the account-wide API Gateway logging role, set by every stack (kept on destroy)
  "aws:apigateway/account:Account": 1,
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
  // lambdas (api + notifier + email events)
  "aws:lambda/function:Function": 3,
  // API Gateway, the expiry schedule (both on the order API), S3 (notifier), SNS (email events)
  "aws:lambda/permission:Permission": 4,
  // notifier and email events (on-failure destinations), order API (the expiry schedule: no retries)
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": 3,
  "aws:cloudwatch/logGroup:LogGroup": 5,
  "aws:iam/role:Role": 6,
  "aws:iam/rolePolicy:RolePolicy": 5,
  // notification
  "aws:sesv2/emailIdentity:EmailIdentity": 1,
  "aws:s3/bucketNotification:BucketNotification": 1,
  // email events: the configuration set, its destination topic (with SES's right to publish) and the Lambda's subscription
  "aws:sesv2/configurationSet:ConfigurationSet": 1,
  "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination": 1,
  "aws:sns/topicPolicy:TopicPolicy": 1,
  "aws:sns/topicSubscription:TopicSubscription": 1,
  // worker
  "awsx:ecr:Repository": 1,
  "awsx:ecr:Image": 1,
  "aws:ecs/cluster:Cluster": 1,
  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
  "aws:ecs/taskDefinition:TaskDefinition": 1,
  "aws:ecs/service:Service": 1,
  "aws:appautoscaling/target:Target": 1,
  "aws:appautoscaling/policy:Policy": 4,
  "aws:ec2/securityGroup:SecurityGroup": 1,
};

/** What each stack adds to the common set. */
export const STACK_COUNTS: Record<"dev" | "prod", Record<string, number>> = {
  dev: {},
  prod: {
    // The shop's domain identity sends with a custom MAIL FROM.
    "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes": 1,
    // ... and the alarm mails' subscription
    "aws:sns/topicSubscription:TopicSubscription": 2,
    "aws:ec2/vpc:Vpc": 1,
    "aws:ec2/subnet:Subnet": 2,
    "aws:ec2/routeTable:RouteTable": 1,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 6,
    "aws:ec2/securityGroup:SecurityGroup": 2,
  },
};

/** Which component owns each resource type; the longest matching prefix wins. Unlisted types (IAM, logs, Lambda, alarms, SNS topics and subscriptions) belong to several tiers. */
export const OWNER: Record<string, string> = {
  "aws:s3/bucketNotification:": "shop:notification:NotificationTier",
  "aws:s3/": "shop:data:DataStores",
  "aws:dynamodb/": "shop:data:DataStores",
  "aws:kms/": "shop:data:DataStores",
  "aws:sqs/": "shop:queue:QueueTier",
  "aws:sns/topicPolicy:": "shop:notification:EmailEvents",
  "aws:sesv2/configurationSet": "shop:notification:EmailEvents",
  "aws:cloudwatch/dashboard:": "shop:ops:Operations",
  "aws:cloudwatch/queryDefinition:": "shop:ops:Operations",
  "aws:cloudwatch/compositeAlarm:": "shop:ops:Operations",
  "aws:cognito/": "shop:api:ApiTier",
  "aws:secretsmanager/": "shop:api:ApiTier",
  "aws:cloudwatch/event": "shop:api:ApiTier",
  "aws:cloudwatch/eventBus:": "shop:events:EventBus",
  "aws:apigateway/": "shop:api:ApiTier",
  "aws:sesv2/": "shop:notification:NotificationTier",
  "aws:ecs/": "shop:worker:WorkerTier",
  "awsx:ecr:": "shop:worker:WorkerTier",
  "aws:appautoscaling/": "shop:worker:WorkerTier",
  "aws:ec2/": "shop:network:Network",
};

export const statementsOf = (r: MockedResource) => JSON.parse(r.inputs.policy).Statement as Array<Record<string, any>>;
export const envOf = (fn: MockedResource) => fn.inputs.environment.variables as Record<string, string>;

/** The two stacks every test here runs against. */
export const STACKS = ["dev", "prod"] as const;

/** The ARNs of a stack's shared resources, as the mocks invented them. */
export interface StackArns {
  readonly table: string;
  readonly queue: string;
  readonly dlq: string;
  readonly bucket: string;
  readonly key: string;
  readonly sender: string;
  /** The payment provider's keys (Secrets Manager). */
  readonly paymentSecret: string;
  readonly logs: (suffix: string) => string;
}

/** The stack's program run (shared) and its ARNs. */
export async function stackUnderTest(stack: (typeof STACKS)[number]): Promise<{ run: ProgramRun; arn: StackArns }> {
  const run = await programRun(stack);
  return {
    run,
    arn: {
      table: run.one("aws:dynamodb/table:Table").state.arn,
      queue: run.one("aws:sqs/queue:Queue", "-orders").state.arn,
      dlq: run.one("aws:sqs/queue:Queue", "-dlq").state.arn,
      bucket: run.one("aws:s3/bucket:Bucket").state.arn,
      key: run.one("aws:kms/key:Key").state.arn,
      sender: run.one("aws:sesv2/emailIdentity:EmailIdentity").state.arn,
      paymentSecret: run.one("aws:secretsmanager/secret:Secret").state.arn,
      logs: (suffix) => run.one("aws:cloudwatch/logGroup:LogGroup", suffix).state.arn,
    },
  };
}

/** One stack's run and ARNs for a `describe`: filled by the before() hook it registers. */
export function useStack(stack: (typeof STACKS)[number]): { run: ProgramRun; arn: StackArns } {
  const ctx = {} as { run: ProgramRun; arn: StackArns };
  before(async function () {
    this.timeout(60000);
    Object.assign(ctx, await stackUnderTest(stack));
  });
  return ctx;
}
