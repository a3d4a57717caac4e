import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

/** What the local pipeline takes from a Pulumi stack's configuration. */
export interface LocalStackSettings {
  readonly stack: string;
  readonly stage: string;
  readonly prefix: string;
  readonly region: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  readonly taxRateBps: number;
  readonly sender: string;
  readonly linkTtlDays: number;
  readonly seller: { name: string; address: string; taxId?: string; email?: string };
}

const ROOT = path.resolve(__dirname, "..");

/** Reads Pulumi.yaml's project name and Pulumi.<stack>.yaml's config map (keys without the project prefix). */
export function readStackConfigFile(stack: string, root = ROOT): { project: string; raw: Record<string, unknown> } {
  const project = String((parseYaml(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string }).name);
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.config ?? {})) {
    if (k.startsWith(`${project}:`)) raw[k.slice(project.length + 1)] = v;
    else raw[k] = v; // provider keys such as aws:region keep their namespace
  }
  return { project, raw };
}

/** INTERIM: replaced by the stack config parser. */
export function localStackSettings(stack: string): LocalStackSettings {
  return {
    stack, stage: stack, prefix: `shop-${stack}`, region: "us-east-1", maxReceiveCount: 5, visibilityTimeoutSeconds: 120,
    taxRateBps: 2000, sender: "invoices@shop.example", linkTtlDays: 30,
    seller: { name: "Acme Shop GmbH", address: "Hauptstr. 1|10115 Berlin|Germany", taxId: "DE123456789", email: "billing@shop.example" },
  };
}
