/**
 * Run by test/components/module-graph.test.ts in a fresh process: runs the Pulumi program
 * (index.ts) for one stack under mocks and prints, as JSON, every module file the process loaded,
 * relative to the project root.
 */
import * as path from "node:path";
import { ROOT, SHOP_CONFIG, runProgram } from "./pulumi-mocks";

void (async () => {
  const stack = (process.argv[2] ?? "dev") as "dev" | "prod";
  const run = await runProgram(stack, SHOP_CONFIG[stack]);
  const modules = Object.keys(require.cache).map((f) => path.relative(ROOT, f));
  process.stdout.write(JSON.stringify({ resources: run.resources.length, modules }));
  process.exit(0);
})();
