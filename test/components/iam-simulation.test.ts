import { expect } from "chai";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createClients, destroyClients, type AwsCallRecord, type AwsClients } from "../../runtime/clients";
import { provisionLocalResources, runtimeEnv } from "../../local/provision";
import { localStackSettings } from "../../local/stack-settings";
import { LocalInbox } from "../../local/inbox";
import { kmsLinkSigner } from "../../runtime/invoices/link";
import { handleApiRequest } from "../../runtime/handlers/order-api";
import { startWorkerLoop } from "../../runtime/handlers/worker-loop";
import { handleS3Event } from "../../runtime/handlers/email-notifier";
import { handleEmailEvents } from "../../runtime/handlers/email-events";
import { sentMessages, sesEventsFor, snsNotification } from "../../local/ses-events";
import type { PolicyDocument } from "../../components/policies";
import { motoServer, type LocalAws } from "../helpers/aws";
import { apiDeps, emailEventsDeps, notifierDeps, tableItems, workerDeps } from "../helpers/deps";
import { apiEvent, getOrder, orderBody, postOrder, s3Event } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import { ACCOUNT, programRun, type ProgramRun } from "../helpers/pulumi-mocks";
import { defaultKeyPolicy, evaluate, iamRequestsOf, type ArnMap, type IamRequest } from "../helpers/iam-calls";

type Role = "api" | "notifier" | "emailEvents" | "worker";
/** Each role's inline policy in the mocked stack. */
const POLICY_OF: Record<Role, string> = {
  api: "-api-handler-policy",
  notifier: "-notify-handler-policy",
  emailEvents: "-mail-handler-policy",
  worker: "-worker-task-policy",
};
const ROLE_OF: Record<Role, string> = {
  api: "-api-handler-role",
  notifier: "-notify-handler-role",
  emailEvents: "-mail-handler-role",
  worker: "-worker-task-role",
};

/** Active tracing: the code hands its segments to Lambda's X-Ray daemon over UDP, which calls X-Ray with the function's role. */
const XRAY_DAEMON =
  "Lambda's X-Ray daemon sends the function's trace segments and telemetry with its role; the code reaches it over UDP, not through an SDK call";

/** Granted actions the code never calls itself, each with the reason it is granted anyway. */
const UNUSED_WITH_REASON: Record<Role, Record<string, string>> = {
  api: {
    "dynamodb:DeleteItem": "drops the idempotency record when the enqueue fails (a fault path: test/runtime/handlers/order-api.test.ts)",
    "logs:CreateLogStream": "the Lambda runtime writes the function's logs with its role",
    "logs:PutLogEvents": "the Lambda runtime writes the function's logs with its role",
    "xray:PutTelemetryRecords": XRAY_DAEMON,
    "xray:PutTraceSegments": XRAY_DAEMON,
  },
  notifier: {
    "sqs:SendMessage": "Lambda sends a failed asynchronous event to the on-failure destination with the function's role",
    "logs:CreateLogStream": "the Lambda runtime writes the function's logs with its role",
    "logs:PutLogEvents": "the Lambda runtime writes the function's logs with its role",
    "xray:PutTelemetryRecords": XRAY_DAEMON,
    "xray:PutTraceSegments": XRAY_DAEMON,
  },
  emailEvents: {
    "dynamodb:GetItem":
      "reads the order when an event is not about its current email (a late event of a re-sent email, one not recorded yet: test/runtime/handlers/email-events.test.ts)",
    "sqs:SendMessage": "Lambda sends a failed asynchronous event to the on-failure destination with the function's role",
    "logs:CreateLogStream": "the Lambda runtime writes the function's logs with its role",
    "logs:PutLogEvents": "the Lambda runtime writes the function's logs with its role",
    "xray:PutTelemetryRecords": XRAY_DAEMON,
    "xray:PutTraceSegments": XRAY_DAEMON,
  },
  worker: {
    "sqs:ChangeMessageVisibility":
      "hands back a failed message with a backoff, or one received while stopping (test/runtime/handlers/invoice-worker.test.ts, test/invoice-container/main.test.ts)",
  },
};

