import { expect } from "chai";
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GenerateMacCommand } from "@aws-sdk/client-kms";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { PolicyDocument } from "../../components/policies";
import { createClients, destroyClients, type AwsClients } from "../../runtime/clients";
import { REGION, SENDER, useLocalAws } from "../helpers/aws";
import { startFaultProxy } from "../helpers/fault-proxy";
import { ACCOUNT, programRun } from "../helpers/pulumi-mocks";
import { evaluate, iamRequestsOf, readRecordedCalls, type RecordedCall } from "../helpers/iam-calls";
import { checkCalls, refusals, stackRoles, unusedGrants, type StackRoles } from "../helpers/iam-check";
import { PARTS } from "../../local/identities";

/** The calls moto logged since `t` (this process's call log: every moto it started writes there). */
const loggedSince = (t: number) => readRecordedCalls(process.env.MOTO_CALL_LOG_DIR!).filter((c) => c.t >= t);
const shape = (c: RecordedCall) => ({ key: c.key, service: c.service, action: c.action, params: c.params });
/**
 * Clients signing with a key that names no part: the log tests below make calls no code makes, and
 * signed as a part they would count as that part's use of its grants.
 */
const probe = (key: string, endpoint: string, maxAttempts?: number): AwsClients =>
  createClients({ region: REGION, endpoint, maxAttempts }, { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: "probe" });
const call = (o: Partial<RecordedCall> & Pick<RecordedCall, "key" | "service" | "action" | "params">): RecordedCall => ({
  region: REGION,
  t: 0,
  ...o,
});

