import { newId, type Db, type Tx } from "@tessera/kit";
import { assertBalanced, type EntryKind, type JournalEntry } from "./ledger.ts";

export interface AccountBalance {
  name: string;
  currency: string;
  balanceMinor: bigint;
}

export interface LedgerSummary {
  accounts: AccountBalance[];
  /** The sum of every journal line; zero in a balanced ledger. */
  sumOfEntries: bigint;
  /** The currency of every line, or "" when there are none or several. */
  currency: string;
  journalEntries: bigint;
  /** Entries whose lines do not sum to zero, or that have fewer than two; zero in a sound ledger. */
  unbalancedEntries: bigint;
}

export interface PostedEntry extends JournalEntry {
  id: string;
  postedAt: Date;
}

/** All SQL of the journal, parameterized. The journal is append-only: this class only inserts. */
export class LedgerStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Posts a balanced entry, opening its accounts on first use; returns its id. */
  async post(tx: Tx, entry: JournalEntry): Promise<string> {
    assertBalanced(entry);
    const id = newId();
    const names = entry.lines.map((line) => line.account);
    // One round trip: accounts opened on first use, the entry, its lines. The lines' foreign keys
    // are checked at the end of the statement, when the rows of its other parts exist.
    await tx.query(
      `WITH opened AS (
         INSERT INTO accounts (name, currency)
         SELECT name, $2 FROM unnest($3::text[]) AS name
         ON CONFLICT DO NOTHING
       ), entry AS (
         INSERT INTO journal_entries (id, kind, payment_id, refund_id, currency, reference)
         VALUES ($1, $5, $6, $7, $2, $8)
       )
       INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor)
       SELECT $1, line_no, account, $2, amount
         FROM unnest($3::text[], $4::bigint[]) WITH ORDINALITY AS line (account, amount, line_no)`,
      [
        id,
        entry.currency,
        names,
        entry.lines.map((line) => line.amountMinor.toString()),
        entry.kind,
        entry.paymentId,
        entry.refundId ?? null,
        entry.reference,
      ],
    );
    return id;
  }

  /** A payment's entries with their lines, in posting order. */
  async entriesOf(paymentId: string, tx?: Tx): Promise<PostedEntry[]> {
    const { rows } = await (tx ?? this.#db).query<{
      id: string;
      kind: EntryKind;
      payment_id: string;
      refund_id: string | null;
      currency: string;
      reference: string;
      posted_at: Date;
      lines: { account: string; amount_minor: string }[];
    }>(
      `SELECT e.id, e.kind, e.payment_id, e.refund_id, e.currency, e.reference, e.posted_at,
              json_agg(json_build_object('account', l.account, 'amount_minor', l.amount_minor::text)
                       ORDER BY l.line_no) AS lines
         FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
        WHERE e.payment_id = $1
        GROUP BY e.id
        ORDER BY e.id`,
      [paymentId],
    );
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      paymentId: row.payment_id,
      ...(row.refund_id ? { refundId: row.refund_id } : {}),
      currency: row.currency,
      reference: row.reference,
      postedAt: row.posted_at,
      lines: row.lines.map((line) => ({ account: line.account, amountMinor: BigInt(line.amount_minor) })),
    }));
  }

  /** Balances and journal totals, in one snapshot (REPEATABLE READ) so they agree with each other. */
  async summary(): Promise<LedgerSummary> {
    return this.#db.tx(async (tx) => {
      await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      const balances = await tx.query<{ name: string; currency: string; balance: bigint }>(
        `SELECT a.name, a.currency, coalesce(sum(l.amount_minor), 0)::bigint AS balance
           FROM accounts a LEFT JOIN journal_lines l ON l.account = a.name AND l.currency = a.currency
          GROUP BY a.name, a.currency
          ORDER BY a.name, a.currency`,
      );
      const totals = await tx.query<{ sum: bigint; currencies: string[] }>(
        `SELECT coalesce(sum(amount_minor), 0)::bigint AS sum, coalesce(array_agg(DISTINCT currency::text), '{}') AS currencies
           FROM journal_lines`,
      );
      const entries = await tx.query<{ entries: bigint; unbalanced: bigint }>(
        `SELECT count(*) AS entries, count(*) FILTER (WHERE lines < 2 OR total <> 0) AS unbalanced
           FROM (SELECT e.id, count(l.entry_id) AS lines, coalesce(sum(l.amount_minor), 0) AS total
                   FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id
                  GROUP BY e.id) AS per_entry`,
      );
      const currencies = totals.rows[0]?.currencies ?? [];
      return {
        accounts: balances.rows.map((row) => ({
          name: row.name,
          currency: row.currency,
          balanceMinor: row.balance,
        })),
        sumOfEntries: totals.rows[0]?.sum ?? 0n,
        currency: currencies.length === 1 ? currencies[0]! : "",
        journalEntries: entries.rows[0]?.entries ?? 0n,
        unbalancedEntries: entries.rows[0]?.unbalanced ?? 0n,
      };
    });
  }
}
