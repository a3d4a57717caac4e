/**
 * Pure decisions of the worker's network: the subnets of the private VPC and the endpoints
 * that let a task without internet access reach every AWS API the worker and ECS use.
 */

/** How many Availability Zones the private VPC spans. */
export const PRIVATE_AZ_COUNT = 2;

/** The /20 subnets carved from the start of a /16 (10.40.0.0/16 -> 10.40.0.0/20, 10.40.16.0/20, ...). */
export function subnetCidrs(vpcCidr: string, count: number): string[] {
  const m = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/.exec(vpcCidr);
  if (!m) throw new Error(`vpcCidr ${vpcCidr} must be a /16 such as 10.40.0.0/16`);
  if (count < 1 || count > 16) throw new RangeError("a /16 holds 1 to 16 /20 subnets");
  return Array.from({ length: count }, (_, i) => `${m[1]}.${m[2]}.${i * 16}.0/20`);
}

/** Gateway endpoints (free, routed): invoices and image layers in S3, the orders table. */
export function gatewayEndpointServices(region: string): string[] {
  return [`com.amazonaws.${region}.s3`, `com.amazonaws.${region}.dynamodb`];
}

/** Interface endpoints: the orders queue, image pulls (ECR API and registry), and CloudWatch Logs. */
export function interfaceEndpointServices(region: string): string[] {
  return ["sqs", "ecr.api", "ecr.dkr", "logs"].map((s) => `com.amazonaws.${region}.${s}`);
}

/** The last part of an endpoint service name, for resource names ("com.amazonaws.eu-west-1.ecr.api" -> "ecr-api"). */
export function endpointSlug(serviceName: string): string {
  return serviceName.split(".").slice(3).join("-");
}
