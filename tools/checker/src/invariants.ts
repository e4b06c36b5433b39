/**
 * What must hold of the checkout saga after any run or crash (`npm run check:consistency`), as pure
 * functions over a snapshot of every service's state (read through their admin RPCs, never their
 * tables). The saga, orchestrated by orders: pending → stock reserved → confirmed (payment captured
 * and stock committed together), or rejected (stock refused, payment declined) or cancelled (a
 * step timed out, compensated). Each check returns its violations; `checkAll` runs them in order:
 * - every order reaches a terminal state (confirmed, rejected, cancelled) within its step timeout;
 * - stock is never negative and is conserved: received = on hand + committed, reserved = the
 *   held reservations ≤ on hand;
 * - units committed per SKU equal the units of confirmed orders;
 * - the ledger balances, entry by entry and as a whole;
 * - no order is charged twice, a confirmed order's payment covers exactly its total, and a
 *   rejected or cancelled order keeps no money;
 * - every outbox drains: no event, and no failing part of a transport, older than the step timeout.
 */

export type OrderState =
  "pending" | "stock_reserved" | "payment_authorized" | "confirmed" | "rejected" | "cancelled";

export interface OrderSnapshot {
  id: string;
  status: OrderState;
  lines: { sku: string; quantity: number }[];
  totalMinor: bigint;
  updatedAt: Date;
}

export interface StockSnapshot {
  sku: string;
  onHand: bigint;
  reserved: bigint;
  committed: bigint;
  received: bigint;
}

export interface ReservationSnapshot {
  orderId: string;
  status: "held" | "released" | "committed" | "expired";
  lines: { sku: string; quantity: number }[];
}

export interface PaymentSnapshot {
  id: string;
  orderId: string;
  status: "authorized" | "declined" | "captured" | "voided" | "refunded";
  amountMinor: bigint;
  capturedMinor: bigint;
  refundedMinor: bigint;
}

export interface LedgerSnapshot {
  sumOfEntries: bigint;
  journalEntries: bigint;
  unbalancedEntries: bigint;
}

/** Whether a service's events leave it (its GetOutboxStatus). */
export interface OutboxSnapshot {
  service: string;
  transport: string;
  undelivered: bigint;
  oldestUndeliveredAgeMs: number;
  /** Parts of its event transport failing now. */
  problems: { component: string; failingForMs: number; error: string }[];
  /** Direct transport: what each known consumer has not acknowledged. */
  consumers: { consumer: string; unacknowledged: bigint; oldestUnacknowledgedAgeMs: number }[];
}

export interface Snapshot {
  takenAt: Date;
  orders: OrderSnapshot[];
  stock: StockSnapshot[];
  reservations: ReservationSnapshot[];
  payments: PaymentSnapshot[];
  ledger: LedgerSnapshot;
  outboxes: OutboxSnapshot[];
}

export interface Violation {
  invariant: string;
  detail: string;
}

const terminal = new Set<OrderState>(["confirmed", "rejected", "cancelled"]);

/** Every order is terminal, or still within its step timeout (plus a grace for the sweep). */
export function ordersTerminal(snapshot: Snapshot, stepTimeoutMs: number): Violation[] {
  return snapshot.orders
    .filter((order) => !terminal.has(order.status))
    .filter((order) => snapshot.takenAt.getTime() - order.updatedAt.getTime() > stepTimeoutMs)
    .map((order) => ({
      invariant: "every order reaches a terminal state",
      detail: `order ${order.id} is still ${order.status} since ${order.updatedAt.toISOString()}`,
    }));
}

/** Stock is never negative and is conserved: received = on hand + committed; reserved ≤ on hand. */
export function stockConserved(snapshot: Snapshot): Violation[] {
  const violations: Violation[] = [];
  for (const s of snapshot.stock) {
    const add = (detail: string) =>
      violations.push({ invariant: "stock conserved and never negative", detail });
    if (s.onHand < 0n || s.reserved < 0n || s.committed < 0n)
      add(`${s.sku}: a negative counter (${format(s)})`);
    if (s.reserved > s.onHand) add(`${s.sku}: more reserved than on hand (${format(s)})`);
    if (s.received !== s.onHand + s.committed) add(`${s.sku}: received ≠ on hand + committed (${format(s)})`);
  }
  const held = new Map<string, bigint>();
  for (const r of snapshot.reservations.filter((r) => r.status === "held")) {
    for (const line of r.lines) held.set(line.sku, (held.get(line.sku) ?? 0n) + BigInt(line.quantity));
  }
  for (const s of snapshot.stock) {
    const expected = held.get(s.sku) ?? 0n;
    if (s.reserved !== expected) {
      violations.push({
        invariant: "stock conserved and never negative",
        detail: `${s.sku}: reserved ${s.reserved} but held reservations add up to ${expected}`,
      });
    }
  }
  return violations;
}

