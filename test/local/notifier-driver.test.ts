import { expect } from "chai";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { useLocalAws } from "../helpers/aws";
import { drainQueue, queueDepth } from "../helpers/deps";
import { s3Event } from "../helpers/events";
import { waitUntil } from "../helpers/wait";
import { notifierSchedule, startNotifierDriver } from "../../local/notifier-driver";
import { NOTIFIER_RETRY_DELAYS_SECONDS } from "../../components/scaling";

describe("local notifier driver", function () {
  this.timeout(60000);

  describe("notifierSchedule", () => {
    it("is Lambda's own at speedup 1: retries 60 s and 120 s after a failure, the claim lease 120 s", () => {
      expect(notifierSchedule()).to.deep.equal({ retryDelaysSeconds: [60, 120], claimLeaseSeconds: 120 });
    });

    it("divides the delays and the lease by one factor, so a dead attempt's claim still ends before the last retry", () => {
      const s = notifierSchedule(12);
      expect(s).to.deep.equal({ retryDelaysSeconds: [5, 10], claimLeaseSeconds: 10 });
      expect(s.claimLeaseSeconds).to.be.below(s.retryDelaysSeconds.reduce((a, b) => a + b, 0));
    });

    for (const speedup of [0, 0.5, 7, Number.NaN]) {
      it(`refuses a speedup of ${speedup} (below 1, or not whole seconds)`, () => {
        expect(() => notifierSchedule(speedup)).to.throw(RangeError, /whole seconds/);
      });
    }
  });

  describe("delivery", () => {
    const ctx = useLocalAws({ bucketEventsQueue: true });

    it("retries a failing event after each delay of its schedule, then hands Lambda's on-failure record to the failure queue", async () => {
      // Prepare: an event whose every attempt fails; the schedule 60 times faster than Lambda's (1 s, then 2 s).
      const event = s3Event(ctx.resources.bucket, ["invoices/ord_DriverTest0001.pdf"]);
      const attempts: number[] = [];
      const { retryDelaysSeconds } = notifierSchedule(60);
      await ctx.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: ctx.resources.bucketEventsQueueUrl!, MessageBody: JSON.stringify(event) }),
      );
      const driver = startNotifierDriver({
        sqs: ctx.clients.sqs,
        queueUrl: ctx.resources.bucketEventsQueueUrl!,
        failureQueueUrl: ctx.resources.emailFailureQueueUrl!,
        retryDelaysSeconds,
        // S3's test event from provisioning succeeds; ours fails every attempt.
        handler: async (e) => {
          if (JSON.stringify(e) !== JSON.stringify(event)) return;
          attempts.push(Date.now());
          throw new Error("boom");
        },
        log: () => undefined,
      });
      try {
        // Act
        expect(await waitUntil(async () => (await queueDepth(ctx, ctx.resources.emailFailureQueueUrl!)) === 1, 30000, 100)).to.equal(true);
      } finally {
        await driver.stop();
      }
      // Assess: one attempt and one per retry, each retry no sooner than its delay after the (instant) failure before it.
      expect(attempts).to.have.length(NOTIFIER_RETRY_DELAYS_SECONDS.length + 1);
      retryDelaysSeconds.forEach((d, i) => expect(attempts[i + 1] - attempts[i], `wait before retry ${i + 1}`).to.be.at.least(d * 1000));
      const [record] = await drainQueue(ctx, ctx.resources.emailFailureQueueUrl!);
      const r = JSON.parse(record.body) as {
        requestContext: { condition: string; approximateInvokeCount: number };
        requestPayload: unknown;
        responsePayload: { errorMessage: string };
      };
      expect([r.requestContext.condition, r.requestContext.approximateInvokeCount]).to.deep.equal(["RetriesExhausted", attempts.length]);
      expect(r.requestPayload).to.deep.equal(event);
      expect(r.responsePayload.errorMessage).to.equal("boom");
      expect(await queueDepth(ctx, ctx.resources.bucketEventsQueueUrl!)).to.equal(0);
    });
  });
});
