import { describe, expect, it } from "vitest";
import {
  checkAll,
  ledgerBalanced,
  ordersTerminal,
  outboxesDrain,
  paymentsMatchOrders,
  stockConserved,
  stockMatchesOrders,
  type Snapshot,
} from "./invariants.ts";

const now = new Date("2026-11-25T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);

/** A consistent system: one confirmed order of 2 tents, one rejected order, one order in flight. */
function consistent(): Snapshot {
  return {
    takenAt: now,
    orders: [
      {
        id: "o1",
        status: "confirmed",
        lines: [{ sku: "TENT", quantity: 2 }],
        totalMinor: 69800n,
        updatedAt: ago(60_000),
      },
      {
        id: "o2",
        status: "rejected",
        lines: [{ sku: "LAMP", quantity: 1 }],
        totalMinor: 4500n,
        updatedAt: ago(60_000),
      },
      {
        id: "o3",
        status: "stock_reserved",
        lines: [{ sku: "LAMP", quantity: 1 }],
        totalMinor: 4500n,
        updatedAt: ago(1_000),
      },
    ],
    stock: [
      { sku: "TENT", onHand: 98n, reserved: 0n, committed: 2n, received: 100n },
      { sku: "LAMP", onHand: 100n, reserved: 1n, committed: 0n, received: 100n },
    ],
    reservations: [
      { orderId: "o1", status: "committed", lines: [{ sku: "TENT", quantity: 2 }] },
      { orderId: "o2", status: "released", lines: [{ sku: "LAMP", quantity: 1 }] },
      { orderId: "o3", status: "held", lines: [{ sku: "LAMP", quantity: 1 }] },
    ],
    payments: [
      {
        id: "p1",
        orderId: "o1",
        status: "captured",
        amountMinor: 69800n,
        capturedMinor: 69800n,
        refundedMinor: 0n,
      },
      {
        id: "p2",
        orderId: "o2",
        status: "declined",
        amountMinor: 4500n,
        capturedMinor: 0n,
        refundedMinor: 0n,
      },
    ],
    ledger: { sumOfEntries: 0n, journalEntries: 3n, unbalancedEntries: 0n },
    outboxes: [
      {
        service: "orders",
        transport: "direct",
        undelivered: 0n,
        oldestUndeliveredAgeMs: 0,
        problems: [],
        consumers: [{ consumer: "inventory/saga", unacknowledged: 1n, oldestUnacknowledgedAgeMs: 200 }],
      },
    ],
  };
}

describe("the consistency invariants", () => {
  it("find nothing wrong with a consistent system", () => {
    expect(checkAll(consistent(), { stepTimeoutMs: 30_000 })).toEqual([]);
  });

  it("flag an order stuck past its step timeout, not one still within it", () => {
    const snapshot = consistent();
    snapshot.orders[2]!.updatedAt = ago(120_000);
    expect(ordersTerminal(snapshot, 30_000)).toEqual([
      expect.objectContaining({ detail: expect.stringContaining("o3 is still stock_reserved") }),
    ]);
    expect(ordersTerminal(consistent(), 30_000)).toEqual([]);
  });

  it("flag stock that is negative, over-reserved or not conserved", () => {
    const snapshot = consistent();
    snapshot.stock[0] = { sku: "TENT", onHand: -1n, reserved: 0n, committed: 2n, received: 100n };
    const violations = stockConserved(snapshot).map((v) => v.detail);
    expect(violations.some((d) => d.includes("negative"))).toBe(true);
    expect(violations.some((d) => d.includes("received ≠ on hand + committed"))).toBe(true);
  });

  it("flag reserved units no held reservation accounts for", () => {
    const snapshot = consistent();
    snapshot.stock[1]!.reserved = 3n;
    expect(stockConserved(snapshot)).toEqual([
      expect.objectContaining({ detail: "LAMP: reserved 3 but held reservations add up to 1" }),
    ]);
  });

  it("flag a stock commit applied twice", () => {
    const snapshot = consistent();
    snapshot.stock[0] = { sku: "TENT", onHand: 96n, reserved: 0n, committed: 4n, received: 100n };
    expect(stockMatchesOrders(snapshot)).toEqual([
      expect.objectContaining({ detail: "TENT: 4 committed, confirmed orders hold 2" }),
    ]);
  });

  it("flag an unbalanced ledger", () => {
    const snapshot = consistent();
    snapshot.ledger = { sumOfEntries: 100n, journalEntries: 3n, unbalancedEntries: 1n };
    expect(ledgerBalanced(snapshot)).toHaveLength(2);
  });

  it("flag an order charged twice", () => {
    const snapshot = consistent();
    snapshot.payments.push({ ...snapshot.payments[0]!, id: "p3" });
    expect(paymentsMatchOrders(snapshot)).toEqual([
      expect.objectContaining({ invariant: "no order charged twice", detail: "order o1 has 2 payments" }),
    ]);
  });

  it("flag a confirmed order without payment, and a failed order that kept money", () => {
    const snapshot = consistent();
    snapshot.payments = [
      {
        id: "p2",
        orderId: "o2",
        status: "captured",
        amountMinor: 4500n,
        capturedMinor: 4500n,
        refundedMinor: 0n,
      },
    ];
    const details = paymentsMatchOrders(snapshot).map((v) => v.detail);
    expect(details).toContain("order o1 has no payment");
    expect(details).toContain("order o2 is rejected but its payment is captured with 4500 kept");
  });

  it("accept a cancelled order whose capture was refunded in full", () => {
    const snapshot = consistent();
    snapshot.orders[1]!.status = "cancelled";
    snapshot.payments[1] = {
      id: "p2",
      orderId: "o2",
      status: "refunded",
      amountMinor: 4500n,
      capturedMinor: 4500n,
      refundedMinor: 4500n,
    };
    expect(paymentsMatchOrders(snapshot)).toEqual([]);
  });

  it("flag an outbox whose events have not left for longer than the limit, and say why", () => {
    const snapshot = consistent();
    snapshot.outboxes = [
      {
        service: "orders",
        transport: "nats",
        undelivered: 12n,
        oldestUndeliveredAgeMs: 45_000,
        problems: [{ component: "relay", failingForMs: 44_000, error: "no NATS stream takes the subject" }],
        consumers: [],
      },
    ];
    expect(outboxesDrain(snapshot, 30_000)).toEqual([
      {
        invariant: "every outbox drains",
        detail: "orders: 12 event(s) not delivered to nats, the oldest for 45 s",
      },
      {
        invariant: "every outbox drains",
        detail: "orders: relay failing for 44 s: no NATS stream takes the subject",
      },
    ]);
    expect(outboxesDrain(consistent(), 30_000)).toEqual([]);
  });

  it("flag a direct consumer that has not acknowledged its events for longer than the limit", () => {
    const snapshot = consistent();
    snapshot.outboxes[0]!.consumers[0]!.oldestUnacknowledgedAgeMs = 60_000;
    expect(outboxesDrain(snapshot, 30_000)).toEqual([
      {
        invariant: "every outbox drains",
        detail: "orders: consumer inventory/saga has not acknowledged 1 event(s), the oldest for 60 s",
      },
    ]);
  });
});
