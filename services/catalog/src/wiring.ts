import { CatalogService } from "@tessera/contracts/catalog/v1";
import { createService } from "@tessera/kit";
import { Catalog } from "./catalog.ts";
import { CatalogAdmin } from "./catalog-admin.ts";
import { CatalogConfig } from "./config.ts";
import { catalogPageTokens } from "./page-token.ts";
import { ProductStore } from "./product-store.ts";
import { catalogHandlers } from "./rpc.ts";
import { seedProducts } from "./seed.ts";

/**
 * The catalog service, wired: its products in PostgreSQL, changes published through the outbox,
 * the demo products seeded before it serves (CATALOG_SEED). `main.ts` starts it; so do the tests.
 */
export async function createCatalog(options: { env?: Record<string, string | undefined> } = {}) {
  const service = await createService({
    name: "catalog",
    config: CatalogConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    env: options.env,
  });
  const store = new ProductStore(service.db);
  const admin = new CatalogAdmin(service.db, store, service.publish);
  if (service.config.CATALOG_SEED) service.beforeServing(() => seedProducts(service.db, admin, service.log));
  service.serve(
    CatalogService,
    catalogHandlers(new Catalog(store, catalogPageTokens(service.pageTokenKey)), admin),
  );
  return { service, admin };
}
