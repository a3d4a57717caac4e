import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readStackConfigFile } from "../../local/stack-settings";
import { PROJECT } from "../../components/config";

/**
 * The one mock monitor of the infrastructure tests: runs index.ts under Pulumi mocks with a
 * stack's real Pulumi.<stack>.yaml, records every registered resource with its inputs, its
 * invented outputs and its URN, and resolves the stack's exports. One run per stack and
 * process: tests share it (see `programRun`).
 */

export const ROOT = path.resolve(__dirname, "../..");
export const ACCOUNT = "123456789012";
export const MOCK_REGION = "eu-central-1";

/** One resource as the program registered it. */
export interface MockedResource {
  readonly type: string;
  readonly name: string;
  /** The inputs the program gave (Outputs resolved; a secret stays wrapped, see `secretValue`). */
  readonly inputs: Record<string, any>;
  /** What the mock answered: the inputs plus invented ids, ARNs and URLs. */
  readonly state: Record<string, any>;
  /** `urn:pulumi:<stack>::<project>::<parentType>$<type>::<name>`; parents are read from it. */
  urn: string;
  /** URNs of the resources it waits for (dependsOn), as the program sent them. */
  dependsOn: string[];
  /** Whether `pulumi destroy` leaves it in the cloud (the retainOnDelete option). */
  retainOnDelete: boolean;
  /** Whether Pulumi refuses to delete it (the protect option: `pulumi destroy` stops). */
  protect: boolean;
  /** Per input property, the URNs of the resources its value came from (as the engine records them). */
  propertyDependencies: Record<string, string[]>;
}

/** A secret input's plain value, or undefined when the program sent the input in plain text (not as a secret). */
export function secretValue(input: unknown): unknown {
  const { specialSigKey, specialSecretSig } = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };
  const wrapped = input as Record<string, unknown> | undefined;
  return wrapped?.[specialSigKey] === specialSecretSig ? wrapped.value : undefined;
}

/** The result of one program run. */
export interface ProgramRun {
  readonly stack: string;
  readonly resources: readonly MockedResource[];
  readonly outputs: Record<string, any>;
  /** Resources of one type. */
  ofType(type: string): MockedResource[];
  /** The one resource of a type whose name ends with `suffix`; throws unless exactly one matches. */
  one(type: string, suffix?: string): MockedResource;
  /** Count of resources per type. */
  counts(): Record<string, number>;
  /** The type of a resource's direct parent, from its URN; undefined for the stack's own children. */
  parentType(r: MockedResource): string | undefined;
}

