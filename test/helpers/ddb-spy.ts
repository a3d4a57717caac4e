import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { REGION } from "./aws";

/** A document client of its own (not shared with other tests) that records every command it sends and can fail chosen ones. */
export interface DdbSpy {
  readonly ddb: DynamoDBDocumentClient;
  /** Names of the commands sent, in order ("BatchGetItemCommand", ...). */
  readonly sent: string[];
  /** Makes the `nth` (1-based, counted from now) `command` fail with `error()` before it reaches DynamoDB. */
  failNth(command: string, nth: number, error: () => Error): void;
  /** Runs `hook` (once) just before the `nth` `command` is sent, e.g. to change an item under a writer. */
  beforeNth(command: string, nth: number, hook: () => Promise<void>): void;
  destroy(): void;
}

/** A DdbSpy on the moto at `endpoint`: the fault moto cannot produce is injected in the client's middleware. */
export function ddbSpy(endpoint: string): DdbSpy {
  const raw = new DynamoDBClient({ region: REGION, endpoint });
  const sent: string[] = [];
  const rules: { command: string; nth: number; act: () => Promise<void> }[] = [];
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      sent.push(name);
      const count = sent.filter((n) => n === name).length;
      for (const r of rules.filter((x) => x.command === name && x.nth === count)) await r.act();
      return next(args);
    },
    { step: "initialize", name: "ddbSpy" },
  );
  const at = (command: string, nth: number) => sent.filter((n) => n === command).length + nth;
  return {
    ddb: DynamoDBDocumentClient.from(raw),
    sent,
    failNth: (command, nth, error) =>
      rules.push({
        command,
        nth: at(command, nth),
        act: async () => {
          throw error();
        },
      }),
    beforeNth: (command, nth, hook) => rules.push({ command, nth: at(command, nth), act: hook }),
    destroy: () => raw.destroy(),
  };
}
