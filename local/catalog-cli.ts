/**
 * `npm run catalog -- import FILE.json|FILE.csv [--stack NAME | --local] [--dry-run] [--deactivate-missing]`
 * and `npm run catalog -- list [...]`: the shop's catalog in a stack's orders table. A deployed
 * stack's table comes from `pulumi stack output` (tableName); `--local` uses the running `npm start`.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { parseCatalogArgs, runCatalogCommand } from "./catalog";
import { localAwsConfig, readSession } from "./session";
import { deployedStack } from "./stack-settings";

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const args = parseCatalogArgs(process.argv.slice(2));
  let ddbRaw: DynamoDBClient;
  let table: string;
  if ("local" in args.target) {
    const s = readSession();
    ddbRaw = new DynamoDBClient(localAwsConfig(s));
    table = s.table;
  } else {
    const { outputs, region } = deployedStack(args.target.stack);
    ddbRaw = new DynamoDBClient({ region });
    table = outputs.tableName;
  }
  try {
    process.exitCode = await runCatalogCommand(args, DynamoDBDocumentClient.from(ddbRaw), table, {
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
    });
  } finally {
    ddbRaw.destroy();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
