import { AuthorizePaymentSchema, CapturePaymentSchema } from "@tessera/contracts/orders/v1";
import { PaymentsService, PaymentStatus } from "@tessera/contracts/payments/v1";
import { ConfigError, createClient, listAll, newId, type Client } from "@tessera/kit";
import {
  createTestDatabase,
  type TestDatabase,
  startTestProducer,
  type TestProducer,
  testCallers,
  testClient,
  testIssuer,
  waitFor,
} from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizePayment, capturePayment, deliver, publishedEvents, settled } from "./testing/commands.ts";
import { startTestPayments, type TestPayments } from "./testing/test-service.ts";
import { createPayments } from "./wiring.ts";

describe("payments over gRPC and the direct transport", () => {
  let orders: TestProducer;
  let t: TestPayments;
  let client: Client<typeof PaymentsService>;

  beforeAll(async () => {
    orders = await startTestProducer("orders");
    t = await startTestPayments({ env: { ORDERS_ADDR: orders.address } });
    // An operator's client: refunds, and reads what the consistency checker reads.
    client = testClient(PaymentsService, `127.0.0.1:${t.rpcPort}`, testCallers.operator);
  });

  afterAll(async () => {
    client?.close();
    await t?.stop();
    await orders?.stop();
  });

  /** An order authorized and captured through the handlers. */
  async function capturedOrder(amountMinor = 10_000n): Promise<string> {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, amountMinor, userId: "user-42" }));
    await deliver(t, capturePayment(orderId));
    return orderId;
  }

  it("consumes the saga's commands from the orders outbox and answers in its own", async () => {
    const orderId = newId();
    const command = {
      orderId,
      userId: "user-7",
      amount: { currencyCode: "USD", amountMinor: 2_599n },
      cardToken: "tok_visa",
    };
    await orders.service.db.tx(async (tx) => {
      await orders.service.publish(tx, AuthorizePaymentSchema, command, { subject: orderId });
      // The saga re-sent its command after a crash: a second event, the same order.
      await orders.service.publish(tx, AuthorizePaymentSchema, command, { subject: orderId });
      await orders.service.publish(tx, CapturePaymentSchema, { orderId }, { subject: orderId });
    });
    const events = await waitFor("payments to answer the commands", async () => {
      const e = await publishedEvents(t, orderId);
      return e.length >= 2 ? e : undefined;
    });
    expect(events.map((e) => e.type)).toEqual(["PaymentAuthorized", "PaymentCaptured"]);
    const { payment } = await client.getPayment({ orderId });
    expect(payment).toMatchObject({ status: PaymentStatus.CAPTURED, userId: "user-7" });
    expect(payment?.captured).toMatchObject({ currencyCode: "USD", amountMinor: 2_599n });
  });

  it("returns an order's payment with its amounts in minor units", async () => {
    const orderId = await capturedOrder(7_500n);
    const { payment } = await client.getPayment({ orderId });
    expect(payment).toMatchObject({
      orderId,
      userId: "user-42",
      status: PaymentStatus.CAPTURED,
      amount: { currencyCode: "USD", amountMinor: 7_500n },
      captured: { amountMinor: 7_500n },
      refunded: { amountMinor: 0n },
      processorReference: expect.stringMatching(/^sim_auth_/),
    });
    expect(payment?.createTime?.seconds).toBeGreaterThan(0n);
  });

  it.each([
    ["an unknown order", newId(), "not_found"],
    ["a malformed order id", "42", "invalid_argument"],
  ])("answers GetPayment for %s with %s", async (_, orderId, code) => {
    await expect(client.getPayment({ orderId })).rejects.toMatchObject({ code });
  });

  it("refunds in part and then the rest, once per idempotency key", async () => {
    const refundedUsd = async () =>
      Number(
        /^payments_refunded_minor_total\{[^}]*currency="USD"[^}]*\} (\d+)$/m.exec(
          await t.service.metrics.registry.metrics(),
        )?.[1] ?? 0,
      );
    const refundedBefore = await refundedUsd();
    const orderId = await capturedOrder(10_000n);
    const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
    const first = await client.refundPayment({ orderId, amount: usd(2_500n), idempotencyKey: "refund-1" });
    expect(first.payment).toMatchObject({
      status: PaymentStatus.CAPTURED,
      refunded: { amountMinor: 2_500n },
    });
    const repeated = await client.refundPayment({ orderId, amount: usd(2_500n), idempotencyKey: "refund-1" });
    expect(repeated.payment?.refunded?.amountMinor).toBe(2_500n);
    const rest = await client.refundPayment({ orderId, amount: usd(7_500n), idempotencyKey: "refund-2" });
    expect(rest.payment).toMatchObject({
      status: PaymentStatus.REFUNDED,
      refunded: { amountMinor: 10_000n },
    });
    const refunds = (await publishedEvents(t, orderId)).filter((e) => e.type === "PaymentRefunded");
    expect(refunds.map((e) => e.data["amount"])).toEqual([
      { currencyCode: "USD", amountMinor: "2500" },
      { currencyCode: "USD", amountMinor: "7500" },
    ]);
    expect(await t.processor.authorizations(orderId)).toMatchObject([{ refundedMinor: 10_000n }]);
    // Counted once each, the repeat not at all.
    expect((await refundedUsd()) - refundedBefore).toBe(10_000);
  });

  it("refuses a customer a refund, or a payment's details, and a call without a token", async () => {
    const orderId = await capturedOrder(5_000n);
    const customer = testClient(PaymentsService, `127.0.0.1:${t.rpcPort}`, testCallers.customer("user-42"));
    const bare = createClient(PaymentsService, `127.0.0.1:${t.rpcPort}`);
    try {
      const refund = {
        orderId,
        amount: { currencyCode: "USD", amountMinor: 5_000n },
        idempotencyKey: "mine",
      };
      await expect(customer.refundPayment(refund)).rejects.toMatchObject({ code: "permission_denied" });
      await expect(customer.getPayment({ orderId })).rejects.toMatchObject({ code: "permission_denied" });
      await expect(bare.refundPayment(refund)).rejects.toMatchObject({ code: "unauthenticated" });
      expect((await client.getPayment({ orderId })).payment?.refunded?.amountMinor).toBe(0n);
    } finally {
      customer.close();
      bare.close();
    }
  });

  it.each([
    [
      "more than was captured",
      { amount: { currencyCode: "USD", amountMinor: 10_001n } },
      "failed_precondition",
    ],
    ["a negative amount", { amount: { currencyCode: "USD", amountMinor: -1n } }, "invalid_argument"],
    ["a zero amount", { amount: { currencyCode: "USD", amountMinor: 0n } }, "invalid_argument"],
    ["no amount", { amount: undefined }, "invalid_argument"],
    ["another currency", { amount: { currencyCode: "EUR", amountMinor: 1n } }, "invalid_argument"],
    ["no idempotency key", { idempotencyKey: "" }, "invalid_argument"],
    ["an oversized idempotency key", { idempotencyKey: "k".repeat(129) }, "invalid_argument"],
    ["an unknown order", { orderId: newId() }, "not_found"],
    ["a malformed order id", { orderId: "not-an-id" }, "invalid_argument"],
  ])("refuses a refund of %s with %s, moving no money", async (_, change, code) => {
    const orderId = await capturedOrder(10_000n);
    const request = {
      orderId,
      amount: { currencyCode: "USD", amountMinor: 100n },
      idempotencyKey: "k1",
      ...change,
    };
    await expect(client.refundPayment(request)).rejects.toMatchObject({ code });
    expect((await client.getPayment({ orderId })).payment?.refunded?.amountMinor).toBe(0n);
  });

  it("refuses to refund a payment that is only authorized, and reuse of a key for another amount", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId }));
    const refund = { orderId, amount: { currencyCode: "USD", amountMinor: 100n }, idempotencyKey: "k" };
    await expect(client.refundPayment(refund)).rejects.toMatchObject({ code: "failed_precondition" });
    const captured = await capturedOrder();
    await client.refundPayment({ ...refund, orderId: captured });
    await expect(
      client.refundPayment({
        ...refund,
        orderId: captured,
        amount: { currencyCode: "USD", amountMinor: 200n },
      }),
    ).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(/was used for a refund of 100/),
    });
  });

  it("refunds once through processor failures, retried with the same key", async () => {
    const orderId = await capturedOrder(4_000n);
    const refund = { orderId, amount: { currencyCode: "USD", amountMinor: 1_000n }, idempotencyKey: "flaky" };
    t.processor.setFailureRate(1);
    try {
      await expect(client.refundPayment(refund)).rejects.toMatchObject({
        code: "unavailable",
        message: expect.stringMatching(/same idempotency_key/),
      });
      expect((await client.getPayment({ orderId })).payment?.refunded?.amountMinor).toBe(0n);
    } finally {
      t.processor.setFailureRate(0);
    }
    await client.refundPayment(refund);
    await client.refundPayment(refund);
    expect(await t.processor.authorizations(orderId)).toMatchObject([{ refundedMinor: 1_000n }]);
    expect((await client.getPayment({ orderId })).payment?.refunded?.amountMinor).toBe(1_000n);
    const refunds = (await publishedEvents(t, orderId)).filter((e) => e.type === "PaymentRefunded");
    expect(refunds).toHaveLength(1);
  });

  it("refuses refunds that, with those still on their way to the processor, exceed the capture", async () => {
    const orderId = await capturedOrder(3_000n);
    const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
    t.processor.setFailureRate(1);
    try {
      await expect(
        client.refundPayment({ orderId, amount: usd(2_000n), idempotencyKey: "first" }),
      ).rejects.toMatchObject({ code: "unavailable" });
      await expect(
        client.refundPayment({ orderId, amount: usd(2_000n), idempotencyKey: "second" }),
      ).rejects.toMatchObject({
        code: "failed_precondition",
        message: expect.stringMatching(/1000 USD still refundable/),
      });
    } finally {
      t.processor.setFailureRate(0);
    }
    await settled(t, orderId);
    expect((await client.getPayment({ orderId })).payment?.refunded?.amountMinor).toBe(2_000n);
  });

  it("lists every payment and reports a balanced ledger", async () => {
    const declined = newId();
    await deliver(t, authorizePayment({ orderId: declined, cardToken: "tok_card_declined" }));
    const payments = await listAll(
      (page) => client.listPayments(page),
      (response) => response.payments,
    );
    expect(payments.length).toBeGreaterThan(10);
    expect(payments.find((p) => p.orderId === declined)).toMatchObject({
      status: PaymentStatus.DECLINED,
      declineReason: "insufficient_funds",
      decline: { code: "insufficient-funds", message: "the card has insufficient funds" },
    });
    expect(payments.find((p) => p.status === PaymentStatus.CAPTURED)?.decline).toBeUndefined();
    const ledger = await client.getLedger({});
    expect(ledger.sumOfEntries).toMatchObject({ currencyCode: "USD", amountMinor: 0n });
    expect(ledger.unbalancedEntries).toBe(0n);
    expect(ledger.journalEntries).toBeGreaterThan(20n);
    const balance = (name: string) => ledger.accounts.find((a) => a.name === name)?.balance?.amountMinor;
    const sum = (pick: (p: (typeof payments)[number]) => bigint) =>
      payments.reduce((s, p) => s + pick(p), 0n);
    expect(balance("merchant:revenue")).toBe(sum((p) => p.captured?.amountMinor ?? 0n));
    expect(balance("merchant:refunds")).toBe(-sum((p) => p.refunded?.amountMinor ?? 0n));
  });
});

describe("the payments configuration", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase("payments_config");
  });

  afterAll(async () => {
    await database?.drop();
  });

  it.each([
    ["PAYMENTS_PROCESSOR_FAILURE_RATE", "2"],
    ["PAYMENTS_PROCESSOR_LATENCY_MS", "-5"],
    ["PAYMENTS_PROCESSOR_DEADLINE_MS", "soon"],
    ["ORDERS_ADDR", "orders"],
    ["DATABASE_URL", "mysql://localhost/payments"],
  ])("refuses a bad %s, naming it", async (variable, value) => {
    const error: unknown = await createPayments({
      env: { ...(await testIssuer()).env, DATABASE_URL: database.url, [variable]: value },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual([variable]);
  });
});
