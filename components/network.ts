import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { PRIVATE_AZ_COUNT, endpointSlug, gatewayEndpointServices, interfaceEndpointServices, subnetCidrs } from "./network-plan";

/** Arguments of the worker's network. */
export interface NetworkArgs {
  /**
   * "public": the default VPC's public subnets with public IPs (cheap, for dev); "private": a VPC
   * of its own with no internet route, reaching AWS through VPC endpoints (for prod).
   */
  readonly mode: "public" | "private";
  readonly region: string;
  /** The private VPC's /16. @default "10.40.0.0/16" */
  readonly vpcCidr?: string;
}

const HTTPS = { protocol: "tcp", fromPort: 443, toPort: 443 } as const;

/** Where the worker's tasks run, and the security group that lets them speak HTTPS out and nothing in. */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly subnetIds: pulumi.Output<string[]>;
  public readonly securityGroupId: pulumi.Output<string>;
  /** Tasks need a public IP only where they reach AWS over the internet. */
  public readonly assignPublicIp: boolean;
  /** The VPC endpoints tasks reach AWS through (private mode); a service must depend on them. */
  public readonly endpoints: aws.ec2.VpcEndpoint[] = [];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("shop:network:Network", name, {}, opts);
    const parent = { parent: this };
    this.assignPublicIp = args.mode === "public";

    if (args.mode === "public") {
      const vpc = aws.ec2.getVpcOutput({ default: true }, parent);
      this.vpcId = vpc.id;
      this.subnetIds = aws.ec2.getSubnetsOutput(
        {
          filters: [
            { name: "vpc-id", values: [vpc.id] },
            { name: "default-for-az", values: ["true"] },
          ],
        },
        parent,
      ).ids;
    } else {
      const cidr = args.vpcCidr ?? "10.40.0.0/16";
      const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true }, parent);
      const zones = aws.getAvailabilityZonesOutput({ state: "available" }, parent).names;
      const routes = new aws.ec2.RouteTable(`${name}-private-routes`, { vpcId: vpc.id }, parent);
      const subnets = subnetCidrs(cidr, PRIVATE_AZ_COUNT).map((cidrBlock, i) => {
        const subnet = new aws.ec2.Subnet(
          `${name}-private-${i}`,
          { vpcId: vpc.id, cidrBlock, availabilityZone: zones[i], mapPublicIpOnLaunch: false },
          parent,
        );
        new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
        return subnet;
      });
      for (const serviceName of gatewayEndpointServices(args.region)) {
        this.endpoints.push(
          new aws.ec2.VpcEndpoint(
            `${name}-${endpointSlug(serviceName)}`,
            { vpcId: vpc.id, serviceName, vpcEndpointType: "Gateway", routeTableIds: [routes.id] },
            parent,
          ),
        );
      }
      const endpointGroup = new aws.ec2.SecurityGroup(
        `${name}-endpoints`,
        {
          vpcId: vpc.id,
          description: "Interface endpoints: HTTPS from the VPC",
          ingress: [{ ...HTTPS, cidrBlocks: [cidr], description: "HTTPS from the VPC" }],
        },
        parent,
      );
      for (const serviceName of interfaceEndpointServices(args.region)) {
        this.endpoints.push(
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
            parent,
          ),
        );
      }
      this.vpcId = vpc.id;
      this.subnetIds = pulumi.all(subnets.map((s) => s.id));
    }

    const taskGroup = new aws.ec2.SecurityGroup(
      `${name}-worker`,
      {
        vpcId: this.vpcId,
        description: "Invoice worker: HTTPS out to AWS APIs, nothing in",
        egress: [{ ...HTTPS, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS to AWS APIs" }],
      },
      parent,
    );
    this.securityGroupId = taskGroup.id;
    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds, securityGroupId: this.securityGroupId });
  }
}
