import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { METRICS_STACK_ENV } from "../runtime/contracts/metrics";
import { ENV, INVOICE_PREFIX, INVOICE_SUFFIX, type LogLevel } from "../runtime/contracts/env";
import { createHandlerFunction } from "./lambda";
import { sellerEnvironment, type SellerConfig } from "./environment";
import { notifierFunctionPolicy } from "./policies";
import { NOTIFIER_ASYNC_RETRIES } from "./scaling";

/** Arguments of the notification tier. */
export interface NotificationTierArgs {
  readonly bucketName: pulumi.Input<string>;
  readonly bucketArn: pulumi.Input<string>;
  readonly tableName: pulumi.Input<string>;
  readonly tableArn: pulumi.Input<string>;
  /** The KMS HMAC key that signs invoice links. */
  readonly linkKeyArn: pulumi.Input<string>;
  /** The API's stage URL; emailed links point at its /invoices/{orderId} route. */
  readonly linkBaseUrl: pulumi.Input<string>;
  /** Where a failed asynchronous invocation's event goes (after Lambda's retries). */
  readonly failureQueueArn: pulumi.Input<string>;
  /** The From address; it becomes an SES email identity that must be verified once. */
  readonly sender: string;
  readonly seller: SellerConfig;
  /** How long an emailed link works. @default 30 */
  readonly linkTtlDays?: number;
  /** @default "info" */
  readonly logLevel?: LogLevel;
  /** @default 256 */
  readonly memoryMb?: number;
  /** @default 30 */
  readonly timeoutSeconds?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/** The email Lambda, subscribed to new invoice PDFs in the bucket, and the SES identity it sends as. */
export class NotificationTier extends pulumi.ComponentResource {
  public readonly senderIdentity: aws.sesv2.EmailIdentity;
  public readonly handler: aws.lambda.Function;
  public readonly functionLogGroupName: pulumi.Output<string>;
  public readonly asyncConfig: aws.lambda.FunctionEventInvokeConfig;

  constructor(name: string, args: NotificationTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:notification:NotificationTier", name, {}, opts);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(args.sender))
      throw new Error(`NotificationTier ${name}: sender "${args.sender}" is not an email address`);
    const parent = { parent: this };

    this.senderIdentity = new aws.sesv2.EmailIdentity(`${name}-sender`, { emailIdentity: args.sender }, parent);

    const notifier = createHandlerFunction(
      `${name}-handler`,
      {
        description: "Emails the customer a signed link when an invoice PDF lands in the bucket",
        entry: "email-notifier",
        policy: (logGroupArn) =>
          pulumi
            .all([args.tableArn, this.senderIdentity.arn, args.failureQueueArn, args.linkKeyArn, logGroupArn])
            .apply(([tableArn, senderIdentityArn, failureQueueArn, linkKeyArn, lg]) =>
              notifierFunctionPolicy({ tableArn, senderIdentityArn, sender: args.sender, failureQueueArn, linkKeyArn, logGroupArn: lg }),
            ),
        environment: {
          [ENV.ordersTable]: args.tableName,
          [ENV.invoicesBucket]: args.bucketName,
          [ENV.emailSender]: args.sender,
          ...sellerEnvironment(args.seller),
          [ENV.linkKeyId]: args.linkKeyArn,
          [ENV.linkBaseUrl]: args.linkBaseUrl,
          [ENV.linkTtlDays]: String(args.linkTtlDays ?? 30),
          [METRICS_STACK_ENV]: pulumi.getStack(),
          [ENV.logLevel]: args.logLevel ?? "info",
        },
        memoryMb: args.memoryMb ?? 256,
        timeoutSeconds: args.timeoutSeconds ?? 30,
        logRetentionDays: args.logRetentionDays ?? 30,
      },
      this,
    );
    this.handler = notifier.fn;
    // S3 invokes asynchronously: an event that fails every retry goes to the failure queue, not away.
    // The function depends on its role's policy, so SendMessage is granted before Lambda checks it here.
    this.asyncConfig = new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      {
        functionName: notifier.fn.name,
        maximumRetryAttempts: NOTIFIER_ASYNC_RETRIES,
        destinationConfig: { onFailure: { destination: args.failureQueueArn } },
      },
      parent,
    );

    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
    const permission = new aws.lambda.Permission(
      `${name}-s3-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: notifier.fn.name,
        principal: "s3.amazonaws.com",
        sourceArn: args.bucketArn,
        sourceAccount: accountId,
      },
      parent,
    );
    new aws.s3.BucketNotification(
      `${name}-invoice-created`,
      {
        bucket: args.bucketName,
        lambdaFunctions: [
          {
            lambdaFunctionArn: notifier.fn.arn,
            events: ["s3:ObjectCreated:*"],
            filterPrefix: INVOICE_PREFIX,
            filterSuffix: INVOICE_SUFFIX,
          },
        ],
      },
      // S3 checks that it may invoke the function when the notification is saved.
      { ...parent, dependsOn: [permission] },
    );

    this.functionLogGroupName = notifier.logGroup.name;
    this.registerOutputs({ senderIdentity: this.senderIdentity.emailIdentity, functionLogGroupName: this.functionLogGroupName });
  }
}
