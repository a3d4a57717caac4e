import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { parseStackConfig, resourcePrefix } from "../components/config";
import { visibilityTimeoutSeconds } from "../components/scaling";
import type { ObjectLockRetention } from "../components/data-plan";
import type { SellerConfig, TaxConfig } from "../components/environment";

/** What the local pipeline takes from a Pulumi stack's configuration. */
export interface LocalStackSettings {
  readonly stack: string;
  readonly stage: string;
  readonly prefix: string;
  readonly region: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  readonly sender: string;
  readonly linkTtlDays: number;
  readonly seller: SellerConfig;
  readonly tax: TaxConfig;
  /** The order API's currency and payment settings (the local secret is made per run, not read from the stack). */
  readonly payment: { readonly shopCurrency: string; readonly paymentProvider: string; readonly paymentExpiryMinutes: number };
  /** The invoices bucket's Object Lock default retention. */
  readonly retention: ObjectLockRetention;
}

const ROOT = path.resolve(__dirname, "..");

/** Reads the config map of Pulumi.<stack>.yaml as written (parseStackConfig takes the keys with their prefixes). */
export function readStackConfigFile(stack: string, root = ROOT): Record<string, unknown> {
  const doc = (parseYaml(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return doc.config ?? {};
}

/**
 * The local pipeline's settings, from the same Pulumi.<stack>.yaml and the same parser
 * (components/config.ts) as the deployed stack, so redrive, visibility timeout, tax, seller and
 * sender match what `pulumi up` would create.
 */
export function localStackSettings(stack: string, root = ROOT): LocalStackSettings {
  const c = parseStackConfig(readStackConfigFile(stack, root), stack);
  return {
    stack,
    stage: c.stack,
    prefix: resourcePrefix(stack),
    region: c.region,
    maxReceiveCount: c.queue.maxReceiveCount,
    visibilityTimeoutSeconds: visibilityTimeoutSeconds(c.worker.messageBudgetSeconds),
    sender: c.emailSender,
    linkTtlDays: c.notifier.linkTtlDays,
    seller: c.seller,
    tax: c.tax,
    payment: { shopCurrency: c.shop.currency, paymentProvider: c.payment.provider, paymentExpiryMinutes: c.payment.expiryMinutes },
    retention: c.data.retention,
  };
}

/** A deployed stack as the operator CLIs reach it: its outputs (`pulumi stack output`) and its region. */
export function deployedStack(stack: string): { readonly outputs: Record<string, string>; readonly region: string } {
  const outputs = JSON.parse(execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8" }));
  return { outputs, region: String(readStackConfigFile(stack)["aws:region"]) };
}
