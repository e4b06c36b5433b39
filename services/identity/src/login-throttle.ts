import type { Db } from "@tessera/kit";

/** The rule: this many failed sign-ins for one e-mail address within `windowMs`… */
export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** …refuse every sign-in for it this long, the right password included. */
export const LOCK_MS = 15 * 60_000;

/**
 * Failed sign-ins per e-mail address, in the database so that every replica and every restart
 * sees the same count. Keys are lower-cased addresses, whether or not an account has them: the
 * answer must not tell which addresses are registered.
 */
export class LoginThrottle {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Until when sign-ins for `key` are refused, if they are at `now`. */
  async lockedUntil(key: string, now: Date): Promise<Date | undefined> {
    const { rows } = await this.#db.query<{ locked_until: Date }>(
      "SELECT locked_until FROM login_locks WHERE email_key = $1 AND locked_until > $2",
      [key, now],
    );
    return rows[0]?.locked_until;
  }

  /** Counts a failure at `now`; returns the end of the lock when this one reached the limit. */
  recordFailure(key: string, now: Date): Promise<Date | undefined> {
    return this.#db.tx(async (tx) => {
      // One e-mail's failures are counted one at a time, so parallel attempts cannot all slip under.
      await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 42))", [key]);
      await tx.query("INSERT INTO login_failures (email_key, failed_at) VALUES ($1, $2)", [key, now]);
      const { rows } = await tx.query<{ failures: bigint }>(
        "SELECT count(*) AS failures FROM login_failures WHERE email_key = $1 AND failed_at > $2",
        [key, new Date(now.getTime() - FAILURE_WINDOW_MS)],
      );
      if (Number(rows[0]?.failures ?? 0) < MAX_FAILURES) return undefined;
      const until = new Date(now.getTime() + LOCK_MS);
      await tx.query(
        `INSERT INTO login_locks (email_key, locked_until) VALUES ($1, $2)
         ON CONFLICT (email_key) DO UPDATE SET locked_until = EXCLUDED.locked_until`,
        [key, until],
      );
      // The lock is the consequence; once it ends, counting starts over.
      await tx.query("DELETE FROM login_failures WHERE email_key = $1", [key]);
      return until;
    });
  }

  /** A successful sign-in forgives earlier failures. */
  async clear(key: string): Promise<void> {
    await this.#db.query("DELETE FROM login_failures WHERE email_key = $1", [key]);
  }

  /** Drops failures too old to count and locks that ended. */
  async prune(now: Date): Promise<void> {
    await this.#db.query("DELETE FROM login_failures WHERE failed_at <= $1", [
      new Date(now.getTime() - FAILURE_WINDOW_MS),
    ]);
    await this.#db.query("DELETE FROM login_locks WHERE locked_until <= $1", [now]);
  }
}
