/** `npm run openapi`: writes the checked-in API documents (a test fails while they are stale). */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildOpenApiDocument } from "./document";
import { postmanCollection, postmanEnvironments } from "./postman";

/** The checked-in files and their contents as generated now. */
export function generatedFiles(): Record<string, string> {
  const doc = buildOpenApiDocument();
  // The collection is built from the document as written (plain JSON), as a reader of openapi.json would.
  const plain = JSON.parse(JSON.stringify(doc));
  const text = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  const envs = postmanEnvironments();
  return {
    [path.join(__dirname, "openapi.json")]: text(plain),
    [path.join(__dirname, "shop-backend.postman_collection.json")]: text(postmanCollection(plain)),
    [path.join(__dirname, "local.postman_environment.json")]: text(envs.local),
    [path.join(__dirname, "deployed.postman_environment.json")]: text(envs.deployed),
  };
}

if (require.main === module) {
  for (const [file, text] of Object.entries(generatedFiles())) {
    fs.writeFileSync(file, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
