import { limits, withinLimit } from "@tessera/contracts/limits";
import { ProductChangedSchema } from "@tessera/contracts/catalog/v1";
import { isUuid, newId, ServiceError, type Db, type Service, type Tx } from "@tessera/kit";
import { normalizeCategory } from "./catalog.ts";
import type { NewProduct, Product, ProductStore } from "./product-store.ts";

/** A product as an administrator describes it; the id is assigned here. */
export type ProductInput = Omit<NewProduct, "id">;

type Publish = Service<unknown>["publish"];

/**
 * Changes to the catalog. Each change and its ProductChanged event commit in one transaction
 * (the outbox), so subscribers see every change exactly when it happened, never one that rolled back.
 */
export class CatalogAdmin {
  readonly #db: Db;
  readonly #store: ProductStore;
  readonly #publish: Publish;

  constructor(db: Db, store: ProductStore, publish: Publish) {
    this.#db = db;
    this.#store = store;
    this.#publish = publish;
  }

  async create(input: ProductInput): Promise<Product> {
    const product = validate(input);
    return this.#db.tx(async (tx) => {
      const created = await this.insertWithEvent(tx, product);
      if (!created) throw new ServiceError("already_exists", `a product with SKU ${product.sku} exists`);
      return created;
    });
  }

  /** Inserts unless the SKU exists, publishing ProductChanged for a new product; seeding uses it too. */
  async insertWithEvent(tx: Tx, product: NewProduct): Promise<Product | undefined> {
    const created = await this.#store.insert(tx, product);
    if (created) {
      await this.#publish(
        tx,
        ProductChangedSchema,
        {
          productId: created.id,
          sku: created.sku,
          name: created.name,
          price: { currencyCode: created.currency, amountMinor: created.priceMinor },
          created: true,
        },
        { subject: created.id },
      );
    }
    return created;
  }

  async updatePrice(id: string, price: { priceMinor: bigint; currency: string }): Promise<Product> {
    if (!isUuid(id)) throw new ServiceError("invalid_argument", "id must be a UUID");
    validatePrice(price);
    return this.#db.tx(async (tx) => {
      const change = await this.#store.updatePrice(tx, id, price);
      if (!change) throw new ServiceError("not_found", `product ${id} not found`);
      const { before, after } = change;
      if (before.priceMinor !== after.priceMinor || before.currency !== after.currency) {
        await this.#publish(
          tx,
          ProductChangedSchema,
          {
            productId: after.id,
            sku: after.sku,
            name: after.name,
            price: { currencyCode: after.currency, amountMinor: after.priceMinor },
            previousPrice: { currencyCode: before.currency, amountMinor: before.priceMinor },
          },
          { subject: after.id },
        );
      }
      return after;
    });
  }
}

function validatePrice(price: { priceMinor: bigint; currency: string }): void {
  if (!/^[A-Z]{3}$/.test(price.currency)) {
    throw new ServiceError("invalid_argument", "price.currency_code must be an ISO 4217 code such as USD");
  }
  const { min, max } = limits.unitPriceMinor;
  if (!withinLimit(price.priceMinor, limits.unitPriceMinor)) {
    throw new ServiceError(
      "invalid_argument",
      `price.amount_minor must be between ${min.toLocaleString("en")} and ${max.toLocaleString("en")}`,
    );
  }
}

/** A SKU: 2 to 64 upper-case letters, digits or dashes (the table checks it too). */
export const skuPattern = /^[A-Z0-9][A-Z0-9-]{1,63}$/;

function validate(input: ProductInput): NewProduct {
  const problems: string[] = [];
  if (!skuPattern.test(input.sku)) problems.push("sku must be 2-64 upper-case letters, digits or dashes");
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) problems.push("name must be 1-200 characters");
  if (input.description.length > 5_000) problems.push("description must be at most 5,000 characters");
  // One spelling per category, so filtering by it matches whatever case a client sends.
  const categories = [...new Set(input.categories.map(normalizeCategory))];
  if (input.categories.length > 20 || categories.some((c) => c.length < 1 || c.length > 100)) {
    problems.push("categories: at most 20, each 1-100 characters");
  }
  if (input.imageUrl.length > 2_048) problems.push("image_url is too long");
  if (Object.keys(input.attributes).length > 50) problems.push("attributes: at most 50");
  if (problems.length > 0) throw new ServiceError("invalid_argument", problems.join("; "));
  validatePrice(input);
  return { ...input, name, categories, id: newId() };
}
