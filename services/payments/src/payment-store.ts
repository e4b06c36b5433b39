import type { Db, Tx } from "@tessera/kit";
import type { Payment, PaymentStatus } from "./payment.ts";

interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string;
  status: PaymentStatus;
  currency: string;
  amount_minor: bigint;
  captured_minor: bigint;
  refunded_minor: bigint;
  authorization_id: string;
  decline_reason: string;
  created_at: Date;
  updated_at: Date;
}

const columns = `id, order_id, user_id, status, currency, amount_minor, captured_minor, refunded_minor,
  authorization_id, decline_reason, created_at, updated_at`;

const toPayment = (row: PaymentRow): Payment => ({
  id: row.id,
  orderId: row.order_id,
  userId: row.user_id,
  status: row.status,
  currency: row.currency,
  amountMinor: row.amount_minor,
  capturedMinor: row.captured_minor,
  refundedMinor: row.refunded_minor,
  authorizationId: row.authorization_id,
  declineReason: row.decline_reason,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export interface Refund {
  id: string;
  paymentId: string;
  idempotencyKey: string;
  amountMinor: bigint;
  processorReference: string;
  createdAt: Date;
}

// Advisory locks of payments use this first key; the two-key space never meets the kit's one-key locks.
const orderLockClass = 55;

/** All SQL of payment intents and refunds, parameterized. */
export class PaymentStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Serializes every change to one order's payment until `tx` ends — also before the payment
   * exists, so two deliveries of AuthorizePayment racing on two replicas cannot both act.
   */
  async lockOrder(tx: Tx, orderId: string): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [orderLockClass, orderId]);
  }

  async findByOrder(tx: Tx | undefined, orderId: string): Promise<Payment | undefined> {
    const { rows } = await (tx ?? this.#db).query<PaymentRow>(
      `SELECT ${columns} FROM payments WHERE order_id = $1`,
      [orderId],
    );
    return rows[0] && toPayment(rows[0]);
  }

  /** Up to `limit` payments after id `after`, in id order (UUIDv7: oldest first). */
  async list({ after, limit }: { after: string | undefined; limit: number }): Promise<Payment[]> {
    const { rows } = await this.#db.query<PaymentRow>(
      `SELECT ${columns} FROM payments WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
      [after ?? null, limit],
    );
    return rows.map(toPayment);
  }

  async insert(tx: Tx, p: Payment): Promise<void> {
    await tx.query(
      `INSERT INTO payments (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        p.id,
        p.orderId,
        p.userId,
        p.status,
        p.currency,
        p.amountMinor,
        p.capturedMinor,
        p.refundedMinor,
        p.authorizationId,
        p.declineReason,
        p.createdAt,
        p.updatedAt,
      ],
    );
  }

  /** Stores a transition's result; only the fields a transition changes. */
  async update(tx: Tx, p: Payment): Promise<void> {
    await tx.query(
      `UPDATE payments SET status = $2, captured_minor = $3, refunded_minor = $4, updated_at = $5 WHERE id = $1`,
      [p.id, p.status, p.capturedMinor, p.refundedMinor, p.updatedAt],
    );
  }

  async findRefund(tx: Tx, paymentId: string, idempotencyKey: string): Promise<Refund | undefined> {
    const { rows } = await tx.query<{
      id: string;
      payment_id: string;
      idempotency_key: string;
      amount_minor: bigint;
      processor_reference: string;
      created_at: Date;
    }>(
      `SELECT id, payment_id, idempotency_key, amount_minor, processor_reference, created_at
         FROM refunds WHERE payment_id = $1 AND idempotency_key = $2`,
      [paymentId, idempotencyKey],
    );
    const row = rows[0];
    return (
      row && {
        id: row.id,
        paymentId: row.payment_id,
        idempotencyKey: row.idempotency_key,
        amountMinor: row.amount_minor,
        processorReference: row.processor_reference,
        createdAt: row.created_at,
      }
    );
  }

  async insertRefund(tx: Tx, r: Refund): Promise<void> {
    await tx.query(
      `INSERT INTO refunds (id, payment_id, idempotency_key, amount_minor, processor_reference, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [r.id, r.paymentId, r.idempotencyKey, r.amountMinor, r.processorReference, r.createdAt],
    );
  }
}