/** A stack file's config as `pulumi` hands it to a program: every value a string. */
export function stackFileConfig(stack: string): Record<string, string> {
  return Object.fromEntries(Object.entries(readStackConfigFile(stack)).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

const service = (type: string) => type.split(":")[1]?.split("/")[0] ?? "mock";
const kind = (type: string) => (type.split(":")[1]?.split("/")[1] ?? "resource").toLowerCase();

/** Outputs a provider would compute; without them they resolve to undefined and vanish from downstream inputs. */
function invent(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const arnBase = `arn:aws:${service(type)}:${MOCK_REGION}:${ACCOUNT}`;
  const base = { ...inputs, arn: `${arnBase}:${kind(type)}/${name}`, name: inputs.name ?? name };
  switch (type) {
    case "aws:sqs/queue:Queue":
      return { ...base, arn: `${arnBase}:${name}`, url: `https://sqs.${MOCK_REGION}.amazonaws.com/${ACCOUNT}/${name}` };
    case "aws:s3/bucket:Bucket":
      return { ...base, bucket: name, arn: `arn:aws:s3:::${name}` };
    case "aws:dynamodb/table:Table":
      return { ...base, arn: `${arnBase}:table/${name}` };
    case "aws:kms/key:Key":
      return { ...base, arn: `${arnBase}:key/${name}-key-id`, keyId: `${name}-key-id` };
    case "aws:iam/role:Role":
      return { ...base, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { ...base, arn: `arn:aws:logs:${MOCK_REGION}:${ACCOUNT}:log-group:${name}` };
    case "aws:lambda/function:Function": {
      const arn = `arn:aws:lambda:${MOCK_REGION}:${ACCOUNT}:function:${name}`;
      return { ...base, arn, invokeArn: `arn:aws:apigateway:${MOCK_REGION}:lambda:path/2015-03-31/functions/${arn}/invocations` };
    }
    case "aws:apigateway/restApi:RestApi":
      return { ...base, rootResourceId: `${name}-root`, executionArn: `arn:aws:execute-api:${MOCK_REGION}:${ACCOUNT}:${name}-id` };
    case "aws:apigateway/stage:Stage":
      return { ...base, invokeUrl: `https://${inputs.restApi}.execute-api.${MOCK_REGION}.amazonaws.com/${inputs.stageName}` };
    case "aws:sesv2/emailIdentity:EmailIdentity": {
      const arn = `arn:aws:ses:${MOCK_REGION}:${ACCOUNT}:identity/${inputs.emailIdentity}`;
      if (String(inputs.emailIdentity).includes("@")) return { ...base, arn };
      // A domain identity with Easy DKIM: SES answers with three tokens, one CNAME each.
      const tokens = [1, 2, 3].map((i) => `${name.replace(/[^a-z0-9]/g, "")}dkim${i}`);
      return { ...base, arn, dkimSigningAttributes: { ...inputs.dkimSigningAttributes, tokens } };
    }
    case "aws:sesv2/configurationSet:ConfigurationSet":
      return { ...base, arn: `arn:aws:ses:${MOCK_REGION}:${ACCOUNT}:configuration-set/${inputs.configurationSetName}` };
    case "aws:secretsmanager/secret:Secret":
      // Secrets Manager appends six random characters to the name.
      return { ...base, arn: `arn:aws:secretsmanager:${MOCK_REGION}:${ACCOUNT}:secret:${name}-AbCdEf` };
    case "aws:cloudwatch/eventBus:EventBus":
      return { ...base, arn: `arn:aws:events:${MOCK_REGION}:${ACCOUNT}:event-bus/${base.name}` };
    case "aws:cloudwatch/eventRule:EventRule":
      return { ...base, arn: `arn:aws:events:${MOCK_REGION}:${ACCOUNT}:rule/${name}` };
    case "aws:sns/topic:Topic":
      return { ...base, arn: `arn:aws:sns:${MOCK_REGION}:${ACCOUNT}:${name}` };
    case "awsx:ecr:Repository":
      return { ...inputs, url: `${ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${name}` };
    case "awsx:ecr:Image":
      return { ...inputs, imageUri: `${inputs.repositoryUrl}@sha256:${"ab".repeat(32)}` };
    default:
      return base;
  }
}

/**
 * The region's zones as DescribeAvailabilityZones lists them: the three Availability Zones and a
 * Local Zone the account opted in to (Hamburg), which is "available" too and sorts first by name.
 */
const MOCK_ZONES = [
  { name: "eu-central-1-ham-1a", zoneId: "euc1-ham1-az1", state: "available", optInStatus: "opted-in", zoneType: "local-zone" },
  { name: "eu-central-1a", zoneId: "euc1-az2", state: "available", optInStatus: "opt-in-not-required", zoneType: "availability-zone" },
  { name: "eu-central-1b", zoneId: "euc1-az3", state: "available", optInStatus: "opt-in-not-required", zoneType: "availability-zone" },
  { name: "eu-central-1c", zoneId: "euc1-az1", state: "available", optInStatus: "opt-in-not-required", zoneType: "availability-zone" },
];
/** The filter names of getAvailabilityZones the mock understands, and the zone field each reads. */
const ZONE_FILTERS: Record<string, keyof (typeof MOCK_ZONES)[number]> = {
  "opt-in-status": "optInStatus",
  "zone-type": "zoneType",
  state: "state",
  "zone-name": "name",
};

/** getAvailabilityZones: the zones that match the call's state and filters, as the provider answers. */
function availabilityZones(inputs: Record<string, any>): Record<string, any> {
  const filters: { name: string; values: string[] }[] = inputs.filters ?? [];
  const zones = MOCK_ZONES.filter(
    (z) =>
      (inputs.state === undefined || z.state === inputs.state) &&
      filters.every((f) => {
        const field = ZONE_FILTERS[f.name];
        if (!field) throw new Error(`the mock does not know the zone filter ${f.name}`);
        return f.values.includes(z[field]);
      }),
  );
  return { id: MOCK_REGION, names: zones.map((z) => z.name), zoneIds: zones.map((z) => z.zoneId) };
}

/** Answers to the data-source calls the program makes. */
function answer(token: string, inputs: Record<string, any>): Record<string, any> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: "AIDAMOCK", id: ACCOUNT };
    case "aws:ec2/getVpc:getVpc":
      return { id: "vpc-default", cidrBlock: "172.31.0.0/16", default: true };
    case "aws:ec2/getSubnets:getSubnets":
      return { id: MOCK_REGION, ids: ["subnet-default-a", "subnet-default-b", "subnet-default-c"] };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return availabilityZones(inputs);
    default:
      throw new Error(`the mock has no answer for ${token}`);
  }
}

const settled = (o: unknown) =>
  new Promise<any>((resolve) => (pulumi.output(o) as pulumi.Output<any>).apply((v: unknown) => (resolve(v), v)));

