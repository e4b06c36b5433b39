import { createPageTokens, z } from "@tessera/kit";

export const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Short keys keep tokens short: u = whose list, b = the last notification of the previous page.
const tokens = createPageTokens(z.object({ u: z.string(), b: z.string().regex(uuid) }), {
  maxLength: 1024,
});

/** Page tokens are opaque to callers: base64url JSON of the last notification returned and whose list it was. */
export interface PageCursor {
  userId: string;
  /** The id of the last notification on the previous page; the next page starts below it. */
  before: string;
}

export function encodePageToken(cursor: PageCursor): string {
  return tokens.encode({ u: cursor.userId, b: cursor.before });
}

/** The cursor of `token`, or undefined for "" (the first page). */
export function decodePageToken(token: string): PageCursor | undefined {
  const cursor = tokens.decode(token);
  return cursor && { userId: cursor.u, before: cursor.b };
}
