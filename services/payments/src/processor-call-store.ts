import { currentContext, newId, type Db, type Tx } from "@tessera/kit";
import type { CallKind, NewCall, ProcessorCall } from "./processor-call.ts";

interface CallRow {
  id: string;
  order_id: string;
  kind: CallKind;
  intent_key: string;
  user_id: string;
  currency: string | null;
  amount_minor: bigint | null;
  card_token: string;
  refund_id: string | null;
  refund_key: string;
  status: ProcessorCall["status"];
  attempts: number;
  failures: number;
  abandon_reason: string;
  last_error: string;
  traceparent: string;
}

const columns = `id, order_id, kind, intent_key, user_id, currency, amount_minor, card_token, refund_id,
  refund_key, status, attempts, failures, abandon_reason, last_error, traceparent`;

const toCall = (row: CallRow): ProcessorCall => ({
  id: row.id,
  orderId: row.order_id,
  kind: row.kind,
  intentKey: row.intent_key,
  userId: row.user_id,
  ...(row.currency !== null && row.amount_minor !== null
    ? { amount: { currency: row.currency, amountMinor: row.amount_minor } }
    : {}),
  cardToken: row.card_token,
  ...(row.refund_id !== null ? { refundId: row.refund_id } : {}),
  refundKey: row.refund_key,
  status: row.status,
  attempts: row.attempts,
  failures: row.failures,
  abandonReason: row.abandon_reason,
  lastError: row.last_error,
  traceparent: row.traceparent,
});

/** Error texts kept on a call are bounded; the logs have the rest. */
const errorText = (message: string) => message.slice(0, 2_000);

/** All SQL of processor calls, parameterized. Every statement here is short: no call runs inside one. */
export class ProcessorCallStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records a call in `tx` unless one with its intent key exists; true when recorded. */
  async record(tx: Tx, call: NewCall): Promise<boolean> {
    const { rowCount } = await tx.query(
      `INSERT INTO processor_calls (id, order_id, kind, intent_key, user_id, currency, amount_minor, card_token,
                                    refund_id, refund_key, traceparent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (intent_key) DO NOTHING`,
      [
        newId(),
        call.orderId,
        call.kind,
        call.intentKey,
        call.userId,
        call.amount?.currency ?? null,
        call.amount?.amountMinor ?? null,
        call.cardToken,
        call.refundId ?? null,
        call.refundKey,
        currentContext()?.traceparent ?? "",
      ],
    );
    return rowCount === 1;
  }

  async find(tx: Tx | undefined, intentKey: string): Promise<ProcessorCall | undefined> {
    const { rows } = await (tx ?? this.#db).query<CallRow>(
      `SELECT ${columns} FROM processor_calls WHERE intent_key = $1`,
      [intentKey],
    );
    return rows[0] && toCall(rows[0]);
  }

  /** An order's calls not yet made, in recording order. */
  async pending(tx: Tx | undefined, orderId: string): Promise<ProcessorCall[]> {
    const { rows } = await (tx ?? this.#db).query<CallRow>(
      `SELECT ${columns} FROM processor_calls WHERE order_id = $1 AND status = 'pending' ORDER BY seq`,
      [orderId],
    );
    return rows.map(toCall);
  }

  /**
   * Takes up to `limit` due calls — for each order only its oldest pending one, so an order's calls
   * are made one at a time and in order — and leases them for `leaseMs`: until then no other
   * worker takes them, after it (the worker crashed) any may.
   */
  async claim(limit: number, leaseMs: number): Promise<ProcessorCall[]> {
    const { rows } = await this.#db.query<CallRow>(
      `UPDATE processor_calls c
          SET attempts = c.attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
         FROM (SELECT p.id FROM processor_calls p
                WHERE p.status = 'pending' AND p.next_attempt_at <= now()
                  AND NOT EXISTS (SELECT 1 FROM processor_calls e
                                   WHERE e.order_id = p.order_id AND e.status = 'pending' AND e.seq < p.seq)
                ORDER BY p.seq LIMIT $1
                FOR UPDATE SKIP LOCKED) AS due
        WHERE c.id = due.id
      RETURNING ${columns.replace(/(\w+)/g, "c.$1")}`,
      [limit, leaseMs],
    );
    return rows.map(toCall);
  }

  /** Renews the lease before another call of the same attempt; `abandonReason`, once set, stays. */
  async extendLease(id: string, leaseMs: number, abandonReason = ""): Promise<void> {
    await this.#db.query(
      `UPDATE processor_calls
          SET next_attempt_at = now() + $2 * interval '1 millisecond',
              abandon_reason = CASE WHEN abandon_reason = '' THEN $3 ELSE abandon_reason END
        WHERE id = $1 AND status = 'pending'`,
      [id, leaseMs, abandonReason],
    );
  }

  /** Hands a call back at once (this worker stops): another takes it up without waiting for the lease. */
  async release(id: string): Promise<void> {
    await this.#db.query(
      "UPDATE processor_calls SET next_attempt_at = now() WHERE id = $1 AND status = 'pending'",
      [id],
    );
  }

  /**
   * Marks the call made and its outcome recorded, in the transaction recording that outcome; false
   * (and nothing changed) when it is no longer pending: another worker recorded it. One statement
   * locks, checks and settles; if the transaction rolls back, the call is pending again.
   */
  async settle(tx: Tx, id: string): Promise<boolean> {
    const { rowCount } = await tx.query(
      `UPDATE processor_calls SET status = 'settled', settled_at = now(), card_token = '', last_error = ''
        WHERE id = $1 AND status = 'pending'`,
      [id],
    );
    return rowCount === 1;
  }

  /** A transient failure: the call is made again after `delayMs`. */
  async retryLater(id: string, delayMs: number, error: string): Promise<void> {
    await this.#db.query(
      `UPDATE processor_calls
          SET failures = failures + 1, last_error = $3, next_attempt_at = now() + $2 * interval '1 millisecond'
        WHERE id = $1 AND status = 'pending'`,
      [id, Math.round(delayMs), errorText(error)],
    );
  }

  /** A refusal: the call is never made again. */
  async fail(id: string, error: string): Promise<void> {
    await this.#db.query(
      `UPDATE processor_calls SET status = 'failed', settled_at = now(), card_token = '', last_error = $2
        WHERE id = $1 AND status = 'pending'`,
      [id, errorText(error)],
    );
  }

  /** How many calls are pending, of one order or in all (tests, administration). */
  async countPending(orderId?: string): Promise<number> {
    const { rows } = await this.#db.query<{ count: bigint }>(
      "SELECT count(*) AS count FROM processor_calls WHERE status = 'pending' AND ($1::uuid IS NULL OR order_id = $1)",
      [orderId ?? null],
    );
    return Number(rows[0]?.count ?? 0n);
  }
}
