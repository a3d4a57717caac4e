import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { assumeRolePolicy, type PolicyDocument } from "./policies";

/** A role one AWS service assumes, with its whole permission set inline. */
export interface ServiceRole {
  readonly role: aws.iam.Role;
  /** Depend on this, not on the role, before anything uses the permissions. */
  readonly policy: aws.iam.RolePolicy;
}

/** Creates `${name}-role` trusted by `service` and `${name}-policy` holding exactly `policy`. */
export function createServiceRole(
  name: string,
  args: {
    readonly service: Parameters<typeof assumeRolePolicy>[0];
    readonly description: string;
    readonly policy: pulumi.Input<PolicyDocument>;
  },
  parent: pulumi.Resource,
): ServiceRole {
  const role = new aws.iam.Role(
    `${name}-role`,
    { description: args.description, assumeRolePolicy: JSON.stringify(assumeRolePolicy(args.service)) },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    { role: role.id, policy: pulumi.output(args.policy).apply((doc) => JSON.stringify(doc)) },
    { parent },
  );
  return { role, policy };
}

/**
 * The ARN of the SES identity `address` in this account and region, as IAM and Cognito name the
 * sender whether its own identity or its domain's verifies it (or one made outside the stack).
 */
export function sesIdentityArn(region: string, address: string): pulumi.Output<string> {
  return pulumi.interpolate`arn:aws:ses:${region}:${aws.getCallerIdentityOutput().accountId}:identity/${address}`;
}
