import {
  StockCommittedSchema,
  StockRejectedSchema,
  StockReleasedSchema,
  StockReservedSchema,
} from "@tessera/contracts/inventory/v1";
import { ServiceError, type Db, type Logger, type Service, type Tx } from "@tessera/kit";
import {
  decideReservation,
  isExpired,
  normalizeLines,
  reservationExpiry,
  type Decision,
  type RequestedLine,
} from "./stock-rules.ts";
import type { Reservation, StockStore } from "./stock-store.ts";

type Publish = Service<unknown>["publish"];

export interface ReserveCommand {
  orderId: string;
  lines: readonly RequestedLine[];
  /** 0: the default hold. */
  expireAfterSeconds: number;
}

export type ReserveOutcome = "reserved" | "rejected" | "repeated";
export type ReleaseOutcome = "released" | "unknown" | "ignored";
export type CommitOutcome = "committed" | "expired" | "unknown" | "ignored";

export interface ReservationsOptions {
  db: Db;
  store: StockStore;
  publish: Publish;
  log: Logger;
  /** The hold when ReserveStock asks for none (0). */
  defaultTtlSeconds: number;
  now?: () => Date;
}

/**
 * The saga's side of the inventory: hold, release, commit and expire an order's units. Every change
 * and the event answering it commit in the caller's transaction; every command is idempotent.
 */
export class Reservations {
  readonly #db: Db;
  readonly #store: StockStore;
  readonly #publish: Publish;
  readonly #log: Logger;
  readonly #defaultTtlSeconds: number;
  readonly #now: () => Date;

