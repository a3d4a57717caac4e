import { expect } from "chai";
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { SENDER, useLocalAws } from "../helpers/aws";
import { LocalInbox } from "../../local/inbox";

describe("the moto launcher (local/moto_server.py)", () => {
  const ctx = useLocalAws();
  const item = async (pk: string) => (await ctx.clients.ddb.send(new GetCommand({ TableName: ctx.resources.table, Key: { pk } }))).Item;
  const put = (pk: string, value: number) => ctx.clients.ddb.send(new PutCommand({ TableName: ctx.resources.table, Item: { pk, value } }));

  it("undoes a failed transaction's writes to the items it named and leaves every other item alone", async () => {
    // Prepare: B exists, C holds a value the transaction's condition rejects, D is unrelated.
    await put("B", 1);
    await put("C", 1);
    await put("D", 1);

    // Act: put A, update B, then fail on C's condition: DynamoDB applies none of it.
    const error = await ctx.clients.ddb
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: ctx.resources.table, Item: { pk: "A", value: 1 } } },
            {
              Update: {
                TableName: ctx.resources.table,
                Key: { pk: "B" },
                UpdateExpression: "SET #v = :two",
                ExpressionAttributeNames: { "#v": "value" },
                ExpressionAttributeValues: { ":two": 2 },
              },
            },
            {
              ConditionCheck: {
                TableName: ctx.resources.table,
                Key: { pk: "C" },
                ConditionExpression: "#v = :two",
                ExpressionAttributeNames: { "#v": "value" },
                ExpressionAttributeValues: { ":two": 2 },
              },
            },
          ],
        }),
      )
      .then(
        () => undefined,
        (e: Error) => e,
      );

    // Assess
    expect(error?.name).to.equal("TransactionCanceledException");
    expect(await item("A")).to.equal(undefined);
    expect(await item("B")).to.deep.equal({ pk: "B", value: 1 });
    expect(await item("C")).to.deep.equal({ pk: "C", value: 1 });
    expect(await item("D")).to.deep.equal({ pk: "D", value: 1 });
  });

  it("commits a transaction that succeeds", async () => {
    // Act
    await ctx.clients.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: ctx.resources.table, Item: { pk: "A", value: 1 } } },
          { Put: { TableName: ctx.resources.table, Item: { pk: "B", value: 2 }, ConditionExpression: "attribute_not_exists(pk)" } },
        ],
      }),
    );

    // Assess
    expect(await item("A")).to.deep.equal({ pk: "A", value: 1 });
    expect(await item("B")).to.deep.equal({ pk: "B", value: 2 });
  });

  it("feeds the local inbox only the mail sent since it last looked", async () => {
    // Prepare
    const send = (subject: string) =>
      ctx.clients.ses.send(
        new SendEmailCommand({
          Source: SENDER,
          Destination: { ToAddresses: ["alice@example.com"] },
          Message: { Subject: { Data: subject }, Body: { Html: { Data: `<p>${subject}</p>` } } },
        }),
      );
    const inbox = new LocalInbox(ctx.moto.endpoint);
    const asked: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((url: string, init?: RequestInit) => {
      asked.push(String(url));
      return realFetch(url, init);
    }) as typeof fetch;

    // Act
    let first, second;
    try {
      await send("one");
      await send("two");
      first = await inbox.list();
      await send("three");
      second = await inbox.list();
    } finally {
      globalThis.fetch = realFetch;
    }

    // Assess: newest first, and the second look asked only for what came after the first two.
    expect(first.map((m) => m.subject)).to.deep.equal(["two", "one"]);
    expect(second.map((m) => m.subject)).to.deep.equal(["three", "two", "one"]);
    expect(asked.map((u) => new URL(u).search)).to.deep.equal(["?from=0", "?from=2"]);
  });
});
