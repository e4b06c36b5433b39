import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import type { z } from "zod";
import { ServiceError } from "./errors.ts";
import { findRefusedText } from "./refused-text.ts";

/**
 * The keys sealing a service's page tokens, derived (HKDF-SHA256) from a secret every replica of
 * the service already has, so replicas accept each other's tokens with no new setting: one for
 * AES-256-GCM, and a separate one for the HMAC that makes each token's IV.
 */
export interface PageTokenKey {
  readonly bytes: Buffer;
  readonly ivKey: Buffer;
}

/**
 * A page token key derived from `secret` (the kit passes the service's AUTH_CLIENT_SECRET, shared by
 * its replicas and by no other service). Another secret gives a key that opens none of its tokens.
 */
export function pageTokenKeyOf(secret: string): PageTokenKey {
  if (secret === "") throw new Error("a page token key needs a non-empty secret");
  const derive = (info: string) => Buffer.from(hkdfSync("sha256", secret, "tessera page tokens", info, 32));
  return { bytes: derive("aes-256-gcm page token v1"), ivKey: derive("page token synthetic iv v1") };
}

export interface PageTokens<T> {
  /** An opaque token for `cursor`, sealed for this list and, when given, this caller. */
  encode(cursor: T, caller?: string): string;
  /**
   * The cursor of `token`; undefined for "" (the first page); `invalid_argument` for anything else,
   * including a token of another list or another caller.
   */
  decode(token: string, caller?: string): T | undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const alphabet = /^[\w-]+$/;
const version = 1;
const ivBytes = 12;
const tagBytes = 16;

/**
 * Page tokens (AIP-158) whose cursor is described by a zod schema, sealed with AES-256-GCM: opaque
 * (the cursor, which may name the caller, is encrypted) and tamper-evident (a forged or altered
 * token fails authentication). The list's name and the caller are bound as associated data, so a
 * token of one list, or of one user's list, is refused by another. Whatever does not open to a
 * cursor the schema accepts is one `invalid_argument`, never an error from the database further on.
 *
 * @example
 *   const tokens = createPageTokens(z.object({ id: z.uuid() }), { key: service.pageTokenKey, list: "orders.mine" });
 *   const after = tokens.decode(request.pageToken, request.userId); // { id } or undefined on the first page
 *   const nextPageToken = tokens.encode({ id: last.id }, request.userId);
 */
export function createPageTokens<S extends z.ZodType>(
  schema: S,
  { key, list, maxLength = 2048 }: { key: PageTokenKey; list: string; maxLength?: number },
): PageTokens<z.output<S>> {
  const invalid = (cause?: unknown) =>
    new ServiceError("invalid_argument", "page_token is malformed, expired or was issued for another list", {
      cause,
    });
  const boundTo = (caller = "") => Buffer.from(JSON.stringify([version, list, caller]), "utf8");
  return {
    encode(cursor, caller) {
      const plain = JSON.stringify(cursor);
      const bound = boundTo(caller);
      // A synthetic IV (an HMAC of what is sealed, as in RFC 5297's SIV): the same page gives the same
      // token, so a page and its `next` link keep one ETag and stay cacheable; two different
      // plaintexts never share an IV.
      const iv = createHmac("sha256", key.ivKey).update(bound).update(plain).digest().subarray(0, ivBytes);
      const cipher = createCipheriv("aes-256-gcm", key.bytes, iv).setAAD(bound);
      const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([Buffer.of(version), iv, sealed, cipher.getAuthTag()]).toString("base64url");
    },
    decode(token, caller) {
      if (token === "") return undefined;
      if (token.length > maxLength || !alphabet.test(token)) throw invalid();
      const bytes = Buffer.from(token, "base64url");
      if (bytes.length < 1 + ivBytes + tagBytes || bytes[0] !== version) throw invalid();
      let raw: unknown;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key.bytes, bytes.subarray(1, 1 + ivBytes));
        decipher.setAAD(boundTo(caller)).setAuthTag(bytes.subarray(bytes.length - tagBytes));
        const plain = Buffer.concat([
          decipher.update(bytes.subarray(1 + ivBytes, -tagBytes)),
          decipher.final(),
        ]);
        raw = JSON.parse(utf8.decode(plain));
      } catch (error) {
        throw invalid(error);
      }
      // Sealed by us, so only a bug makes these fail; still checked, as the cursor reaches SQL.
      if (findRefusedText(raw)) throw invalid();
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw invalid(parsed.error);
      return parsed.data;
    },
  };
}

/** The page size of a list request that names none (`page_size` 0). */
export const defaultPageSize = 20;
/** The largest page a list method serves. */
export const maxPageSize = 100;

/**
 * The number of items to serve for a requested `page_size` (AIP-158): the default for 0, a size
 * above `maxPageSize` reduced to it; a negative or fractional size is `invalid_argument`.
 */
export function pageSizeOf(requested: number): number {
  if (requested === 0) return defaultPageSize;
  if (!Number.isInteger(requested) || requested < 0) {
    throw new ServiceError("invalid_argument", "page_size must be a positive integer (or 0 for the default)");
  }
  return Math.min(requested, maxPageSize);
}
