import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ENV, type LogLevel } from "../runtime/contracts/env";
import { taxEnvironment, type SellerConfig, type TaxConfig } from "./environment";
import { ADMIN_GROUP } from "../runtime/contracts/routes";
import { EXPIRE_PAYMENTS_TASK, type PaymentSecret } from "../runtime/contracts/payments";
import {
  ACCESS_LOG_FORMAT,
  deploymentTrigger,
  gatewayResponseParameters,
  gatewayResponses,
  methodSpecs,
  pathSlug,
  rateSeconds,
  resourcePaths,
} from "./api-routes";
import { createHandlerFunction, type HandlerFunction } from "./lambda";
import type { ArnRef, BucketRef, NameRef, QueueRef, TableRef } from "./refs";
import { apiFunctionPolicy, assumeRolePolicy } from "./policies";

/** Arguments of the API tier (defaults: components/config.ts). */
export interface ApiTierArgs {
  /** The stage name; the stack's name, so URLs say which stack they reach. */
  readonly stageName: string;
  readonly table: TableRef;
  readonly queue: QueueRef;
  readonly bucket: BucketRef;
  /** The KMS HMAC key that signs invoice links; the API only verifies. */
  readonly linkKey: ArnRef;
  /** The stack's business events bus (components/event-bus.ts): ENV.eventBusName, and PutEvents on it alone. */
  readonly eventBus: NameRef & ArnRef;
  /** The seller (its country and VAT ID decide the tax rules) and the shop's tax settings. */
  readonly seller: SellerConfig;
  readonly tax: TaxConfig;
  /** Lifetime of the presigned S3 URL the API redirects to. */
  readonly presignTtlSeconds: number;
  readonly logLevel: LogLevel;
  readonly memoryMb: number;
  /** API Gateway gives up after 29 s. */
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
  /** Stage-wide request rate and burst. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Set the region's API Gateway CloudWatch role, which access logging requires (one setting per
   * account and region; kept when the stack is destroyed). Off only where the account's setting
   * is managed outside this program.
   */
  readonly manageAccountLogsRole: boolean;
  /**
   * Send Cognito's sign-up and recovery mail through SES as this verified identity (Cognito's
   * default sender has a small daily cap). @default undefined (Cognito's default sender)
   */
  readonly signUpEmail?: { readonly from: string; readonly identityArn: pulumi.Input<string> };
  /** Allow USER_PASSWORD_AUTH on the app client (CLI sign-in); off, clients sign in with SRP. */
  readonly passwordSignIn: boolean;
  /** Refuse to delete the user pool; keep a deleted payment secret recoverable for 30 days rather than 7. */
  readonly deletionProtection: boolean;
  /** The shop's currency (ISO 4217) when an order names none. */
  readonly shopCurrency: string;
  /** The payment provider, how long an order may await payment, and the provider's keys (secret Outputs). */
  readonly payment: {
    readonly provider: string;
    readonly expiryMinutes: number;
    readonly keys: { readonly [K in keyof PaymentSecret]: pulumi.Input<string> };
  };
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

/** Days Secrets Manager keeps a deleted payment secret recoverable (its minimum is 7, its maximum 30). */
export const SECRET_RECOVERY_WINDOW_DAYS = { protected: 30, unprotected: 7 } as const;

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
  /** The Cognito group of the shop's admins (ADMIN_GROUP): members may call the /admin routes. */
  public readonly adminGroup: aws.cognito.UserGroup;
  /** The payment provider's keys (Secrets Manager); the order API alone may read it. */
  public readonly paymentSecret: aws.secretsmanager.Secret;
  public readonly restApi: aws.apigateway.RestApi;
  public readonly stage: aws.apigateway.Stage;
  public readonly handler: aws.lambda.Function;
  public readonly functionLogGroup: aws.cloudwatch.LogGroup;
  public readonly accessLogGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: ApiTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:api:ApiTier", name, {}, opts);
    if (args.throttle.burstLimit < args.throttle.rateLimit)
      throw new Error(`ApiTier ${name}: throttle.burstLimit must be at least throttle.rateLimit`);
    if (args.timeoutSeconds > 29)
      throw new Error(`ApiTier ${name}: timeoutSeconds ${args.timeoutSeconds} exceeds API Gateway's 29 s integration limit`);

