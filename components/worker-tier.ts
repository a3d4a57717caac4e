import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
// awsx.ecr only: the package root also loads awsx.classic, which loads the AWS SDK (test/components/module-graph.test.ts).
import * as ecr from "@pulumi/awsx/ecr";
import { METRICS, METRICS_STACK_ENV, metricDimensions } from "../runtime/contracts/metrics";
import { SETTING_DEFAULTS } from "../runtime/contracts/defaults";
import { ENV, type LogLevel } from "../runtime/contracts/env";
import { HEARTBEAT_MAX_AGE_ENV, heartbeatMaxAgeSeconds } from "../invoice-container/heartbeat";
import { WORKER_WAIT_SECONDS, stopTimeoutSeconds } from "../invoice-container/drain";
import { ecrRepositoryArn, workerExecutionPolicy, workerTaskPolicy } from "./policies";
import { createServiceRole, type ServiceRole } from "./iam";
import { sellerEnvironment, type SellerConfig } from "./environment";
import type { BucketRef, QueueRef, TableRef } from "./refs";
import {
  SCALING_METRICS,
  capacityProviderStrategy,
  workerPlatform,
  workerScalingPlan,
  type ScalingMetricId,
  type ScalingMetricOf,
  type ScalingStep,
  type WorkerPlatform,
} from "./scaling";

/** The image build, relative to the Pulumi project directory: the worker imports runtime/, so the context is the project. */
export const WORKER_IMAGE_BUILD = { context: ".", dockerfile: "invoice-container/Dockerfile" } as const;
/** The container's name in the task definition. */
export const WORKER_CONTAINER = "invoice-worker";
/** The health-check command, the same script the image's HEALTHCHECK runs. */
export const WORKER_HEALTHCHECK = ["CMD", "node", "dist/invoice-container/healthcheck.js"] as const;

/** The provider spells step bounds as strings. */
const stepAdjustment = (s: ScalingStep) => ({
  scalingAdjustment: s.scalingAdjustment,
  ...(s.metricIntervalLowerBound !== undefined ? { metricIntervalLowerBound: String(s.metricIntervalLowerBound) } : {}),
  ...(s.metricIntervalUpperBound !== undefined ? { metricIntervalUpperBound: String(s.metricIntervalUpperBound) } : {}),
});

/** How big the worker is and how it scales (components/config.ts StackConfig["worker"], where the defaults are). */
export interface WorkerSizing {
  /** Seconds one message may take; sets the queue's visibility timeout too. */
  readonly messageBudgetSeconds: number;
  /** Messages one task works on at once. */
  readonly concurrency: number;
  /** Task CPU units. */
  readonly cpu: number;
  /** Task memory in MiB. */
  readonly memoryMb: number;
  readonly architecture: "x86_64" | "arm64";
  /** Run on Fargate Spot. */
  readonly spot: boolean;
  /** Fewest tasks; 0 lets the worker sleep while the queue is empty. */
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Waiting messages per task above which tasks are added; sizes the wake-up steps too. */
  readonly backlogPerTask: number;
  /** Minutes of low load before one task goes, and of a quiet queue before scaling in to the minimum. */
  readonly scaleInIdleMinutes: number;
  /**
   * Create ECS's account-wide service-linked role (AWSServiceRoleForECS) before the cluster, and keep
   * it on destroy: for the one stack that first brings ECS into an account. Where the role exists,
   * creating it fails, so this is off unless asked for.
   */
  readonly ecsServiceLinkedRole: boolean;
}

/** Where the tasks run (components/network.ts Network). */
export interface WorkerNetwork {
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupId: pulumi.Input<string>;
  /** True in public subnets, where AWS APIs are reached over the internet. */
  readonly assignPublicIp: boolean;
  /** What the tasks need before they can start, e.g. the VPC endpoints that pull the image. */
  readonly endpoints: pulumi.Resource[];
}

/** Arguments of the worker tier. */
export interface WorkerTierArgs {
  readonly region: string;
  readonly queue: QueueRef;
  readonly table: TableRef;
  readonly bucket: BucketRef;
  /** The business events bus the worker publishes invoice.issued on (components/event-bus.ts). */
  readonly eventBus: { readonly name: pulumi.Input<string>; readonly arn: pulumi.Input<string> };
  readonly network: WorkerNetwork;
  readonly seller: SellerConfig;
  readonly sizing: WorkerSizing;
  readonly logLevel: LogLevel;
  readonly logRetentionDays: number;
  /** Let `pulumi destroy` delete the repository with its images. */
  readonly forceDeleteImages: boolean;
}

