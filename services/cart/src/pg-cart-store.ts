import type { Db, Tx } from "@tessera/kit";
import { byAddedAt, type CartLine } from "./cart-rules.ts";
import type { CartChange, CartStore } from "./cart-store.ts";

interface LineRow {
  product_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_minor: bigint;
  currency: string;
  added_at: Date;
}

const columns = "product_id, sku, name, quantity, unit_price_minor, currency, added_at";

const toLine = (row: LineRow): CartLine => ({
  productId: row.product_id,
  sku: row.sku,
  name: row.name,
  quantity: row.quantity,
  unitPriceMinor: row.unit_price_minor,
  currency: row.currency,
  addedAt: row.added_at,
});

/** Carts in the service's PostgreSQL database (embedded mode): all the cart's SQL. */
export class PgCartStore implements CartStore {
  readonly #db: Db;
  readonly #ttlMs: number;

  constructor(db: Db, { ttlMs }: { ttlMs: number }) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  async get(userId: string): Promise<CartLine[]> {
    const { rows } = await this.#db.query<LineRow>(
      `SELECT ${columns} FROM cart_items JOIN carts USING (user_id)
        WHERE user_id = $1 AND carts.updated_at > now() - $2 * interval '1 millisecond'
        ORDER BY added_at, product_id`,
      [userId, this.#ttlMs],
    );
    return rows.map(toLine);
  }

  update(userId: string, change: CartChange): Promise<CartLine[]> {
    return this.#db.tx(async (tx) => {
      // Creates the cart or locks it (a no-op update takes the row lock), and says whether it expired.
      const cart = await tx.query<{ live: boolean }>(
        `INSERT INTO carts AS c (user_id) VALUES ($1)
           ON CONFLICT (user_id) DO UPDATE SET user_id = c.user_id
           RETURNING c.updated_at > now() - $2 * interval '1 millisecond' AS live`,
        [userId, this.#ttlMs],
      );
      const live = cart.rows[0]?.live ?? false;
      const current = live
        ? (await tx.query<LineRow>(`SELECT ${columns} FROM cart_items WHERE user_id = $1`, [userId])).rows
        : [];
      const next = [...change(current.map(toLine).sort(byAddedAt))].sort(byAddedAt);
      if (next.length === 0) {
        await tx.query("DELETE FROM carts WHERE user_id = $1", [userId]);
        return next;
      }
      await tx.query("DELETE FROM cart_items WHERE user_id = $1", [userId]);
      await tx.query(
        `INSERT INTO cart_items (user_id, ${columns})
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[], $8::timestamptz[])`,
        [
          userId,
          next.map((line) => line.productId),
          next.map((line) => line.sku),
          next.map((line) => line.name),
          next.map((line) => line.quantity),
          next.map((line) => line.unitPriceMinor.toString()),
          next.map((line) => line.currency),
          next.map((line) => line.addedAt),
        ],
      );
      await tx.query("UPDATE carts SET updated_at = now() WHERE user_id = $1", [userId]);
      return next;
    });
  }

  async clear(userId: string, tx: Tx = this.#db): Promise<void> {
    await tx.query("DELETE FROM carts WHERE user_id = $1", [userId]);
  }

  /** Deletes the carts that expired; returns how many. */
  async deleteExpired(): Promise<number> {
    const { rowCount } = await this.#db.query(
      "DELETE FROM carts WHERE updated_at <= now() - $1 * interval '1 millisecond'",
      [this.#ttlMs],
    );
    return rowCount ?? 0;
  }

  ping(): Promise<boolean> {
    return this.#db.ping();
  }

  // The database belongs to the service, which closes it.
  close(): Promise<void> {
    return Promise.resolve();
  }
}