    this.userPool = createUserPool(name, args, this);
    this.userPoolClient = createUserPoolClient(name, this.userPool, args.passwordSignIn, this);
    this.adminGroup = createAdminGroup(name, this.userPool, this);
    this.paymentSecret = createPaymentSecret(name, args, this);
    const fn = createApiFunction(name, args, this.paymentSecret, this);
    this.handler = fn.fn;
    this.functionLogGroup = fn.logGroup;
    scheduleExpiringPayments(name, fn.fn, this);

    this.restApi = new aws.apigateway.RestApi(
      `${name}-api`,
      { description: "Shop orders and invoices", endpointConfiguration: { types: "REGIONAL" } },
      { parent: this },
    );
    const authorizer = createAuthorizer(name, this.restApi, this.userPool, this);
    const routes = createRoutes(name, this.restApi, authorizer, fn.fn, this);
    allowGatewayToInvoke(name, this.restApi, args.stageName, fn.fn, this);
    const responses = createGatewayResponses(name, this.restApi, this);
    const deployment = createDeployment(name, this.restApi, authorizer, fn.fn, [...routes, ...responses], this);

    this.accessLogGroup = new aws.cloudwatch.LogGroup(`${name}-access-logs`, { retentionInDays: args.logRetentionDays }, { parent: this });
    const accountLogs = args.manageAccountLogsRole ? [createAccountLogsSetting(name, this)] : [];
    this.stage = createStage(name, args.stageName, this.restApi, deployment, this.accessLogGroup, accountLogs, this);
    throttleStage(name, this.restApi, this.stage, args.throttle, this);

    this.registerOutputs({
      url: this.stage.invokeUrl,
      userPoolId: this.userPool.id,
      userPoolClientId: this.userPoolClient.id,
      adminGroupName: this.adminGroup.name,
    });
  }
}

/** The customers' user pool: email as the username, verified email for recovery. */
function createUserPool(name: string, args: ApiTierArgs, parent: pulumi.Resource): aws.cognito.UserPool {
  const email = args.signUpEmail;
  return new aws.cognito.UserPool(
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
      deletionProtection: args.deletionProtection ? "ACTIVE" : "INACTIVE",
      ...(email
        ? { emailConfiguration: { emailSendingAccount: "DEVELOPER", sourceArn: email.identityArn, fromEmailAddress: email.from } }
        : {}),
    },
    { parent },
  );
}

/** The public app client the storefront signs in with: no secret, short-lived tokens, revocable. */
function createUserPoolClient(
  name: string,
  userPool: aws.cognito.UserPool,
  passwordSignIn: boolean,
  parent: pulumi.Resource,
): aws.cognito.UserPoolClient {
  return new aws.cognito.UserPoolClient(
    `${name}-client`,
    {
      userPoolId: userPool.id,
      generateSecret: false,
      explicitAuthFlows: userPoolClientAuthFlows(passwordSignIn),
      preventUserExistenceErrors: "ENABLED",
      enableTokenRevocation: true,
      idTokenValidity: 60,
      accessTokenValidity: 60,
      refreshTokenValidity: 30,
      tokenValidityUnits: { idToken: "minutes", accessToken: "minutes", refreshToken: "days" },
    },
    { parent },
  );
}

/** The group whose members are the shop's admins; the handler checks the token's `cognito:groups` claim for it. */
function createAdminGroup(name: string, userPool: aws.cognito.UserPool, parent: pulumi.Resource): aws.cognito.UserGroup {
  return new aws.cognito.UserGroup(
    `${name}-admins`,
    { name: ADMIN_GROUP, userPoolId: userPool.id, description: "Shop staff: may edit the catalog (the /admin routes)" },
    { parent },
  );
}