/** The worker's two roles: ECS's (pull the image, ship logs) and the task's own (the pipeline's work). */
interface WorkerRoles {
  readonly execution: ServiceRole;
  readonly task: ServiceRole;
}

/**
 * The invoice worker on ECS Fargate: its image (built from invoice-container/Dockerfile and pushed
 * to ECR), cluster, task definition with least-privilege roles, service, and step scaling
 * (components/scaling.ts workerScalingPlan): an accepted order wakes a service at zero, a backlog
 * adds tasks, low load removes them one by one, a quiet queue scales in to the minimum.
 */
export class WorkerTier extends pulumi.ComponentResource {
  public readonly repository: ecr.Repository;
  public readonly image: ecr.Image;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly cluster: aws.ecs.Cluster;
  public readonly taskDefinition: aws.ecs.TaskDefinition;
  /** The task definition's release (workerRelease), also in the tasks' WORKER_RELEASE. */
  public readonly release: pulumi.Output<string>;
  public readonly service: aws.ecs.Service;
  /** The alarms that drive scaling, by name (components/scaling.ts workerScalingPlan). */
  public readonly scalingAlarms: Record<string, aws.cloudwatch.MetricAlarm>;

  constructor(name: string, args: WorkerTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:worker:WorkerTier", name, {}, opts);
    const { minTasks, maxTasks } = args.sizing;
    if (minTasks > maxTasks) throw new Error(`WorkerTier ${name}: minTasks (${minTasks}) exceeds maxTasks (${maxTasks})`);
    const platform = workerPlatform(args.sizing.architecture);

    this.repository = createRepository(name, args.forceDeleteImages, this);
    this.image = buildImage(name, this.repository, platform, this);
    this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays }, { parent: this });
    const roles = createWorkerRoles(name, args, this.repository, this.logGroup, this);
    const ecsRole = args.sizing.ecsServiceLinkedRole ? [createEcsServiceLinkedRole(name, this)] : [];
    const { cluster, capacity } = createCluster(name, ecsRole, this);
    this.cluster = cluster;
    ({ definition: this.taskDefinition, release: this.release } = createTaskDefinition(
      name,
      args,
      this.image,
      this.logGroup,
      roles,
      platform,
      this,
    ));
    // Tasks start only with both roles' policies in place, and in private subnets only with the endpoints that pull the image.
    const serviceNeeds = [capacity, ...ecsRole, roles.execution.policy, roles.task.policy, ...args.network.endpoints];
    this.service = createService(name, args, cluster, this.taskDefinition, serviceNeeds, this);
    this.scalingAlarms = createQueueDrivenScaling(name, args, cluster, this.service, this);

    this.registerOutputs({
      imageUri: this.image.imageUri,
      logGroupName: this.logGroup.name,
      clusterName: this.cluster.name,
      serviceName: this.service.name,
      release: this.release,
    });
  }
}

/** The image repository: scanned on push, the last 20 images kept. */
function createRepository(name: string, forceDelete: boolean, parent: pulumi.Resource): ecr.Repository {
  return new ecr.Repository(
    `${name}-repo`,
    {
      forceDelete,
      imageScanningConfiguration: { scanOnPush: true },
      lifecyclePolicy: { rules: [{ description: "Keep the last 20 images", tagStatus: "any", maximumNumberOfImages: 20 }] },
    },
    { parent },
  );
}

/** The worker image, built from invoice-container/Dockerfile for the task's platform and pushed. */
function buildImage(name: string, repository: ecr.Repository, platform: WorkerPlatform, parent: pulumi.Resource): ecr.Image {
  return new ecr.Image(
    `${name}-image`,
    {
      repositoryUrl: repository.url,
      context: WORKER_IMAGE_BUILD.context,
      dockerfile: WORKER_IMAGE_BUILD.dockerfile,
      platform: platform.dockerPlatform,
    },
    { parent },
  );
}

/** Least privilege for both roles (components/policies.ts). */
function createWorkerRoles(
  name: string,
  args: WorkerTierArgs,
  repository: ecr.Repository,
  logGroup: aws.cloudwatch.LogGroup,
  parent: pulumi.Resource,
): WorkerRoles {
  const execution = createServiceRole(
    `${name}-execution`,
    {
      service: "ecs-tasks.amazonaws.com",
      description: "ECS pulls the worker image and ships its logs",
      policy: pulumi
        .all([repository.url, logGroup.arn])
        .apply(([url, logGroupArn]) => workerExecutionPolicy({ repositoryArn: ecrRepositoryArn(url), logGroupArn })),
    },
    parent,
  );
  const task = createServiceRole(
    `${name}-task`,
    {
      service: "ecs-tasks.amazonaws.com",
      description: "The invoice worker: consume orders, number invoices, store PDFs",
      policy: pulumi
        .all([args.table.arn, args.queue.arn, args.bucket.arn, args.eventBus.arn])
        .apply(([tableArn, queueArn, bucketArn, eventBusArn]) => workerTaskPolicy({ tableArn, queueArn, bucketArn, eventBusArn })),
    },
    parent,
  );
  return { execution, task };
}

