import { newId, type Db, type Tx } from "@tessera/kit";
import { byAddedAt, type CartLine } from "./cart-rules.ts";
import { emptyCart, type CartChange, type CartStore, type StoredCart } from "./cart-store.ts";

const columns = "product_id, sku, name, quantity, unit_price_minor, currency, added_at";
// The same columns under the domain's names, so a row read is a CartLine as it comes.
const lineColumns = `product_id AS "productId", sku, name, quantity, unit_price_minor AS "unitPriceMinor",
  currency, added_at AS "addedAt"`;

/** Carts in the service's PostgreSQL database (embedded mode): all the cart's SQL. */
export class PgCartStore implements CartStore {
  readonly #db: Db;
  readonly #ttlMs: number;

  constructor(db: Db, { ttlMs }: { ttlMs: number }) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  async get(userId: string): Promise<StoredCart> {
    const { rows } = await this.#db.query<CartLine & { cartId: string }>(
      `SELECT carts.id AS "cartId", ${lineColumns} FROM cart_items JOIN carts USING (user_id)
        WHERE user_id = $1 AND carts.updated_at > now() - $2 * interval '1 millisecond'
        ORDER BY added_at, product_id`,
      [userId, this.#ttlMs],
    );
    return rows[0]
      ? { id: rows[0].cartId, lines: rows.map(({ cartId: _cartId, ...line }) => line) }
      : emptyCart;
  }

  update(userId: string, change: CartChange, tx?: Tx): Promise<StoredCart> {
    return tx ? this.#update(tx, userId, change) : this.#db.tx((own) => this.#update(own, userId, change));
  }

  async #update(tx: Tx, userId: string, change: CartChange): Promise<StoredCart> {
    // Creates the cart or locks it (a no-op update takes the row lock), and says whether it expired.
    const cart = await tx.query<{ id: string; live: boolean }>(
      `INSERT INTO carts AS c (user_id, id) VALUES ($1, $3)
         ON CONFLICT (user_id) DO UPDATE SET user_id = c.user_id
         RETURNING c.id, c.updated_at > now() - $2 * interval '1 millisecond' AS live`,
      [userId, this.#ttlMs, newId()],
    );
    const live = cart.rows[0]?.live ?? false;
    const current = live
      ? (await tx.query<CartLine>(`SELECT ${lineColumns} FROM cart_items WHERE user_id = $1`, [userId])).rows
      : [];
    const read: StoredCart =
      current.length > 0 ? { id: cart.rows[0]?.id ?? "", lines: current.sort(byAddedAt) } : emptyCart;
    const result = change(read);
    const next = { id: result.id || newId(), lines: [...result.lines].sort(byAddedAt) };
    if (next.lines.length === 0) {
      await tx.query("DELETE FROM carts WHERE user_id = $1", [userId]);
      return emptyCart;
    }
    await tx.query("DELETE FROM cart_items WHERE user_id = $1", [userId]);
    await tx.query(
      `INSERT INTO cart_items (user_id, ${columns})
       SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[], $8::timestamptz[])`,
      [
        userId,
        next.lines.map((line) => line.productId),
        next.lines.map((line) => line.sku),
        next.lines.map((line) => line.name),
        next.lines.map((line) => line.quantity),
        next.lines.map((line) => line.unitPriceMinor.toString()),
        next.lines.map((line) => line.currency),
        next.lines.map((line) => line.addedAt),
      ],
    );
    await tx.query("UPDATE carts SET updated_at = now(), id = $2 WHERE user_id = $1", [userId, next.id]);
    return next;
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