/**
 * The payment provider's keys as one JSON secret (PaymentSecret), encrypted with Secrets Manager's AWS
 * managed key. Its value comes from the stack's secret config and stays a secret Output, so the
 * state holds it encrypted; rotate by `pulumi config set --secret` and `pulumi up`.
 */
function createPaymentSecret(name: string, args: ApiTierArgs, parent: pulumi.Resource): aws.secretsmanager.Secret {
  const secret = new aws.secretsmanager.Secret(
    `${name}-payment-keys`,
    {
      description: `The ${args.payment.provider} API secret key and webhook signing secret of the order API (${name})`,
      recoveryWindowInDays: args.deletionProtection ? SECRET_RECOVERY_WINDOW_DAYS.protected : SECRET_RECOVERY_WINDOW_DAYS.unprotected,
    },
    { parent },
  );
  const { secretKey, webhookSecret } = args.payment.keys;
  new aws.secretsmanager.SecretVersion(
    `${name}-payment-keys`,
    {
      secretId: secret.id,
      secretString: pulumi.secret(
        pulumi
          .all([secretKey, webhookSecret])
          .apply(([k, w]) => JSON.stringify({ secretKey: k, webhookSecret: w } satisfies PaymentSecret)),
      ),
    },
    { parent },
  );
  return secret;
}

/** The order API Lambda with exactly the grants its routes and its scheduled task use. */
function createApiFunction(name: string, args: ApiTierArgs, paymentSecret: ArnRef, parent: pulumi.Resource): HandlerFunction {
  return createHandlerFunction(
    `${name}-handler`,
    {
      description: "Order API: orders, invoices, catalog, payments and their webhook; expires unpaid orders on a schedule",
      entry: "order-api",
      policy: (logGroupArn) =>
        pulumi
          .all([args.table.arn, args.queue.arn, args.bucket.arn, args.linkKey.arn, paymentSecret.arn, args.eventBus.arn, logGroupArn])
          .apply(([tableArn, queueArn, bucketArn, linkKeyArn, paymentSecretArn, eventBusArn, lg]) =>
            apiFunctionPolicy({ tableArn, queueArn, bucketArn, linkKeyArn, paymentSecretArn, eventBusArn, logGroupArn: lg }),
          ),
      environment: {
        [ENV.ordersTable]: args.table.name,
        [ENV.ordersQueueUrl]: args.queue.url,
        [ENV.invoicesBucket]: args.bucket.bucket,
        ...taxEnvironment(args.seller, args.tax),
        [ENV.linkKeyId]: args.linkKey.arn,
        [ENV.presignTtlSeconds]: String(args.presignTtlSeconds),
        [ENV.shopCurrency]: args.shopCurrency,
        [ENV.paymentProvider]: args.payment.provider,
        [ENV.paymentExpiryMinutes]: String(args.payment.expiryMinutes),
        [ENV.paymentSecretId]: paymentSecret.arn,
        [ENV.eventBusName]: args.eventBus.name,
      },
      logLevel: args.logLevel,
      memoryMb: args.memoryMb,
      timeoutSeconds: args.timeoutSeconds,
      // The stage's throttling bounds it; reserving would take from the account's pool for nothing.
      reservedConcurrency: undefined,
      logRetentionDays: args.logRetentionDays,
    },
    parent,
  );
}

/** The Cognito authorizer of the customer routes: the ID token in the Authorization header. */
function createAuthorizer(
  name: string,
  restApi: aws.apigateway.RestApi,
  userPool: aws.cognito.UserPool,
  parent: pulumi.Resource,
): aws.apigateway.Authorizer {
  return new aws.apigateway.Authorizer(
    `${name}-authorizer`,
    {
      restApi: restApi.id,
      type: "COGNITO_USER_POOLS",
      providerArns: [userPool.arn],
      identitySource: "method.request.header.Authorization",
    },
    { parent },
  );
}

