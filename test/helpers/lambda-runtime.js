// A stand-in for Lambda's Node.js runtime, run as its own process (plain JavaScript: no ts-node,
// no project modules) by the runtime's Node major with the heap flags of the function's memory
// (test/helpers/lambda-artifact.ts). It loads the handler the way Lambda does (`<file>.<export>`
// under the task root), serves invocations sent over IPC one at a time, as one warm container
// would, and records every module the code asks for that is not a Node built-in: for a
// self-contained archive that list stays empty, and nothing outside the task folder can be found anyway.
"use strict";
const Module = require("node:module");
const path = require("node:path");
const v8 = require("node:v8");

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const [file, exportName] = process.env._HANDLER.split(".");
const external = new Set();
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const builtin = Module.isBuiltin(request);
  const resolved = resolve.call(this, request, parent, ...rest);
  if (!builtin && !resolved.startsWith(taskRoot + path.sep)) external.add(request);
  return resolved;
};
process.chdir(taskRoot);

let handler;
let initError;
try {
  handler = require(path.join(taskRoot, file))[exportName];
  if (typeof handler !== "function") throw new Error(`${process.env._HANDLER} is not a function`);
} catch (e) {
  initError = e;
}

process.on("message", async (msg) => {
  // As Lambda's runtime does for each invocation of a traced function: the trace header in the environment.
  if (msg.traceHeader) process.env._X_AMZN_TRACE_ID = msg.traceHeader;
  else delete process.env._X_AMZN_TRACE_ID;
  const fnName = process.env.AWS_LAMBDA_FUNCTION_NAME;
  const context = {
    awsRequestId: msg.id,
    functionName: fnName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${fnName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
  };
  let reply;
  try {
    if (initError) throw initError;
    reply = { id: msg.id, result: await handler(msg.event, context) };
  } catch (e) {
    // As Lambda reports a function error: the type and message, nothing else crosses.
    reply = { id: msg.id, error: { errorType: (e && e.name) || "Error", errorMessage: String((e && e.message) || e) } };
  }
  reply.external = [...external];
  process.send(reply);
});
// What this container runs on, as the code inside it sees it.
process.send({
  ready: true,
  report: { nodeVersion: process.version, heapSizeLimit: v8.getHeapStatistics().heap_size_limit, execArgv: process.execArgv },
});
