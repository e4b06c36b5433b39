import { newId, type Db, type Tx } from "@tessera/kit";
import type { Message, NotificationKind } from "./messages.ts";

export interface Notification {
  id: string;
  userId: string;
  orderId: string;
  kind: NotificationKind;
  subject: string;
  body: string;
  emailed: boolean;
  createdAt: Date;
}

/** A stored message the mailer still has to send. */
export interface UnsentNotification {
  id: string;
  userId: string;
  subject: string;
  body: string;
  /** Failed sends so far. */
  mailAttempts: number;
}

// Aliased to the domain's names, so a row is a Notification as it comes.
const columns = `id, user_id AS "userId", order_id AS "orderId", kind, subject, body, emailed,
  created_at AS "createdAt"`;

/** All SQL of the notifications service, parameterized. */
export class NotificationStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Stores the message unless its order already has one of its kind; true when inserted. */
  async insert(tx: Tx, message: Message): Promise<boolean> {
    const { rowCount } = await tx.query(
      `INSERT INTO notifications (id, user_id, order_id, kind, subject, body)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (order_id, kind) DO NOTHING`,
      [newId(), message.userId, message.orderId, message.kind, message.subject, message.body],
    );
    return rowCount === 1;
  }

  /**
   * One user's notifications, newest first, below the id `before` when given; `limit` at most.
   * Ids are UUIDv7, so their order is creation order and a stable keyset for paging.
   */
  async listByUser(options: { userId: string; before?: string; limit: number }): Promise<Notification[]> {
    const { rows } = await this.#db.query<Notification>(
      `SELECT ${columns} FROM notifications
        WHERE user_id = $1 AND ($2::uuid IS NULL OR id < $2::uuid)
        ORDER BY id DESC
        LIMIT $3`,
      [options.userId, options.before ?? null, options.limit],
    );
    return rows;
  }

  /**
   * Locks the oldest message due for sending, for the rest of `tx`. Other mailers (replicas) skip
   * it while it is locked, so one message is in one send at a time.
   */
  async lockNextUnsent(tx: Tx): Promise<UnsentNotification | undefined> {
    const { rows } = await tx.query<UnsentNotification>(
      `SELECT id, user_id AS "userId", subject, body, mail_attempts AS "mailAttempts" FROM notifications
        WHERE NOT emailed AND next_mail_at <= now()
        ORDER BY next_mail_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`,
    );
    return rows[0];
  }

  async markEmailed(tx: Tx, id: string): Promise<void> {
    await tx.query(
      "UPDATE notifications SET emailed = true, emailed_at = now(), last_mail_error = NULL WHERE id = $1",
      [id],
    );
  }

  /** Records a failed send and when to try again. */
  async recordMailFailure(tx: Tx, id: string, error: string, retryInMs: number): Promise<void> {
    await tx.query(
      `UPDATE notifications
          SET mail_attempts = mail_attempts + 1,
              next_mail_at = now() + make_interval(secs => $3::double precision / 1000),
              last_mail_error = $2
        WHERE id = $1`,
      [id, error.slice(0, 1000), retryInMs],
    );
  }
}
