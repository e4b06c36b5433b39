/**
 * One page of a list read one row past the page (`limit + 1` rows): the first `limit` rows and,
 * when the extra row shows there are more, the token of the page after the last row served.
 *
 * @example
 *   const rows = await store.list({ after: tokens.decode(request.pageToken)?.id, limit: limit + 1 });
 *   const { items, nextPageToken } = pageOf(rows, limit, (last) => tokens.encode({ id: last.id }));
 */
export function pageOf<T>(
  rows: readonly T[],
  limit: number,
  tokenAfter: (last: T) => string,
): { items: T[]; nextPageToken: string } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextPageToken: rows.length > limit && last !== undefined ? tokenAfter(last) : "" };
}
