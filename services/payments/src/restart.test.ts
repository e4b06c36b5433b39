import { PaymentsService } from "@tessera/contracts/payments/v1";
import { newId } from "@tessera/kit";
import { testCallers, testClient } from "@tessera/kit/testing";
import { describe, expect, it } from "vitest";
import { authorizePayment, capturePayment, deliver } from "./testing/commands.ts";
import { startTestPayments } from "./testing/test-service.ts";

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });

describe("payments after a restart", () => {
  it("refunds a payment captured before the restart, and keys used before it still dedupe", async () => {
    let t = await startTestPayments();
    try {
      const orderId = newId();
      await deliver(t, authorizePayment({ orderId, amountMinor: 6_000n }));
      await deliver(t, capturePayment(orderId));
      const before = testClient(PaymentsService, `127.0.0.1:${t.rpcPort}`, testCallers.operator);
      await before
        .refundPayment({ orderId, amount: usd(1_000n), idempotencyKey: "before" })
        .finally(() => before.close());

      t = await t.restart();
      const client = testClient(PaymentsService, `127.0.0.1:${t.rpcPort}`, testCallers.operator);
      try {
        const after = await client.refundPayment({ orderId, amount: usd(2_000n), idempotencyKey: "after" });
        expect(after.payment?.refunded?.amountMinor).toBe(3_000n);
        const repeated = await client.refundPayment({
          orderId,
          amount: usd(1_000n),
          idempotencyKey: "before",
        });
        expect(repeated.payment?.refunded?.amountMinor).toBe(3_000n);
      } finally {
        client.close();
      }

      // The processor itself still knows its keys: the same refund request gets the same refund back.
      const payment = (await t.payments.findByOrder(undefined, orderId))!;
      const journal = await t.ledger.entriesOf(payment.id);
      const firstRefund = journal.find((entry) => entry.kind === "refund")!;
      const again = await t.processor.refund(
        {
          idempotencyKey: `refund:${payment.id}:before`,
          authorizationId: payment.authorizationId,
          amountMinor: 1_000n,
        },
        { signal: AbortSignal.timeout(5_000) },
      );
      expect(again.refundId).toBe(firstRefund.reference);
      expect(await t.processor.authorizations(orderId)).toMatchObject([
        { id: payment.authorizationId, status: "captured", capturedMinor: 6_000n, refundedMinor: 3_000n },
      ]);
      expect(await t.ledger.summary()).toMatchObject({ sumOfEntries: 0n, unbalancedEntries: 0n });
    } finally {
      await t.stop();
    }
  });
});
