import { ServiceError } from "@tessera/kit";

/**
 * Page tokens are opaque to callers: base64url JSON of the last notification returned and whose
 * list it was. They are validated on the way back in, so a forged or mangled token is an
 * `invalid_argument`, never a database error.
 */
export interface PageCursor {
  userId: string;
  /** The id of the last notification on the previous page; the next page starts below it. */
  before: string;
}

export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ u: cursor.userId, b: cursor.before }), "utf8").toString("base64url");
}

/** The cursor of `token`, or undefined for "" (the first page). */
export function decodePageToken(token: string): PageCursor | undefined {
  if (token === "") return undefined;
  const invalid = (cause?: unknown) =>
    new ServiceError("invalid_argument", "page_token is malformed or expired", { cause });
  if (token.length > 1024 || !/^[\w-]+$/.test(token)) throw invalid();
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch (error) {
    throw invalid(error);
  }
  if (typeof raw !== "object" || raw === null) throw invalid();
  const { u, b } = raw as Record<string, unknown>;
  if (typeof u !== "string" || typeof b !== "string" || !uuid.test(b)) throw invalid();
  return { userId: u, before: b };
}

export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