describe("IAM check over every call the tests make (moto's call log, dev stack, @cloud-copilot/iam-simulate)", function () {
  this.timeout(120000);
  const ctx = useLocalAws();
  let roles: StackRoles;
  before(async () => {
    roles = stackRoles(await programRun("dev"));
  });

  it("logs each call with the key that signed it and what IAM authorizes it on, read from the request alone", async () => {
    // Prepare
    const t0 = Date.now();
    const { table, queueUrl, bucket, linkKeyId } = ctx.resources;
    const [api, worker, notifier] = ["probe-a", "probe-b", "probe-c"].map((key) => probe(key, ctx.moto.endpoint));
    // Act: each protocol once (JSON with X-Amz-Target, an Action= form, S3 REST, a presigned URL).
    await api.ddb.send(new PutCommand({ TableName: table, Item: { pk: "ORDER#log-1", gsi1pk: "CUST#log", gsi1sk: "1" } }));
    await api.ddb.send(new GetCommand({ TableName: table, Key: { pk: "ORDER#log-1" } }));
    await api.ddb.send(
      new QueryCommand({
        TableName: table,
        IndexName: "byCustomer",
        KeyConditionExpression: "#c = :c",
        ExpressionAttributeNames: { "#c": "gsi1pk" },
        ExpressionAttributeValues: { ":c": "CUST#log" },
      }),
    );
    await api.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: "IDEMP#log-1" } } },
          {
            Update: {
              TableName: table,
              Key: { pk: "ORDER#log-1" },
              UpdateExpression: "SET n = :n",
              ExpressionAttributeValues: { ":n": 1 },
            },
          },
        ],
      }),
    );
    await worker.ddb.send(new DeleteCommand({ TableName: table, Key: { pk: "ORDER#log-1" } }));
    await api.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "{}" }));
    await worker.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "invoices/log 1.pdf", Body: "%PDF" }));
    const link = await getSignedUrl(api.s3, new GetObjectCommand({ Bucket: bucket, Key: "invoices/log 1.pdf" }), { expiresIn: 60 });
    expect((await fetch(link)).status).to.equal(200);
    await notifier.kms.send(new GenerateMacCommand({ KeyId: linkKeyId, MacAlgorithm: "HMAC_SHA_256", Message: Buffer.from("x") }));
    await notifier.ses.send(
      new SendEmailCommand({
        Source: SENDER,
        Destination: { ToAddresses: ["alice@example.com"] },
        Message: { Subject: { Data: "s" }, Body: { Text: { Data: "t" } } },
        ConfigurationSetName: ctx.resources.configurationSet,
      }),
    );
    [api, worker, notifier].forEach(destroyClients);
    // Assess
    expect(loggedSince(t0).map(shape)).to.deep.equal([
      { key: "probe-a", service: "dynamodb", action: "PutItem", params: { TableName: table, LeadingKeys: ["ORDER#log-1"] } },
      { key: "probe-a", service: "dynamodb", action: "GetItem", params: { TableName: table, LeadingKeys: ["ORDER#log-1"] } },
      {
        key: "probe-a",
        service: "dynamodb",
        action: "Query",
        params: { TableName: table, IndexName: "byCustomer", LeadingKeys: ["CUST#log"] },
      },
      {
        key: "probe-a",
        service: "dynamodb",
        action: "TransactWriteItems",
        params: {
          TransactItems: [
            { Put: { TableName: table, LeadingKeys: ["IDEMP#log-1"] } },
            { Update: { TableName: table, LeadingKeys: ["ORDER#log-1"] } },
          ],
        },
      },
      { key: "probe-b", service: "dynamodb", action: "DeleteItem", params: { TableName: table, LeadingKeys: ["ORDER#log-1"] } },
      { key: "probe-a", service: "sqs", action: "SendMessage", params: { QueueUrl: queueUrl } },
      { key: "probe-b", service: "s3", action: "PutObject", params: { Bucket: bucket, Key: "invoices/log 1.pdf" } },
      { key: "probe-a", service: "s3", action: "GetObject", params: { Bucket: bucket, Key: "invoices/log 1.pdf" } },
      { key: "probe-c", service: "kms", action: "GenerateMac", params: { KeyId: linkKeyId } },
      {
        key: "probe-c",
        service: "ses",
        action: "SendEmail",
        params: {
          Source: SENDER,
          ConfigurationSetName: ctx.resources.configurationSet,
          Destination: { ToAddresses: ["alice@example.com"] },
        },
      },
    ]);
  });

  it("logs and judges the issue 15 calls: a catalog BatchGetItem, a byState Query, the payment secret read; the order API alone may make them", async () => {
    // Prepare: clients signing as no part (these calls are the log's test, not any code's use of a grant).
    const t0 = Date.now();
    const { table, paymentSecretId } = ctx.resources;
    const api = probe("probe-p", ctx.moto.endpoint);
    const secrets = new SecretsManagerClient({
      region: REGION,
      endpoint: ctx.moto.endpoint,
      credentials: { accessKeyId: "probe-p", secretAccessKey: "probe" },
    });
    try {
      // Act
      await api.ddb.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: [{ pk: "PRODUCT#sku-1" }, { pk: "PRODUCT#sku-2" }, { pk: "SHIP#std" }] } },
        }),
      );
      await api.ddb.send(
        new QueryCommand({
          TableName: table,
          IndexName: "byState",
          KeyConditionExpression: "gsi2pk = :s AND gsi2sk < :now",
          ExpressionAttributeValues: { ":s": "PAYMENT_DUE", ":now": "2026-12-04T00:00:00Z" },
        }),
      );
      const secret = await secrets.send(new GetSecretValueCommand({ SecretId: paymentSecretId }));
      // Assess: the secret holds the run's keys; the log has what IAM authorizes on.
      expect(JSON.parse(secret.SecretString!)).to.deep.equal(ctx.resources.paymentKeys);
      const logged = loggedSince(t0).map(shape);
      expect(logged).to.deep.equal([
        {
          key: "probe-p",
          service: "dynamodb",
          action: "BatchGetItem",
          params: { RequestItems: [table], BatchLeadingKeys: { [table]: ["PRODUCT#sku-1", "PRODUCT#sku-2", "SHIP#std"] } },
        },
        {
          key: "probe-p",
          service: "dynamodb",
          action: "Query",
          params: { TableName: table, IndexName: "byState", LeadingKeys: ["PAYMENT_DUE"] },
        },
        { key: "probe-p", service: "secretsmanager", action: "GetSecretValue", params: { SecretId: paymentSecretId } },
      ]);
      // ... judged as if each part had made them: the order API only.
      const verdicts: Record<string, string[]> = {};
      for (const part of PARTS) {
        const asPart = logged.map((c) => call({ ...c, key: part }));
        verdicts[part] = (await checkCalls(asPart, roles)).judged.map((j) => `${j.request.action} ${j.request.resource} ${j.verdict}`);
      }
      const judgedAs = (verdict: string) => [
        `dynamodb:BatchGetItem ${roles.arns.table} ${verdict}`,
        `dynamodb:Query ${roles.arns.table}/index/byState ${verdict}`,
        `secretsmanager:GetSecretValue ${roles.arns.paymentSecret} ${verdict}`,
      ];
      expect(verdicts).to.deep.equal({
        "order-api": judgedAs("Allowed"),
        "invoice-worker": judgedAs("ImplicitlyDenied"),
        "email-notifier": judgedAs("ImplicitlyDenied"),
        "email-events": judgedAs("ImplicitlyDenied"),
      });
    } finally {
      destroyClients(api);
      secrets.destroy();
    }
  });

  it("judges a secret read by the stack secret its local name stands for, and cannot judge a secret the stack lacks", async () => {
    const read = (SecretId: string) =>
      call({ key: "order-api", service: "secretsmanager", action: "GetSecretValue", params: { SecretId } });
    const byName = iamRequestsOf(read("shop-dev-1a2b3c-payment-keys"), roles.arns);
    const byArn = iamRequestsOf(read(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:test-payment-keys-Xy12Zw`), roles.arns);
    expect([byName, byArn].map((rs) => rs.map((r) => r.resource))).to.deep.equal([[roles.arns.paymentSecret], [roles.arns.paymentSecret]]);
    const check = await checkCalls([read("someone-elses-secret")], roles);
    expect(refusals(check, roles)).to.deep.equal([
      "order-api: secretsmanager:GetSecretValue cannot be judged: no stack secret for someone-elses-secret: local/provision.ts names none like it",
    ]);
  });

  it("logs a call the fault proxy failed before it reached moto: the code made it all the same", async () => {
    const proxy = await startFaultProxy(ctx.moto.endpoint);
    const worker = probe("probe-b", proxy.url, 1);
    try {
      const t0 = Date.now();
      proxy.arm({ service: "dynamodb", action: "DeleteItem", fault: { kind: "fail", status: 500 } });
      const error = await worker.ddb.send(new DeleteCommand({ TableName: ctx.resources.table, Key: { pk: "ORDER#log-fault" } })).then(
        () => undefined,
        (e: { $metadata?: { httpStatusCode?: number } }) => e,
      );
      expect(error?.$metadata?.httpStatusCode).to.equal(500);
      expect(loggedSince(t0).map(shape)).to.deep.equal([
        {
          key: "probe-b",
          service: "dynamodb",
          action: "DeleteItem",
          params: { TableName: ctx.resources.table, LeadingKeys: ["ORDER#log-fault"] },
        },
      ]);
    } finally {
      destroyClients(worker);
      await proxy.close();
    }
  });

  it("names the part, its call and the action its role lacks: the worker's abandon of a keyless intake under the policy that missed it", async () => {
    // The worker's policy as it was before it granted DeleteItem (issue #19, point 3).
    const withoutDelete: PolicyDocument = {
      ...roles.policies["invoice-worker"],
      Statement: roles.policies["invoice-worker"].Statement.filter((s) => !s.Action.includes("dynamodb:DeleteItem")),
    };
    const before = { ...roles, policies: { ...roles.policies, "invoice-worker": withoutDelete } };
    const abandon = call({
      key: "invoice-worker",
      service: "dynamodb",
      action: "DeleteItem",
      params: { TableName: "test-orders", LeadingKeys: ["ORDER#ord_1"] },
      t: 5,
    });
    const check = await checkCalls([abandon], before);
    expect(refusals(check, before, (t) => `the test running at ${t}`)).to.deep.equal([
      `invoice-worker (role ${roles.roleNames["invoice-worker"]}): dynamodb:DeleteItem needs dynamodb:DeleteItem on ${roles.arns.table}` +
        ` with {"dynamodb:LeadingKeys":["ORDER#ord_1"]}, which the dev stack's policy does not grant (ImplicitlyDenied)` +
        ` [first made during: the test running at 5]`,
    ]);
  });

  it("lets the worker delete nothing of the table (no role deletes an order; the API only an idempotency record)", async () => {
    const deletes = ["ORDER#ord_1", "IDEMP#cust#keyhash", "COUNTER#invoice", "PRODUCT#MUG-01"].map((pk) =>
      call({ key: "invoice-worker", service: "dynamodb", action: "DeleteItem", params: { TableName: "test-orders", LeadingKeys: [pk] } }),
    );
    const check = await checkCalls(deletes, roles);
    expect(check.judged.map((j) => [j.request.context["dynamodb:LeadingKeys"][0], j.verdict])).to.deep.equal([
      ["ORDER#ord_1", "ImplicitlyDenied"],
      ["IDEMP#cust#keyhash", "ImplicitlyDenied"],
      ["COUNTER#invoice", "ImplicitlyDenied"],
      ["PRODUCT#MUG-01", "ImplicitlyDenied"],
    ]);
  });

  it("lets no part update or delete an audit record, and only the order API put one (its put is conditional on a new key)", async () => {
    const calls = PARTS.flatMap((part) =>
      ["PutItem", "UpdateItem", "DeleteItem"].map((action) =>
        call({
          key: part,
          service: "dynamodb",
          action,
          params: { TableName: "test-orders", LeadingKeys: ["AUDIT#2026-12-02#0000abcdef"] },
        }),
      ),
    );
    const check = await checkCalls(calls, roles);
    const verdicts: Record<string, string[]> = {};
    for (const j of check.judged) (verdicts[j.part] ??= []).push(`${j.request.action} ${j.verdict}`);
    expect(verdicts).to.deep.equal({
      "order-api": ["dynamodb:PutItem Allowed", "dynamodb:UpdateItem ExplicitlyDenied", "dynamodb:DeleteItem ExplicitlyDenied"],
      "invoice-worker": [
        "dynamodb:PutItem ExplicitlyDenied",
        "dynamodb:UpdateItem ExplicitlyDenied",
        "dynamodb:DeleteItem ExplicitlyDenied",
      ],
      "email-notifier": [
        "dynamodb:PutItem ExplicitlyDenied",
        "dynamodb:UpdateItem ExplicitlyDenied",
        "dynamodb:DeleteItem ExplicitlyDenied",
      ],
      "email-events": ["dynamodb:PutItem ExplicitlyDenied", "dynamodb:UpdateItem ExplicitlyDenied", "dynamodb:DeleteItem ExplicitlyDenied"],
    });
  });

  it("judges only the parts' calls: the tests' own setup and checks are counted, not judged", async () => {
    const check = await checkCalls(
      [
        call({ key: "testing", service: "dynamodb", action: "Scan", params: { TableName: "test-orders" } }),
        call({
          key: "order-api",
          service: "dynamodb",
          action: "GetItem",
          params: { TableName: "test-orders", LeadingKeys: ["ORDER#ord_1"] },
        }),
      ],
      roles,
    );
    expect(check.notByParts).to.deep.equal({ testing: 1 });
    expect(check.judged.map((j) => [j.part, j.request.action, j.verdict])).to.deep.equal([["order-api", "dynamodb:GetItem", "Allowed"]]);
  });

  it("cannot be fooled by what the log lacks: no partition key, an unknown action or a local-only resource fails the check", async () => {
    const check = await checkCalls(
      [
        call({ key: "invoice-worker", service: "dynamodb", action: "DeleteItem", params: { TableName: "test-orders", LeadingKeys: [] } }),
        call({ key: "invoice-worker", service: "dynamodb", action: "BatchWriteItem", params: { RequestItems: ["test-orders"] } }),
        call({ key: "email-notifier", service: "sqs", action: "ReceiveMessage", params: { QueueUrl: "http://x/1/test-invoice-events" } }),
      ],
      roles,
    );
    expect(check.judged).to.deep.equal([]);
    expect(refusals(check, roles)).to.deep.equal([
      "invoice-worker: dynamodb:DeleteItem cannot be judged: the call log has no partition key for dynamodb:DeleteItem on test-orders",
      "invoice-worker: dynamodb:BatchWriteItem cannot be judged: no IAM mapping for dynamodb BatchWriteItem: add it to test/helpers/iam-calls.ts",
      "email-notifier: sqs:ReceiveMessage cannot be judged: the local queue test-invoice-events has no counterpart in the stack (a local stand-in): no part may call it",
    ]);
  });

  it("asks a reason for every grant no call uses, and refuses a stale one", async () => {
    const check = await checkCalls(
      [call({ key: "invoice-worker", service: "sqs", action: "ReceiveMessage", params: { QueueUrl: "http://x/1/test-orders" } })],
      roles,
    );
    const reasons = {
      "order-api": {},
      "email-notifier": {},
      "email-events": {},
      "invoice-worker": { "sqs:ReceiveMessage": "stale", "sqs:DeleteMessage": "why" },
    };
    const { unused, problems } = unusedGrants(check, roles, reasons);
    expect(unused["invoice-worker"]).to.include("sqs:DeleteMessage");
    expect(unused["invoice-worker"]).to.not.include("sqs:ReceiveMessage");
    expect(problems).to.include(
      "invoice-worker: sqs:ChangeMessageVisibility is granted but no recorded call uses it; remove the grant or give a reason in GRANTED_BUT_NOT_CALLED",
    );
    expect(problems).to.include("invoice-worker: GRANTED_BUT_NOT_CALLED gives a reason for sqs:ReceiveMessage, which is called: remove it");
    expect(problems.filter((p) => p.includes("sqs:DeleteMessage"))).to.deep.equal([]);
  });

  it("is not vacuous: the sender-only SES grant the stack had before is refused by the sandbox rule, and the From pin holds", async () => {
    const sender = (await programRun("dev")).one("aws:sesv2/emailIdentity:EmailIdentity").inputs.emailIdentity;
    // The tests send as the dev stack file's (placeholder) sender, which stands for the shop's own in the deployed stack.
    expect(roles.arns.senders, "the tests' sender is judged as the dev stack's sender").to.deep.equal({ [SENDER]: sender });
    const send = call({
      key: "email-notifier",
      service: "ses",
      action: "SendEmail",
      params: { Source: SENDER, Destination: { ToAddresses: ["alice@example.com"] } },
    });
    const requests = iamRequestsOf(send, roles.arns);
    const principal = roles.principals["email-notifier"];
    const senderOnly: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "SendAsSender", Effect: "Allow", Action: ["ses:SendEmail"], Resource: `${roles.arns.sesIdentityPrefix}${sender}` },
      ],
    };
    const verdicts = async (policy: PolicyDocument, rs = requests) => Promise.all(rs.map((r) => evaluate(policy, r, principal, ACCOUNT)));
    expect(await verdicts(roles.policies["email-notifier"])).to.deep.equal(["Allowed", "Allowed"]);
    expect(await verdicts(senderOnly)).to.deep.equal(["Allowed", "ImplicitlyDenied"]);
    const spoofed = requests.map((r) => ({ ...r, context: { ...r.context, "ses:FromAddress": "someone-else@shop.example" } }));
    expect(await verdicts(roles.policies["email-notifier"], spoofed)).to.deep.equal(["ImplicitlyDenied", "ImplicitlyDenied"]);
  });

  it("judges a send that names a configuration set on the set too, as IAM does: the stack's own set only", async () => {
    const stackSet = (await programRun("dev")).one("aws:sesv2/configurationSet:ConfigurationSet").state.arn;
    // The local set (<prefix>-mail) stands for the stack's only one, as local names stand for the stack's ARNs.
    expect(roles.arns.configurationSets).to.deep.equal({ "shop-dev-mail": stackSet });
    const send = (ConfigurationSetName: string) =>
      call({
        key: "email-notifier",
        service: "ses",
        action: "SendEmail",
        params: { Source: SENDER, ConfigurationSetName, Destination: { ToAddresses: ["alice@example.com"] } },
      });
    const requests = iamRequestsOf(send(ctx.resources.configurationSet), roles.arns);
    expect(requests.map((r) => [r.resource, r.origin])).to.deep.equal([
      [`${roles.arns.sesIdentityPrefix}${roles.arns.senders[SENDER]}`, "call"],
      [`${roles.arns.sesIdentityPrefix}alice@example.com`, "SES sandbox: recipient identity"],
      [stackSet, "configuration set"],
    ]);
    const principal = roles.principals["email-notifier"];
    const verdicts = async (policy: PolicyDocument) => Promise.all(requests.map((r) => evaluate(policy, r, principal, ACCOUNT)));
    expect(await verdicts(roles.policies["email-notifier"])).to.deep.equal(["Allowed", "Allowed", "Allowed"]);
    // The notifier's policy without the set in its SendEmail resources: the send is refused on the set.
    const withoutSet: PolicyDocument = {
      ...roles.policies["email-notifier"],
      Statement: roles.policies["email-notifier"].Statement.map((st) =>
        st.Action.includes("ses:SendEmail")
          ? { ...st, Resource: ([] as string[]).concat(st.Resource ?? []).filter((r) => r !== stackSet) }
          : st,
      ),
    };
    expect(await verdicts(withoutSet)).to.deep.equal(["Allowed", "Allowed", "ImplicitlyDenied"]);
    // A set the stack does not have cannot be judged: the check fails on it rather than passing it unseen.
    const check = await checkCalls([send("someone-elses-set")], roles);
    expect(refusals(check, roles)).to.deep.equal([
      "email-notifier: ses:SendEmail cannot be judged: no stack configuration set for someone-elses-set: local/provision.ts names none like it",
    ]);
  });

  it('lets the three Lambda roles write traces on "*" (no SDK call to record: the daemon sends them), and not the worker', async () => {
    const verdicts: Record<string, string> = {};
    for (const part of PARTS) {
      for (const action of ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]) {
        verdicts[`${part} ${action}`] = await evaluate(
          roles.policies[part],
          { action, resource: "*", context: {}, origin: "Lambda X-Ray daemon" },
          roles.principals[part],
          ACCOUNT,
        );
      }
    }
    expect(verdicts).to.deep.equal({
      "order-api xray:PutTraceSegments": "Allowed",
      "order-api xray:PutTelemetryRecords": "Allowed",
      "email-notifier xray:PutTraceSegments": "Allowed",
      "email-notifier xray:PutTelemetryRecords": "Allowed",
      "email-events xray:PutTraceSegments": "Allowed",
      "email-events xray:PutTelemetryRecords": "Allowed",
      "invoice-worker xray:PutTraceSegments": "ImplicitlyDenied",
      "invoice-worker xray:PutTelemetryRecords": "ImplicitlyDenied",
    });
  });
});

