import { InventoryService } from "@tessera/contracts/inventory/v1";
import { createClient, listAll, type TokenSource } from "@tessera/kit";
import { setTimeout as sleep } from "node:timers/promises";
import { requestTimeoutMs, type Product } from "./order-flow.ts";

/** Added to every SKU once per run, so the run never sells out. */
export const restockQuantity = 100_000n;

/**
 * The catalog's products (read through the gateway at `base`) that have stock once inventory has
 * seeded them and each SKU is restocked by `restockQuantity`.
 */
export async function stockedProducts(
  base: string,
  inventoryAddress: string,
  runId: string,
  credentials: TokenSource,
): Promise<Product[]> {
  const products = await listProducts(base);
  const stocked = await restockAll(inventoryAddress, products, runId, credentials);
  const candidates = products.filter((p) => stocked.has(p.sku));
  if (candidates.length === 0) throw new Error("no product has stock");
  return candidates;
}

async function listProducts(base: string): Promise<Product[]> {
  const products: Product[] = [];
  let token = "";
  do {
    const url = new URL(
      `api/v1/products?page_size=100${token ? `&page_token=${encodeURIComponent(token)}` : ""}`,
      base,
    );
    const response = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
    if (!response.ok) throw new Error(`GET ${url.pathname}: HTTP ${response.status}`);
    const page = (await response.json()) as { products: Product[]; nextPageToken: string };
    products.push(...page.products);
    token = page.nextPageToken;
  } while (token);
  if (products.length === 0) throw new Error("the catalog returned no product");
  return products;
}

/**
 * Inventory seeds 100 units per SKU from catalog's ProductChanged events: waits until it has them
 * all, then restocks every SKU once (keyed by run). Returns the SKUs with stock available.
 */
async function restockAll(
  address: string,
  products: readonly Product[],
  runId: string,
  credentials: TokenSource,
): Promise<Set<string>> {
  const inventory = createClient(InventoryService, address, { credentials });
  const allStock = () =>
    listAll(
      (page) => inventory.listStock(page),
      (response) => response.stock,
    );
  try {
    const giveUpAt = Date.now() + 60_000;
    for (;;) {
      const stock = await allStock();
      if (stock.length >= products.length) break;
      if (Date.now() > giveUpAt) {
        throw new Error(`inventory seeded ${stock.length} of ${products.length} products in 60 s`);
      }
      await sleep(250);
    }
    const skus = new Set(products.map((p) => p.sku));
    for (const sku of skus) {
      await inventory.restock({ sku, quantity: restockQuantity, idempotencyKey: `bench-${runId}-${sku}` });
    }
    const stock = await allStock();
    return new Set(
      stock.filter((level) => skus.has(level.sku) && level.available > 0n).map((level) => level.sku),
    );
  } finally {
    inventory.close();
  }
}
