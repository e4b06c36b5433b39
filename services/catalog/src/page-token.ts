import { createPageTokens, uuidPattern, z, type PageTokenKey, type PageTokens } from "@tessera/kit";

// Where the next page starts: after (name, id) for a list, at an offset for a search; the category
// or query it was issued for must match the request's.
const listCursor = z.object({ name: z.string(), id: z.string().regex(uuidPattern), category: z.string() });
const searchCursor = z.object({ offset: z.number().int().min(1).max(10_000), query: z.string() });

export type ListCursor = z.infer<typeof listCursor>;
export type SearchCursor = z.infer<typeof searchCursor>;

/** The catalog's page tokens: sealed by the kit, one kind per list, so a search token fails a list. */
export interface CatalogPageTokens {
  list: PageTokens<ListCursor>;
  search: PageTokens<SearchCursor>;
}

export function catalogPageTokens(key: PageTokenKey): CatalogPageTokens {
  return {
    list: createPageTokens(listCursor, { key, list: "catalog.products.list" }),
    search: createPageTokens(searchCursor, { key, list: "catalog.products.search" }),
  };
}
