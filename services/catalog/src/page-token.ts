import { ServiceError } from "@tessera/kit";

/**
 * Page tokens are opaque to callers: base64url JSON of where the next page starts. They are
 * validated on the way back in, so a forged or mangled token is an `invalid_argument`, never a
 * database error.
 */
export type PageCursor =
  | { kind: "list"; name: string; id: string; category: string }
  | { kind: "search"; offset: number; query: string };

export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

export function decodePageToken<K extends PageCursor["kind"]>(
  token: string,
  kind: K,
): Extract<PageCursor, { kind: K }> | undefined {
  if (token === "") return undefined;
  const invalid = () => new ServiceError("invalid_argument", "page_token is malformed or expired");
  if (token.length > 2048 || !/^[\w-]+$/.test(token)) throw invalid();
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch (error) {
    throw new ServiceError("invalid_argument", "page_token is malformed or expired", { cause: error });
  }
  if (!isCursor(cursor) || cursor.kind !== kind) throw invalid();
  return cursor as Extract<PageCursor, { kind: K }>;
}

function isCursor(value: unknown): value is PageCursor {
  if (typeof value !== "object" || value === null) return false;
  const cursor = value as Record<string, unknown>;
  if (cursor["kind"] === "list") {
    return (
      typeof cursor["name"] === "string" &&
      typeof cursor["id"] === "string" &&
      typeof cursor["category"] === "string" &&
      uuid.test(cursor["id"])
    );
  }
  if (cursor["kind"] === "search") {
    return (
      typeof cursor["query"] === "string" &&
      Number.isSafeInteger(cursor["offset"]) &&
      (cursor["offset"] as number) > 0 &&
      (cursor["offset"] as number) <= 10_000
    );
  }
  return false;
}

export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
