import { ServiceError, type Db, type Tx } from "@tessera/kit";
import { orderChangedChannel } from "./order-changes.ts";
import type { Order, OrderLine, OrderStatus, PaymentState, StockState } from "./order.ts";

interface OrderRow {
  id: string;
  user_id: string;
  cart_id: string | null;
  status: OrderStatus;
  lines: StoredLine[];
  currency: string;
  total_minor: bigint;
  card_token: string;
  reason: string;
  reason_code: string;
  stock: StockState;
  payment: PaymentState;
  payment_id: string;
  deadline: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A line as JSON: money as a decimal string, since JSON numbers cannot hold every int64. */
interface StoredLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceMinor: string;
}

const columns =
  "id, user_id, cart_id, status, lines, currency, total_minor, card_token, reason, reason_code, stock, payment, payment_id, deadline, version, created_at, updated_at";

const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  userId: row.user_id,
  cartId: row.cart_id ?? "",
  status: row.status,
  lines: row.lines.map((line) => ({ ...line, unitPriceMinor: BigInt(line.unitPriceMinor) })),
  currency: row.currency,
  totalMinor: row.total_minor,
  cardToken: row.card_token,
  reason: row.reason,
  // Written only from OrderReasonCode by the saga (and by migration 003 from the same set).
  reasonCode: row.reason_code as Order["reasonCode"],
  stock: row.stock,
  payment: row.payment,
  paymentId: row.payment_id,
  deadline: row.deadline,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toStored = (lines: readonly OrderLine[]): StoredLine[] =>
  lines.map((line) => ({ ...line, unitPriceMinor: line.unitPriceMinor.toString() }));

/** All SQL of the orders service, parameterized. */
export class OrderStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Inserts a new order unless the user has one from its cart already; returns it when inserted. */
  async insert(tx: Tx, order: Order, idempotencyKey: string): Promise<Order | undefined> {
    const { rows } = await tx.query<OrderRow>(
      `INSERT INTO orders (id, user_id, idempotency_key, status, lines, currency, total_minor, card_token,
                           reason, stock, payment, payment_id, deadline, cart_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (user_id, cart_id) DO NOTHING
       RETURNING ${columns}`,
      [
        order.id,
        order.userId,
        idempotencyKey,
        order.status,
        JSON.stringify(toStored(order.lines)),
        order.currency,
        order.totalMinor,
        order.cardToken,
        order.reason,
        order.stock,
        order.payment,
        order.paymentId,
        order.deadline,
        order.cartId || null,
      ],
    );
    return rows[0] && toOrder(rows[0]);
  }

  /** The user's order made of cart `cartId`, if there is one. */
  async findByCart(tx: Tx, userId: string, cartId: string): Promise<Order | undefined> {
    const { rows } = await tx.query<OrderRow>(
      `SELECT ${columns} FROM orders WHERE user_id = $1 AND cart_id = $2`,
      [userId, cartId],
    );
    return rows[0] && toOrder(rows[0]);
  }

  async get(id: string): Promise<Order | undefined> {
    const { rows } = await this.#db.query<OrderRow>(`SELECT ${columns} FROM orders WHERE id = $1`, [id]);
    return rows[0] && toOrder(rows[0]);
  }

  /** The order, locked until `tx` ends: transitions of one order never interleave. */
  async lock(tx: Tx, id: string): Promise<Order | undefined> {
    const { rows } = await tx.query<OrderRow>(`SELECT ${columns} FROM orders WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] && toOrder(rows[0]);
  }

  /**
   * The order whose step deadline passed longest ago, locked; one another transaction has locked is
   * skipped, so concurrent sweepers (replicas) never handle the same order.
   */
  async lockNextOverdue(tx: Tx, now: Date): Promise<Order | undefined> {
    const { rows } = await tx.query<OrderRow>(
      `SELECT ${columns} FROM orders WHERE deadline <= $1
        ORDER BY deadline LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [now],
    );
    return rows[0] && toOrder(rows[0]);
  }

  /**
   * Saves a transition of a row read at `order.version`; a concurrent change is an `aborted` error.
   * The same statement notifies `order_changed` (delivered when `tx` commits), so watchers on every
   * replica hear of it without another round trip.
   */
  async save(tx: Tx, order: Order): Promise<Order> {
    const { rows } = await tx.query<OrderRow>(
      `UPDATE orders
          SET status = $3, card_token = $4, reason = $5, stock = $6, payment = $7, payment_id = $8,
              deadline = $9, reason_code = $10, version = version + 1, updated_at = now()
        WHERE id = $1 AND version = $2
        RETURNING ${columns}, pg_notify('${orderChangedChannel}', id::text)`,
      [
        order.id,
        order.version,
        order.status,
        order.cardToken,
        order.reason,
        order.stock,
        order.payment,
        order.paymentId,
        order.deadline,
        order.reasonCode,
      ],
    );
    if (!rows[0]) {
      throw new ServiceError("aborted", `order ${order.id} changed concurrently; retry`, {
        reason: "concurrent-change",
      });
    }
    return toOrder(rows[0]);
  }

  /** A user's orders, newest first, older than `before` when given. */
  async listByUser(options: { userId: string; before?: string; limit: number }): Promise<Order[]> {
    const { rows } = await this.#db.query<OrderRow>(
      `SELECT ${columns} FROM orders
        WHERE user_id = $1 AND ($2::uuid IS NULL OR id < $2)
        ORDER BY id DESC LIMIT $3`,
      [options.userId, options.before ?? null, options.limit],
    );
    return rows.map(toOrder);
  }

  /** Every order, oldest first, newer than `after` when given. */
  async list(options: { after?: string; limit: number }): Promise<Order[]> {
    const { rows } = await this.#db.query<OrderRow>(
      `SELECT ${columns} FROM orders WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
      [options.after ?? null, options.limit],
    );
    return rows.map(toOrder);
  }
}
