import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { PRIVATE_AZ_COUNT, endpointSlug, gatewayEndpointServices, interfaceEndpointServices, subnetCidrs } from "./network-plan";

/** Arguments of the worker's network (defaults: components/config.ts). */
export interface NetworkArgs {
  /**
   * "public": the default VPC's public subnets with public IPs (cheap, for dev); "private": a VPC
   * of its own with no internet route, reaching AWS through VPC endpoints (for prod).
   */
  readonly mode: "public" | "private";
  readonly region: string;
  /** The private VPC's /16. */
  readonly vpcCidr: string;
}

const HTTPS = { protocol: "tcp", fromPort: 443, toPort: 443 } as const;

/** Where tasks run: a VPC, its subnets, and the endpoints they reach AWS through. */
interface Placement {
  readonly vpcId: pulumi.Output<string>;
  readonly subnetIds: pulumi.Output<string[]>;
  readonly endpoints: aws.ec2.VpcEndpoint[];
}

/** Where the worker's tasks run, and the security group that lets them speak HTTPS out and nothing in. */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly subnetIds: pulumi.Output<string[]>;
  public readonly securityGroupId: pulumi.Output<string>;
  /** Tasks need a public IP only where they reach AWS over the internet. */
  public readonly assignPublicIp: boolean;
  /** The VPC endpoints tasks reach AWS through (private mode); a service must depend on them. */
  public readonly endpoints: aws.ec2.VpcEndpoint[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:network:Network", name, {}, opts);
    this.assignPublicIp = args.mode === "public";
    const placement = args.mode === "public" ? defaultVpcPlacement(this) : privateVpcPlacement(name, args, this);
    this.vpcId = placement.vpcId;
    this.subnetIds = placement.subnetIds;
    this.endpoints = placement.endpoints;
    this.securityGroupId = createTaskSecurityGroup(name, this.vpcId, this).id;
    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds, securityGroupId: this.securityGroupId });
  }
}

/** The default VPC's default subnets (public, one per zone). */
function defaultVpcPlacement(parent: pulumi.Resource): Placement {
  const vpc = aws.ec2.getVpcOutput({ default: true }, { parent });
  const subnets = aws.ec2.getSubnetsOutput(
    {
      filters: [
        { name: "vpc-id", values: [vpc.id] },
        { name: "default-for-az", values: ["true"] },
      ],
    },
    { parent },
  );
  return { vpcId: vpc.id, subnetIds: subnets.ids, endpoints: [] };
}

/** A VPC of its own: private subnets with no internet route, and gateway and interface endpoints for every AWS API the tasks use. */
function privateVpcPlacement(name: string, args: NetworkArgs, parent: pulumi.Resource): Placement {
  const opts = { parent };
  const cidr = args.vpcCidr;
  const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true }, opts);
  const zones = availabilityZoneNames(opts);
  const routes = new aws.ec2.RouteTable(`${name}-private-routes`, { vpcId: vpc.id }, opts);
  const subnets = subnetCidrs(cidr, PRIVATE_AZ_COUNT).map((cidrBlock, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-private-${i}`,
      { vpcId: vpc.id, cidrBlock, availabilityZone: zones[i], mapPublicIpOnLaunch: false },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    return subnet;
  });
  const endpoints = gatewayEndpointServices(args.region).map(
    (serviceName) =>
      new aws.ec2.VpcEndpoint(
        `${name}-${endpointSlug(serviceName)}`,
        { vpcId: vpc.id, serviceName, vpcEndpointType: "Gateway", routeTableIds: [routes.id] },
        opts,
      ),
  );
  const endpointGroup = new aws.ec2.SecurityGroup(
    `${name}-endpoints`,
    {
      vpcId: vpc.id,
      description: "Interface endpoints: HTTPS from the VPC",
      ingress: [{ ...HTTPS, cidrBlocks: [cidr], description: "HTTPS from the VPC" }],
    },
    opts,
  );
  for (const serviceName of interfaceEndpointServices(args.region)) {
    endpoints.push(
      new aws.ec2.VpcEndpoint(
        `${name}-${endpointSlug(serviceName)}`,
        {
          vpcId: vpc.id,
          serviceName,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: subnets.map((s) => s.id),
          securityGroupIds: [endpointGroup.id],
        },
        opts,
      ),
    );
  }
  return { vpcId: vpc.id, subnetIds: pulumi.all(subnets.map((s) => s.id)), endpoints };
}

/**
 * The region's Availability Zones only. An opted-in Local or Wavelength Zone is "available" too and
 * its name sorts first ("eu-central-1-ham-1a"), but it lacks the interface endpoints and Fargate
 * support the tasks need; for Availability Zones AWS always reports opt-in-not-required.
 */
function availabilityZoneNames(opts: pulumi.InvokeOutputOptions): pulumi.Output<string[]> {
  return aws.getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, opts)
    .names;
}

/** The tasks' security group: HTTPS out to AWS APIs, nothing in. */
function createTaskSecurityGroup(name: string, vpcId: pulumi.Input<string>, parent: pulumi.Resource): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    `${name}-worker`,
    {
      vpcId,
      description: "Invoice worker: HTTPS out to AWS APIs, nothing in",
      egress: [{ ...HTTPS, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS to AWS APIs" }],
    },
    { parent },
  );
}
