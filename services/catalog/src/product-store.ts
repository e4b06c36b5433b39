import type { Db, Tx } from "@tessera/kit";

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceMinor: bigint;
  currency: string;
  categories: string[];
  imageUrl: string;
  attributes: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export type NewProduct = Omit<Product, "createdAt" | "updatedAt">;

// Aliased to the domain's names, so a row is a Product as it comes (bigint and jsonb parsed by the driver).
const columns = `id, sku, name, description, price_minor AS "priceMinor", currency, categories,
  image_url AS "imageUrl", attributes, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** All SQL of the catalog, parameterized. */
export class ProductStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async getMany(ids: readonly string[]): Promise<Product[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.#db.query<Product>(
      `SELECT ${columns} FROM products WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows;
  }

  async get(id: string): Promise<Product | undefined> {
    const { rows } = await this.#db.query<Product>(`SELECT ${columns} FROM products WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Products by (name, id), starting after `after`; `limit` rows at most. */
  async list(options: {
    limit: number;
    after?: { name: string; id: string };
    category?: string;
  }): Promise<Product[]> {
    const { rows } = await this.#db.query<Product>(
      `SELECT ${columns} FROM products
        WHERE ($1::text IS NULL OR (name, id) > ($1, $2::uuid))
          AND ($3::text IS NULL OR categories @> ARRAY[$3::text])
        ORDER BY name, id
        LIMIT $4`,
      [options.after?.name ?? null, options.after?.id ?? null, options.category ?? null, options.limit],
    );
    return rows;
  }

  /** The categories that have products, by name, with their number of products. */
  async categories(): Promise<{ name: string; productCount: number }[]> {
    const { rows } = await this.#db.query<{ name: string; productCount: number }>(
      `SELECT category AS name, count(*)::int AS "productCount"
         FROM products, unnest(categories) AS category
        GROUP BY category ORDER BY category`,
    );
    return rows;
  }

  /**
   * Full-text search: every term must match as a word prefix, in English (stemmed, stop words
   * ignored) anywhere, or word for word in the name. Names containing every word come first.
   */
  async search(options: { terms: string[]; limit: number; offset: number }): Promise<Product[]> {
    // Terms are letters and digits only (see catalog.ts), so joining them into tsquery syntax is safe.
    const query = options.terms.map((term) => `${term}:*`).join(" & ");
    const { rows } = await this.#db.query<Product>(
      `SELECT ${columns} FROM products, to_tsquery('english', $1) AS query, to_tsquery('simple', $1) AS exact
        WHERE search @@ query OR name_search @@ exact
        ORDER BY name_search @@ exact DESC, ts_rank_cd(search, query) DESC, name, id
        LIMIT $2 OFFSET $3`,
      [query, options.limit, options.offset],
    );
    return rows;
  }

  /** Inserts a product unless its SKU exists; returns it when inserted. */
  async insert(tx: Tx, p: NewProduct): Promise<Product | undefined> {
    const { rows } = await tx.query<Product>(
      `INSERT INTO products (id, sku, name, description, price_minor, currency, categories, image_url, attributes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (sku) DO NOTHING
       RETURNING ${columns}`,
      [p.id, p.sku, p.name, p.description, p.priceMinor, p.currency, p.categories, p.imageUrl, p.attributes],
    );
    return rows[0];
  }

  /** Sets the price, locking the row; returns the product before and after, or undefined when absent. */
  async updatePrice(
    tx: Tx,
    id: string,
    price: { priceMinor: bigint; currency: string },
  ): Promise<{ before: Product; after: Product } | undefined> {
    const { rows } = await tx.query<Product>(`SELECT ${columns} FROM products WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    const before = rows[0];
    if (!before) return undefined;
    const updated = await tx.query<Product>(
      `UPDATE products SET price_minor = $2, currency = $3, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
      [id, price.priceMinor, price.currency],
    );
    return { before, after: updated.rows[0]! };
  }
}
