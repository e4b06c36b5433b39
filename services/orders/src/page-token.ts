import { createPageTokens, ServiceError, z } from "@tessera/kit";
import { uuid } from "./order.ts";

const cursorSchema = z.object({ list: z.enum(["mine", "all"]), id: z.string().regex(uuid) });

/** Page tokens are opaque to callers: base64url JSON of the last order id of a page and which list it pages. */
export type PageCursor = z.infer<typeof cursorSchema>;

const tokens = createPageTokens(cursorSchema, { maxLength: 512 });

export function encodePageToken(cursor: PageCursor): string {
  return tokens.encode(cursor);
}

/** The cursor of `token` for `list`, or undefined for "" (the first page). */
export function decodePageToken(token: string, list: PageCursor["list"]): PageCursor | undefined {
  const cursor = tokens.decode(token);
  if (cursor && cursor.list !== list) {
    throw new ServiceError("invalid_argument", `page_token was issued for another list (${cursor.list})`);
  }
  return cursor;
}
