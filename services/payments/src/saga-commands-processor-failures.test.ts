import { newId } from "@tessera/kit";
import { waitFor } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizePayment, capturePayment, deliver, publishedEvents, settled } from "./testing/commands.ts";
import { startTestPayments, type TestPayments } from "./testing/test-service.ts";

describe("the saga command handlers through processor failures", () => {
  let t: TestPayments;

  beforeAll(async () => {
    // Retries a second apart: time to see a failed attempt and end the failures before the next one.
    t = await startTestPayments({ env: { PAYMENTS_PROCESSOR_RETRY_MS: "1000" } });
  });

  afterAll(async () => {
    await t?.stop();
  });

  const payment = (orderId: string) => t.payments.findByOrder(undefined, orderId);

  /** Fails every call of `step` until a failed attempt is recorded, then lets the next one through. */
  async function throughFailures(orderId: string, step: () => Promise<void>) {
    t.processor.setFailureRate(1);
    try {
      await step();
      await waitFor("a failed attempt", async () => {
        const [call] = await t.calls.pending(undefined, orderId);
        return call !== undefined && call.failures >= 1;
      });
      return { paymentDuringFailures: await payment(orderId) };
    } finally {
      t.processor.setFailureRate(0);
    }
  }

  it("charges once: calls made again after lost answers reuse the idempotency keys", async () => {
    const orderId = newId();
    const authorizing = await throughFailures(orderId, () =>
      deliver(t, authorizePayment({ orderId, amountMinor: 5_000n }), { settle: false }),
    );
    expect(authorizing.paymentDuringFailures).toBeUndefined();
    await settled(t, orderId);
    expect(await payment(orderId)).toMatchObject({ status: "authorized" });

    const capturing = await throughFailures(orderId, () =>
      deliver(t, capturePayment(orderId), { settle: false }),
    );
    expect(capturing.paymentDuringFailures).toMatchObject({ status: "authorized" });
    await settled(t, orderId);
    expect(await t.processor.authorizations(orderId)).toMatchObject([
      { status: "captured", capturedMinor: 5_000n },
    ]);
    expect((await publishedEvents(t, orderId)).map((e) => e.type)).toEqual([
      "PaymentAuthorized",
      "PaymentCaptured",
    ]);
    expect(await t.ledger.entriesOf((await payment(orderId))!.id)).toHaveLength(2);
  });
});