describe("IAM simulated against the calls the code makes (dev stack, @cloud-copilot/iam-simulate)", function () {
  this.timeout(120000);
  let stack: ProgramRun;
  const calls: { role: Role; call: AwsCallRecord }[] = [];
  const requests: { role: Role; request: IamRequest; verdict: string }[] = [];
  const policies = {} as Record<Role, PolicyDocument>;
  let arns: ArnMap;
  const clientsOf = {} as Record<Role, AwsClients>;
  let ctx: LocalAws;

  before(async () => {
    // The exact policies the Pulumi program grants, from the mocked dev stack.
    stack = await programRun("dev");
    for (const role of Object.keys(POLICY_OF) as Role[])
      policies[role] = JSON.parse(stack.one("aws:iam/rolePolicy:RolePolicy", POLICY_OF[role]).inputs.policy);

    // The pipeline's resources on moto, named as the dev stack would be used (its sender, its settings).
    const dev = localStackSettings("dev");
    const moto = await motoServer();
    await moto.reset();
    const setup = createClients({ region: dev.region, endpoint: moto.endpoint });
    const ddbRaw = new DynamoDBClient({ region: dev.region, endpoint: moto.endpoint });
    const resources = await provisionLocalResources(setup, ddbRaw, {
      prefix: "iam",
      region: dev.region,
      maxReceiveCount: dev.maxReceiveCount,
      visibilityTimeoutSeconds: dev.visibilityTimeoutSeconds,
      sender: dev.sender,
      bucketEventsQueue: false,
    });
    const env = runtimeEnv(resources, {
      region: dev.region,
      endpoint: moto.endpoint,
      linkBaseUrl: "https://api.shop.example/dev",
      taxRateBps: dev.taxRateBps,
      seller: dev.seller,
    });
    ctx = { moto, clients: setup, ddbRaw, resources, env };
    const keyArn = stack.one("aws:kms/key:Key").state.arn;
    arns = {
      tables: { [resources.table]: stack.one("aws:dynamodb/table:Table").state.arn },
      queues: {
        [resources.queueUrl]: stack.one("aws:sqs/queue:Queue", "-orders").state.arn,
        [resources.dlqUrl]: stack.one("aws:sqs/queue:Queue", "-dlq").state.arn,
      },
      buckets: { [resources.bucket]: stack.one("aws:s3/bucket:Bucket").state.arn },
      keys: { [resources.linkKeyId]: keyArn, [keyArn]: keyArn },
      sesIdentityPrefix: stack.one("aws:sesv2/emailIdentity:EmailIdentity").state.arn.replace(/identity\/.*$/, "identity/"),
      configurationSets: { [resources.configurationSet]: stack.one("aws:sesv2/configurationSet:ConfigurationSet").state.arn },
    };
    for (const role of Object.keys(POLICY_OF) as Role[]) {
      clientsOf[role] = createClients({ region: dev.region, endpoint: moto.endpoint, onCall: (call) => calls.push({ role, call }) });
    }

    // Act: one order end to end, each part with its own recorded clients.
    const api = apiDeps(ctx, {
      ddb: clientsOf.api.ddb,
      sqs: clientsOf.api.sqs,
      s3: clientsOf.api.s3,
      links: kmsLinkSigner(clientsOf.api.kms, resources.linkKeyId),
    });
    const headers = { "Idempotency-Key": "iam-simulation-1" };
    const created = await handleApiRequest(postOrder(orderBody(), { headers }), api);
    expect(created.statusCode).to.equal(202);
    expect((await handleApiRequest(postOrder(orderBody(), { headers }), api)).statusCode).to.equal(202);
    const orderId = JSON.parse(created.body).orderId as string;

    const loop = startWorkerLoop(workerDeps(ctx, { ddb: clientsOf.worker.ddb, sqs: clientsOf.worker.sqs, s3: clientsOf.worker.s3 }));
    const invoiced = await waitUntil(
      async () => (await tableItems(ctx)).some((i) => i.pk === `ORDER#${orderId}` && i.status === "INVOICED"),
      30000,
      100,
    );
    await loop.stop();
    expect(invoiced, "order invoiced").to.equal(true);

    const notifier = notifierDeps(ctx, {
      ddb: clientsOf.notifier.ddb,
      ses: clientsOf.notifier.ses,
      links: kmsLinkSigner(clientsOf.notifier.kms, resources.linkKeyId),
    });
    const invoiceKey = ((await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`) as { invoiceKey: string }).invoiceKey;
    const outcome = await handleS3Event(s3Event(resources.bucket, [invoiceKey]), notifier);
    expect(outcome.sent).to.equal(1);

    // What SES reports for that email (as its configuration set publishes it), recorded by the email events Lambda.
    const [sent] = (await sentMessages(moto.endpoint))!.messages;
    for (const e of sesEventsFor(sent, new Date(), { region: dev.region, accountId: ACCOUNT })) {
      const counts = await handleEmailEvents(
        snsNotification(e, "arn:aws:sns:eu-central-1:123456789012:events"),
        emailEventsDeps(ctx, { ddb: clientsOf.emailEvents.ddb }),
      );
      expect(counts.delivered).to.equal(1);
    }

    expect((await handleApiRequest(getOrder(orderId), api)).statusCode).to.equal(200);
    // The customer's order history (the byCustomer index).
    expect((await handleApiRequest(apiEvent({ method: "GET", resource: "/orders", path: "/orders" }), api)).statusCode).to.equal(200);
    const link = new URL((await new LocalInbox(moto.endpoint).list())[0].invoiceLink!);
    const viaLink = await handleApiRequest(
      apiEvent({
        method: "GET",
        resource: "/invoices/{orderId}",
        path: link.pathname,
        pathParameters: { orderId },
        query: Object.fromEntries(link.searchParams),
        claims: null,
      }),
      api,
    );
    expect(viaLink.statusCode).to.equal(302);

    // Assess: every recorded call, as IAM would see it, under the role's exact policy (and the
    // link key's key policy: the program sets none, so KMS applies its default, which defers to IAM).
    const key = stack.one("aws:kms/key:Key").inputs;
    expect(key.policy).to.equal(undefined);
    for (const { role, call } of calls) {
      const principal = stack.one("aws:iam/role:Role", ROLE_OF[role]).state.arn;
      for (const request of iamRequestsOf(call, arns)) {
        const resourcePolicy = request.action.startsWith("kms:") ? defaultKeyPolicy(ACCOUNT) : undefined;
        requests.push({ role, request, verdict: await evaluate(policies[role], request, principal, ACCOUNT, resourcePolicy) });
      }
    }
    destroyClients(setup);
    ddbRaw.destroy();
    for (const c of Object.values(clientsOf)) destroyClients(c);
  });

  it("allows every call each part made, and the SES sandbox's recipient-identity checks", () => {
    const denied = requests
      .filter((r) => r.verdict !== "Allowed")
      .map((r) => `${r.role}: ${r.request.action} on ${r.request.resource} (${r.request.origin}) -> ${r.verdict}`);
    expect(denied).to.deep.equal([]);
    // The run reached every part, and the sandbox rule was modelled.
    expect(new Set(requests.map((r) => r.role))).to.deep.equal(new Set(["api", "worker", "notifier", "emailEvents"]));
    expect(requests.some((r) => r.request.origin.startsWith("SES sandbox"))).to.equal(true);
    expect(requests.some((r) => r.request.origin === "configuration set")).to.equal(true);
  });

  it("calls every granted action at least once, or lists it with a reason", () => {
    const report: string[] = [];
    let unusedCount = 0;
    for (const role of Object.keys(POLICY_OF) as Role[]) {
      const granted = [...new Set(policies[role].Statement.flatMap((s) => s.Action))].sort();
      const called = new Set(requests.filter((r) => r.role === role).map((r) => r.request.action));
      const unused = granted.filter((a) => !called.has(a));
      unusedCount += unused.length;
      // Every unused grant has a reason, and no reason is stale (for an action now called or no longer granted).
      expect(unused, `${role}: granted but never called`).to.deep.equal(Object.keys(UNUSED_WITH_REASON[role]).sort());
      report.push(`${role}: ${unused.length ? unused.join(", ") : "none"}`);
    }
    const allowed = requests.filter((r) => r.verdict === "Allowed").length;
    console.log(
      `      IAM simulation: ${calls.length} calls (${requests.length} requests) checked, ${allowed} allowed, ${unusedCount} granted-but-unused (${report.join("; ")})`,
    );
  });

  it("is not vacuous: the sender-only SES grant the stack had before is refused by the sandbox rule", async () => {
    const principal = stack.one("aws:iam/role:Role", ROLE_OF.notifier).state.arn;
    const senderOnly: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "SendAsSender",
          Effect: "Allow",
          Action: ["ses:SendEmail"],
          Resource: stack.one("aws:sesv2/emailIdentity:EmailIdentity").state.arn,
        },
      ],
    };
    const ses = requests.filter((r) => r.role === "notifier" && r.request.action === "ses:SendEmail");
    const verdicts = await Promise.all(ses.map((r) => evaluate(senderOnly, r.request, principal, ACCOUNT)));
    expect(verdicts).to.include("ImplicitlyDenied");
    // And the From pin holds: the same send from another address is refused by the stack's policy.
    const spoofed = { ...ses[0].request, context: { ...ses[0].request.context, "ses:FromAddress": "someone-else@shop.example" } };
    expect(await evaluate(policies.notifier, spoofed, principal, ACCOUNT)).to.equal("ImplicitlyDenied");
    // And the configuration set is granted by name: a grant on the identities alone refuses the send's set.
    const identitiesOnly: PolicyDocument = {
      Version: "2012-10-17",
      Statement: policies.notifier.Statement.map((st) =>
        st.Sid === "SendAsSenderOnly" ? { ...st, Resource: (st.Resource as string[]).filter((r) => r.includes(":identity/")) } : st,
      ),
    };
    const viaSet = ses.find((r) => r.request.origin === "configuration set")!;
    expect(await evaluate(policies.notifier, viaSet.request, principal, ACCOUNT)).to.equal("Allowed");
    expect(await evaluate(identitiesOnly, viaSet.request, principal, ACCOUNT)).to.equal("ImplicitlyDenied");
  });

  it('lets the three Lambda roles write traces on "*" (no SDK call to record: the daemon sends them), and not the worker', async () => {
    const verdicts: Record<string, string> = {};
    for (const role of Object.keys(POLICY_OF) as Role[]) {
      const principal = stack.one("aws:iam/role:Role", ROLE_OF[role]).state.arn;
      for (const action of ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]) {
        verdicts[`${role} ${action}`] = await evaluate(
          policies[role],
          { action, resource: "*", context: {}, origin: "Lambda X-Ray daemon" },
          principal,
          ACCOUNT,
        );
      }
    }
    expect(verdicts).to.deep.equal({
      "api xray:PutTraceSegments": "Allowed",
      "api xray:PutTelemetryRecords": "Allowed",
      "notifier xray:PutTraceSegments": "Allowed",
      "notifier xray:PutTelemetryRecords": "Allowed",
      "emailEvents xray:PutTraceSegments": "Allowed",
      "emailEvents xray:PutTelemetryRecords": "Allowed",
      "worker xray:PutTraceSegments": "ImplicitlyDenied",
      "worker xray:PutTelemetryRecords": "ImplicitlyDenied",
    });
  });

  it("records only when asked: clients built without onCall carry no recorder", () => {
    const names = (c: AwsClients) => [c.sqs, c.s3, c.ses, c.kms].flatMap((x) => x.middlewareStack.identify());
    const plain = createClients({ region: "eu-central-1", endpoint: "http://127.0.0.1:1" });
    const recording = createClients({ region: "eu-central-1", endpoint: "http://127.0.0.1:1", onCall: () => undefined });
    expect(names(plain).filter((n) => n.includes("awsCallRecorder"))).to.deep.equal([]);
    expect(names(recording).filter((n) => n.includes("awsCallRecorder"))).to.have.length(4);
    destroyClients(plain);
    destroyClients(recording);
  });
});
