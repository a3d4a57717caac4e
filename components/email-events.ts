import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ENV, type LogLevel } from "../runtime/contracts/env";
import { PUBLISHED_EMAIL_EVENTS } from "../runtime/contracts/email-events";
import { createHandlerFunction, keepFailedEvents, type HandlerFunction } from "./lambda";
import type { ArnRef, NameRef, TableRef } from "./refs";
import { emailEventsFunctionPolicy, sesEventsTopicPolicy } from "./policies";

/** Arguments of the email events tier (defaults: components/config.ts). */
export interface EmailEventsArgs {
  readonly table: TableRef;
  /** Where an event that failed every asynchronous retry goes (shared with the notifier's: redrive routes by function). */
  readonly failureQueue: ArnRef;
  /** The stack's business events bus (components/event-bus.ts): ENV.eventBusName, and PutEvents on it alone. */
  readonly eventBus: NameRef & ArnRef;
  readonly logLevel: LogLevel;
  /** The email Lambdas' size and timeout (notifierMemoryMb, notifierTimeoutSeconds). */
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
}

/** SES's limit on a configuration set's name. */
const MAX_SET_NAME = 64;

/**
 * What SES reports after accepting an invoice email: the configuration set every send names (with
 * reputation metrics and bounce/complaint suppression), its event destination (Bounce, Complaint,
 * Delivery, Reject) on an SNS topic only SES may publish to for this set, and the Lambda subscribed
 * to it, which records each event on its message and the order (runtime/handlers/email-events.ts).
 */
export class EmailEvents extends pulumi.ComponentResource {
  /** The configuration set; the notifier names it in every send (ENV.emailConfigurationSet). */
  public readonly configurationSet: aws.sesv2.ConfigurationSet;
  public readonly topic: aws.sns.Topic;
  public readonly handler: aws.lambda.Function;
  public readonly functionLogGroup: aws.cloudwatch.LogGroup;
  public readonly asyncConfig: aws.lambda.FunctionEventInvokeConfig;

  constructor(name: string, args: EmailEventsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:notification:EmailEvents", name, {}, opts);
    if (!/^[A-Za-z0-9_-]+$/.test(name) || name.length > MAX_SET_NAME)
      throw new Error(`EmailEvents ${name}: the configuration set is named after the component: 1-${MAX_SET_NAME} of A-Z a-z 0-9 _ -`);

    this.configurationSet = createConfigurationSet(name, this);
    this.topic = new aws.sns.Topic(`${name}-events`, {}, { parent: this });
    publishEventsTo(name, this.configurationSet, this.topic, this);
    const fn = createEventsFunction(name, args, this);
    this.handler = fn.fn;
    this.functionLogGroup = fn.logGroup;
    // SNS invokes asynchronously: an event that fails every retry goes to the failure queue, not away.
    this.asyncConfig = keepFailedEvents(name, fn.fn, args.failureQueue, this);
    subscribe(name, this.topic, fn.fn, this);

    this.registerOutputs({ configurationSetName: this.configurationSet.configurationSetName, functionName: this.handler.name });
  }
}

/**
 * The set: reputation metrics on (bounce and complaint rates per set, beside the account's), and
 * addresses that bounced or complained suppressed, so SES does not send to them again (it reports
 * a Bounce of subtype OnSuppressionList instead).
 */
function createConfigurationSet(name: string, parent: pulumi.Resource): aws.sesv2.ConfigurationSet {
  return new aws.sesv2.ConfigurationSet(
    `${name}-set`,
    {
      configurationSetName: name,
      reputationOptions: { reputationMetricsEnabled: true },
      sendingOptions: { sendingEnabled: true },
      suppressionOptions: { suppressedReasons: ["BOUNCE", "COMPLAINT"] },
    },
    { parent },
  );
}

/**
 * The topic's policy lets SES publish the set's events, then the event destination points the set
 * at the topic (after the policy: SES may check it can publish). Not encrypted: SES cannot publish
 * to a topic under the AWS-managed SNS key.
 */
function publishEventsTo(name: string, set: aws.sesv2.ConfigurationSet, topic: aws.sns.Topic, parent: pulumi.Resource): void {
  const accountId = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const policy = new aws.sns.TopicPolicy(
    `${name}-events-policy`,
    {
      arn: topic.arn,
      policy: pulumi
        .all([topic.arn, set.arn, accountId])
        .apply(([topicArn, configurationSetArn, account]) =>
          JSON.stringify(sesEventsTopicPolicy({ topicArn, configurationSetArn, accountId: account })),
        ),
    },
    { parent },
  );
  new aws.sesv2.ConfigurationSetEventDestination(
    `${name}-destination`,
    {
      configurationSetName: set.configurationSetName,
      eventDestinationName: "order-email-events",
      eventDestination: { enabled: true, matchingEventTypes: [...PUBLISHED_EMAIL_EVENTS], snsDestination: { topicArn: topic.arn } },
    },
    { parent, dependsOn: [policy] },
  );
}

/** The Lambda that records each event: the orders table and nothing else. */
function createEventsFunction(name: string, args: EmailEventsArgs, parent: pulumi.Resource): HandlerFunction {
  return createHandlerFunction(
    `${name}-handler`,
    {
      description: "Records SES delivery, bounce, complaint and reject events of invoice emails on their orders",
      entry: "email-events",
      policy: (logGroupArn) =>
        pulumi
          .all([args.table.arn, args.failureQueue.arn, args.eventBus.arn, logGroupArn])
          .apply(([tableArn, failureQueueArn, eventBusArn, lg]) =>
            emailEventsFunctionPolicy({ tableArn, failureQueueArn, eventBusArn, logGroupArn: lg }),
          ),
      environment: { [ENV.ordersTable]: args.table.name, [ENV.eventBusName]: args.eventBus.name },
      logLevel: args.logLevel,
      memoryMb: args.memoryMb,
      timeoutSeconds: args.timeoutSeconds,
      // Unreserved: it only updates orders (no SES sending rate to stay under), and SNS's events should not wait.
      reservedConcurrency: undefined,
      logRetentionDays: args.logRetentionDays,
    },
    parent,
  );
}

/** The topic invokes the function; only this topic may. */
function subscribe(name: string, topic: aws.sns.Topic, fn: aws.lambda.Function, parent: pulumi.Resource): void {
  const permission = new aws.lambda.Permission(
    `${name}-sns-invoke`,
    { action: "lambda:InvokeFunction", function: fn.name, principal: "sns.amazonaws.com", sourceArn: topic.arn },
    { parent },
  );
  new aws.sns.TopicSubscription(
    `${name}-subscription`,
    { topic: topic.arn, protocol: "lambda", endpoint: fn.arn },
    { parent, dependsOn: [permission] },
  );
}
