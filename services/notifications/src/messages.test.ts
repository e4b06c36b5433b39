import { describe, expect, it } from "vitest";
import { composeMessage, formatMoney, recipientAddress } from "./messages.ts";

const orderId = "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d";
const userId = "0193a6c4-0000-7000-8000-000000000001";

describe("composeMessage", () => {
  it("tells the user their order is confirmed, with the total from minor units", () => {
    const message = composeMessage({
      kind: "order_confirmed",
      orderId,
      userId,
      total: { amountMinor: 4999n, currencyCode: "EUR" },
    });
    expect(message).toMatchObject({ userId, orderId, kind: "order_confirmed" });
    expect(message.subject).toBe(`Your order ${orderId} is confirmed`);
    expect(message.body).toBe(
      [
        "Hello,",
        "",
        `Your order ${orderId} is confirmed.`,
        "Total: €49.99",
        "",
        "Thank you for shopping with Tessera.",
      ].join("\n"),
    );
  });

  it("still confirms an order whose event carries no total", () => {
    const message = composeMessage({ kind: "order_confirmed", orderId, userId, total: undefined });
    expect(message.body).toContain(`Your order ${orderId} is confirmed.`);
    expect(message.body).not.toContain("Total:");
  });

  it("gives the reason of a rejection and of a cancellation", () => {
    const rejected = composeMessage({ kind: "order_rejected", orderId, userId, reason: "out of stock" });
    expect(rejected.subject).toBe(`Your order ${orderId} was not accepted`);
    expect(rejected.body).toContain("Reason: out of stock");
    const cancelled = composeMessage({ kind: "order_cancelled", orderId, userId, reason: "" });
    expect(cancelled.subject).toBe(`Your order ${orderId} was cancelled`);
    expect(cancelled.body).toContain("Reason: no reason was given");
  });

  it("keeps a reason on one line", () => {
    const message = composeMessage({
      kind: "order_rejected",
      orderId,
      userId,
      reason: "card\r\ndeclined\u0000  twice",
    });
    expect(message.body).toContain("Reason: card declined twice\n");
  });

  it.each([
    ["an empty order id", { orderId: "", userId }, /order_id/],
    ["an order id with a line break", { orderId: "a\r\nBcc: x@y", userId }, /order_id/],
    ["an empty user id", { orderId, userId: "" }, /user_id/],
    ["a huge user id", { orderId, userId: "u".repeat(201) }, /user_id/],
  ])("refuses %s as invalid_argument", (_, ids, message) => {
    expect(() => composeMessage({ kind: "order_cancelled", reason: "x", ...ids })).toThrowError(
      expect.objectContaining({ code: "invalid_argument", message: expect.stringMatching(message) }),
    );
  });
});

describe("formatMoney", () => {
  it.each([
    [123456n, "USD", "$1,234.56"],
    [5n, "USD", "$0.05"],
    [-250n, "USD", "-$2.50"],
    [500n, "JPY", "¥500"],
    [1234n, "KWD", "KWD 1.234"],
    [1234567890123456789n, "USD", "$12,345,678,901,234,567.89"],
    [150n, "XYZ", "XYZ 1.50"],
    [150n, "usd?", "1.50 usd?"],
  ])("formats %s minor units of %s as %s", (amount, currency, expected) => {
    expect(formatMoney(amount, currency).replace(/\u00a0/g, " ")).toBe(expected);
  });
});

describe("recipientAddress", () => {
  it("addresses the user id at the configured domain", () => {
    expect(recipientAddress(userId, "example.test")).toBe(`${userId}@example.test`);
  });

  it.each(["", "a b", "x@y", "<x>", ".dot", "u".repeat(65)])(
    "refuses the user id %j as a local part",
    (id) => {
      expect(() => recipientAddress(id, "example.test")).toThrowError(
        expect.objectContaining({ code: "failed_precondition" }),
      );
    },
  );
});
