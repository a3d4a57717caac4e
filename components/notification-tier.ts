import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ENV, INVOICE_PREFIX, INVOICE_SUFFIX, type LogLevel } from "../runtime/contracts/env";
import { createHandlerFunction, keepFailedEvents, type HandlerFunction } from "./lambda";
import type { ArnRef, BucketRef, NameRef, TableRef } from "./refs";
import { sellerEnvironment, type SellerConfig } from "./environment";
import { notifierFunctionPolicy } from "./policies";
import { createSenderIdentity, type DnsRecord, type SenderIdentityConfig } from "./sender-identity";
import { notifierReservedConcurrency } from "./scaling";

/** Arguments of the notification tier (defaults: components/config.ts). */
export interface NotificationTierArgs {
  readonly bucket: BucketRef;
  readonly table: TableRef;
  /** The KMS HMAC key that signs invoice links. */
  readonly linkKey: ArnRef;
  /** The API's stage URL; emailed links point at its /invoices/{orderId} route. */
  readonly linkBaseUrl: pulumi.Input<string>;
  /** Where a failed asynchronous invocation's event goes (after Lambda's retries). */
  readonly failureQueue: ArnRef;
  /** The stack's business events bus (components/event-bus.ts): ENV.eventBusName, and PutEvents on it alone. */
  readonly eventBus: NameRef & ArnRef;
  /** The From address. */
  readonly sender: string;
  /** The ARN of the sender's address identity (`identity/<sender>`), as IAM and Cognito name it, whichever identity verifies it. */
  readonly senderArn: pulumi.Input<string>;
  /** Which SES identity verifies the sender and whether this stack creates it (components/sender-identity.ts). */
  readonly senderIdentity: SenderIdentityConfig;
  /** The region, for the MAIL FROM domain's MX record. */
  readonly region: string;
  /** The SES configuration set every send names, so SES publishes the email's events (EmailEvents). */
  readonly configurationSet: NameRef & ArnRef;
  readonly seller: SellerConfig;
  /** How long an emailed link works. */
  readonly linkTtlDays: number;
  readonly logLevel: LogLevel;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** SES's maximum send rate of the account (emails per second); the notifier's concurrency stays below it. */
  readonly sesMaxSendRate: number;
  readonly logRetentionDays: number;
}

/** The email Lambda, subscribed to new invoice PDFs in the bucket, and the SES identity it sends as. */
export class NotificationTier extends pulumi.ComponentResource {
  /** The identity's name (the sender's address or domain); an external one is named by the address. */
  public readonly senderIdentity: string;
  /** DNS records that verify a domain identity the stack created; none otherwise. */
  public readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  public readonly handler: aws.lambda.Function;
  public readonly functionLogGroup: aws.cloudwatch.LogGroup;
  public readonly asyncConfig: aws.lambda.FunctionEventInvokeConfig;

  constructor(name: string, args: NotificationTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:notification:NotificationTier", name, {}, opts);
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(args.sender))
      throw new Error(`NotificationTier ${name}: sender "${args.sender}" is not an email address`);

    const identity = createSenderIdentity(name, args.sender, args.senderIdentity, args.region, this);
    this.senderIdentity = identity.name;
    this.dnsRecords = identity.dnsRecords;
    const notifier = createNotifierFunction(name, args, this);
    this.handler = notifier.fn;
    this.functionLogGroup = notifier.logGroup;
    // S3 invokes asynchronously: an event that fails every retry goes to the failure queue, not away.
    this.asyncConfig = keepFailedEvents(name, notifier.fn, args.failureQueue, this);
    subscribeToNewInvoices(name, notifier.fn, args.bucket, this);

    this.registerOutputs({ senderIdentity: this.senderIdentity, functionLogGroupName: this.functionLogGroup.name });
  }
}

/** The notifier Lambda: reads the order, signs the link, sends as the sender only. */
function createNotifierFunction(name: string, args: NotificationTierArgs, parent: pulumi.Resource): HandlerFunction {
  return createHandlerFunction(
    `${name}-handler`,
    {
      description: "Emails the customer a signed link when an invoice PDF lands in the bucket",
      entry: "email-notifier",
      policy: (logGroupArn) =>
        pulumi
          .all([
            args.table.arn,
            args.senderArn,
            args.configurationSet.arn,
            args.failureQueue.arn,
            args.linkKey.arn,
            args.eventBus.arn,
            logGroupArn,
          ])
          .apply(([tableArn, senderIdentityArn, configurationSetArn, failureQueueArn, linkKeyArn, eventBusArn, lg]) =>
            notifierFunctionPolicy({
              tableArn,
              senderIdentityArn,
              configurationSetArn,
              sender: args.sender,
              failureQueueArn,
              linkKeyArn,
              eventBusArn,
              logGroupArn: lg,
            }),
          ),
      environment: {
        [ENV.ordersTable]: args.table.name,
        [ENV.invoicesBucket]: args.bucket.bucket,
        [ENV.emailSender]: args.sender,
        [ENV.emailConfigurationSet]: args.configurationSet.name,
        ...sellerEnvironment(args.seller),
        [ENV.linkKeyId]: args.linkKey.arn,
        [ENV.linkBaseUrl]: args.linkBaseUrl,
        [ENV.linkTtlDays]: String(args.linkTtlDays),
        [ENV.eventBusName]: args.eventBus.name,
      },
      logLevel: args.logLevel,
      memoryMb: args.memoryMb,
      timeoutSeconds: args.timeoutSeconds,
      // A burst waits in Lambda's queue instead of outrunning SES and spending its retries on throttling errors.
      reservedConcurrency: notifierReservedConcurrency(args.sesMaxSendRate),
      logRetentionDays: args.logRetentionDays,
    },
    parent,
  );
}

/** New invoice PDFs (and nothing else in the bucket) invoke the notifier; only this account's bucket may. */
function subscribeToNewInvoices(name: string, fn: aws.lambda.Function, bucket: BucketRef, parent: pulumi.Resource): void {
  const accountId = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const permission = new aws.lambda.Permission(
    `${name}-s3-invoke`,
    { action: "lambda:InvokeFunction", function: fn.name, principal: "s3.amazonaws.com", sourceArn: bucket.arn, sourceAccount: accountId },
    { parent },
  );
  new aws.s3.BucketNotification(
    `${name}-invoice-created`,
    {
      bucket: bucket.bucket,
      lambdaFunctions: [
        { lambdaFunctionArn: fn.arn, events: ["s3:ObjectCreated:*"], filterPrefix: INVOICE_PREFIX, filterSuffix: INVOICE_SUFFIX },
      ],
    },
    // S3 checks that it may invoke the function when the notification is saved.
    { parent, dependsOn: [permission] },
  );
}
