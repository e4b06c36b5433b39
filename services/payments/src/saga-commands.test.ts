import { newId } from "@tessera/kit";
import { waitFor } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accounts } from "./ledger.ts";
import {
  authorizePayment,
  capturePayment,
  deliver,
  publishedEvents,
  settled,
  voidPayment,
} from "./testing/commands.ts";
import { startTestPayments, type TestPayments } from "./testing/test-service.ts";

describe("the saga command handlers on PostgreSQL", () => {
  let t: TestPayments;

  beforeAll(async () => {
    t = await startTestPayments();
  });

  afterAll(async () => {
    await t?.stop();
  });

  const payment = (orderId: string) => t.payments.findByOrder(undefined, orderId);

  it("authorizes a payment, books the hold and publishes PaymentAuthorized in the same transaction", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, amountMinor: 4_500n }));
    const stored = await payment(orderId);
    expect(stored).toMatchObject({
      status: "authorized",
      amountMinor: 4_500n,
      currency: "USD",
      userId: "user-1",
    });
    expect(await publishedEvents(t, orderId)).toEqual([
      {
        type: "PaymentAuthorized",
        data: { orderId, paymentId: stored!.id, amount: { currencyCode: "USD", amountMinor: "4500" } },
      },
    ]);
    const entries = await t.ledger.entriesOf(stored!.id);
    expect(entries).toMatchObject([
      {
        kind: "authorization",
        reference: stored!.authorizationId,
        lines: [
          { account: "customer:user-1", amountMinor: -4_500n },
          { account: accounts.clearing, amountMinor: 4_500n },
        ],
      },
    ]);
  });

  it("declines the decline test card with PaymentDeclined and books nothing", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, cardToken: "4000000000000002" }));
    const stored = await payment(orderId);
    expect(stored).toMatchObject({ status: "declined", declineReason: "insufficient_funds" });
    expect(await publishedEvents(t, orderId)).toEqual([
      { type: "PaymentDeclined", data: { orderId, reason: "insufficient_funds" } },
    ]);
    expect(await t.ledger.entriesOf(stored!.id)).toEqual([]);
  });

  it.each([
    ["a NUL byte", "tok_\u0000visa"],
    ["a control character", "4242\u0007424242424242"],
    ["257 characters", "4".repeat(257)],
  ])("declines a card token with %s as invalid_card, without a processor call", async (_, cardToken) => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, cardToken }));
    expect(await payment(orderId)).toMatchObject({ status: "declined", declineReason: "invalid_card" });
    expect(await publishedEvents(t, orderId)).toEqual([
      { type: "PaymentDeclined", data: { orderId, reason: "invalid_card" } },
    ]);
    expect(await t.calls.find(undefined, `authorize:${orderId}`)).toBeUndefined();
  });

  it("makes one payment, one event and one processor authorization of a command delivered twice", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId }));
    await deliver(t, authorizePayment({ orderId }));
    const { rows } = await t.service.db.query("SELECT id FROM payments WHERE order_id = $1", [orderId]);
    expect(rows).toHaveLength(1);
    expect(await publishedEvents(t, orderId)).toHaveLength(1);
    expect(await t.processor.authorizations(orderId)).toHaveLength(1);
  });

  it("makes one payment of two deliveries racing in two transactions", async () => {
    const orderId = newId();
    await Promise.all([deliver(t, authorizePayment({ orderId })), deliver(t, authorizePayment({ orderId }))]);
    expect(await publishedEvents(t, orderId)).toHaveLength(1);
    expect(await t.processor.authorizations(orderId)).toHaveLength(1);
  });

  it("refuses a second AuthorizePayment for another amount, changing nothing", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, amountMinor: 100n }));
    await expect(deliver(t, authorizePayment({ orderId, amountMinor: 200n }))).rejects.toMatchObject({
      code: "failed_precondition",
    });
    expect(await payment(orderId)).toMatchObject({ amountMinor: 100n });
    expect(await publishedEvents(t, orderId)).toHaveLength(1);
  });

  it("cancels a timed-out authorization at the processor and declines it as processor_timeout", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, cardToken: "tok_processor_timeout" }));
    expect(await payment(orderId)).toMatchObject({ status: "declined", declineReason: "processor_timeout" });
    expect(await publishedEvents(t, orderId)).toEqual([
      { type: "PaymentDeclined", data: { orderId, reason: "processor_timeout" } },
    ]);
    expect(await t.processor.authorizations(orderId)).toMatchObject([{ status: "voided" }]);
  });

  it("captures with a balanced entry into revenue and PaymentCaptured, once however often it is told", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, amountMinor: 12_000n }));
    await deliver(t, capturePayment(orderId));
    await deliver(t, capturePayment(orderId));
    const stored = await payment(orderId);
    expect(stored).toMatchObject({ status: "captured", capturedMinor: 12_000n });
    expect((await publishedEvents(t, orderId)).map((e) => e.type)).toEqual([
      "PaymentAuthorized",
      "PaymentCaptured",
    ]);
    const capture = (await t.ledger.entriesOf(stored!.id))[1]!;
    expect(capture).toMatchObject({ kind: "capture", reference: expect.stringMatching(/^sim_cap_/) });
    expect(capture.lines).toEqual([
      { account: accounts.clearing, amountMinor: -12_000n },
      { account: accounts.revenue, amountMinor: 12_000n },
    ]);
    expect(await t.processor.authorizations(orderId)).toMatchObject([
      { status: "captured", capturedMinor: 12_000n },
    ]);
  });

  it("voids: releases the hold at the processor and in the ledger, publishing PaymentVoided once", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, amountMinor: 800n }));
    await deliver(t, voidPayment(orderId));
    await deliver(t, voidPayment(orderId));
    const stored = await payment(orderId);
    expect(stored?.status).toBe("voided");
    expect(await publishedEvents(t, orderId)).toEqual([
      expect.objectContaining({ type: "PaymentAuthorized" }),
      { type: "PaymentVoided", data: { orderId, paymentId: stored!.id } },
    ]);
    const [, release] = await t.ledger.entriesOf(stored!.id);
    expect(release?.lines).toEqual([
      { account: accounts.clearing, amountMinor: -800n },
      { account: "customer:user-1", amountMinor: 800n },
    ]);
    expect(await t.processor.authorizations(orderId)).toMatchObject([{ status: "voided" }]);
  });

  it("refuses to capture a voided payment, publishing nothing", async () => {
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId }));
    await deliver(t, voidPayment(orderId));
    await expect(deliver(t, capturePayment(orderId))).rejects.toMatchObject({ code: "failed_precondition" });
    expect((await publishedEvents(t, orderId)).map((e) => e.type)).toEqual([
      "PaymentAuthorized",
      "PaymentVoided",
    ]);
  });

  it("voids an order before its authorization arrives, so the late authorization holds nothing", async () => {
    const orderId = newId();
    await deliver(t, voidPayment(orderId));
    await deliver(t, authorizePayment({ orderId }));
    expect(await payment(orderId)).toMatchObject({ status: "voided", amountMinor: 0n, currency: "XXX" });
    expect((await publishedEvents(t, orderId)).map((e) => e.type)).toEqual(["PaymentVoided"]);
    expect(await t.processor.authorizations(orderId)).toEqual([]);
  });

  it("refuses to capture an order without payment, and a malformed command, writing nothing", async () => {
    const orderId = newId();
    await expect(deliver(t, capturePayment(orderId))).rejects.toMatchObject({ code: "not_found" });
    await expect(deliver(t, capturePayment("not-a-uuid"))).rejects.toMatchObject({
      code: "invalid_argument",
    });
    await expect(deliver(t, authorizePayment({ orderId, amountMinor: -1n }))).rejects.toMatchObject({
      code: "invalid_argument",
    });
    await expect(deliver(t, authorizePayment({ orderId, currency: "dollars" }))).rejects.toMatchObject({
      code: "invalid_argument",
    });
    expect(await payment(orderId)).toBeUndefined();
    expect(await publishedEvents(t, orderId)).toEqual([]);
  });

  it("makes a void recorded while the authorization is pending after it: authorized, then voided", async () => {
    const orderId = newId();
    // One transaction, as a batch of the consumer applies them: both calls are recorded before either is made.
    await t.service.db.tx(async (tx) => {
      await t.commands.authorize(tx, authorizePayment({ orderId, amountMinor: 700n }));
      await t.commands.void(tx, orderId);
    });
    await settled(t, orderId);
    expect(await payment(orderId)).toMatchObject({ status: "voided", amountMinor: 700n });
    expect((await publishedEvents(t, orderId)).map((e) => e.type)).toEqual([
      "PaymentAuthorized",
      "PaymentVoided",
    ]);
    expect(await t.processor.authorizations(orderId)).toMatchObject([{ status: "voided" }]);
  });

  it("gives up an authorization the processor keeps failing: cancels any hold and declines as processor_unavailable", async () => {
    const orderId = newId();
    t.processor.setFailureRate(1);
    try {
      await deliver(t, authorizePayment({ orderId }), { settle: false });
      // Given up, but its technical cancel fails as well: the call stays pending until the cancel goes through.
      await waitFor("the authorization to be given up", async () => {
        const [call] = await t.calls.pending(undefined, orderId);
        return call?.abandonReason === "processor_unavailable" && call.failures > 4;
      });
      expect(await payment(orderId)).toBeUndefined();
    } finally {
      t.processor.setFailureRate(0);
    }
    await settled(t, orderId);
    expect(await payment(orderId)).toMatchObject({
      status: "declined",
      declineReason: "processor_unavailable",
    });
    expect(await publishedEvents(t, orderId)).toEqual([
      { type: "PaymentDeclined", data: { orderId, reason: "processor_unavailable" } },
    ]);
    // Half the simulated failures come after the processor acted: a hold may exist, and is released.
    const holds = await t.processor.authorizations(orderId);
    expect(holds.filter((a) => a.status !== "voided")).toEqual([]);
  });

  it("leaves the ledger balanced, with clearing holding exactly the open authorizations", async () => {
    const summary = await t.ledger.summary();
    expect(summary).toMatchObject({ sumOfEntries: 0n, unbalancedEntries: 0n, currency: "USD" });
    expect(summary.journalEntries).toBeGreaterThan(10n);
    const all = await t.payments.list({ after: undefined, limit: 10_000 });
    const total = (status: string, field: "amountMinor" | "capturedMinor") =>
      all.filter((p) => p.status === status).reduce((sum, p) => sum + p[field], 0n);
    const balance = (name: string) => summary.accounts.find((a) => a.name === name)?.balanceMinor;
    expect(balance(accounts.clearing)).toBe(total("authorized", "amountMinor"));
    expect(balance(accounts.revenue)).toBe(total("captured", "capturedMinor"));
  });
});
