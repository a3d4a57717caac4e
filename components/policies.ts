import { INVOICE_PREFIX } from "../runtime/contracts/env";
import { KEY_PREFIXES, TABLE_DESIGN } from "../runtime/contracts/table";

/**
 * IAM documents of the stack as pure functions of ARNs, so tests read exactly what each role may
 * do. Actions are the ones the runtime's handlers call; nothing is granted on "*" except actions
 * that have no resource-level form: ecr:GetAuthorizationToken (the worker's image pull) and the
 * two X-Ray trace writes of the Lambdas (policy/policies.ts names the same exceptions).
 */

/** One IAM statement. */
export interface Statement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  /** Absent only in trust policies, whose subject is the role itself. */
  readonly Resource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly Statement[];
}

const doc = (...statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/** The trust policy that lets one AWS service assume a role. */
export function assumeRolePolicy(service: "lambda.amazonaws.com" | "ecs-tasks.amazonaws.com" | "apigateway.amazonaws.com"): PolicyDocument {
  return doc({ Sid: "AssumeRole", Effect: "Allow", Principal: { Service: service }, Action: ["sts:AssumeRole"] });
}

/** Writing to one log group's streams. */
const logsStatement = (logGroupArn: string): Statement => ({
  Sid: "WriteOwnLogs",
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: `${logGroupArn}:*`,
});

/** What a Lambda with active tracing sends to X-Ray: its trace segments and the daemon's telemetry. */
export const XRAY_WRITE_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"] as const;

/**
 * Writing traces, for the Lambdas only (Active tracing, components/lambda.ts). X-Ray has no
 * resource-level permissions for these actions, so "*" is the only Resource IAM accepts.
 */
const traceWritingStatement: Statement = { Sid: "WriteTraces", Effect: "Allow", Action: [...XRAY_WRITE_ACTIONS], Resource: "*" };

/** ARN pattern of the invoice PDFs, the only objects the pipeline reads or writes. */
export const invoiceObjectsArn = (bucketArn: string): string => `${bucketArn}/${INVOICE_PREFIX}*`;

/** ARNs the order API Lambda works on. */
export interface ApiFunctionArns {
  readonly tableArn: string;
  readonly queueArn: string;
  readonly bucketArn: string;
  readonly linkKeyArn: string;
  readonly logGroupArn: string;
  /** The Secrets Manager secret holding the payment provider's keys (runtime/contracts/payments.ts PaymentSecret). */
  readonly paymentSecretArn: string;
  /** The business events bus it publishes on (components/event-bus.ts). */
  readonly eventBusArn: string;
}

/**
 * Partition key prefixes of the only items the order API may delete: an Idempotency-Key record
 * (runtime/domain/store.ts discardUnpaidOrder). An order item is never deleted by any role.
 */
export const API_DELETABLE_KEY_PREFIXES = [KEY_PREFIXES.idempotency] as const;

/**
 * No role may change or remove an audit record (`AUDIT#*`): an explicit Deny, which no Allow of the
 * same policy or another overrides. `actions` adds PutItem for the roles that never write one (a Put
 * on a taken key would replace the record; the API's own Put is conditional on attribute_not_exists).
 * IAM cannot require a write's condition expression, so the API's PutItem right could in principle
 * overwrite a record: that one gap is closed by the code (runtime/domain/audit.ts) alone.
 */
export function auditRecordsProtected(tableArn: string, alsoPut: boolean): Statement {
  return {
    Sid: "AuditRecordsAreAppendOnly",
    Effect: "Deny",
    Action: [...(alsoPut ? ["dynamodb:PutItem"] : []), "dynamodb:DeleteItem", "dynamodb:UpdateItem"],
    Resource: tableArn,
    Condition: { "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": [`${KEY_PREFIXES.audit}*`] } },
  };
}

/**
 * The order API: orders, idempotency records and catalog items (a TransactWriteItems is authorized
 * item by item: PutItem, UpdateItem, DeleteItem; DeleteItem only on an idempotency record), the catalog's prices of an order's lines in one
 * BatchGetItem, a customer's order history (Query on the byCustomer index), the catalog and the
 * orders awaiting payment (Query on the byState index), enqueue, presign invoice downloads (the URL
 * carries the role's GetObject right), verify links, read the payment provider's keys, publish order.paid,
 * write its traces.
 */
