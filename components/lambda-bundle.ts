import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as esbuild from "esbuild";

/**
 * The one build step between a handler's source and what Lambda runs:
 *
 *   callbackFactory --Pulumi's closure serializer--> __index.js --esbuild--> index.js (one file)
 *
 * The factory is serialized as CallbackFunction would, but it captures no runtime code by value:
 * it `require`s its entry module by a literal path, and esbuild compiles that module and every
 * dependency (the AWS SDK included, at the lockfile's versions) from source into one minified
 * file. Pulumi's serializer rebuilds captured classes without their class fields, constructor
 * bodies or prototype links (every ApiError became a 500 in the deployed API); bundling from
 * source leaves nothing for it to rebuild.
 */

/** The archive's only file and the handler string Lambda loads it by. */
export const LAMBDA_FILE = "index.js";
export const LAMBDA_HANDLER = "index.handler";
/** Lambda's nodejs22.x runtime: esbuild emits syntax it runs natively. */
export const LAMBDA_NODE_TARGET = "node22";

/**
 * Each Lambda's callback factory, as CallbackFunction takes it: run once per container, it loads
 * its entry module (runtime/lambda/) and builds the handler. The `require` path is a literal,
 * relative to this folder, so the bundler resolves it from source.
 */
export const LAMBDA_ENTRIES = {
  "order-api": () => (require("../runtime/lambda/order-api") as typeof import("../runtime/lambda/order-api")).createOrderApiHandler(),
  "email-notifier": () =>
    (require("../runtime/lambda/email-notifier") as typeof import("../runtime/lambda/email-notifier")).createEmailNotifierHandler(),
  "email-events": () =>
    (require("../runtime/lambda/email-events") as typeof import("../runtime/lambda/email-events")).createEmailEventsHandler(),
} as const;
/** The name of a Lambda entry. */
export type LambdaEntry = keyof typeof LAMBDA_ENTRIES;
/** The folder the entries' require paths are relative to. */
const FACTORY_DIR = __dirname;

/** Serializes a Lambda callback factory with Pulumi's closure serializer (as CallbackFunction does). */
export async function serializeFactory(factory: () => unknown): Promise<string> {
  const closure = await pulumi.runtime.serializeFunction(factory, {
    exportName: "handler",
    isFactoryFunction: true,
  });
  return closure.text;
}

/**
 * What the serialized factory captured by value, besides itself. The serializer copies every
 * function, class and object a closure references into the text (as `function __fN` definitions
 * and `with({ name: value })` bindings); a factory that only requires its entry module captures
 * nothing. Anything listed here would go through the serializer, which is exactly what must not
 * happen.
 */
export function capturedByValue(serialized: string): string[] {
  const functions = [...serialized.matchAll(/^function (__\w+)\(/gm)].map((m) => m[1]);
  const bindings = [...serialized.matchAll(/with\(\{ (.*?) \}\)/g)]
    .flatMap((m) => [...m[1].matchAll(/(?:^|, )([\w$]+): /g)].map((k) => k[1]))
    .filter((k) => k !== "this" && k !== "arguments");
  return [...functions.slice(1), ...new Set(bindings)];
}

/** The name the bundle's entry requires the serialized closure by. */
const CLOSURE_MODULE = "pulumi-serialized-closure";

/** What esbuild produced for one function. */
export interface LambdaBundle {
  /** The bundled, minified handler module. */
  readonly code: string;
  /** Every input file with code in the bundle, relative to the project root (from esbuild's metafile). */
  readonly inputs: readonly string[];
  /** What the bundle still imports at run time (from its metafile): only Node built-ins may be left. */
  readonly externals: readonly string[];
}

/**
 * Bundles serialized closure text into one self-contained CommonJS file for Lambda: the AWS SDK
 * included, nothing left to `require` but Node's built-ins. Deterministic for the same inputs.
 */
export async function bundleClosure(
  serialized: string,
  resolveDir: string,
  projectRoot = path.resolve(__dirname, ".."),
): Promise<LambdaBundle> {
  const captured = capturedByValue(serialized);
  if (captured.length) {
    throw new Error(
      `The Lambda factory captured ${captured.join(", ")} by value; it must only require its entry module by a literal path ` +
        `(see LAMBDA_ENTRIES), so that esbuild compiles the runtime from source and the serializer rebuilds none of it.`,
    );
  }
  const result = await esbuild.build({
    // The entry is the serialized closure, served from outside the file system: it uses `with`,
    // which strict mode forbids, so the file as a whole must not start with "use strict" (as it
    // would under an explicit strict tsconfig). Each TypeScript module still gets its own, from the
    // tsconfig.json esbuild finds for it.
    entryPoints: [CLOSURE_MODULE],
    plugins: [
      {
        name: "serialized-closure",
        setup(b) {
          b.onResolve({ filter: new RegExp(`^${CLOSURE_MODULE}$`) }, () => ({ path: "__index.js", namespace: "closure" }));
          b.onLoad({ filter: /.*/, namespace: "closure" }, () => ({ contents: serialized, loader: "js", resolveDir }));
        },
      },
    ],
    bundle: true,
    platform: "node",
    format: "cjs",
    // The SDK's ES module builds, so unused code is shaken out (the CommonJS builds cannot be).
    mainFields: ["module", "main"],
    target: LAMBDA_NODE_TARGET,
    minify: true,
    // Readable function and class names in stack traces and error logs.
    keepNames: true,
    legalComments: "none",
    write: false,
    metafile: true,
    absWorkingDir: projectRoot,
    logLevel: "silent",
  });
  const out = result.outputFiles[0];
  const [output] = Object.values(result.metafile.outputs);
  return {
    code: out.text,
    inputs: Object.entries(output.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([name]) => name)
      .sort(),
    externals: [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort(),
  };
}

/** Serializes and bundles an entry: the code Lambda runs. */
export async function buildLambda(entry: LambdaEntry): Promise<LambdaBundle> {
  return bundleClosure(await serializeFactory(LAMBDA_ENTRIES[entry]), FACTORY_DIR);
}

/** The function's archive: the bundle as its one file. */
export async function lambdaArchive(entry: LambdaEntry): Promise<pulumi.asset.Archive> {
  const bundle = await buildLambda(entry);
  return new pulumi.asset.AssetArchive({ [LAMBDA_FILE]: new pulumi.asset.StringAsset(bundle.code) });
}