/** The resource tree, and one method with its Lambda proxy integration per route of the contract. */
function createRoutes(
  name: string,
  restApi: aws.apigateway.RestApi,
  authorizer: aws.apigateway.Authorizer,
  fn: aws.lambda.Function,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  const resources = new Map<string, aws.apigateway.Resource>();
  const specs = methodSpecs();
  for (const path of resourcePaths(specs)) {
    const parentPath = path.slice(0, path.lastIndexOf("/"));
    const resource = new aws.apigateway.Resource(
      `${name}-${pathSlug(path)}`,
      {
        restApi: restApi.id,
        parentId: parentPath ? resources.get(parentPath)!.id : restApi.rootResourceId,
        pathPart: path.slice(path.lastIndexOf("/") + 1),
      },
      { parent },
    );
    resources.set(path, resource);
  }
  return specs.flatMap((spec) => {
    const id = `${name}-${spec.method.toLowerCase()}-${pathSlug(spec.resource)}`;
    const resource = resources.get(spec.resource)!;
    const method = new aws.apigateway.Method(
      id,
      {
        restApi: restApi.id,
        resourceId: resource.id,
        httpMethod: spec.method,
        authorization: spec.authorization,
        ...(spec.authorization === "COGNITO_USER_POOLS" ? { authorizerId: authorizer.id } : {}),
      },
      { parent },
    );
    const integration = new aws.apigateway.Integration(
      id,
      {
        restApi: restApi.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: fn.invokeArn,
      },
      { parent },
    );
    return [method, integration];
  });
}

/**
 * EventBridge invokes the order API every few minutes with the constant EXPIRE_PAYMENTS_TASK input:
 * it expires orders whose payment deadline passed. The next run is the retry: a failed run is
 * neither retried (by Lambda or EventBridge) nor kept (no on-failure destination), and a run older
 * than one period is dropped, so runs never pile up; the function's error alarm reports failures.
 */
function scheduleExpiringPayments(name: string, fn: aws.lambda.Function, parent: pulumi.Resource): void {
  const period = Math.max(60, rateSeconds(EXPIRE_PAYMENTS_TASK.schedule)); // 60 s: the least event age both services accept
  const rule = new aws.cloudwatch.EventRule(
    `${name}-expire-payments`,
    { description: "Expire orders nobody paid in time (order API)", scheduleExpression: EXPIRE_PAYMENTS_TASK.schedule },
    { parent },
  );
  // The order API's only asynchronous invoker is this schedule, so these settings are the schedule's.
  new aws.lambda.FunctionEventInvokeConfig(
    `${name}-async`,
    { functionName: fn.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: period },
    { parent },
  );
  const permission = new aws.lambda.Permission(
    `${name}-schedule-invoke`,
    { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
    { parent },
  );
  new aws.cloudwatch.EventTarget(
    `${name}-expire-payments`,
    {
      rule: rule.name,
      arn: fn.arn,
      input: JSON.stringify({ action: EXPIRE_PAYMENTS_TASK.action }),
      retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: period },
    },
    { parent, dependsOn: [permission] },
  );
}

