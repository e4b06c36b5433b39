import { ServiceError } from "@tessera/kit";
import { uuid } from "./order.ts";

/**
 * Page tokens are opaque to callers: base64url JSON of the last order id of a page and which list
 * it pages. They are validated on the way back in, so a forged or mangled token is an
 * `invalid_argument`, never a database error.
 */
export interface PageCursor {
  list: "mine" | "all";
  id: string;
}

export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

export function decodePageToken(token: string, list: PageCursor["list"]): PageCursor | undefined {
  if (token === "") return undefined;
  const invalid = (cause?: unknown) =>
    new ServiceError("invalid_argument", "page_token is malformed or was issued for another list", { cause });
  if (token.length > 512 || !/^[\w-]+$/.test(token)) throw invalid();
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch (error) {
    throw invalid(error);
  }
  if (typeof cursor !== "object" || cursor === null) throw invalid();
  const { list: kind, id } = cursor as Record<string, unknown>;
  if (kind !== list || typeof id !== "string" || !uuid.test(id)) throw invalid();
  return { list, id };
}
