import { newId, type Logger } from "@tessera/kit";
import type { NewProduct, ProductStore } from "./product-store.ts";
import { seedCatalog } from "./seed-data.ts";

/**
 * Inserts the demo catalog on first start. Idempotent: a product whose SKU exists is left as it
 * is, so restarts and a second replica starting at once never duplicate or overwrite anything.
 */
export async function seedProducts(store: ProductStore, log: Logger): Promise<number> {
  const products: NewProduct[] = seedCatalog.map((item) => ({
    id: newId(),
    sku: item.sku,
    name: item.name,
    description: item.description,
    priceMinor: BigInt(item.priceMinor),
    currency: "USD",
    categories: item.categories,
    imageUrl: `/images/products/${item.sku.toLowerCase()}.svg`,
    attributes: item.attributes,
  }));
  const inserted = await store.insertMissing(products);
  if (inserted > 0) log.info({ inserted }, "catalog seeded");
  return inserted;
}
