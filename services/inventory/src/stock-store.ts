import type { Db, Tx } from "@tessera/kit";
import type { Line } from "./stock-rules.ts";

export interface StockLevel {
  sku: string;
  onHand: bigint;
  reserved: bigint;
  committed: bigint;
  received: bigint;
}

export type ReservationStatus = "HELD" | "RELEASED" | "COMMITTED" | "EXPIRED" | "REJECTED";
/** The statuses of the contract: a rejection is recorded, but is no reservation to list. */
export type ListedStatus = Exclude<ReservationStatus, "REJECTED">;

export interface Reservation<S extends ReservationStatus = ReservationStatus> {
  orderId: string;
  status: S;
  reason: string;
  expiresAt: Date;
  updatedAt: Date;
  lines: Line[];
}

interface StockRow {
  sku: string;
  on_hand: bigint;
  reserved: bigint;
  committed: bigint;
  received: bigint;
}

interface ReservationRow {
  order_id: string;
  status: ReservationStatus;
  reason: string;
  expires_at: Date;
  updated_at: Date;
  lines: { sku: string; quantity: string | number }[];
}

const stockColumns = "sku, on_hand, reserved, committed, received";
// Lines as a JSON array, sorted by SKU; quantities come back as JSON numbers (well below 2^53).
const reservationColumns = `r.order_id, r.status, r.reason, r.expires_at, r.updated_at,
  COALESCE((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.sku)
              FROM reservation_lines l WHERE l.order_id = r.order_id), '[]') AS lines`;

const toLevel = (row: StockRow): StockLevel => ({
  sku: row.sku,
  onHand: row.on_hand,
  reserved: row.reserved,
  committed: row.committed,
  received: row.received,
});

const toReservation = (row: ReservationRow): Reservation => ({
  orderId: row.order_id,
  status: row.status,
  reason: row.reason,
  expiresAt: row.expires_at,
  updatedAt: row.updated_at,
  lines: row.lines.map((line) => ({ sku: line.sku, quantity: BigInt(line.quantity) })),
});

/** Lines as two parallel arrays, for `unnest($1::text[], $2::bigint[])`. */
const columnsOf = (lines: readonly Line[]) => [lines.map((l) => l.sku), lines.map((l) => l.quantity)];

