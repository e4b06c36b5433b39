import { describe, expect, it } from "vitest";
import { decide, waiting, type Decision, type SagaInput } from "./saga.ts";
import { all, at, orderId, pending, run, states, step, types } from "./testing/saga-fixtures.ts";

describe("decide in sequence", () => {
  it("runs the happy path to a captured, committed order", () => {
    const d = run(
      pending,
      { type: "StockReserved" },
      { type: "PaymentAuthorized", paymentId: "pay-1" },
      { type: "PaymentCaptured", paymentId: "pay-1" },
    );
    expect(d.order).toMatchObject({ status: "CONFIRMED", stock: "committing", payment: "captured" });
    expect(d.commands.map((c) => c.type)).toEqual(["CapturePayment", "CommitStock"]);
    expect(d.events.map((e) => e.type)).toEqual(["OrderConfirmed"]);
  });

  it("sends the same commands when every answer is delivered twice", () => {
    const inputs: SagaInput[] = [
      { type: "StockReserved" },
      { type: "PaymentAuthorized", paymentId: "pay-1" },
      { type: "PaymentCaptured", paymentId: "pay-1" },
    ];
    const once = run(pending, ...inputs);
    const twice = run(pending, ...inputs.flatMap((input) => [input, input]));
    expect(types(twice)).toEqual(types(once));
    expect(twice.order).toMatchObject({
      status: once.order.status,
      stock: once.order.stock,
      payment: once.order.payment,
    });
  });

  it("confirms the same way, with the same commands, whichever of stock and payment answers first", () => {
    const stockFirst = run(
      pending,
      { type: "StockReserved" },
      { type: "PaymentAuthorized", paymentId: "pay-1" },
    );
    const paymentFirst = run(
      pending,
      { type: "PaymentAuthorized", paymentId: "pay-1" },
      { type: "StockReserved" },
    );
    for (const d of [stockFirst, paymentFirst]) {
      expect(d.order).toMatchObject({ status: "CONFIRMED", stock: "committing", payment: "capturing" });
      expect(types(d)).toEqual(["OrderConfirmed", "CapturePayment", "CommitStock"]);
    }
  });

  it("ignores a timeout that arrives after the order moved on", () => {
    const d = run(pending, { type: "StockReserved" }, { type: "PaymentAuthorized", paymentId: "p" });
    expect(decide(d.order, { type: "Timeout" }, at(10 * step)).order).toBe(d.order);
  });
});

describe("decide over every reachable state and every input", () => {
  const cases = Object.entries(states).flatMap(([name, order]) =>
    all.map((input) => ({ name, order, input })),
  );

  it.each(cases)("$name + $input.type: is idempotent and keeps the invariants", ({ order, input }) => {
    let d: Decision;
    try {
      d = decide(order, input, at(10 * step));
    } catch (error) {
      // Only the customer can be refused, and only for a confirmed or rejected order.
      expect(input.type).toBe("Cancel");
      expect(["CONFIRMED", "REJECTED"]).toContain(order.status);
      expect(error).toMatchObject({ code: "failed_precondition" });
      return;
    }
    const again = decide(d.order, input, at(10 * step));
    expect(again).toEqual({ order: d.order, commands: [], events: [] });
    expect(d.order.deadline === null).toBe(!waiting(d.order));
    if (d.order.status !== "PENDING") expect(d.order.cardToken).toBe("");
    if (["CONFIRMED", "REJECTED", "CANCELLED"].includes(order.status))
      expect(d.order.status).toBe(order.status);
    expect(d.events.length).toBeLessThanOrEqual(1);
    if (d.events.length > 0) expect(d.order.status).not.toBe(order.status);
    for (const message of [...d.commands, ...d.events]) expect(message.data.orderId).toBe(orderId);
    if (d.commands.length === 0 && d.events.length === 0 && d.order !== order) {
      // A pure bookkeeping change: only what is known of inventory or payments moved — and, while
      // the order still waits, which of the two it waits for (its status) and its deadline.
      const moved = { stock: order.stock, payment: order.payment, paymentId: order.paymentId };
      const resting =
        waiting(order) && waiting(d.order) ? { status: order.status, deadline: order.deadline } : {};
      expect({ ...d.order, ...moved, ...resting }).toEqual(order);
    }
  });
});
