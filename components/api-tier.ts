import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { METRICS_STACK_ENV } from "../runtime/contracts/metrics";
import { ENV, type LogLevel } from "../runtime/contracts/env";
import { ACCESS_LOG_FORMAT, deploymentTrigger, gatewayResponses, methodSpecs, pathSlug, resourcePaths } from "./api-routes";
import { createHandlerFunction } from "./lambda";
import { apiFunctionPolicy, assumeRolePolicy } from "./policies";

/** Arguments of the API tier. */
export interface ApiTierArgs {
  /** The stage name; the stack's name, so URLs say which stack they reach. */
  readonly stageName: string;
  readonly tableName: pulumi.Input<string>;
  readonly tableArn: pulumi.Input<string>;
  readonly queueUrl: pulumi.Input<string>;
  readonly queueArn: pulumi.Input<string>;
  readonly bucketName: pulumi.Input<string>;
  readonly bucketArn: pulumi.Input<string>;
  /** The KMS HMAC key that signs invoice links; the API only verifies. */
  readonly linkKeyArn: pulumi.Input<string>;
  /** Tax rate in basis points applied to new orders. @default 0 */
  readonly taxRateBps?: number;
  /** Lifetime of the presigned S3 URL the API redirects to. @default 300 */
  readonly presignTtlSeconds?: number;
  /** @default "info" */
  readonly logLevel?: LogLevel;
  /** @default 512 */
  readonly memoryMb?: number;
  /** API Gateway gives up after 29 s. @default 10 */
  readonly timeoutSeconds?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Stage-wide request rate and burst. @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Set the region's API Gateway CloudWatch role, which access logging requires. It is one
   * setting per account and region: exactly one stack sets it (the dev stack here). @default false
   */
  readonly manageAccountLogsRole?: boolean;
  /**
   * Send Cognito's sign-up and recovery mail through SES as this verified identity (Cognito's
   * default sender has a small daily cap). @default undefined (Cognito's default sender)
   */
  readonly signUpEmail?: { readonly from: string; readonly identityArn: pulumi.Input<string> };
  /** Allow USER_PASSWORD_AUTH on the app client (CLI sign-in); off, clients sign in with SRP. @default true */
  readonly passwordSignIn?: boolean;
  /** Refuse to delete the user pool. @default true */
  readonly deletionProtection?: boolean;
}

/**
 * The app client's sign-in flows: SRP and refresh always; password sign-in (the README's CLI
 * flow) only where allowed, otherwise admin sign-in, which needs the caller's IAM credentials.
 */
