import { describe, expect, it } from "vitest";
import { accounts, assertBalanced, type JournalEntry } from "./ledger.ts";
import {
  authorizeCommand,
  authorized,
  capture,
  refund,
  voidPayment,
  type AuthorizeCommand,
  type Payment,
  type Transition,
} from "./payment.ts";

const now = new Date("2026-11-25T12:00:00Z");
const later = new Date("2026-11-25T12:05:00Z");
const command: AuthorizeCommand = {
  orderId: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d",
  userId: "user-1",
  amount: { currency: "USD", amountMinor: 10_000n },
  cardToken: "tok_visa_approve",
};
const usd = (amountMinor: bigint) => ({ currency: "USD", amountMinor });

function authorizedPayment(): Payment {
  return authorized(command, { approved: true, authorizationId: "auth_1" }, "pay_1", now).payment;
}

function changed(transition: Transition): { payment: Payment; entry: JournalEntry } {
  if (transition.kind !== "changed") throw new Error("expected a change");
  return transition;
}

function capturedPayment(): Payment {
  return changed(capture(authorizedPayment(), later)).payment;
}

/** Balances per account after some entries. */
function balances(entries: JournalEntry[]): Record<string, bigint> {
  const result: Record<string, bigint> = {};
  for (const line of entries.flatMap((e) => e.lines)) {
    result[line.account] = (result[line.account] ?? 0n) + line.amountMinor;
  }
  return result;
}

describe("a payment intent", () => {
  it("is authorized with a hold moving the customer's money into processor clearing", () => {
    const { payment, entry } = authorized(
      command,
      { approved: true, authorizationId: "auth_1" },
      "pay_1",
      now,
    );
    expect(payment).toMatchObject({
      status: "authorized",
      amountMinor: 10_000n,
      capturedMinor: 0n,
      authorizationId: "auth_1",
    });
    expect(entry?.lines).toEqual([
      { account: "customer:user-1", amountMinor: -10_000n },
      { account: accounts.clearing, amountMinor: 10_000n },
    ]);
  });

  it("is declined with the processor's reason and books nothing", () => {
    const { payment, entry } = authorized(
      command,
      { approved: false, reason: "insufficient_funds" },
      "pay_1",
      now,
    );
    expect(payment).toMatchObject({
      status: "declined",
      declineReason: "insufficient_funds",
      authorizationId: "",
    });
    expect(entry).toBeUndefined();
  });

  it("is captured from clearing into revenue, leaving nothing in clearing", () => {
    const authorization = authorized(command, { approved: true, authorizationId: "auth_1" }, "pay_1", now);
    const { payment, entry } = changed(capture(authorization.payment, later));
    expect(payment).toMatchObject({ status: "captured", capturedMinor: 10_000n, updatedAt: later });
    expect(balances([authorization.entry!, entry])).toEqual({
      "customer:user-1": -10_000n,
      [accounts.clearing]: 0n,
      [accounts.revenue]: 10_000n,
    });
  });

  it("changes nothing when captured again", () => {
    expect(capture(capturedPayment(), later)).toEqual({ kind: "unchanged" });
  });

  it("is voided by a reversing entry that gives the hold back to the customer", () => {
    const authorization = authorized(command, { approved: true, authorizationId: "auth_1" }, "pay_1", now);
    const { payment, entry } = changed(voidPayment(authorization.payment, later));
    expect(payment.status).toBe("voided");
    expect(Object.values(balances([authorization.entry!, entry])).every((b) => b === 0n)).toBe(true);
  });

  it("changes nothing when voided again or when it was declined", () => {
    const voided = changed(voidPayment(authorizedPayment(), later)).payment;
    expect(voidPayment(voided, later)).toEqual({ kind: "unchanged" });
    const declined = authorized(command, { approved: false, reason: "expired_card" }, "pay_2", now).payment;
    expect(voidPayment(declined, later)).toEqual({ kind: "unchanged" });
  });

  it("refuses a capture after a void, and a void after a capture", () => {
    const voided = changed(voidPayment(authorizedPayment(), later)).payment;
    expect(() => capture(voided, later)).toThrow(expect.objectContaining({ code: "failed_precondition" }));
    expect(() => voidPayment(capturedPayment(), later)).toThrow(
      expect.objectContaining({ code: "failed_precondition", message: expect.stringMatching(/refund it/) }),
    );
  });

  it("is refunded in part, staying captured, then in full, becoming refunded", () => {
    const first = changed(refund(capturedPayment(), usd(3_000n), "ref_1", later));
    expect(first.payment).toMatchObject({ status: "captured", refundedMinor: 3_000n });
    expect(first.entry).toMatchObject({ kind: "refund", refundId: "ref_1" });
    expect(first.entry.lines).toEqual([
      { account: accounts.refunds, amountMinor: -3_000n },
      { account: "customer:user-1", amountMinor: 3_000n },
    ]);
    const rest = changed(refund(first.payment, usd(7_000n), "ref_2", later));
    expect(rest.payment).toMatchObject({ status: "refunded", refundedMinor: 10_000n });
  });

  it("refuses to refund more than is captured and not yet refunded", () => {
    const partly = changed(refund(capturedPayment(), usd(9_000n), "ref_1", later)).payment;
    expect(() => refund(partly, usd(1_001n), "ref_2", later)).toThrow(
      expect.objectContaining({
        code: "failed_precondition",
        reason: "refund-exceeds-captured",
        metadata: { refundable: "1000" },
        message: expect.stringMatching(/exceeds the 1000 USD/),
      }),
    );
    expect(() => refund(capturedPayment(), usd(10_001n), "ref_1", later)).toThrow(
      expect.objectContaining({ code: "failed_precondition" }),
    );
  });

  it("refuses to refund a payment that was not captured, saying so as payment-not-refundable", () => {
    expect(() => refund(authorizedPayment(), usd(1n), "ref_1", later)).toThrow(
      expect.objectContaining({ reason: "payment-not-refundable", metadata: { status: "authorized" } }),
    );
  });

  it.each([
    ["an authorized payment", authorizedPayment, usd(1n), "failed_precondition"],
    ["a zero amount", capturedPayment, usd(0n), "invalid_argument"],
    ["a negative amount", capturedPayment, usd(-5n), "invalid_argument"],
    ["another currency", capturedPayment, { currency: "EUR", amountMinor: 1n }, "invalid_argument"],
  ])("refuses a refund of %s", (_, payment, amount, code) => {
    expect(() => refund(payment(), amount, "ref_1", later)).toThrow(expect.objectContaining({ code }));
  });

  it("keeps the customer's account at minus what they paid, through a whole life", () => {
    const a = authorized(command, { approved: true, authorizationId: "auth_1" }, "pay_1", now);
    const c = changed(capture(a.payment, later));
    const r = changed(refund(c.payment, usd(2_500n), "ref_1", later));
    expect(balances([a.entry!, c.entry, r.entry])).toEqual({
      "customer:user-1": -7_500n,
      [accounts.clearing]: 0n,
      [accounts.revenue]: 10_000n,
      [accounts.refunds]: -2_500n,
    });
  });
});