export function apiFunctionPolicy(a: ApiFunctionArns): PolicyDocument {
  return doc(
    {
      Sid: "OrdersTable",
      Effect: "Allow",
      Action: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      Resource: a.tableArn,
    },
    // Every partition key the request touches must be an idempotency record's (ForAllValues), so no order is ever deleted.
    {
      Sid: "DiscardIdempotencyKeys",
      Effect: "Allow",
      Action: ["dynamodb:DeleteItem"],
      Resource: a.tableArn,
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": API_DELETABLE_KEY_PREFIXES.map((p) => `${p}*`) } },
    },
    {
      Sid: "OrderHistory",
      Effect: "Allow",
      Action: ["dynamodb:Query"],
      Resource: `${a.tableArn}/index/${TABLE_DESIGN.customerIndex.name}`,
    },
    {
      Sid: "CatalogAndPaymentsDue",
      Effect: "Allow",
      Action: ["dynamodb:Query"],
      Resource: `${a.tableArn}/index/${TABLE_DESIGN.stateIndex.name}`,
    },
    {
      Sid: "AdminOrderListing",
      Effect: "Allow",
      Action: ["dynamodb:Query"],
      Resource: `${a.tableArn}/index/${TABLE_DESIGN.monthIndex.name}`,
    },
    auditRecordsProtected(a.tableArn, false),
    // The secret uses Secrets Manager's AWS managed key (aws/secretsmanager): no KMS grant is needed to read it.
    { Sid: "ReadPaymentSecret", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: a.paymentSecretArn },
    { Sid: "EnqueueOrders", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: a.queueArn },
    { Sid: "PresignInvoices", Effect: "Allow", Action: ["s3:GetObject"], Resource: invoiceObjectsArn(a.bucketArn) },
    {
      // A re-send copies the stored invoice onto itself (same bytes, a new version): S3 announces it to the
      // notifier. Only copies of the bucket's own invoices: the API can write no content of its own there.
      Sid: "ResendInvoicesByCopy",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: invoiceObjectsArn(a.bucketArn),
      Condition: { StringLike: { "s3:x-amz-copy-source": `${a.bucketArn.replace(/^arn:aws:s3:::/, "")}/${INVOICE_PREFIX}*` } },
    },
    { Sid: "VerifyInvoiceLinks", Effect: "Allow", Action: ["kms:VerifyMac"], Resource: a.linkKeyArn },
    publishEventsStatement(a.eventBusArn),
    logsStatement(a.logGroupArn),
    traceWritingStatement,
  );
}

/** ARNs the email notifier Lambda works on. */
export interface NotifierFunctionArns {
  readonly tableArn: string;
  /** The sender's SES identity; sending is granted on every identity of the account, pinned to this From address. */
  readonly senderIdentityArn: string;
  /** The SES configuration set every send names: SES authorizes the send against it too. */
  readonly configurationSetArn: string;
  /** The From address the notifier sends as (runtime ENV emailSender). */
  readonly sender: string;
  /** The on-failure destination of the notifier's asynchronous invocations. */
  readonly failureQueueArn: string;
  readonly linkKeyArn: string;
  readonly logGroupArn: string;
  /** The business events bus it publishes on (components/event-bus.ts). */
  readonly eventBusArn: string;
}

/** Every SES identity of the sender identity's account and region (`.../identity/*`). */
export function sesIdentitiesArn(senderIdentityArn: string): string {
  const m = /^(arn:[^:]+:ses:[^:]+:[^:]+:identity\/).+$/.exec(senderIdentityArn);
  if (!m) throw new Error(`not an SES identity ARN: ${senderIdentityArn}`);
  return `${m[1]}*`;
}

/**
 * The notifier: read the order, claim and mark it; send as the configured sender; sign links;
 * hand a failed event to its failure queue; publish email.sent; write its traces. In the SES sandbox SES authorizes a send against the
 * recipient's identity as well as the sender's, so sending is granted on the account's identities
 * with the From address pinned by condition; a send that names a configuration set is authorized
 * against the set as well, so the stack's set is named too. SES SendEmail (HTML and text parts, not raw MIME) is authorized as
 * ses:SendEmail alone (ses:SendRawEmail only for raw MIME), so nothing else is granted.
 */
