import { isUuid, pageSizeOf, ServiceError } from "@tessera/kit";
import type { CatalogPageTokens } from "./page-token.ts";
import type { Product, ProductStore } from "./product-store.ts";

export const maxBatchSize = 100;
const maxQueryLength = 200;
const maxTerms = 16;

export interface Page {
  products: Product[];
  nextPageToken: string;
}

/** Browsing and search rules of the catalog, free of gRPC: validates input, pages, delegates SQL. */
export class Catalog {
  readonly #store: ProductStore;
  readonly #tokens: CatalogPageTokens;

  constructor(store: ProductStore, tokens: CatalogPageTokens) {
    this.#store = store;
    this.#tokens = tokens;
  }

  async get(id: string): Promise<Product> {
    if (!isUuid(id)) throw new ServiceError("invalid_argument", "id must be a UUID");
    const product = await this.#store.get(id);
    if (!product) throw new ServiceError("not_found", `product ${id} not found`);
    return product;
  }

  /** The products with these ids, in the order asked; `not_found` naming any that is missing. */
  async batchGet(ids: readonly string[]): Promise<Product[]> {
    if (ids.length > maxBatchSize) {
      throw new ServiceError("invalid_argument", `ids holds at most ${maxBatchSize} ids`);
    }
    const invalid = ids.findIndex((id) => !isUuid(id));
    if (invalid >= 0) throw new ServiceError("invalid_argument", `ids[${invalid}] must be a UUID`);
    const found = new Map((await this.#store.getMany(ids)).map((product) => [product.id, product]));
    const missing = ids.filter((id) => !found.has(id.toLowerCase()));
    if (missing.length > 0) throw new ServiceError("not_found", `products not found: ${missing.join(", ")}`);
    return ids.map((id) => found.get(id.toLowerCase()) as Product);
  }

  /** The categories that have products, with their number of products. */
  categories(): Promise<{ name: string; productCount: number }[]> {
    return this.#store.categories();
  }

  async list(request: { pageSize: number; pageToken: string; category: string }): Promise<Page> {
    const limit = pageSizeOf(request.pageSize);
    if (request.category.length > 100)
      throw new ServiceError("invalid_argument", "category is too long (max 100)");
    // Categories are stored lower-case (catalog-admin.ts), so "Hiking" finds "hiking".
    const category = normalizeCategory(request.category);
    const cursor = this.#tokens.list.decode(request.pageToken);
    if (cursor && cursor.category !== category) {
      throw new ServiceError("invalid_argument", "page_token was issued for another category");
    }
    const rows = await this.#store.list({
      limit: limit + 1,
      after: cursor,
      category: category || undefined,
    });
    return pageOf(rows, limit, (last) =>
      this.#tokens.list.encode({ name: last.name, id: last.id, category }),
    );
  }

  async search(request: { query: string; pageSize: number; pageToken: string }): Promise<Page> {
    const limit = pageSizeOf(request.pageSize);
    const query = request.query.trim();
    if (query.length === 0) throw new ServiceError("invalid_argument", "query must not be empty");
    if (query.length > maxQueryLength) {
      throw new ServiceError("invalid_argument", `query is too long (max ${maxQueryLength} characters)`);
    }
    const cursor = this.#tokens.search.decode(request.pageToken);
    if (cursor && cursor.query !== query) {
      throw new ServiceError("invalid_argument", "page_token was issued for another query");
    }
    const terms = searchTerms(query);
    if (terms.length === 0) return { products: [], nextPageToken: "" };
    const offset = cursor?.offset ?? 0;
    const rows = await this.#store.search({ terms, limit: limit + 1, offset });
    return pageOf(rows, limit, () => this.#tokens.search.encode({ offset: offset + limit, query }));
  }
}

/** The first `limit` of `rows` (read `limit + 1` at most), and the token of the next page when there is more. */
function pageOf(rows: Product[], limit: number, tokenAfter: (last: Product) => string): Page {
  const products = rows.slice(0, limit);
  const last = products.at(-1);
  return { products, nextPageToken: rows.length > limit && last ? tokenAfter(last) : "" };
}

/** A category as stored and matched: trimmed and lower-cased, so matching ignores case. */
export function normalizeCategory(category: string): string {
  return category.trim().toLowerCase();
}

/** The query's words, lower-cased, letters and digits only; punctuation separates words. */
export function searchTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, maxTerms);
}
