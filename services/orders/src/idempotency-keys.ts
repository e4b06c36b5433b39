import { createHash } from "node:crypto";
import { newId, type Db, type Tx } from "@tessera/kit";

/** What claiming a key found. */
export type Claim =
  /** The key is this request's now; pass the token to `complete` or `release`. */
  | { kind: "claimed"; token: string }
  /** The same request placed an order under this key before. */
  | { kind: "replay"; orderId: string }
  /** The key was first used with a different request. */
  | { kind: "mismatch" }
  /** Another request with this key is being handled right now. */
  | { kind: "in-progress" };

export interface IdempotencyKeysOptions {
  /** How long a key stays bound to its request (24 hours, as the IETF draft and Stripe do). */
  ttlMs?: number;
  /** How long a request may hold a key before another may take it over (a crashed request). */
  leaseMs?: number;
}

interface KeyRow {
  fingerprint: string;
  order_id: string | null;
}

/**
 * Per-user idempotency keys of PlaceOrder, as the IETF httpapi Idempotency-Key draft describes them:
 * a key is bound to a fingerprint of the first request sent with it, and to that request's order
 * once it is placed. A request claims its key in a short transaction of its own before doing any
 * work, and completes it in the transaction that places the order, so two requests with one key
 * never both work, and a failed request leaves the key free for a retry.
 */
export class IdempotencyKeys {
  readonly #db: Db;
  readonly #ttlMs: number;
  readonly #leaseMs: number;

  constructor(db: Db, { ttlMs = 86_400_000, leaseMs = 30_000 }: IdempotencyKeysOptions = {}) {
    this.#db = db;
    this.#ttlMs = ttlMs;
    this.#leaseMs = leaseMs;
  }

  async claim(userId: string, key: string, fingerprint: string): Promise<Claim> {
    // A key released between our insert attempt and our read is free again: try once more.
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = newId();
      const claimed = await this.#db.query(
        `INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, lock_token, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond', now() + $6 * interval '1 millisecond')
         ON CONFLICT (user_id, key) DO UPDATE
           SET fingerprint = excluded.fingerprint, order_id = NULL, lock_token = excluded.lock_token,
               locked_until = excluded.locked_until, created_at = now(), expires_at = excluded.expires_at
           WHERE k.expires_at <= now()
              OR (k.order_id IS NULL AND k.locked_until <= now() AND k.fingerprint = excluded.fingerprint)
         RETURNING 1`,
        [userId, key, fingerprint, token, this.#leaseMs, this.#ttlMs],
      );
      if (claimed.rowCount === 1) return { kind: "claimed", token };
      const { rows } = await this.#db.query<KeyRow>(
        "SELECT fingerprint, order_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        [userId, key],
      );
      const row = rows[0];
      if (!row) continue;
      if (row.fingerprint !== "" && row.fingerprint !== fingerprint) return { kind: "mismatch" };
      if (row.order_id !== null) return { kind: "replay", orderId: row.order_id };
      return { kind: "in-progress" };
    }
    return { kind: "in-progress" };
  }

  /** Binds the key to the order placed in `tx`; false when the request no longer holds it. */
  async complete(tx: Tx, userId: string, key: string, token: string, orderId: string): Promise<boolean> {
    const { rowCount } = await tx.query(
      `UPDATE idempotency_keys SET order_id = $4, lock_token = NULL, locked_until = NULL
        WHERE user_id = $1 AND key = $2 AND lock_token = $3`,
      [userId, key, token, orderId],
    );
    return rowCount === 1;
  }

  /** Frees a key whose request failed before placing an order, so the client may retry with it. */
  async release(userId: string, key: string, token: string): Promise<void> {
    await this.#db.query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND lock_token = $3", [
      userId,
      key,
      token,
    ]);
  }

  /** Forgets keys past their time to live, at most `limit` at a time; returns how many. */
  async deleteExpired(limit = 1_000): Promise<number> {
    const { rowCount } = await this.#db.query(
      `DELETE FROM idempotency_keys WHERE (user_id, key) IN (
         SELECT user_id, key FROM idempotency_keys WHERE expires_at <= now() LIMIT $1)`,
      [limit],
    );
    return rowCount ?? 0;
  }
}

/** The fingerprint of a PlaceOrder request: every field but the user and the key, hashed. */
export function placeOrderFingerprint(request: { cardToken: string }): string {
  return createHash("sha256")
    .update(JSON.stringify(["PlaceOrder", request.cardToken]))
    .digest("hex");
}