/** Units committed per SKU equal the units of confirmed orders (once their CommitStock was applied). */
export function stockMatchesOrders(snapshot: Snapshot): Violation[] {
  const ordered = new Map<string, bigint>();
  for (const order of snapshot.orders.filter((o) => o.status === "confirmed")) {
    for (const line of order.lines)
      ordered.set(line.sku, (ordered.get(line.sku) ?? 0n) + BigInt(line.quantity));
  }
  const violations: Violation[] = [];
  const skus = new Set([...ordered.keys(), ...snapshot.stock.map((s) => s.sku)]);
  for (const sku of skus) {
    const committed = snapshot.stock.find((s) => s.sku === sku)?.committed ?? 0n;
    const expected = ordered.get(sku) ?? 0n;
    if (committed !== expected) {
      violations.push({
        invariant: "stock committed equals confirmed orders",
        detail: `${sku}: ${committed} committed, confirmed orders hold ${expected}`,
      });
    }
  }
  return violations;
}

/** The ledger balances: every journal entry sums to zero, and so does the whole journal. */
export function ledgerBalanced(snapshot: Snapshot): Violation[] {
  const violations: Violation[] = [];
  if (snapshot.ledger.sumOfEntries !== 0n) {
    violations.push({
      invariant: "ledger balanced",
      detail: `journal sums to ${snapshot.ledger.sumOfEntries}`,
    });
  }
  if (snapshot.ledger.unbalancedEntries !== 0n) {
    violations.push({
      invariant: "ledger balanced",
      detail: `${snapshot.ledger.unbalancedEntries} journal entries do not sum to zero`,
    });
  }
  return violations;
}

/**
 * Money follows the orders: one payment per order at most (no order charged twice); a confirmed
 * order's payment is authorized or captured for exactly its total; a rejected or cancelled order
 * keeps no captured money (declined, voided, or refunded in full).
 */
export function paymentsMatchOrders(snapshot: Snapshot): Violation[] {
  const violations: Violation[] = [];
  const byOrder = new Map<string, PaymentSnapshot[]>();
  for (const p of snapshot.payments) byOrder.set(p.orderId, [...(byOrder.get(p.orderId) ?? []), p]);
  for (const [orderId, payments] of byOrder) {
    if (payments.length > 1) {
      violations.push({
        invariant: "no order charged twice",
        detail: `order ${orderId} has ${payments.length} payments`,
      });
    }
  }
  for (const order of snapshot.orders) {
    const payment = byOrder.get(order.id)?.[0];
    const kept = payment ? payment.capturedMinor - payment.refundedMinor : 0n;
    if (order.status === "confirmed") {
      if (!payment || !(payment.status === "authorized" || payment.status === "captured")) {
        violations.push({
          invariant: "confirmed orders are paid",
          detail: `order ${order.id} has ${payment?.status ?? "no"} payment`,
        });
      } else if (payment.amountMinor !== order.totalMinor) {
        violations.push({
          invariant: "confirmed orders are paid",
          detail: `order ${order.id} total ${order.totalMinor}, payment ${payment.amountMinor}`,
        });
      }
    }
    if (
      (order.status === "rejected" || order.status === "cancelled") &&
      (kept !== 0n || payment?.status === "authorized")
    ) {
      violations.push({
        invariant: "failed orders keep no money",
        detail: `order ${order.id} is ${order.status} but its payment is ${payment?.status} with ${kept} kept`,
      });
    }
  }
  return violations;
}

/**
 * Every outbox drains: no event waits longer than `limitMs` to leave its producer (undelivered,
 * or over the direct transport not acknowledged by a known consumer), and no part of an event
 * transport has been failing that long. Otherwise the orders behind those events cannot finish.
 */
export function outboxesDrain(snapshot: Snapshot, limitMs: number): Violation[] {
  const violations: Violation[] = [];
  const add = (detail: string) => violations.push({ invariant: "every outbox drains", detail });
  for (const outbox of snapshot.outboxes) {
    const failing = outbox.problems.filter((problem) => problem.failingForMs > limitMs);
    if (outbox.undelivered > 0n && outbox.oldestUndeliveredAgeMs > limitMs) {
      add(
        `${outbox.service}: ${outbox.undelivered} event(s) not delivered to ${outbox.transport}, the oldest for ${seconds(outbox.oldestUndeliveredAgeMs)}`,
      );
    }
    for (const consumer of outbox.consumers) {
      if (consumer.unacknowledged > 0n && consumer.oldestUnacknowledgedAgeMs > limitMs) {
        add(
          `${outbox.service}: consumer ${consumer.consumer} has not acknowledged ${consumer.unacknowledged} event(s), the oldest for ${seconds(consumer.oldestUnacknowledgedAgeMs)}`,
        );
      }
    }
    for (const problem of failing) {
      add(
        `${outbox.service}: ${problem.component} failing for ${seconds(problem.failingForMs)}: ${problem.error}`,
      );
    }
  }
  return violations;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function format(s: StockSnapshot): string {
  return `on hand ${s.onHand}, reserved ${s.reserved}, committed ${s.committed}, received ${s.received}`;
}

/** Every check, in report order. */
export function checkAll(snapshot: Snapshot, { stepTimeoutMs }: { stepTimeoutMs: number }): Violation[] {
  return [
    ...ordersTerminal(snapshot, stepTimeoutMs),
    ...stockConserved(snapshot),
    ...stockMatchesOrders(snapshot),
    ...ledgerBalanced(snapshot),
    ...paymentsMatchOrders(snapshot),
    ...outboxesDrain(snapshot, stepTimeoutMs),
  ];
}