export function notifierFunctionPolicy(a: NotifierFunctionArns): PolicyDocument {
  return doc(
    { Sid: "OrdersTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: a.tableArn },
    auditRecordsProtected(a.tableArn, true),
    {
      Sid: "SendAsSenderOnly",
      Effect: "Allow",
      Action: ["ses:SendEmail"],
      Resource: [sesIdentitiesArn(a.senderIdentityArn), a.configurationSetArn],
      Condition: { StringEquals: { "ses:FromAddress": a.sender } },
    },
    { Sid: "SignInvoiceLinks", Effect: "Allow", Action: ["kms:GenerateMac"], Resource: a.linkKeyArn },
    { Sid: "RecordFailedEvents", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: a.failureQueueArn },
    publishEventsStatement(a.eventBusArn),
    logsStatement(a.logGroupArn),
    traceWritingStatement,
  );
}

/** ARNs the email events Lambda works on. */
export interface EmailEventsFunctionArns {
  readonly tableArn: string;
  /** The on-failure destination of its asynchronous invocations (SNS invokes it asynchronously). */
  readonly failureQueueArn: string;
  readonly logGroupArn: string;
  /** The business events bus it publishes on (components/event-bus.ts). */
  readonly eventBusArn: string;
}

/**
 * The email events Lambda: record each SES event on its message and its order (UpdateItem), read the
 * order when the event is not about its current email (GetItem); Lambda hands a failed event to
 * the failure queue with the function's role; publish email.failed; write its logs and traces.
 */
export function emailEventsFunctionPolicy(a: EmailEventsFunctionArns): PolicyDocument {
  return doc(
    { Sid: "OrdersTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: a.tableArn },
    auditRecordsProtected(a.tableArn, true),
    { Sid: "RecordFailedEvents", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: a.failureQueueArn },
    publishEventsStatement(a.eventBusArn),
    logsStatement(a.logGroupArn),
    traceWritingStatement,
  );
}

/**
 * The topic SES publishes a configuration set's events to: SES may publish, for this account's set
 * only (the confused-deputy conditions AWS documents for SES event destinations).
 */
export function sesEventsTopicPolicy(a: { readonly topicArn: string; readonly configurationSetArn: string; readonly accountId: string }) {
  return doc({
    Sid: "SesPublishesTheSetsEvents",
    Effect: "Allow",
    Principal: { Service: "ses.amazonaws.com" },
    Action: ["SNS:Publish"],
    Resource: a.topicArn,
    Condition: { StringEquals: { "AWS:SourceAccount": a.accountId, "AWS:SourceArn": a.configurationSetArn } },
  });
}

/** ARNs the invoice worker's task role works on. */
export interface WorkerTaskArns {
  readonly tableArn: string;
  readonly queueArn: string;
  readonly bucketArn: string;
  /** The business events bus the worker publishes on; unset: no grant. */
  readonly eventBusArn?: string;
}

/** Publishing business events: PutEvents on the stack's own bus, and nothing else (no other bus, no default bus). */
export function publishEventsStatement(eventBusArn: string): Statement {
  return { Sid: "PublishEvents", Effect: "Allow", Action: ["events:PutEvents"], Resource: eventBusArn };
}

/**
 * The worker: consume the queue; number invoices (TransactWriteItems of a counter Put and an
 * order Update needs PutItem and UpdateItem); store the PDF. No X-Ray grant: the worker does not
 * trace (its task runs no X-Ray daemon sidecar to send segments to, so it has nothing to write).
 */
export function workerTaskPolicy(a: WorkerTaskArns): PolicyDocument {
  return doc(
    {
      Sid: "ConsumeOrders",
      Effect: "Allow",
      Action: ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:ReceiveMessage"],
      Resource: a.queueArn,
    },
    { Sid: "OrdersTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], Resource: a.tableArn },
    auditRecordsProtected(a.tableArn, true),
    { Sid: "StoreInvoices", Effect: "Allow", Action: ["s3:PutObject"], Resource: invoiceObjectsArn(a.bucketArn) },
    ...(a.eventBusArn ? [publishEventsStatement(a.eventBusArn)] : []),
  );
}

/** What ECS itself needs to start the worker: pull its image and write its logs. */
export function workerExecutionPolicy(a: { readonly repositoryArn: string; readonly logGroupArn: string }): PolicyDocument {
  return doc(
    { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
    {
      Sid: "PullWorkerImage",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: a.repositoryArn,
    },
    logsStatement(a.logGroupArn),
  );
}

/** The invoices bucket refuses every request that does not come over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return doc({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:*"],
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
}

/** The ECR repository ARN behind a repository URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
export function ecrRepositoryArn(repositoryUrl: string, partition = "aws"): string {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/.exec(repositoryUrl);
  if (!m) throw new Error(`not an ECR repository URL: ${repositoryUrl}`);
  return `arn:${partition}:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
}
