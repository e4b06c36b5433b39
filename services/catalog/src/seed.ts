import { newId, type Db, type Logger } from "@tessera/kit";
import type { CatalogAdmin } from "./catalog-admin.ts";
import { seedCatalog } from "./seed-data.ts";

/**
 * Inserts the demo catalog on first start, each new product with its ProductChanged event.
 * Idempotent: a product whose SKU exists is left as it is, so restarts and a second replica
 * starting at once never duplicate or overwrite anything.
 */
export async function seedProducts(db: Db, admin: CatalogAdmin, log: Logger): Promise<number> {
  const inserted = await db.tx(async (tx) => {
    let count = 0;
    for (const item of seedCatalog) {
      const product = await admin.insertWithEvent(tx, {
        id: newId(),
        sku: item.sku,
        name: item.name,
        description: item.description,
        priceMinor: BigInt(item.priceMinor),
        currency: "USD",
        categories: item.categories,
        imageUrl: `/images/products/${item.sku.toLowerCase()}.svg`,
        attributes: item.attributes,
      });
      if (product) count++;
    }
    return count;
  });
  if (inserted > 0) log.info({ inserted }, "catalog seeded");
  return inserted;
}
