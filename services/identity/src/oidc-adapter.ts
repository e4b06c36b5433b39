import { findRefusedText, type Db } from "@tessera/kit";
import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from "oidc-provider";

interface ModelRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

/**
 * oidc-provider's storage on the identity database: one `oidc_models` row per model and id, so
 * sessions, interactions, grants, codes and refresh tokens survive restarts and are shared by every
 * replica. Rows past their expiry are invisible at once and deleted by `pruneOidcModels`.
 *
 * Text with a NUL or an unpaired surrogate (the platform's refused characters) never reaches
 * PostgreSQL, which cannot store it: a lookup finds nothing and a save is a 400 invalid_request,
 * where the database error would have been a 500.
 *
 * @example
 *   new Provider(issuer, { adapter: postgresAdapter(service.db), ... });
 */
export function postgresAdapter(db: Db): AdapterFactory {
  return (model) => new PostgresAdapter(db, model);
}

class PostgresAdapter implements Adapter {
  readonly #db: Db;
  readonly #model: string;

  constructor(db: Db, model: string) {
    this.#db = db;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (findRefusedText(payload)) {
      throw new errors.InvalidRequest("the request holds characters that are not allowed");
    }
    const expiresAt = expiresIn === undefined ? null : new Date(Date.now() + expiresIn * 1000);
    await this.#db.query(
      `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at,
         consumed_at = NULL`,
      [
        this.#model,
        id,
        payload,
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        expiresAt,
      ],
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    // Clients are the configured ones only: an unknown client_id never reaches the database.
    if (this.#model === "Client") return undefined;
    return this.#findBy("id", id);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy("user_code", userCode);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy("uid", uid);
  }

  async consume(id: string): Promise<void> {
    await this.#db.query("UPDATE oidc_models SET consumed_at = now() WHERE model = $1 AND id = $2", [
      this.#model,
      id,
    ]);
  }

  async destroy(id: string): Promise<void> {
    await this.#db.query("DELETE FROM oidc_models WHERE model = $1 AND id = $2", [this.#model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.query("DELETE FROM oidc_models WHERE model = $1 AND grant_id = $2", [
      this.#model,
      grantId,
    ]);
  }

  async #findBy(column: "id" | "user_code" | "uid", value: string): Promise<AdapterPayload | undefined> {
    if (findRefusedText(value)) return undefined;
    const { rows } = await this.#db.query<ModelRow>(
      `SELECT payload, consumed_at FROM oidc_models
       WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > $3)`,
      [this.#model, value, new Date()],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at
      ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) }
      : row.payload;
  }
}

/** Deletes expired rows, a batch at a time so no statement holds many locks for long. */
export async function pruneOidcModels(db: Db, now: Date, batch = 1_000): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rowCount } = await db.query(
      `DELETE FROM oidc_models WHERE (model, id) IN (
         SELECT model, id FROM oidc_models WHERE expires_at <= $1 LIMIT $2)`,
      [now, batch],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) return deleted;
  }
}
