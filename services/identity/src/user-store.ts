import type { Db } from "@tessera/kit";

export type UserRole = "customer" | "admin";

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  roles: UserRole[];
  createdAt: Date;
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  roles: UserRole[];
  created_at: Date;
}

const COLUMNS = "id, email, password_hash, roles, created_at";

/** Users in the identity database; e-mail addresses compare without regard to case. */
export class UserStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async findById(id: string): Promise<User | undefined> {
    const { rows } = await this.#db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const { rows } = await this.#db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] && toUser(rows[0]);
  }

  /** Adds a user; undefined when the e-mail address is taken (in any case). */
  async insert(user: User): Promise<User | undefined> {
    const { rows } = await this.#db.query<UserRow>(
      `INSERT INTO users (id, email, password_hash, roles, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (lower(email)) DO NOTHING RETURNING ${COLUMNS}`,
      [user.id, user.email, user.passwordHash, user.roles, user.createdAt],
    );
    return rows[0] && toUser(rows[0]);
  }

  async update(id: string, changes: { passwordHash: string; roles: UserRole[] }): Promise<void> {
    await this.#db.query("UPDATE users SET password_hash = $2, roles = $3 WHERE id = $1", [
      id,
      changes.passwordHash,
      changes.roles,
    ]);
  }
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    roles: row.roles,
    createdAt: row.created_at,
  };
}