describe("an AuthorizePayment command", () => {
  const valid = {
    orderId: command.orderId,
    userId: "user-1",
    amount: { currencyCode: "USD", amountMinor: 100n },
    cardToken: "tok_visa",
  };

  it("is accepted when well formed", () => {
    expect(authorizeCommand(valid)).toMatchObject({ orderId: command.orderId, amount: usd(100n) });
  });

  it.each([
    ["a malformed order id", { ...valid, orderId: "42" }, /order_id/],
    ["no user", { ...valid, userId: "" }, /user_id/],
    ["a user id with spaces", { ...valid, userId: "a b" }, /user_id/],
    ["no amount", { ...valid, amount: undefined }, /amount is required/],
    ["a zero amount", { ...valid, amount: { currencyCode: "USD", amountMinor: 0n } }, /amount_minor/],
    ["a bad currency", { ...valid, amount: { currencyCode: "usd", amountMinor: 1n } }, /currency_code/],
  ])("is refused with %s", (_, data, message) => {
    expect(() => authorizeCommand(data)).toThrow(
      expect.objectContaining({ code: "invalid_argument", message: expect.stringMatching(message) }),
    );
  });
});

describe("a journal entry", () => {
  const entry = (amounts: bigint[]): JournalEntry => ({
    kind: "capture",
    paymentId: "pay_1",
    currency: "USD",
    reference: "",
    lines: amounts.map((amountMinor, i) => ({ account: `customer:${i}`, amountMinor })),
  });

  it("is accepted when its lines sum to zero", () => {
    expect(assertBalanced(entry([-5n, 2n, 3n])).lines).toHaveLength(3);
  });

  it.each([
    ["unbalanced", [-5n, 4n], /unbalanced by -1/],
    ["a single line", [0n], /two lines/],
    ["a zero line", [0n, 0n], /zero line/],
  ])("is refused when %s", (_, amounts, message) => {
    expect(() => assertBalanced(entry(amounts))).toThrow(message);
  });
});