  constructor(options: ReservationsOptions) {
    this.#db = options.db;
    this.#store = options.store;
    this.#publish = options.publish;
    this.#log = options.log;
    this.#defaultTtlSeconds = options.defaultTtlSeconds;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Holds every line of the order or none (StockReserved / StockRejected). A repeated command
   * holds nothing more: it answers again with the outcome recorded the first time, if still current.
   */
  async reserve(tx: Tx, command: ReserveCommand): Promise<ReserveOutcome> {
    const orderId = checkOrderId(command.orderId);
    const existing = await this.#store.reservation(tx, orderId, { lock: true });
    if (existing) {
      await this.#answerAgain(tx, existing);
      return "repeated";
    }
    const now = this.#now();
    const { decision, expiresAt } = await this.#decide(tx, command, now);
    if (decision.outcome === "rejected") {
      const { reason } = decision;
      await this.#store.insertReservation(tx, {
        orderId,
        status: "REJECTED",
        reason,
        expiresAt: now,
        lines: [],
      });
      await this.#publish(tx, StockRejectedSchema, { orderId, reason }, { subject: orderId });
      return "rejected";
    }
    await this.#store.insertReservation(tx, {
      orderId,
      status: "HELD",
      reason: "",
      expiresAt,
      lines: decision.lines,
    });
    await this.#store.hold(tx, decision.lines);
    await this.#publish(tx, StockReservedSchema, { orderId }, { subject: orderId });
    return "reserved";
  }

  /** Refuses a malformed command, or locks its SKUs' stock (in SKU order) and decides all or nothing. */
  async #decide(
    tx: Tx,
    command: ReserveCommand,
    now: Date,
  ): Promise<{ decision: Decision; expiresAt: Date }> {
    const normalized = normalizeLines(command.lines);
    if ("problem" in normalized) return { decision: malformed(normalized.problem), expiresAt: now };
    const expiry = reservationExpiry(now, command.expireAfterSeconds, this.#defaultTtlSeconds);
    if ("problem" in expiry) return { decision: malformed(expiry.problem), expiresAt: now };
    const stock = await this.#store.lockStock(
      tx,
      normalized.lines.map((line) => line.sku),
    );
    return { decision: decideReservation(normalized.lines, stock), expiresAt: expiry.expiresAt };
  }

  /** Gives a held order's units back (StockReleased); anything else is left as it is. */
  async release(tx: Tx, orderIdInput: string, reason: string): Promise<ReleaseOutcome> {
    const orderId = checkOrderId(orderIdInput);
    const reservation = await this.#store.reservation(tx, orderId, { lock: true });
    if (!reservation) {
      // Released before it was reserved (a compensation overtaking its command): a late ReserveStock holds nothing.
      await this.#store.insertReleasedMarker(tx, orderId, "released before reserved", this.#now());
      return "unknown";
    }
    if (reservation.status !== "HELD") return "ignored";
    await this.#store.lockStock(tx, skusOf(reservation));
    await this.#store.unhold(tx, reservation.lines);
    await this.#store.setStatus(tx, orderId, "RELEASED", reason.slice(0, 500));
    await this.#publish(tx, StockReleasedSchema, { orderId }, { subject: orderId });
    return "released";
  }

  /**
   * The order is confirmed: its held units leave the stock, once (StockCommitted). A hold that has
   * expired is never committed — it is released (StockReleased) if the sweep has not done so yet.
   */
  async commit(tx: Tx, orderIdInput: string): Promise<CommitOutcome> {
    const orderId = checkOrderId(orderIdInput);
    const reservation = await this.#store.reservation(tx, orderId, { lock: true });
    if (!reservation) {
      this.#log.warn(
        { "order.id": orderId },
        "CommitStock for an order with no reservation; nothing to commit",
      );
      return "unknown";
    }
    if (reservation.status === "EXPIRED") {
      this.#log.warn({ "order.id": orderId }, "CommitStock after the reservation expired; nothing committed");
      return "expired";
    }
    if (reservation.status !== "HELD") return "ignored";
    if (isExpired(reservation, this.#now())) {
      this.#log.warn(
        { "order.id": orderId },
        "CommitStock after the reservation expired; releasing it instead",
      );
      await this.#expire(tx, reservation);
      return "expired";
    }
    await this.#store.lockStock(tx, skusOf(reservation));
    await this.#store.commit(tx, reservation.lines);
    await this.#store.setStatus(tx, orderId, "COMMITTED");
    await this.#publish(tx, StockCommittedSchema, { orderId }, { subject: orderId });
    return "committed";
  }

  /**
   * Releases holds whose time is up (status EXPIRED, StockReleased so the saga knows), one
   * transaction each, at most `limit`; returns how many expired.
   */
  async expireDue(limit = 100): Promise<number> {
    const due = await this.#store.dueForExpiry(this.#now(), limit);
    let expired = 0;
    for (const orderId of due) {
      const done = await this.#db.tx(async (tx) => {
        const reservation = await this.#store.reservation(tx, orderId, { lock: true });
        // Committed, released or expired meanwhile by another transaction or replica.
        if (reservation?.status !== "HELD" || !isExpired(reservation, this.#now())) return false;
        await this.#expire(tx, reservation);
        return true;
      });
      if (done) expired++;
    }
    return expired;
  }

  async #expire(tx: Tx, reservation: Reservation): Promise<void> {
    const { orderId } = reservation;
    await this.#store.lockStock(tx, skusOf(reservation));
    await this.#store.unhold(tx, reservation.lines);
    await this.#store.setStatus(tx, orderId, "EXPIRED", "reservation expired");
    await this.#publish(tx, StockReleasedSchema, { orderId }, { subject: orderId });
    this.#log.info({ "order.id": orderId }, "reservation expired; units released");
  }

  async #answerAgain(tx: Tx, reservation: Reservation): Promise<void> {
    const { orderId } = reservation;
    switch (reservation.status) {
      case "HELD":
        await this.#publish(tx, StockReservedSchema, { orderId }, { subject: orderId });
        return;
      case "REJECTED":
        await this.#publish(
          tx,
          StockRejectedSchema,
          { orderId, reason: reservation.reason },
          { subject: orderId },
        );
        return;
      case "RELEASED":
      case "COMMITTED":
      case "EXPIRED":
        // The saga has moved on; a new answer could only confuse it.
        return;
    }
  }
}

const malformed = (problem: string): Decision => ({ outcome: "rejected", reason: problem, shortSkus: [] });

const skusOf = (reservation: Reservation) => reservation.lines.map((line) => line.sku);

/** A command without a usable order id cannot be answered: it is refused (and dead-lettered). */
function checkOrderId(orderId: string): string {
  if (orderId.length < 1 || orderId.length > 100) {
    throw new ServiceError("invalid_argument", "order_id must be 1-100 characters");
  }
  return orderId;
}
