import { newId } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Payment } from "./payment.ts";
import { authorizePayment, capturePayment, deliver } from "./testing/commands.ts";
import { startTestPayments, type TestPayments } from "./testing/test-service.ts";

describe("the journal in PostgreSQL", () => {
  let t: TestPayments;
  let captured: Payment;

  beforeAll(async () => {
    t = await startTestPayments();
    const orderId = newId();
    await deliver(t, authorizePayment({ orderId, amountMinor: 3_000n }));
    await deliver(t, capturePayment(orderId));
    captured = (await t.payments.findByOrder(undefined, orderId))!;
    // Opened by the first refund otherwise; the entries below are written by hand.
    await t.service.db.query("INSERT INTO accounts (name, currency) VALUES ('merchant:refunds', 'USD')");
  });

  afterAll(async () => {
    await t?.stop();
  });

  const db = () => t.service.db;

  /** Inserts an entry with the given lines straight into the tables, bypassing the domain. */
  const insertEntry = (lines: [account: string, currency: string, amount: number][], kind = "refund") =>
    db().tx(async (tx) => {
      const refundId = newId();
      await tx.query(
        `INSERT INTO refunds (id, payment_id, idempotency_key, amount_minor, processor_reference, created_at)
         VALUES ($1, $2, $3, 1, 'manual', now())`,
        [refundId, captured.id, `manual-${refundId}`],
      );
      const entryId = newId();
      await tx.query(
        "INSERT INTO journal_entries (id, kind, payment_id, refund_id, currency) VALUES ($1, $2, $3, $4, 'USD')",
        [entryId, kind, captured.id, kind === "refund" ? refundId : null],
      );
      for (const [i, [account, currency, amount]] of lines.entries()) {
        await tx.query(
          "INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor) VALUES ($1, $2, $3, $4, $5)",
          [entryId, i + 1, account, currency, amount],
        );
      }
    });

  it.each([
    ["UPDATE of a journal line", "UPDATE journal_lines SET amount_minor = amount_minor * 2"],
    ["DELETE of a journal line", "DELETE FROM journal_lines"],
    ["UPDATE of a journal entry", "UPDATE journal_entries SET reference = 'edited'"],
    ["DELETE of a journal entry", "DELETE FROM journal_entries"],
    ["TRUNCATE of the journal", "TRUNCATE journal_lines"],
    ["DELETE of a refund", "DELETE FROM refunds"],
    ["UPDATE of an account", "UPDATE accounts SET name = 'merchant:revenue' WHERE name LIKE 'customer:%'"],
  ])("refuses an %s: the journal is append-only", async (_, sql) => {
    await expect(db().query(sql)).rejects.toThrow(/append-only/);
  });

  it("refuses at commit an entry whose lines do not sum to zero", async () => {
    await expect(
      insertEntry([
        ["merchant:refunds", "USD", -100],
        ["customer:user-1", "USD", 99],
      ]),
    ).rejects.toThrow(/unbalanced: 2 lines summing to -1/);
  });

  it("refuses an entry with a single line or none", async () => {
    await expect(insertEntry([["merchant:refunds", "USD", -100]])).rejects.toThrow(/unbalanced/);
    await expect(insertEntry([])).rejects.toThrow(/0 lines/);
  });

  it("refuses a line in another currency than its entry, and an account outside the chart", async () => {
    await expect(
      insertEntry([
        ["merchant:refunds", "EUR", -1],
        ["customer:user-1", "EUR", 1],
      ]),
    ).rejects.toThrow(/foreign key/);
    await expect(
      insertEntry([
        ["merchant:petty-cash", "USD", -1],
        ["customer:user-1", "USD", 1],
      ]),
    ).rejects.toThrow(/foreign key/);
  });

  it("refuses a second capture entry for the same payment even if the domain allowed it", async () => {
    await expect(
      t.service.db.tx((tx) =>
        t.ledger.post(tx, {
          kind: "capture",
          paymentId: captured.id,
          currency: "USD",
          reference: "again",
          lines: [
            { account: "processor:clearing", amountMinor: -3_000n },
            { account: "merchant:revenue", amountMinor: 3_000n },
          ],
        }),
      ),
    ).rejects.toThrow(/journal_entries_once/);
  });

  it("refuses a payment refunded beyond its capture", async () => {
    await expect(
      db().query("UPDATE payments SET refunded_minor = captured_minor + 1 WHERE id = $1", [captured.id]),
    ).rejects.toThrow(/check constraint/);
  });

  it("accepts a balanced correcting entry and stays balanced", async () => {
    await insertEntry([
      ["merchant:refunds", "USD", -1],
      ["customer:user-1", "USD", 1],
    ]);
    const summary = await t.ledger.summary();
    expect(summary).toMatchObject({ sumOfEntries: 0n, unbalancedEntries: 0n, journalEntries: 3n });
    expect(summary.accounts).toEqual([
      { name: "customer:user-1", currency: "USD", balanceMinor: -2_999n },
      { name: "merchant:refunds", currency: "USD", balanceMinor: -1n },
      { name: "merchant:revenue", currency: "USD", balanceMinor: 3_000n },
      { name: "processor:clearing", currency: "USD", balanceMinor: 0n },
    ]);
  });
});
