import type { z } from "zod";
import { ServiceError } from "./errors.ts";
import { findRefusedText } from "./refused-text.ts";

export interface PageTokens<T> {
  /** An opaque token for `cursor`: base64url JSON. */
  encode(cursor: T): string;
  /** The cursor of `token`; undefined for "" (the first page); `invalid_argument` for anything else. */
  decode(token: string): T | undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const alphabet = /^[\w-]+$/;

/**
 * Page tokens whose cursor is described by a zod schema. Tokens come back from callers, so they
 * are untrusted: whatever does not decode to a cursor the schema accepts — not base64url, not
 * UTF-8, not JSON, a refused character in any string (`refused-text.ts`), a field of the wrong
 * shape — is one `invalid_argument`, never an error from the database further on.
 *
 * @example
 *   const tokens = createPageTokens(z.object({ id: z.uuid() }));
 *   const after = tokens.decode(request.pageToken); // { id } or undefined on the first page
 *   const nextPageToken = tokens.encode({ id: last.id });
 */
export function createPageTokens<S extends z.ZodType>(
  schema: S,
  { maxLength = 2048 }: { maxLength?: number } = {},
): PageTokens<z.output<S>> {
  const invalid = (cause?: unknown) =>
    new ServiceError("invalid_argument", "page_token is malformed, expired or was issued for another list", {
      cause,
    });
  return {
    encode: (cursor) => Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url"),
    decode(token) {
      if (token === "") return undefined;
      if (token.length > maxLength || !alphabet.test(token)) throw invalid();
      let raw: unknown;
      try {
        raw = JSON.parse(utf8.decode(Buffer.from(token, "base64url")));
      } catch (error) {
        throw invalid(error);
      }
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
