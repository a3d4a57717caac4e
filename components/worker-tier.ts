import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
// awsx.ecr only: the package root also loads awsx.classic, which loads the AWS SDK (test/components/module-graph.test.ts).
import * as ecr from "@pulumi/awsx/ecr";
import { METRICS_STACK_ENV } from "../runtime/contracts/metrics";
import { ENV, type LogLevel } from "../runtime/contracts/env";
import { HEARTBEAT_MAX_AGE_ENV, heartbeatMaxAgeSeconds } from "../invoice-container/heartbeat";
import { WORKER_WAIT_SECONDS, stopTimeoutSeconds } from "../invoice-container/drain";
import { ecrRepositoryArn, workerExecutionPolicy, workerTaskPolicy } from "./policies";
import { createServiceRole } from "./iam";
import { sellerEnvironment, type SellerConfig } from "./environment";
import { SCALE_OUT_THRESHOLD, capacityProviderStrategy, scaleInSteps, scaleOutSteps, workerPlatform, type ScalingStep } from "./scaling";

/** The image build, relative to the Pulumi project directory: the worker imports runtime/, so the context is the project. */
export const WORKER_IMAGE_BUILD = { context: ".", dockerfile: "invoice-container/Dockerfile" } as const;
/** The container's name in the task definition. */
export const WORKER_CONTAINER = "invoice-worker";
/** The health-check command, the same script the image's HEALTHCHECK runs. */
export const WORKER_HEALTHCHECK = ["CMD", "node", "dist/invoice-container/healthcheck.js"] as const;
/** Receive batch of the worker loop (the SQS maximum); the long-poll wait is WORKER_WAIT_SECONDS. */
const BATCH_SIZE = 10;

/** The provider spells step bounds as strings. */
const stepAdjustment = (s: ScalingStep) => ({
  scalingAdjustment: s.scalingAdjustment,
  ...(s.metricIntervalLowerBound !== undefined ? { metricIntervalLowerBound: String(s.metricIntervalLowerBound) } : {}),
  ...(s.metricIntervalUpperBound !== undefined ? { metricIntervalUpperBound: String(s.metricIntervalUpperBound) } : {}),
});

/** Arguments of the worker tier. */
export interface WorkerTierArgs {
  readonly region: string;
  readonly queueUrl: pulumi.Input<string>;
  readonly queueArn: pulumi.Input<string>;
  /** Name of the orders queue, the dimension of the scaling alarms. */
  readonly queueName: pulumi.Input<string>;
  readonly tableName: pulumi.Input<string>;
  readonly tableArn: pulumi.Input<string>;
  readonly bucketName: pulumi.Input<string>;
  readonly bucketArn: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /** True in public subnets, where AWS APIs are reached over the internet. */
  readonly assignPublicIp: boolean;
  /** What the tasks need before they can start, e.g. the VPC endpoints that pull the image. @default [] */
  readonly networkReady?: pulumi.Input<pulumi.Resource>[];
  readonly seller: SellerConfig;
  /** Seconds one message may take; sets the queue's visibility timeout too. @default 60 */
  readonly messageBudgetSeconds?: number;
  /** Messages one task works on at once. @default 4 */
  readonly concurrency?: number;
  /** Task CPU units. @default 512 */
  readonly cpu?: number;
  /** Task memory in MiB. @default 1024 */
  readonly memoryMb?: number;
  /** @default "x86_64" */
  readonly architecture?: "x86_64" | "arm64";
  /** Run on Fargate Spot. @default false */
  readonly spot?: boolean;
  /** Fewest tasks; 0 lets the worker sleep while the queue is empty. @default 0 */
  readonly minTasks?: number;
  /** @default 4 */
  readonly maxTasks?: number;
  /** Visible messages one task clears per minute; sizes the scale-out steps. @default 20 */
  readonly backlogPerTask?: number;
  /** Minutes of an empty queue (nothing waiting, nothing in flight) before scaling in to the minimum. @default 5 */
  readonly scaleInIdleMinutes?: number;
  /** @default "info" */
  readonly logLevel?: LogLevel;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Let `pulumi destroy` delete the repository with its images. @default false */
  readonly forceDeleteImages?: boolean;
}

/**
 * The invoice worker on ECS Fargate: its image (built from invoice-container/Dockerfile and pushed
 * to ECR), cluster, task definition with least-privilege roles, service, and step scaling driven
 * by the orders queue's depth so that one waiting message wakes a service scaled to zero.
 */
