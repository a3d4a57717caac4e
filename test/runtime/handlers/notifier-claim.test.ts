import { expect } from "chai";
import { DeleteIdentityCommand, VerifyEmailIdentityCommand } from "@aws-sdk/client-ses";
import { useLocalAws, SENDER, type LocalAws } from "../../helpers/aws";
import { apiDeps, capturingLogger, drainQueue, notifierDeps, tableItems, workerDeps } from "../../helpers/deps";
import { orderBody, postOrder, s3Event } from "../../helpers/events";
import { useFaultProxy } from "../../helpers/faulty-aws";
import { handleApiRequest } from "../../../runtime/handlers/order-api";
import { processOrderMessage } from "../../../runtime/handlers/invoice-worker";
import { handleS3Event, NotificationFailures } from "../../../runtime/handlers/email-notifier";
import { OrderStore } from "../../../runtime/domain/store";
import { motoSentEmails } from "../../../local/moto";

/** Places an order and invoices it; returns its id. */
async function invoicedOrder(ctx: LocalAws): Promise<string> {
  const r = await handleApiRequest(postOrder(orderBody()), apiDeps(ctx));
  const [msg] = await drainQueue(ctx);
  await processOrderMessage(msg.body, workerDeps(ctx));
  return JSON.parse(r.body).orderId;
}

const settled = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ ok: true as const, v }),
    (e: unknown) => ({ ok: false as const, e }),
  );

describe("email notifier: the claim is never read as sent", () => {
  const ctx = useLocalAws();
  const f = useFaultProxy(ctx, "email-notifier");
  const LEASE_MS = 120_000;
  const deps = (o: Parameters<typeof notifierDeps>[1] = {}) =>
    notifierDeps(ctx, { ddb: f.clients.ddb, ses: f.clients.ses, sleep: async () => undefined, ...o });
  const event = (orderId: string) => s3Event(ctx.resources.bucket, [`invoices/${orderId}.pdf`]);
  const item = async (orderId: string) => (await tableItems(ctx)).find((i) => i.pk === `ORDER#${orderId}`)!;
  const emails = async () => (await motoSentEmails(ctx.moto.endpoint)).length;
  const later = (ms: number) => () => new Date(Date.now() + ms);

  it("sends when its claim committed but the answer was lost and the SDK retried into its own claim", async () => {
    const orderId = await invoicedOrder(ctx);
    const rule = f.proxy.arm({
      service: "dynamodb",
      action: "UpdateItem",
      body: /notifyClaimId = :id/,
      fault: { kind: "lost-ack" },
      times: 1,
    });
    const counts = await handleS3Event(event(orderId), deps());
    expect([f.proxy.injected(rule), counts.sent, await emails(), (await item(orderId)).status]).to.deep.equal([1, 1, 1, "NOTIFIED"]);
  });

  it("fails the event while a dead handler's claim is live, then sends once after the lease", async () => {
    // Prepare: a handler took the claim and died before sending.
    const orderId = await invoicedOrder(ctx);
    expect(
      await new OrderStore(ctx.as["email-notifier"].ddb, ctx.resources.table).claimNotification(
        orderId,
        new Date(),
        LEASE_MS,
        "dead-handler",
      ),
    ).to.equal(true);
    // Act: the redelivery within the lease
    const { log, lines } = capturingLogger();
    const early = await settled(handleS3Event(event(orderId), deps({ log })));
    // Assess: not counted as done, nothing sent, a warning logged
    expect(early.ok ? early.v : (early.e as Error).name).to.equal("NotificationFailures");
    expect([await emails(), (await item(orderId)).status]).to.deep.equal([0, "INVOICED"]);
    expect(lines.some((l) => JSON.parse(l).errorName === "ClaimHeld")).to.equal(true);
    // Act: the redelivery after the lease
    const counts = await handleS3Event(event(orderId), deps({ now: later(LEASE_MS + 1000) }));
    expect([counts.sent, await emails(), (await item(orderId)).status]).to.deep.equal([1, 1, "NOTIFIED"]);
  });

  it("records NOTIFIED through a store brown-out after SES accepted, so a redelivery sends nothing", async () => {
    const orderId = await invoicedOrder(ctx);
    // Every SDK attempt of the first NOTIFIED write and one more fail.
    const rule = f.proxy.arm({
      service: "dynamodb",
      action: "UpdateItem",
      body: /"NOTIFIED"/,
      fault: { kind: "fail", status: 500 },
      times: 4,
    });
    const counts = await handleS3Event(event(orderId), deps());
    const again = await handleS3Event(event(orderId), deps({ now: later(LEASE_MS + 1000) }));
    expect([f.proxy.injected(rule), counts.sent, again["already-notified"], await emails()]).to.deep.equal([4, 1, 1, 1]);
    expect((await item(orderId)).status).to.equal("NOTIFIED");
  });

  it("keeps the claim and fails loudly when NOTIFIED cannot be recorded; no second email within the lease", async () => {
    const orderId = await invoicedOrder(ctx);
    f.proxy.arm({ service: "dynamodb", action: "UpdateItem", body: /"NOTIFIED"/, fault: { kind: "fail", status: 500 } });
    const { log, lines } = capturingLogger();
    const first = await settled(handleS3Event(event(orderId), deps({ log })));
    expect(first.ok).to.equal(false);
    expect(lines.map((l) => JSON.parse(l)).some((l) => l.alarm === "email-notified-unrecorded" && l.messageId)).to.equal(true);
    f.proxy.clear();
    const redelivery = await settled(handleS3Event(event(orderId), deps()));
    expect([redelivery.ok, await emails(), (await item(orderId)).notifyClaimedAt !== undefined]).to.deep.equal([false, 1, true]);
    // The documented at-least-once window: after the lease a redelivery sends again rather than never.
    await handleS3Event(event(orderId), deps({ now: later(LEASE_MS + 1000) }));
    expect([await emails(), (await item(orderId)).status]).to.deep.equal([2, "NOTIFIED"]);
  });

  it("releases the claim when SES refuses (sender not verified), so the retry sends at once", async () => {
    const orderId = await invoicedOrder(ctx);
    await ctx.clients.ses.send(new DeleteIdentityCommand({ Identity: SENDER }));
    const failed = await settled(handleS3Event(event(orderId), deps()));
    expect(failed.ok ? "ok" : (failed.e as Error).name).to.equal("NotificationFailures");
    expect((await item(orderId)).notifyClaimedAt).to.equal(undefined);
    await ctx.clients.ses.send(new VerifyEmailIdentityCommand({ EmailAddress: SENDER }));
    const counts = await handleS3Event(event(orderId), deps());
    expect([counts.sent, await emails()]).to.deep.equal([1, 1]);
  });

  it("keeps the claim when SES fails on its side (it may have sent), and sends after the lease", async () => {
    const orderId = await invoicedOrder(ctx);
    f.proxy.arm({ service: "ses", fault: { kind: "fail", status: 500, code: "InternalFailure" } });
    const { log, lines } = capturingLogger();
    const failed = await settled(handleS3Event(event(orderId), deps({ log })));
    expect(failed.ok ? undefined : failed.e).to.be.instanceOf(NotificationFailures);
    expect(lines.some((l) => JSON.parse(l).alarm === "email-outcome-unknown")).to.equal(true);
    f.proxy.clear();
    expect((await settled(handleS3Event(event(orderId), deps()))).ok).to.equal(false); // lease still live
    const counts = await handleS3Event(event(orderId), deps({ now: later(LEASE_MS + 1000) }));
    expect([counts.sent, await emails()]).to.deep.equal([1, 1]);
  });
});