/** Runs index.ts once under mocks with the given stack's config (plus overrides). */
export async function runProgram(stack: string, overrides: Record<string, string> = {}): Promise<ProgramRun> {
  const resources: MockedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state = invent(args.type, args.name, args.inputs);
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          state,
          urn: "",
          dependsOn: [],
          propertyDependencies: {},
          retainOnDelete: false,
          protect: false,
        });
        return { id: `${args.name}-id`, state };
      },
      call: (args) => answer(args.token, args.inputs),
    },
    PROJECT,
    stack,
    false,
  );
  // The mocks see no dependsOn, retainOnDelete or protect: read them from the registration requests.
  const dependsOn = new Map<string, string[]>();
  const retained = new Set<string>();
  const protectedKeys = new Set<string>();
  const propertyDependencies = new Map<string, Record<string, string[]>>();
  const mockMonitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, cb: unknown): unknown };
  const register = mockMonitor.registerResource.bind(mockMonitor);
  mockMonitor.registerResource = (req, cb) => {
    const key = `${req.getType()}::${req.getName()}`;
    dependsOn.set(key, req.getDependenciesList());
    if (req.getRetainondelete()) retained.add(key);
    if (req.getProtect()) protectedKeys.add(key);
    const props: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: { getUrnsList(): string[] }, prop: string) => (props[prop] = deps.getUrnsList()));
    propertyDependencies.set(key, props);
    return register(req, cb);
  };
  pulumi.runtime.setAllConfig({ ...stackFileConfig(stack), ...overrides });
  const index = require.resolve(path.join(ROOT, "index.ts"));
  delete require.cache[index];
  const program = (await import(index)) as Record<string, unknown>;
  const outputs: Record<string, any> = {};
  for (const [k, v] of Object.entries(program)) outputs[k] = await settled(v);
  await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();

  const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, unknown> };
  const byKey = new Map(resources.map((r) => [`${r.type}::${r.name}`, r]));
  for (const urn of monitor.resources.keys()) {
    const [, , qualifiedType, name] = urn.split("::");
    const r = byKey.get(`${qualifiedType.split("$").pop()}::${name}`);
    if (r) r.urn = urn;
  }
  for (const r of resources) {
    r.dependsOn = dependsOn.get(`${r.type}::${r.name}`) ?? [];
    r.retainOnDelete = retained.has(`${r.type}::${r.name}`);
    r.protect = protectedKeys.has(`${r.type}::${r.name}`);
    r.propertyDependencies = propertyDependencies.get(`${r.type}::${r.name}`) ?? {};
  }
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    stack,
    resources,
    outputs,
    ofType,
    one(type, suffix = "") {
      const found = ofType(type).filter((r) => r.name.endsWith(suffix));
      if (found.length !== 1)
        throw new Error(`expected one ${type} named *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
      return found[0];
    },
    counts() {
      const c: Record<string, number> = {};
      for (const r of resources) c[r.type] = (c[r.type] ?? 0) + 1;
      return c;
    },
    parentType(r) {
      const qualified = r.urn.split("::")[2] ?? "";
      const parts = qualified.split("$");
      return parts.length > 1 ? parts[parts.length - 2] : undefined;
    },
  };
}

/**
 * The committed stack files hold placeholder addresses (on the reserved `.example` domain), which
 * the program refuses to deploy; the shared runs stand in a shop's own addresses for them.
 */
export const SHOP_ADDRESSES: Record<"dev" | "prod", Record<string, string>> = {
  dev: { [`${PROJECT}:emailSender`]: "invoices-dev@acme-shop.eu", [`${PROJECT}:sellerEmail`]: "billing@acme-shop.eu" },
  prod: {
    [`${PROJECT}:emailSender`]: "invoices@acme-shop.eu",
    [`${PROJECT}:sellerEmail`]: "billing@acme-shop.eu",
    [`${PROJECT}:alarmEmail`]: "ops@acme-shop.eu",
  },
};

/**
 * The payment secrets a deploy requires (`pulumi config set --secret`; never in the committed stack
 * files), as Pulumi hands them to the program: plain strings the program must wrap as secrets.
 */
export const SHOP_SECRETS: Record<string, string> = {
  [`${PROJECT}:stripeSecretKey`]: "sk_test_mockedstack",
  [`${PROJECT}:stripeWebhookSecret`]: "whsec_mockedstack",
};

/** What a shop sets before its first deploy: its own addresses and the payment secrets. */
export const SHOP_CONFIG: Record<"dev" | "prod", Record<string, string>> = {
  dev: { ...SHOP_ADDRESSES.dev, ...SHOP_SECRETS },
  prod: { ...SHOP_ADDRESSES.prod, ...SHOP_SECRETS },
};

const runs = new Map<string, Promise<ProgramRun>>();
/** The shared run of a stack's program with a shop's addresses and secrets (computed once per test process, in order). */
export function programRun(stack: "dev" | "prod"): Promise<ProgramRun> {
  // Runs are serialised: mocks are process-wide state.
  let run = runs.get(stack);
  if (!run) {
    const previous = Promise.all([...runs.values()]).catch(() => undefined);
    run = previous.then(() => runProgram(stack, SHOP_CONFIG[stack]));
    runs.set(stack, run);
  }
  return run;
}
