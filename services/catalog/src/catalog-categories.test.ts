import type { CatalogService } from "@tessera/contracts/catalog/v1";
import type { Client } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAdminCatalog, type TestCatalog } from "./testing/test-service.ts";

describe("catalog categories", () => {
  let app: TestCatalog;
  let catalog: Client<typeof CatalogService>;

  beforeAll(async () => {
    ({ app, catalog } = await startAdminCatalog());
  });

  afterAll(async () => {
    catalog?.close();
    await app?.stop();
  });

  it("stores categories lower-case, once each, and matches them whatever the case asked", async () => {
    const { product } = await catalog.createProduct({
      sku: "SHOE-TRAIL-1",
      name: "Trail Shoe",
      price: { currencyCode: "USD", amountMinor: 12900n },
      categories: ["Trail-Running ", "trail-running", "Footwear"],
    });
    expect(product?.categories).toEqual(["trail-running", "footwear"]);
    for (const category of ["Trail-Running", "TRAIL-RUNNING", " trail-running"]) {
      const { products } = await catalog.listProducts({ category });
      expect(products.map((p) => p.sku)).toEqual(["SHOE-TRAIL-1"]);
    }
  });

  it("keeps a page token valid for the same category in another case", async () => {
    const { categories } = await catalog.listCategories({});
    const big = categories.find((c) => c.productCount > 2);
    expect(big).toBeDefined();
    const first = await catalog.listProducts({ category: big!.name, pageSize: 1 });
    const next = await catalog.listProducts({
      category: big!.name.toUpperCase(),
      pageSize: 1,
      pageToken: first.nextPageToken,
    });
    expect(next.products[0]?.id).not.toBe(first.products[0]?.id);
  });

  it("lists the categories by name with the number of products each one lists", async () => {
    const { categories } = await catalog.listCategories({});
    expect(categories.map((c) => c.name)).toEqual([...categories.map((c) => c.name)].sort());
    expect(categories).toContainEqual(expect.objectContaining({ name: "trail-running", productCount: 1 }));
    for (const category of categories.slice(0, 5)) {
      expect(category.name).toBe(category.name.toLowerCase());
      const { products } = await catalog.listProducts({ category: category.name, pageSize: 100 });
      expect(products).toHaveLength(category.productCount);
    }
  });
});
