import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ENV, type LogLevel } from "../runtime/contracts/env";
import { METRICS_STACK_ENV } from "../runtime/contracts/metrics";
import type { PolicyDocument } from "./policies";
import { createServiceRole } from "./iam";
import { LAMBDA_HANDLER, lambdaArchive, type LambdaEntry } from "./lambda-bundle";
import type { ArnRef } from "./refs";
import { NOTIFIER_ASYNC_RETRIES } from "./scaling";

/** What a handler Lambda of a tier needs; every field is required so no default hides a choice. */
export interface HandlerFunctionArgs {
  /** Which entry of LAMBDA_ENTRIES the function runs (its serialized, bundled callback factory). */
  readonly entry: LambdaEntry;
  /** The function's whole permission set, given its own log group's ARN. */
  readonly policy: (logGroupArn: pulumi.Output<string>) => pulumi.Output<PolicyDocument>;
  /** Environment variables, named by runtime/contracts/env.ts ENV (the log level and the metrics' stack are added). */
  readonly environment: Record<string, pulumi.Input<string>>;
  readonly logLevel: LogLevel;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Invocations that may run at once (reserved from the account's pool); undefined leaves the function unreserved. */
  readonly reservedConcurrency: number | undefined;
  readonly logRetentionDays: number;
  readonly description: string;
}

/** The resources behind one handler Lambda. */
export interface HandlerFunction {
  readonly fn: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
}

/**
 * Creates a handler Lambda under `parent`: its log group with retention, a role that may do
 * exactly what `policy` says (never CallbackFunction's default FullAccess set), and an arm64
 * nodejs22.x function with active X-Ray tracing whose archive is one file: its serialized
 * callback factory bundled by esbuild with every dependency, the AWS SDK included
 * (components/lambda-bundle.ts).
 */
export function createHandlerFunction(name: string, args: HandlerFunctionArgs, parent: pulumi.Resource): HandlerFunction {
  const opts = { parent };
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays }, opts);
  const { role, policy } = createServiceRole(
    name,
    { service: "lambda.amazonaws.com", description: `${args.description}: least privilege`, policy: args.policy(logGroup.arn) },
    parent,
  );
  const fn = new aws.lambda.Function(
    name,
    {
      description: args.description,
      role: role.arn,
      code: lambdaArchive(args.entry),
      handler: LAMBDA_HANDLER,
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: ["arm64"],
      memorySize: args.memoryMb,
      timeout: args.timeoutSeconds,
      ...(args.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: args.reservedConcurrency } : {}),
      environment: { variables: { ...args.environment, [METRICS_STACK_ENV]: pulumi.getStack(), [ENV.logLevel]: args.logLevel } },
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      // Lambda records sampled invocations in X-Ray, following API Gateway's decision when the request carries one;
      // it sends them with the function's role, so the policy grants traceWritingStatement (components/policies.ts).
      tracingConfig: { mode: "Active" },
    },
    // The first invocation must already hold its permissions.
    { parent, dependsOn: [policy] },
  );
  return { fn, role, logGroup };
}

/**
 * Lambda's retries of an asynchronous invocation (S3, SNS), and where an event that failed every
 * one of them goes: the failure queue, not away (`npm run redrive -- --queue email-failures` hands
 * it back to the function named in Lambda's record). The function depends on its role's policy,
 * so SendMessage is granted before Lambda checks it here.
 */
export function keepFailedEvents(
  name: string,
  fn: aws.lambda.Function,
  failureQueue: ArnRef,
  parent: pulumi.Resource,
): aws.lambda.FunctionEventInvokeConfig {
  return new aws.lambda.FunctionEventInvokeConfig(
    `${name}-async`,
    {
      functionName: fn.name,
      maximumRetryAttempts: NOTIFIER_ASYNC_RETRIES,
      destinationConfig: { onFailure: { destination: failureQueue.arn } },
    },
    { parent },
  );
}
