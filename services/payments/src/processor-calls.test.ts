import { AuthorizePaymentSchema } from "@tessera/contracts/orders/v1";
import { PaymentsService } from "@tessera/contracts/payments/v1";
import { newId } from "@tessera/kit";
import { startTestProducer, testCallers, testClient, waitFor, type TestProducer } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeProcessor, type ProcessorProbe } from "./testing/processor-probe.ts";
import {
  authorizePayment,
  capturePayment,
  deliver,
  publishedEvents,
  voidPayment,
} from "./testing/commands.ts";
import { startTestPayments, type TestPayments } from "./testing/test-service.ts";

describe("processor calls", () => {
  let orders: TestProducer;
  let t: TestPayments;
  let probe: ProcessorProbe | undefined;
  const concurrency = 4;

  beforeAll(async () => {
    orders = await startTestProducer("orders");
    t = await startTestPayments({
      // Every call takes 300 ms, as a real processor's might: a transaction held across one shows.
      env: {
        ORDERS_ADDR: orders.address,
        PAYMENTS_PROCESSOR_LATENCY_MS: "300",
        PAYMENTS_PROCESSOR_DEADLINE_MS: "1500",
        PAYMENTS_PROCESSOR_CONCURRENCY: String(concurrency),
      },
      processor: (simulator, databaseUrl) => (probe = probeProcessor(simulator, databaseUrl)),
    });
  });

  afterAll(async () => {
    await t?.stop();
    await probe?.close();
    await orders?.stop();
  });

  it("authorizes many orders at once, never more than the configured concurrency", async () => {
    const orderIds = Array.from({ length: 3 * concurrency }, () => newId());
    await orders.service.db.tx(async (tx) => {
      for (const orderId of orderIds) {
        const command = {
          orderId,
          userId: "buyer",
          amount: { currencyCode: "USD", amountMinor: 1_000n },
          cardToken: "tok_visa",
        };
        await orders.service.publish(tx, AuthorizePaymentSchema, command, { subject: orderId });
      }
    });
    await waitFor("every order authorized", async () => {
      const answered = await Promise.all(orderIds.map(async (id) => (await publishedEvents(t, id)).length));
      return answered.every((count) => count === 1);
    });
    const { maxInFlight } = probe!.report();
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(concurrency);
    const payments = await Promise.all(orderIds.map((id) => t.payments.findByOrder(undefined, id)));
    expect(payments.map((p) => p?.status)).toEqual(orderIds.map(() => "authorized"));
  });

  it("makes every processor call with no transaction of the payments database open", async () => {
    // One call at a time from here (each step waits for its outcome): nothing else of payments is
    // in a transaction during a call unless that transaction is waiting for the call.
    probe!.reset();
    const [captured, voided, timedOut, early] = [newId(), newId(), newId(), newId()];
    await deliver(t, authorizePayment({ orderId: captured, amountMinor: 5_000n }));
    await deliver(t, capturePayment(captured));
    await deliver(t, authorizePayment({ orderId: voided }));
    await deliver(t, voidPayment(voided));
    await deliver(t, authorizePayment({ orderId: timedOut, cardToken: "tok_processor_timeout" }));
    await deliver(t, voidPayment(early));
    const client = testClient(PaymentsService, `127.0.0.1:${t.rpcPort}`, testCallers.operator);
    try {
      const amount = { currencyCode: "USD", amountMinor: 500n };
      await client.refundPayment({ orderId: captured, amount, idempotencyKey: "probe" });
    } finally {
      client.close();
    }
    const report = probe!.report();
    expect(report.openTransactions).toEqual([]);
    // authorize ×3, capture, void ×3 (one a technical cancel of the timeout, one before any authorization), refund
    expect(report.calls).toBeGreaterThanOrEqual(8);
    expect(await t.payments.findByOrder(undefined, timedOut)).toMatchObject({
      declineReason: "processor_timeout",
    });
  });
});