/** All SQL of the inventory, parameterized. Methods taking `tx` must run inside one transaction. */
export class StockStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Locks the stock rows of `skus` in SKU order — every writer locks in this order, so concurrent
   * reservations queue behind each other instead of deadlocking. Unknown SKUs are absent.
   */
  async lockStock(tx: Tx, skus: readonly string[]): Promise<Map<string, StockLevel>> {
    const { rows } = await tx.query<StockRow>(
      `SELECT ${stockColumns} FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
      [skus],
    );
    return new Map(rows.map((row) => [row.sku, toLevel(row)]));
  }

  /** The order's reservation, locked when `lock` (the row every change of it goes through). */
  async reservation(tx: Tx, orderId: string, { lock = false } = {}): Promise<Reservation | undefined> {
    const { rows } = await tx.query<ReservationRow>(
      `SELECT ${reservationColumns} FROM reservations r WHERE r.order_id = $1 ${lock ? "FOR UPDATE OF r" : ""}`,
      [orderId],
    );
    return rows[0] && toReservation(rows[0]);
  }

  /** Records a reservation and its lines; a second one for the same order fails on the key. */
  async insertReservation(
    tx: Tx,
    r: {
      orderId: string;
      status: ReservationStatus;
      reason: string;
      expiresAt: Date;
      lines: readonly Line[];
    },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO reservations (order_id, status, reason, expires_at) VALUES ($1, $2, $3, $4)`,
      [r.orderId, r.status, r.reason, r.expiresAt],
    );
    if (r.lines.length === 0) return;
    await tx.query(
      `INSERT INTO reservation_lines (order_id, sku, quantity)
       SELECT $1, sku, quantity FROM unnest($2::text[], $3::bigint[]) AS l(sku, quantity)`,
      [r.orderId, ...columnsOf(r.lines)],
    );
  }

  /** Records that a reservation never made arrives released: a later ReserveStock holds nothing. */
  async insertReleasedMarker(tx: Tx, orderId: string, reason: string, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO reservations (order_id, status, reason, expires_at) VALUES ($1, 'RELEASED', $2, $3)
       ON CONFLICT (order_id) DO NOTHING`,
      [orderId, reason, at],
    );
  }

  async setStatus(tx: Tx, orderId: string, status: ReservationStatus, reason = ""): Promise<void> {
    await tx.query(
      `UPDATE reservations SET status = $2, reason = $3, updated_at = now() WHERE order_id = $1`,
      [orderId, status, reason],
    );
  }

  /** Holds units: reserved += quantity. The rows must be locked (`lockStock`). */
  async hold(tx: Tx, lines: readonly Line[]): Promise<void> {
    await this.#adjust(tx, lines, "reserved = s.reserved + l.quantity");
  }

  /** Gives held units back: reserved -= quantity. */
  async unhold(tx: Tx, lines: readonly Line[]): Promise<void> {
    await this.#adjust(tx, lines, "reserved = s.reserved - l.quantity");
  }

  /** Held units leave the warehouse for good: on_hand and reserved -= quantity, committed += quantity. */
  async commit(tx: Tx, lines: readonly Line[]): Promise<void> {
    await this.#adjust(
      tx,
      lines,
      "on_hand = s.on_hand - l.quantity, reserved = s.reserved - l.quantity, committed = s.committed + l.quantity",
    );
  }

  async #adjust(tx: Tx, lines: readonly Line[], assignments: string): Promise<void> {
    const { rowCount } = await tx.query(
      `UPDATE stock s SET ${assignments}, updated_at = now()
         FROM unnest($1::text[], $2::bigint[]) AS l(sku, quantity) WHERE s.sku = l.sku`,
      columnsOf(lines),
    );
    if (rowCount !== lines.length) throw new Error(`stock rows changed: ${rowCount} of ${lines.length}`);
  }

  /** Creates a SKU's stock with `units` unless it exists; true when created. */
  async createStock(tx: Tx, sku: string, units: bigint): Promise<boolean> {
    const { rowCount } = await tx.query(
      `INSERT INTO stock (sku, on_hand, received) VALUES ($1, $2, $2) ON CONFLICT (sku) DO NOTHING`,
      [sku, units],
    );
    return rowCount === 1;
  }

  /** Claims a restock's idempotency key; the existing claim when it was taken before. */
  async claimRestock(
    tx: Tx,
    key: string,
    sku: string,
    quantity: bigint,
  ): Promise<{ claimed: true } | { claimed: false; sku: string; quantity: bigint }> {
    const inserted = await tx.query(
      `INSERT INTO restocks (idempotency_key, sku, quantity) VALUES ($1, $2, $3)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [key, sku, quantity],
    );
    if (inserted.rowCount === 1) return { claimed: true };
    const { rows } = await tx.query<{ sku: string; quantity: bigint }>(
      "SELECT sku, quantity FROM restocks WHERE idempotency_key = $1",
      [key],
    );
    return { claimed: false, sku: rows[0]!.sku, quantity: rows[0]!.quantity };
  }

  /** Receives units: on_hand and received += quantity, creating the SKU's row if needed. */
  async receive(tx: Tx, sku: string, quantity: bigint): Promise<StockLevel> {
    const { rows } = await tx.query<StockRow>(
      `INSERT INTO stock (sku, on_hand, received) VALUES ($1, $2, $2)
       ON CONFLICT (sku) DO UPDATE
         SET on_hand = stock.on_hand + excluded.on_hand, received = stock.received + excluded.received,
             updated_at = now()
       RETURNING ${stockColumns}`,
      [sku, quantity],
    );
    return toLevel(rows[0]!);
  }

  async stockOf(skus: readonly string[], tx: Tx = this.#db): Promise<StockLevel[]> {
    const { rows } = await tx.query<StockRow>(
      `SELECT ${stockColumns} FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku`,
      [skus],
    );
    return rows.map(toLevel);
  }

  /** Up to `limit` SKUs after `after`, in SKU order. */
  async listStock({ after, limit }: { after: string | undefined; limit: number }): Promise<StockLevel[]> {
    const { rows } = await this.#db.query<StockRow>(
      `SELECT ${stockColumns} FROM stock WHERE ($1::text IS NULL OR sku > $1) ORDER BY sku LIMIT $2`,
      [after ?? null, limit],
    );
    return rows.map(toLevel);
  }

  /**
   * Up to `limit` reservations the contract knows (not rejections) after order id `after`, in
   * order id order (the key of the table, so pages never skip or repeat one), optionally of one
   * status.
   */
  async listReservations({
    status,
    after,
    limit,
  }: {
    status: ListedStatus | undefined;
    after: string | undefined;
    limit: number;
  }): Promise<Reservation<ListedStatus>[]> {
    const { rows } = await this.#db.query<ReservationRow>(
      `SELECT ${reservationColumns} FROM reservations r
        WHERE r.status <> 'REJECTED' AND ($1::text IS NULL OR r.status = $1)
          AND ($2::text IS NULL OR r.order_id > $2)
        ORDER BY r.order_id LIMIT $3`,
      [status ?? null, after ?? null, limit],
    );
    return rows.map(toReservation) as Reservation<ListedStatus>[];
  }

  /** Orders whose hold has expired at `now`, soonest first. */
  async dueForExpiry(now: Date, limit: number): Promise<string[]> {
    const { rows } = await this.#db.query<{ order_id: string }>(
      `SELECT order_id FROM reservations WHERE status = 'HELD' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => row.order_id);
  }
}
