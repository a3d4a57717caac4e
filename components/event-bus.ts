import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { eventBusName } from "../runtime/contracts/events";

/** Arguments of the business events bus. */
export interface EventBusArgs {
  /** The bus's name. @default `eventBusName(stack)`: `shop-backend-<stack>` */
  readonly busName?: pulumi.Input<string>;
}

/**
 * The stack's own EventBridge bus, where the shop publishes its business events (order.paid,
 * invoice.issued, ...: runtime/contracts/events.ts) for other systems' rules. A custom bus, not the
 * account's default one, so publishing can be granted on it alone and consumers' rules see only the shop.
 * Each publisher's role gets `events:PutEvents` on this bus's ARN in its own policy (components/policies.ts).
 */
export class EventBus extends pulumi.ComponentResource {
  public readonly bus: aws.cloudwatch.EventBus;
  /** The bus's name (ENV.eventBusName of the publishers). */
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: EventBusArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("shop:events:EventBus", name, {}, opts);
    this.bus = new aws.cloudwatch.EventBus(`${name}-bus`, { name: args.busName ?? eventBusName(pulumi.getStack()) }, { parent: this });
    this.name = this.bus.name;
    this.arn = this.bus.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
