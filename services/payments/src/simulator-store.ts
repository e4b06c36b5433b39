import { fileURLToPath } from "node:url";
import { createDb, migrate, readMigrations, type Db, type Logger, type Tx } from "@tessera/kit";
import { ProcessorError } from "./card-processor.ts";

/** An authorization as the simulated processor keeps it. */
export interface SimulatedAuthorization {
  id: string;
  merchantReference: string;
  currency: string;
  amountMinor: bigint;
  status: "authorized" | "captured" | "voided";
  capturedMinor: bigint;
  refundedMinor: bigint;
}

interface AuthorizationRow {
  id: string;
  merchant_reference: string;
  currency: string;
  amount_minor: bigint;
  status: SimulatedAuthorization["status"];
  captured_minor: bigint;
  refunded_minor: bigint;
}

const columns = "id, merchant_reference, currency, amount_minor, status, captured_minor, refunded_minor";

const toAuthorization = (row: AuthorizationRow): SimulatedAuthorization => ({
  id: row.id,
  merchantReference: row.merchant_reference,
  currency: row.currency,
  amountMinor: row.amount_minor,
  status: row.status,
  capturedMinor: row.captured_minor,
  refundedMinor: row.refunded_minor,
});

const migrations = fileURLToPath(new URL("../simulator-migrations", import.meta.url));

/**
 * All SQL of the card processor simulator, in its own schema and through its own pool: the
 * simulator stands for a separate system, so its writes are never part of a payments transaction.
 */
export class SimulatorStore {
  readonly #db: Db;
  readonly #log: Logger | undefined;
  #closed = false;

  constructor({ connectionString, log }: { connectionString: string; log?: Logger }) {
    this.#db = createDb({ connectionString, max: 5, log, applicationName: "card-simulator" });
    this.#log = log;
  }

  /** Creates or updates the simulator's schema (its own migrations, recorded apart from payments'). */
  async migrate(): Promise<void> {
    await migrate(this.#db, await readMigrations(migrations, "card-simulator/"), this.#log);
  }

  /**
   * Runs `perform` at most once per idempotency key, in one short transaction with the answer it
   * stores; a later call with the key gets that answer back. The key's row is inserted first, so a
   * concurrent call with the same key waits for this one and then reads its answer.
   */
  async once<T>(key: string, fingerprint: string, perform: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#db.tx(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO card_simulator.answers (idempotency_key, fingerprint, answer) VALUES ($1, $2, 'null')
         ON CONFLICT DO NOTHING`,
        [key, fingerprint],
      );
      if (inserted.rowCount === 0) {
        const { rows } = await tx.query<{ fingerprint: string; answer: T }>(
          "SELECT fingerprint, answer FROM card_simulator.answers WHERE idempotency_key = $1",
          [key],
        );
        const previous = rows[0];
        if (!previous || previous.fingerprint !== fingerprint) {
          throw new ProcessorError("rejected", `idempotency key ${key} was used for another request`);
        }
        return previous.answer;
      }
      const answer = await perform(tx);
      await tx.query("UPDATE card_simulator.answers SET answer = $2 WHERE idempotency_key = $1", [
        key,
        JSON.stringify(answer),
      ]);
      return answer;
    });
  }

  async insertAuthorization(tx: Tx, a: SimulatedAuthorization): Promise<void> {
    await tx.query(
      `INSERT INTO card_simulator.authorizations (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [a.id, a.merchantReference, a.currency, a.amountMinor, a.status, a.capturedMinor, a.refundedMinor],
    );
  }

  /** The authorization, locked until `tx` ends; refused as a processor would when unknown. */
  async lockAuthorization(tx: Tx, id: string): Promise<SimulatedAuthorization> {
    const { rows } = await tx.query<AuthorizationRow>(
      `SELECT ${columns} FROM card_simulator.authorizations WHERE id = $1 FOR UPDATE`,
      [id],
    );
    if (!rows[0]) throw new ProcessorError("rejected", `no authorization ${id}`);
    return toAuthorization(rows[0]);
  }

  /** Every authorization of a merchant reference, locked until `tx` ends. */
  async lockByReference(tx: Tx, merchantReference: string): Promise<SimulatedAuthorization[]> {
    const { rows } = await tx.query<AuthorizationRow>(
      `SELECT ${columns} FROM card_simulator.authorizations WHERE merchant_reference = $1 ORDER BY seq FOR UPDATE`,
      [merchantReference],
    );
    return rows.map(toAuthorization);
  }

  async updateAuthorization(tx: Tx, a: SimulatedAuthorization): Promise<void> {
    await tx.query(
      `UPDATE card_simulator.authorizations SET status = $2, captured_minor = $3, refunded_minor = $4 WHERE id = $1`,
      [a.id, a.status, a.capturedMinor, a.refundedMinor],
    );
  }

  /** Every authorization, or those of one merchant reference, oldest first. */
  async list(merchantReference?: string): Promise<SimulatedAuthorization[]> {
    const { rows } = await this.#db.query<AuthorizationRow>(
      `SELECT ${columns} FROM card_simulator.authorizations
        WHERE $1::text IS NULL OR merchant_reference = $1 ORDER BY seq`,
      [merchantReference ?? null],
    );
    return rows.map(toAuthorization);
  }

  /** Closes its connections; again is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.close();
  }
}