/** API Gateway may invoke the function, from this stage only. */
function allowGatewayToInvoke(
  name: string,
  restApi: aws.apigateway.RestApi,
  stageName: string,
  fn: aws.lambda.Function,
  parent: pulumi.Resource,
): void {
  new aws.lambda.Permission(
    `${name}-invoke`,
    {
      action: "lambda:InvokeFunction",
      function: fn.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${restApi.executionArn}/${stageName}/*`,
    },
    { parent },
  );
}

/** The gateway's own answers in the API's one JSON error shape (components/api-routes.ts gatewayResponses). */
function createGatewayResponses(name: string, restApi: aws.apigateway.RestApi, parent: pulumi.Resource): aws.apigateway.Response[] {
  return gatewayResponses().map(
    (r) =>
      new aws.apigateway.Response(
        `${name}-${r.responseType.toLowerCase().replace(/_/g, "-")}`,
        {
          restApiId: restApi.id,
          responseType: r.responseType,
          ...(r.statusCode ? { statusCode: r.statusCode } : {}),
          responseTemplates: { "application/json": JSON.stringify(r.body) },
          responseParameters: gatewayResponseParameters(r),
        },
        { parent },
      ),
  );
}

/** A deployment that is replaced whenever a route, a gateway response, the function or the authorizer changes. */
function createDeployment(
  name: string,
  restApi: aws.apigateway.RestApi,
  authorizer: aws.apigateway.Authorizer,
  fn: aws.lambda.Function,
  routeResources: pulumi.Resource[],
  parent: pulumi.Resource,
): aws.apigateway.Deployment {
  return new aws.apigateway.Deployment(
    `${name}-deployment`,
    {
      restApi: restApi.id,
      triggers: {
        redeployment: pulumi
          .all([fn.invokeArn, authorizer.id, authorizer.providerArns])
          .apply(([functionInvokeArn, authorizerId, userPoolArns]) =>
            deploymentTrigger(methodSpecs(), gatewayResponses(), { functionInvokeArn, authorizerId, userPoolArns: userPoolArns ?? [] }),
          ),
      },
    },
    { parent, dependsOn: routeResources },
  );
}

/**
 * The account-wide role API Gateway writes access logs with (one setting per account and region).
 * Every stack sets it before its stage, so none depends on another stack, and keeps it (role,
 * policy, setting) when destroyed: the provider resets the setting on delete, which would stop
 * the access logs of every other stack of the account. Two stacks in one account each set their
 * own role; whichever deployed last is the one in use, and both can write.
 */
function createAccountLogsSetting(name: string, parent: pulumi.Resource): aws.apigateway.Account {
  const kept = { parent, retainOnDelete: true };
  const logsRole = new aws.iam.Role(
    `${name}-gateway-logs-role`,
    {
      description: "API Gateway writes access logs (account-wide setting)",
      assumeRolePolicy: JSON.stringify(assumeRolePolicy("apigateway.amazonaws.com")),
    },
    kept,
  );
  const attachment = new aws.iam.RolePolicyAttachment(
    `${name}-gateway-logs-policy`,
    { role: logsRole.name, policyArn: API_GATEWAY_LOGS_POLICY_ARN },
    kept,
  );
  return new aws.apigateway.Account(`${name}-gateway-account`, { cloudwatchRoleArn: logsRole.arn }, { ...kept, dependsOn: [attachment] });
}

/** The stage named after the stack: JSON access logs and X-Ray tracing. */
function createStage(
  name: string,
  stageName: string,
  restApi: aws.apigateway.RestApi,
  deployment: aws.apigateway.Deployment,
  accessLogs: aws.cloudwatch.LogGroup,
  dependsOn: pulumi.Resource[],
  parent: pulumi.Resource,
): aws.apigateway.Stage {
  return new aws.apigateway.Stage(
    `${name}-stage`,
    {
      restApi: restApi.id,
      deployment: deployment.id,
      stageName,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      // API Gateway samples requests into X-Ray and passes the trace on to the order API Lambda.
      xrayTracingEnabled: true,
    },
    { parent, dependsOn },
  );
}

/** The stage-wide throttle, with per-method metrics. */
function throttleStage(
  name: string,
  restApi: aws.apigateway.RestApi,
  stage: aws.apigateway.Stage,
  throttle: ApiTierArgs["throttle"],
  parent: pulumi.Resource,
): void {
  new aws.apigateway.MethodSettings(
    `${name}-throttling`,
    {
      restApi: restApi.id,
      stageName: stage.stageName,
      methodPath: "*/*",
      settings: { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit, metricsEnabled: true },
    },
    { parent },
  );
}