/**
 * ECS's service-linked role, which ECS otherwise creates on an account's first CreateCluster and may
 * fail to assume moments later ("Unable to assume the service linked role"). Account-wide, so it
 * outlives the stack: other clusters may use it.
 */
function createEcsServiceLinkedRole(name: string, parent: pulumi.Resource): aws.iam.ServiceLinkedRole {
  return new aws.iam.ServiceLinkedRole(
    `${name}-ecs-service-role`,
    { awsServiceName: "ecs.amazonaws.com", description: "Amazon ECS manages the cluster's tasks and their network interfaces" },
    { parent, retainOnDelete: true },
  );
}

/** The cluster with Container Insights (RunningTaskCount and DesiredTaskCount for the dashboard and an alarm), on Fargate and Fargate Spot. */
function createCluster(name: string, dependsOn: pulumi.Resource[], parent: pulumi.Resource) {
  const cluster = new aws.ecs.Cluster(
    `${name}-cluster`,
    { settings: [{ name: "containerInsights", value: "enabled" }] },
    { parent, dependsOn },
  );
  const capacity = new aws.ecs.ClusterCapacityProviders(
    `${name}-capacity`,
    { clusterName: cluster.name, capacityProviders: ["FARGATE", "FARGATE_SPOT"] },
    { parent, dependsOn },
  );
  return { cluster, capacity };
}

/** The worker's environment: what runtime/settings.ts loadWorkerSettings reads. */
function workerEnvironment(args: WorkerTierArgs): Record<string, pulumi.Input<string>> {
  const budget = args.sizing.messageBudgetSeconds;
  return {
    [ENV.region]: args.region,
    [ENV.ordersTable]: args.table.name,
    [ENV.ordersQueueUrl]: args.queue.url,
    [ENV.invoicesBucket]: args.bucket.bucket,
    [ENV.eventBusName]: args.eventBus.name,
    ...sellerEnvironment(args.seller),
    [ENV.workerConcurrency]: String(args.sizing.concurrency),
    [ENV.workerWaitSeconds]: String(WORKER_WAIT_SECONDS),
    [ENV.workerBatchSize]: String(SETTING_DEFAULTS.workerBatchSize),
    [ENV.workerMessageBudgetSeconds]: String(budget),
    // ECS gives the container no CPU count; the render pool sizes itself from the task's units.
    [ENV.workerTaskCpuUnits]: String(args.sizing.cpu),
    [METRICS_STACK_ENV]: pulumi.getStack(),
    [ENV.logLevel]: args.logLevel,
    [HEARTBEAT_MAX_AGE_ENV]: String(heartbeatMaxAgeSeconds(budget, WORKER_WAIT_SECONDS)),
  };
}

/**
 * The worker's release: a short hash of what a task definition revision runs (its container and size). The tasks carry
 * it (WORKER_RELEASE) and the stack exports it, so the smoke's probe tells the worker this deploy made from older tasks
 * that a rolled-back deployment left running (which `waitForSteadyState` counts as steady).
 */
export function workerRelease(task: unknown): string {
  return createHash("sha256").update(JSON.stringify(task)).digest("hex").slice(0, 12);
}