export class WorkerTier extends pulumi.ComponentResource {
  public readonly repository: ecr.Repository;
  public readonly image: ecr.Image;
  public readonly cluster: aws.ecs.Cluster;
  public readonly taskDefinition: aws.ecs.TaskDefinition;
  public readonly service: aws.ecs.Service;
  public readonly scaleOutAlarm: aws.cloudwatch.MetricAlarm;
  public readonly scaleInAlarm: aws.cloudwatch.MetricAlarm;
  public readonly imageUri: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: WorkerTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:worker:WorkerTier", name, {}, opts);
    const minTasks = args.minTasks ?? 0;
    const maxTasks = args.maxTasks ?? 4;
    if (minTasks > maxTasks) throw new Error(`WorkerTier ${name}: minTasks (${minTasks}) exceeds maxTasks (${maxTasks})`);
    const budget = args.messageBudgetSeconds ?? 60;
    const platform = workerPlatform(args.architecture ?? "x86_64");
    const idleMinutes = args.scaleInIdleMinutes ?? 5;
    const parent = { parent: this };

    this.repository = new ecr.Repository(
      `${name}-repo`,
      {
        forceDelete: args.forceDeleteImages ?? false,
        imageScanningConfiguration: { scanOnPush: true },
        lifecyclePolicy: { rules: [{ description: "Keep the last 20 images", tagStatus: "any", maximumNumberOfImages: 20 }] },
      },
      parent,
    );
    this.image = new ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: this.repository.url,
        context: WORKER_IMAGE_BUILD.context,
        dockerfile: WORKER_IMAGE_BUILD.dockerfile,
        platform: platform.dockerPlatform,
      },
      parent,
    );

    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays ?? 30 }, parent);
    const execution = createServiceRole(
      `${name}-execution`,
      {
        service: "ecs-tasks.amazonaws.com",
        description: "ECS pulls the worker image and ships its logs",
        policy: pulumi
          .all([this.repository.url, logGroup.arn])
          .apply(([url, logGroupArn]) => workerExecutionPolicy({ repositoryArn: ecrRepositoryArn(url), logGroupArn })),
      },
      this,
    );
    const task = createServiceRole(
      `${name}-task`,
      {
        service: "ecs-tasks.amazonaws.com",
        description: "The invoice worker: consume orders, number invoices, store PDFs",
        policy: pulumi
          .all([args.tableArn, args.queueArn, args.bucketArn])
          .apply(([tableArn, queueArn, bucketArn]) => workerTaskPolicy({ tableArn, queueArn, bucketArn })),
      },
      this,
    );

    // Container Insights publishes RunningTaskCount and DesiredTaskCount (the dashboard and the tasks-below-desired alarm).
    this.cluster = new aws.ecs.Cluster(`${name}-cluster`, { settings: [{ name: "containerInsights", value: "enabled" }] }, parent);
    const capacity = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      { clusterName: this.cluster.name, capacityProviders: ["FARGATE", "FARGATE_SPOT"] },
      parent,
    );

    const environment: Record<string, pulumi.Input<string>> = {
      [ENV.region]: args.region,
      [ENV.ordersTable]: args.tableName,
      [ENV.ordersQueueUrl]: args.queueUrl,
      [ENV.invoicesBucket]: args.bucketName,
      ...sellerEnvironment(args.seller),
      [ENV.workerConcurrency]: String(args.concurrency ?? 4),
      [ENV.workerWaitSeconds]: String(WORKER_WAIT_SECONDS),
      [ENV.workerBatchSize]: String(BATCH_SIZE),
      [ENV.workerMessageBudgetSeconds]: String(budget),
      [METRICS_STACK_ENV]: pulumi.getStack(),
      [ENV.logLevel]: args.logLevel ?? "info",
      [HEARTBEAT_MAX_AGE_ENV]: String(heartbeatMaxAgeSeconds(budget, WORKER_WAIT_SECONDS)),
    };
    const containerDefinitions = pulumi
      .all([this.image.imageUri, logGroup.name, pulumi.output(environment)])
      .apply(([image, logGroupName, env]) =>
        JSON.stringify([
          {
            name: WORKER_CONTAINER,
            image,
            essential: true,
            // SIGTERM to SIGKILL: main.ts drains within drainDeadlineSeconds(budget, wait), inside this.
            stopTimeout: stopTimeoutSeconds(budget, WORKER_WAIT_SECONDS),
            environment: Object.entries(env)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([n, value]) => ({ name: n, value })),
            healthCheck: { command: [...WORKER_HEALTHCHECK], interval: 30, timeout: 5, retries: 3, startPeriod: 60 },
            logConfiguration: {
              logDriver: "awslogs",
              options: { "awslogs-group": logGroupName, "awslogs-region": args.region, "awslogs-stream-prefix": "worker" },
            },
          },
        ]),
      );
    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: `${name}-invoice-worker`,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(args.cpu ?? 512),
        memory: String(args.memoryMb ?? 1024),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: platform.cpuArchitecture },
        executionRoleArn: execution.role.arn,
        taskRoleArn: task.role.arn,
        containerDefinitions,
      },
      { ...parent, dependsOn: [execution.policy, task.policy] },
    );

    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: this.cluster.arn,
        taskDefinition: this.taskDefinition.arn,
        desiredCount: minTasks,
        capacityProviderStrategies: capacityProviderStrategy(args.spot ?? false),
        platformVersion: "LATEST",
        networkConfiguration: { subnets: args.subnetIds, securityGroups: args.securityGroupIds, assignPublicIp: args.assignPublicIp },
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
      },
      // Application Auto Scaling owns the task count once the service exists.
      // Tasks in private subnets pull the image through the VPC endpoints: they must exist first.
      { ...parent, dependsOn: [capacity, ...(args.networkReady ?? [])], ignoreChanges: ["desiredCount"] },
    );

    const target = new aws.appautoscaling.Target(
      `${name}-scaling-target`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId: pulumi.interpolate`service/${this.cluster.name}/${this.service.name}`,
        minCapacity: minTasks,
        maxCapacity: maxTasks,
      },
      parent,
    );
    const stepPolicy = (suffix: string, adjustmentType: "ChangeInCapacity" | "ExactCapacity", steps: ScalingStep[]) =>
      new aws.appautoscaling.Policy(
        `${name}-${suffix}`,
        {
          policyType: "StepScaling",
          serviceNamespace: target.serviceNamespace,
          scalableDimension: target.scalableDimension,
          resourceId: target.resourceId,
          stepScalingPolicyConfiguration: {
            adjustmentType,
            cooldown: 60,
            metricAggregationType: "Maximum",
            stepAdjustments: steps.map(stepAdjustment),
          },
        },
        parent,
      );
    const scaleOut = stepPolicy("scale-out", "ChangeInCapacity", scaleOutSteps(args.backlogPerTask ?? 20));
    const scaleIn = stepPolicy("scale-in", "ExactCapacity", scaleInSteps(minTasks));
    const queueMetric = (metricName: string) => ({
      namespace: "AWS/SQS",
      metricName,
      dimensions: { QueueName: args.queueName },
      period: 60,
      stat: "Maximum",
    });
    this.scaleOutAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-backlog-high`,
      {
        alarmDescription: "Orders are waiting: add invoice workers (wakes a service scaled to zero).",
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: args.queueName },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        threshold: SCALE_OUT_THRESHOLD,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [scaleOut.arn],
      },
      parent,
    );
    this.scaleInAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-queue-idle`,
      {
        alarmDescription: `Nothing waiting or in flight for ${idleMinutes} minutes: scale the invoice workers in to the minimum.`,
        metricQueries: [
          { id: "visible", metric: queueMetric("ApproximateNumberOfMessagesVisible"), returnData: false },
          { id: "inflight", metric: queueMetric("ApproximateNumberOfMessagesNotVisible"), returnData: false },
          { id: "total", expression: "visible + inflight", label: "Messages waiting or in flight", returnData: true },
        ],
        evaluationPeriods: idleMinutes,
        datapointsToAlarm: idleMinutes,
        threshold: 0,
        comparisonOperator: "LessThanOrEqualToThreshold",
        // An idle queue may stop reporting; silence means nothing to do.
        treatMissingData: "breaching",
        alarmActions: [scaleIn.arn],
      },
      parent,
    );

    this.imageUri = this.image.imageUri;
    this.logGroupName = logGroup.name;
    this.clusterName = this.cluster.name;
    this.serviceName = this.service.name;
    this.registerOutputs({
      imageUri: this.imageUri,
      logGroupName: this.logGroupName,
      clusterName: this.clusterName,
      serviceName: this.serviceName,
    });
  }
}
