import { createHash, generateKeyPairSync, type JsonWebKey } from "node:crypto";
import type { Db, Tx } from "@tessera/kit";

/** Every token is signed with ES256 (ECDSA on P-256): small signatures, fast, supported everywhere. */
export const SIGNING_ALG = "ES256";

export interface SigningKey {
  /** The key's RFC 7638 thumbprint, as published in the JWKS. */
  kid: string;
  /** The private JWK with `kid`, `alg` and `use`, as oidc-provider's `jwks` takes it. */
  privateJwk: JsonWebKey & { kid: string; alg: string; use: "sig" };
  createdAt: Date;
}

export interface SigningKeysOptions {
  db: Db;
  clock: () => Date;
  /** A new key signs once the newest is this old. */
  rotationMs: number;
  /** How long a key stays published after it stopped signing: the longest a token it signed lives. */
  retentionMs: number;
}

interface KeyRow {
  kid: string;
  private_jwk: SigningKey["privateJwk"];
  created_at: Date;
}

/**
 * The signing keys, kept in the database so tokens stay verifiable across restarts and every
 * replica signs with the same key. The newest key signs; each older one stays in the JWKS until
 * `retentionMs` after the key that replaced it was made, then it is deleted.
 */
export class SigningKeys {
  readonly #options: SigningKeysOptions;

  constructor(options: SigningKeysOptions) {
    this.#options = options;
  }

  /**
   * The keys to use, newest (the signing key) first: adds one when there is none or the newest is
   * due for rotation, and deletes the keys no unexpired token can need.
   */
  maintain(): Promise<SigningKey[]> {
    return this.#update({ rotate: false });
  }

  /** Makes a new signing key now, however young the current one is (`rotate-keys.ts`). */
  rotate(): Promise<SigningKey[]> {
    return this.#update({ rotate: true });
  }

  #update({ rotate }: { rotate: boolean }): Promise<SigningKey[]> {
    const { db, clock, rotationMs, retentionMs } = this.#options;
    return db.tx(async (tx) => {
      // Replicas starting together must not each add a key.
      await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('identity-signing-keys', 0))");
      const now = clock();
      let keys = await readKeys(tx);
      const newest = keys[0];
      if (rotate || !newest || now.getTime() - newest.createdAt.getTime() >= rotationMs) {
        const key = generateSigningKey(now);
        await tx.query(
          "INSERT INTO signing_keys (kid, alg, private_jwk, created_at) VALUES ($1, $2, $3, $4)",
          [key.kid, SIGNING_ALG, key.privateJwk, key.createdAt],
        );
        keys = [key, ...keys];
      }
      // keys[i] stopped signing when keys[i - 1] was made.
      const retired = keys.filter((_, i) => {
        const successor = keys[i - 1];
        return successor !== undefined && now.getTime() - successor.createdAt.getTime() > retentionMs;
      });
      if (retired.length > 0) {
        await tx.query("DELETE FROM signing_keys WHERE kid = ANY($1)", [retired.map((key) => key.kid)]);
      }
      return keys.filter((key) => !retired.includes(key));
    });
  }
}

async function readKeys(tx: Tx): Promise<SigningKey[]> {
  const { rows } = await tx.query<KeyRow>(
    "SELECT kid, private_jwk, created_at FROM signing_keys ORDER BY created_at DESC, kid",
  );
  return rows.map((row) => ({ kid: row.kid, privateJwk: row.private_jwk, createdAt: row.created_at }));
}

function generateSigningKey(createdAt: Date): SigningKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const thumbprint = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const kid = createHash("sha256").update(thumbprint).digest("base64url");
  return { kid, privateJwk: { ...jwk, kid, alg: SIGNING_ALG, use: "sig" }, createdAt };
}