for (const stack of ["dev", "prod"] as const) {
  describe(`retention: no role of the ${stack} stack can delete an issued invoice or its order (@cloud-copilot/iam-simulate)`, () => {
    let run: Awaited<ReturnType<typeof programRun>>;
    let policies: { name: string; policy: PolicyDocument }[];
    before(async () => {
      run = await programRun(stack);
      policies = run.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => ({ name: p.name, policy: JSON.parse(p.inputs.policy) }));
    });
    const principal = `arn:aws:iam::${ACCOUNT}:role/any`;
    const verdicts = async (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      Object.fromEntries(
        await Promise.all(
          policies.map(async (p) => [
            p.name,
            await evaluate(p.policy, { action, resource, context, origin: "retention" }, principal, ACCOUNT),
          ]),
        ),
      );
    const none = (v: Record<string, string>) => Object.entries(v).filter(([, verdict]) => verdict === "Allowed");

    it("covers every role the stack gives a policy: five inline policies, and the API Gateway logging role's managed one (logs only)", () => {
      expect(policies.map((p) => p.name.replace(`shop-${stack}-`, "")).sort()).to.deep.equal([
        "api-handler-policy",
        "mail-handler-policy",
        "notify-handler-policy",
        "worker-execution-policy",
        "worker-task-policy",
      ]);
      expect(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn)).to.deep.equal([
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
      ]);
    });

    const objectActions = [
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:PutObjectRetention",
      "s3:BypassGovernanceRetention",
      "s3:PutObjectLegalHold",
    ];
    for (const action of objectActions) {
      it(`lets no role ${action} on an invoice`, async () => {
        const bucket = run.one("aws:s3/bucket:Bucket").state.arn;
        expect(none(await verdicts(action, `${bucket}/invoices/ord_1.pdf`))).to.deep.equal([]);
      });
    }

    it("lets only the worker write an invoice's content; the order API may only copy a stored invoice (its re-send)", async () => {
      const bucket = run.one("aws:s3/bucket:Bucket").state.arn;
      const bucketName = bucket.replace("arn:aws:s3:::", "");
      const writers = async (context: Record<string, string>) =>
        none(await verdicts("s3:PutObject", `${bucket}/invoices/ord_1.pdf`, context)).map(([name]) => name.replace(`shop-${stack}-`, ""));
      expect(await writers({})).to.deep.equal(["worker-task-policy"]);
      expect(await writers({ "s3:x-amz-copy-source": `${bucketName}/invoices/ord_1.pdf` })).to.deep.equal([
        "api-handler-policy",
        "worker-task-policy",
      ]);
      expect(await writers({ "s3:x-amz-copy-source": `some-other-bucket/invoices/ord_1.pdf` })).to.deep.equal(["worker-task-policy"]);
      expect(await writers({ "s3:x-amz-copy-source": `${bucketName}/exports/x.pdf` })).to.deep.equal(["worker-task-policy"]);
    });

    const bucketActions = [
      "s3:PutBucketObjectLockConfiguration",
      "s3:PutLifecycleConfiguration",
      "s3:PutBucketVersioning",
      "s3:DeleteBucket",
    ];
    for (const action of bucketActions) {
      it(`lets no role ${action} on the invoices bucket`, async () => {
        expect(none(await verdicts(action, run.one("aws:s3/bucket:Bucket").state.arn))).to.deep.equal([]);
      });
    }

    it("lets no role DeleteItem an order (alone, or beside a key record in one request); only the API deletes, and only an idempotency record", async () => {
      const table = run.one("aws:dynamodb/table:Table").state.arn;
      const del = (...keys: string[]) => verdicts("dynamodb:DeleteItem", table, { "dynamodb:LeadingKeys": keys });
      expect(none(await del("ORDER#ord_1"))).to.deep.equal([]);
      expect(none(await del("IDEMP#cust#kh", "ORDER#ord_1"))).to.deep.equal([]);
      expect(none(await del("COUNTER#invoice"))).to.deep.equal([]);
      // Not vacuous: the API's one delete is allowed.
      expect(none(await del("AUDIT#2026-12-02#0000abcdef"))).to.deep.equal([]);
      expect(none(await del("IDEMP#cust#kh", "AUDIT#2026-12-02#0000abcdef"))).to.deep.equal([]);
      expect(none(await del("IDEMP#cust#kh")).map(([name]) => name)).to.deep.equal([`shop-${stack}-api-handler-policy`]);
    });

    it("lets no role UpdateItem or DeleteItem an audit record, alone or beside an order; only the API may PutItem one", async () => {
      const table = run.one("aws:dynamodb/table:Table").state.arn;
      const on = (action: string, ...keys: string[]) => verdicts(action, table, { "dynamodb:LeadingKeys": keys });
      const audit = "AUDIT#2026-12-02#0000abcdef";
      for (const action of ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]) {
        expect(none(await on(action, audit)), action).to.deep.equal([]);
        expect(none(await on(action, "ORDER#ord_1", audit)), action).to.deep.equal([]);
      }
      expect(none(await on("dynamodb:PutItem", audit)).map(([name]) => name)).to.deep.equal([`shop-${stack}-api-handler-policy`]);
      // Not vacuous: the same roles still update an order.
      expect(none(await on("dynamodb:UpdateItem", "ORDER#ord_1")).length).to.equal(4);
    });
  });
}
