import { createPageTokens, ServiceError, uuidPattern, z } from "@tessera/kit";

// Where the next page starts: after (name, id) for a list, at an offset for a search; the category
// or query it was issued for must match the request's.
const cursorSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("list"),
    name: z.string(),
    id: z.string().regex(uuidPattern),
    category: z.string(),
  }),
  z.object({ kind: z.literal("search"), offset: z.number().int().min(1).max(10_000), query: z.string() }),
]);

/** Page tokens are opaque to callers: base64url JSON of a cursor, checked on the way back in. */
export type PageCursor = z.infer<typeof cursorSchema>;

const tokens = createPageTokens(cursorSchema);

export function encodePageToken(cursor: PageCursor): string {
  return tokens.encode(cursor);
}

/** The cursor of `token` for a list or a search, or undefined for "" (the first page). */
export function decodePageToken<K extends PageCursor["kind"]>(
  token: string,
  kind: K,
): Extract<PageCursor, { kind: K }> | undefined {
  const cursor = tokens.decode(token);
  if (cursor && cursor.kind !== kind) {
    throw new ServiceError("invalid_argument", `page_token was issued for a ${cursor.kind}, not a ${kind}`);
  }
  return cursor as Extract<PageCursor, { kind: K }> | undefined;
}