export function userPoolClientAuthFlows(passwordSignIn: boolean): string[] {
  return passwordSignIn
    ? ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    : ["ALLOW_USER_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];
}

/** The managed policy AWS documents for API Gateway's account-wide logging role (no wildcard actions). */
const API_GATEWAY_LOGS_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs";

/**
 * The REST API: a Cognito user pool and client, the order routes behind a user-pool authorizer,
 * the invoice-link route open (its KMS HMAC signature is the credential), all proxied to one
 * Lambda; a stage named after the stack with throttling, JSON access logs and X-Ray tracing.
 */
export class ApiTier extends pulumi.ComponentResource {
  public readonly userPool: aws.cognito.UserPool;
  public readonly userPoolClient: aws.cognito.UserPoolClient;
  public readonly restApi: aws.apigateway.RestApi;
  public readonly stage: aws.apigateway.Stage;
  public readonly handler: aws.lambda.Function;
  public readonly url: pulumi.Output<string>;
  public readonly userPoolId: pulumi.Output<string>;
  public readonly userPoolClientId: pulumi.Output<string>;
  public readonly accessLogGroupName: pulumi.Output<string>;
  public readonly functionLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: ApiTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:api:ApiTier", name, {}, opts);
    const throttle = args.throttle ?? { rateLimit: 50, burstLimit: 100 };
    if (throttle.burstLimit < throttle.rateLimit)
      throw new Error(`ApiTier ${name}: throttle.burstLimit must be at least throttle.rateLimit`);
    const timeoutSeconds = args.timeoutSeconds ?? 10;
    if (timeoutSeconds > 29)
      throw new Error(`ApiTier ${name}: timeoutSeconds ${timeoutSeconds} exceeds API Gateway's 29 s integration limit`);
    const logRetentionDays = args.logRetentionDays ?? 30;
    const parent = { parent: this };

    this.userPool = new aws.cognito.UserPool(
      `${name}-users`,
      {
        usernameAttributes: ["email"],
        autoVerifiedAttributes: ["email"],
        adminCreateUserConfig: { allowAdminCreateUserOnly: false },
        passwordPolicy: {
          minimumLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: false,
          temporaryPasswordValidityDays: 7,
        },
        accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
        deletionProtection: (args.deletionProtection ?? true) ? "ACTIVE" : "INACTIVE",
        ...(args.signUpEmail
          ? {
              emailConfiguration: {
                emailSendingAccount: "DEVELOPER",
                sourceArn: args.signUpEmail.identityArn,
                fromEmailAddress: args.signUpEmail.from,
              },
            }
          : {}),
      },
      parent,
    );
    this.userPoolClient = new aws.cognito.UserPoolClient(
      `${name}-client`,
      {
        userPoolId: this.userPool.id,
        generateSecret: false,
        explicitAuthFlows: userPoolClientAuthFlows(args.passwordSignIn ?? true),
        preventUserExistenceErrors: "ENABLED",
        enableTokenRevocation: true,
        idTokenValidity: 60,
        accessTokenValidity: 60,
        refreshTokenValidity: 30,
        tokenValidityUnits: { idToken: "minutes", accessToken: "minutes", refreshToken: "days" },
      },
      parent,
    );

    const api = createHandlerFunction(
      `${name}-handler`,
      {
        description: "Order API: POST /orders, GET /orders/{orderId}, GET /invoices/{orderId}",
        entry: "order-api",
        policy: (logGroupArn) =>
          pulumi
            .all([args.tableArn, args.queueArn, args.bucketArn, args.linkKeyArn, logGroupArn])
            .apply(([tableArn, queueArn, bucketArn, linkKeyArn, lg]) =>
              apiFunctionPolicy({ tableArn, queueArn, bucketArn, linkKeyArn, logGroupArn: lg }),
            ),
        environment: {
          [ENV.ordersTable]: args.tableName,
          [ENV.ordersQueueUrl]: args.queueUrl,
          [ENV.invoicesBucket]: args.bucketName,
          [ENV.taxRateBps]: String(args.taxRateBps ?? 0),
          [ENV.linkKeyId]: args.linkKeyArn,
          [ENV.presignTtlSeconds]: String(args.presignTtlSeconds ?? 300),
          [METRICS_STACK_ENV]: pulumi.getStack(),
          [ENV.logLevel]: args.logLevel ?? "info",
        },
        memoryMb: args.memoryMb ?? 512,
        timeoutSeconds,
        logRetentionDays,
      },
      this,
    );
    this.handler = api.fn;

    this.restApi = new aws.apigateway.RestApi(
      `${name}-api`,
      { description: "Shop orders and invoices", endpointConfiguration: { types: "REGIONAL" } },
      parent,
    );
    const authorizer = new aws.apigateway.Authorizer(
      `${name}-authorizer`,
      {
        restApi: this.restApi.id,
        type: "COGNITO_USER_POOLS",
        providerArns: [this.userPool.arn],
        identitySource: "method.request.header.Authorization",
      },
      parent,
    );

    const specs = methodSpecs();
    const resources = new Map<string, aws.apigateway.Resource>();
    for (const path of resourcePaths(specs)) {
      const parentPath = path.slice(0, path.lastIndexOf("/"));
      resources.set(
        path,
        new aws.apigateway.Resource(
          `${name}-${pathSlug(path)}`,
          {
            restApi: this.restApi.id,
            parentId: parentPath ? resources.get(parentPath)!.id : this.restApi.rootResourceId,
            pathPart: path.slice(path.lastIndexOf("/") + 1),
          },
          parent,
        ),
      );
    }
    const routeResources: pulumi.Resource[] = [];
    for (const spec of specs) {
      const id = `${name}-${spec.method.toLowerCase()}-${pathSlug(spec.resource)}`;
      const resource = resources.get(spec.resource)!;
      const method = new aws.apigateway.Method(
        id,
        {
          restApi: this.restApi.id,
          resourceId: resource.id,
          httpMethod: spec.method,
          authorization: spec.authorization,
          ...(spec.authorization === "COGNITO_USER_POOLS" ? { authorizerId: authorizer.id } : {}),
        },
        parent,
      );
      const integration = new aws.apigateway.Integration(
        id,
        {
          restApi: this.restApi.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          type: "AWS_PROXY",
          integrationHttpMethod: "POST",
          uri: api.fn.invokeArn,
        },
        parent,
      );
      routeResources.push(method, integration);
    }
    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: api.fn.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${this.restApi.executionArn}/${args.stageName}/*`,
      },
      parent,
    );
    const responses = gatewayResponses();
    for (const r of responses) {
      routeResources.push(
        new aws.apigateway.Response(
          `${name}-${r.responseType.toLowerCase().replace(/_/g, "-")}`,
          {
            restApiId: this.restApi.id,
            responseType: r.responseType,
            ...(r.statusCode ? { statusCode: r.statusCode } : {}),
            responseTemplates: { "application/json": JSON.stringify(r.body) },
            responseParameters: { "gatewayresponse.header.Content-Type": "'application/json'" },
          },
          parent,
        ),
      );
    }

    const deployment = new aws.apigateway.Deployment(
      `${name}-deployment`,
      {
        restApi: this.restApi.id,
        triggers: {
          redeployment: pulumi
            .all([api.fn.invokeArn, authorizer.id, authorizer.providerArns])
            .apply(([functionInvokeArn, authorizerId, userPoolArns]) =>
              deploymentTrigger(specs, responses, { functionInvokeArn, authorizerId, userPoolArns: userPoolArns ?? [] }),
            ),
        },
      },
      { ...parent, dependsOn: routeResources },
    );

    const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: logRetentionDays }, parent);
    const stageDependsOn: pulumi.Resource[] = [];
    if (args.manageAccountLogsRole ?? false) {
      const logsRole = new aws.iam.Role(
        `${name}-gateway-logs-role`,
        {
          description: "API Gateway writes access logs (account-wide setting)",
          assumeRolePolicy: JSON.stringify(assumeRolePolicy("apigateway.amazonaws.com")),
        },
        parent,
      );
      const attachment = new aws.iam.RolePolicyAttachment(
        `${name}-gateway-logs-policy`,
        { role: logsRole.name, policyArn: API_GATEWAY_LOGS_POLICY_ARN },
        parent,
      );
      stageDependsOn.push(
        new aws.apigateway.Account(`${name}-gateway-account`, { cloudwatchRoleArn: logsRole.arn }, { ...parent, dependsOn: [attachment] }),
      );
    }
    this.stage = new aws.apigateway.Stage(
      `${name}-stage`,
      {
        restApi: this.restApi.id,
        deployment: deployment.id,
        stageName: args.stageName,
        accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
        // API Gateway samples requests into X-Ray and passes the trace on to the order API Lambda.
        xrayTracingEnabled: true,
      },
      { ...parent, dependsOn: stageDependsOn },
    );
    new aws.apigateway.MethodSettings(
      `${name}-throttling`,
      {
        restApi: this.restApi.id,
        stageName: this.stage.stageName,
        methodPath: "*/*",
        settings: { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit, metricsEnabled: true },
      },
      parent,
    );

    this.url = this.stage.invokeUrl;
    this.userPoolId = this.userPool.id;
    this.userPoolClientId = this.userPoolClient.id;
    this.accessLogGroupName = accessLogs.name;
    this.functionLogGroupName = api.logGroup.name;
    this.registerOutputs({ url: this.url, userPoolId: this.userPoolId, userPoolClientId: this.userPoolClientId });
  }
}