/** The task definition: one essential container with its health check, stop timeout and logs; and its release. */
function createTaskDefinition(
  name: string,
  args: WorkerTierArgs,
  image: ecr.Image,
  logGroup: aws.cloudwatch.LogGroup,
  roles: WorkerRoles,
  platform: WorkerPlatform,
  parent: pulumi.Resource,
): { definition: aws.ecs.TaskDefinition; release: pulumi.Output<string> } {
  const budget = args.sizing.messageBudgetSeconds;
  const size = { cpu: String(args.sizing.cpu), memory: String(args.sizing.memoryMb), cpuArchitecture: platform.cpuArchitecture };
  const container = pulumi
    .all([image.imageUri, logGroup.name, pulumi.output(workerEnvironment(args))])
    .apply(([imageUri, logGroupName, env]) => {
      const environment = (vars: Record<string, string>) =>
        Object.entries(vars)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([n, value]) => ({ name: n, value }));
      const definition = {
        name: WORKER_CONTAINER,
        image: imageUri,
        essential: true,
        // SIGTERM to SIGKILL: main.ts drains within drainDeadlineSeconds(budget, wait), inside this.
        stopTimeout: stopTimeoutSeconds(budget, WORKER_WAIT_SECONDS),
        environment: environment(env),
        healthCheck: { command: [...WORKER_HEALTHCHECK], interval: 30, timeout: 5, retries: 3, startPeriod: 60 },
        logConfiguration: {
          logDriver: "awslogs",
          options: { "awslogs-group": logGroupName, "awslogs-region": args.region, "awslogs-stream-prefix": "worker" },
        },
      };
      const release = workerRelease({ container: definition, ...size });
      return { release, json: JSON.stringify([{ ...definition, environment: environment({ ...env, [ENV.workerRelease]: release }) }]) };
    });
  const definition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: `${name}-invoice-worker`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: size.cpu,
      memory: size.memory,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: size.cpuArchitecture },
      executionRoleArn: roles.execution.role.arn,
      taskRoleArn: roles.task.role.arn,
      containerDefinitions: container.json,
    },
    { parent, dependsOn: [roles.execution.policy, roles.task.policy] },
  );
  return { definition, release: container.release };
}

/**
 * The service: starts at the minimum, rolls back a failed deploy; Application Auto Scaling owns the count afterwards.
 * `pulumi up` waits for a steady state (one deployment, every desired task running), so tasks that cannot start fail
 * the deploy instead of passing it. A rollback also ends steady (on the old tasks): the smoke's probe tells that apart.
 */
function createService(
  name: string,
  args: WorkerTierArgs,
  cluster: aws.ecs.Cluster,
  taskDefinition: aws.ecs.TaskDefinition,
  dependsOn: pulumi.Resource[],
  parent: pulumi.Resource,
): aws.ecs.Service {
  const net = args.network;
  return new aws.ecs.Service(
    `${name}-service`,
    {
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: args.sizing.minTasks,
      capacityProviderStrategies: capacityProviderStrategy(args.sizing.spot),
      platformVersion: "LATEST",
      networkConfiguration: { subnets: net.subnetIds, securityGroups: [net.securityGroupId], assignPublicIp: net.assignPublicIp },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      waitForSteadyState: true,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
    },
    // Application Auto Scaling owns the task count once the service exists.
    { parent, dependsOn, ignoreChanges: ["desiredCount"] },
  );
}

/** The worker's scaling from its plan (components/scaling.ts workerScalingPlan): each alarm invokes its step scaling policy. */
function createQueueDrivenScaling(
  name: string,
  args: WorkerTierArgs,
  cluster: aws.ecs.Cluster,
  service: aws.ecs.Service,
  parent: pulumi.Resource,
): Record<string, aws.cloudwatch.MetricAlarm> {
  const target = new aws.appautoscaling.Target(
    `${name}-scaling-target`,
    {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
      minCapacity: args.sizing.minTasks,
      maxCapacity: args.sizing.maxTasks,
    },
    { parent },
  );
  const dimensionsOf: Record<ScalingMetricOf, Record<string, pulumi.Input<string>>> = {
    queue: { QueueName: args.queue.name },
    orderApi: metricDimensions(METRICS.ordersAccepted, pulumi.getStack()),
    service: { ClusterName: cluster.name, ServiceName: service.name },
  };
  const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
  for (const a of workerScalingPlan(args.sizing)) {
    const policy = new aws.appautoscaling.Policy(
      `${name}-${a.policy.name}`,
      {
        policyType: "StepScaling",
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        stepScalingPolicyConfiguration: {
          adjustmentType: a.policy.adjustmentType,
          cooldown: a.policy.cooldownSeconds,
          metricAggregationType: "Maximum",
          stepAdjustments: a.policy.steps.map(stepAdjustment),
        },
      },
      { parent },
    );
    const metrics = a.expression.ids.map((id) => {
      const m = SCALING_METRICS[id as ScalingMetricId];
      const dimensions = dimensionsOf[m.of];
      return { id, returnData: false, metric: { namespace: m.namespace, metricName: m.metricName, dimensions, period: 60, stat: m.stat } };
    });
    alarms[a.name] = new aws.cloudwatch.MetricAlarm(
      `${name}-${a.name}`,
      {
        alarmDescription: a.description,
        metricQueries: [...metrics, { id: "signal", expression: a.expression.text, label: a.label, returnData: true }],
        evaluationPeriods: a.minutes,
        datapointsToAlarm: a.minutes,
        threshold: a.threshold,
        comparisonOperator: a.comparison,
        treatMissingData: a.missingData,
        alarmActions: [policy.arn],
      },
      { parent },
    );
  }
  return alarms;
}
