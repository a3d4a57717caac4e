import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { PolicyDocument } from "./policies";
import { createServiceRole } from "./iam";
import { lambdaCodePathOptions, readInstalledPackages } from "./packaging";

/** What a handler Lambda of a tier needs; every field is required so no default hides a choice. */
export interface HandlerFunctionArgs<E, R> {
  /** Runs once per container: builds clients from the environment and returns the handler. */
  readonly callbackFactory: aws.lambda.CallbackFactory<E, R>;
  /** The function's whole permission set, given its own log group's ARN. */
  readonly policy: (logGroupArn: pulumi.Output<string>) => pulumi.Output<PolicyDocument>;
  /** Environment variables, named by runtime/settings.ts ENV. */
  readonly environment: Record<string, pulumi.Input<string>>;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
  readonly description: string;
}

/** The resources behind one handler Lambda. */
export interface HandlerFunction {
  readonly fn: aws.lambda.CallbackFunction<unknown, unknown>;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
}

/**
 * Creates a handler Lambda under `parent`: its log group with retention, a role that may do
 * exactly what `policy` says (never CallbackFunction's default FullAccess set), and an arm64
 * nodejs22.x function whose archive holds the serialized closure and zod, not the AWS SDK.
 */
export function createHandlerFunction<E, R>(name: string, args: HandlerFunctionArgs<E, R>, parent: pulumi.Resource): HandlerFunction {
  const opts = { parent };
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays }, opts);
  const { role, policy } = createServiceRole(
    name,
    { service: "lambda.amazonaws.com", description: `${args.description}: least privilege`, policy: args.policy(logGroup.arn) },
    parent,
  );
  const fn = new aws.lambda.CallbackFunction<E, R>(
    name,
    {
      description: args.description,
      role,
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: ["arm64"],
      memorySize: args.memoryMb,
      timeout: args.timeoutSeconds,
      environment: { variables: args.environment },
      loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
      callbackFactory: args.callbackFactory,
      codePathOptions: lambdaCodePathOptions(readInstalledPackages()),
    },
    // The first invocation must already hold its permissions.
    { parent, dependsOn: [policy] },
  );
  return { fn: fn as unknown as aws.lambda.CallbackFunction<unknown, unknown>, role, logGroup };
}
