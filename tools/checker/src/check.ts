import type { TokenSource } from "@tessera/kit";
import { checkAll, type Snapshot, type Violation } from "./invariants.ts";
import { takeSnapshot, type Addresses } from "./snapshot.ts";

export type { Addresses, Snapshot, Violation };

export interface Report {
  snapshot: Snapshot;
  violations: Violation[];
  text: string;
}

/**
 * Reads the system's state and checks the invariants; `text` is the printable report. Every read
 * is administrative: `credentials` is an operator's token (the `tessera-checker` client's).
 *
 * @example
 *   const report = await checkConsistency({ orders: "127.0.0.1:50054", inventory: "127.0.0.1:50053", payments: "127.0.0.1:50055" });
 *   if (report.violations.length) throw new Error(report.text);
 */
export async function checkConsistency(
  addresses: Addresses,
  { stepTimeoutMs = 30_000, credentials }: { stepTimeoutMs?: number; credentials?: TokenSource } = {},
): Promise<Report> {
  const snapshot = await takeSnapshot(addresses, { credentials });
  const violations = checkAll(snapshot, { stepTimeoutMs: stepTimeoutMs + 5_000 });
  const count = (status: string) => snapshot.orders.filter((o) => o.status === status).length;
  const lines = [
    `orders: ${snapshot.orders.length} (confirmed ${count("confirmed")}, rejected ${count("rejected")}, cancelled ${count("cancelled")}, in flight ${snapshot.orders.length - count("confirmed") - count("rejected") - count("cancelled")})`,
    `stock: ${snapshot.stock.length} SKUs, ${snapshot.reservations.filter((r) => r.status === "held").length} reservations held`,
    `payments: ${snapshot.payments.length}; ledger: ${snapshot.ledger.journalEntries} journal entries, sum ${snapshot.ledger.sumOfEntries}`,
    `outboxes: ${snapshot.outboxes.map((o) => `${o.service} ${o.undelivered} undelivered (${o.transport})`).join(", ")}`,
    violations.length === 0
      ? "consistent: every invariant holds"
      : `${violations.length} violation(s):\n` +
        violations.map((v) => `  - [${v.invariant}] ${v.detail}`).join("\n"),
  ];
  return { snapshot, violations, text: lines.join("\n") };
}
