import { maxPageSize } from "./page-token.ts";

/**
 * Every item of a paginated list method (AIP-158): asks for the largest pages and follows
 * `next_page_token` until it is empty. For callers that must see every row — the consistency
 * checker, tests, the bench — not for anything a user waits on.
 *
 * @example
 *   const stock = await listAll((page) => inventory.listStock(page), (response) => response.stock);
 */
export async function listAll<R extends { nextPageToken: string }, T>(
  listPage: (page: { pageSize: number; pageToken: string }) => Promise<R>,
  itemsOf: (response: R) => readonly T[],
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let pageToken = "";
  do {
    const response = await listPage({ pageSize: maxPageSize, pageToken });
    items.push(...itemsOf(response));
    pageToken = response.nextPageToken;
    // A server answering a token it already issued would make this loop forever.
    if (seen.has(pageToken)) throw new Error("the list returned a page token twice");
    seen.add(pageToken);
  } while (pageToken !== "");
  return items;
}
