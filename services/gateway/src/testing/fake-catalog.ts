import { CatalogService, type Product } from "@tessera/contracts/catalog/v1";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ServiceError } from "@tessera/kit";
import { createFakeClient } from "./fake-client.ts";

/** A product message as the catalog client returns it. */
export function productMessage(overrides: Partial<Omit<Product, "$typeName">> = {}): Product {
  const millis = Date.UTC(2026, 0, 2, 3, 4, 5);
  return {
    $typeName: "tessera.catalog.v1.Product",
    id: "01970000-0000-7000-8000-000000000001",
    sku: "TENT-2P-ULTRA",
    name: "Ultralight Two-Person Tent",
    description: "A 1.4 kg freestanding tent.",
    price: { $typeName: "tessera.common.v1.Money", currencyCode: "USD", amountMinor: 34900n },
    categories: ["camping", "tents"],
    imageUrl: "/images/products/tent-2p-ultra.svg",
    attributes: { weight: "1.4 kg" },
    createTime: timestampFromMs(millis + 123),
    updateTime: timestampFromMs(millis),
    ...overrides,
  };
}

/**
 * A stand-in for the catalog: lists (one page, category case-insensitively), searches names, gets
 * `products` by id, and counts their categories.
 */
export function createFakeCatalog(products: Product[] = [productMessage()]) {
  return createFakeClient(CatalogService, {
    listProducts: ({ category }) => ({
      products: products.filter((p) => category === "" || p.categories.includes(category.toLowerCase())),
    }),
    listCategories: () => {
      const counts = new Map<string, number>();
      for (const name of products.flatMap((p) => p.categories)) counts.set(name, (counts.get(name) ?? 0) + 1);
      return {
        categories: [...counts]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, productCount]) => ({ name, productCount })),
      };
    },
    searchProducts: ({ query }) => ({
      products: products.filter((p) => p.name.toLowerCase().includes(query.toLowerCase())),
    }),
    getProduct: ({ id }) => {
      const product = products.find((p) => p.id === id);
      if (!product) throw new ServiceError("not_found", `product ${id} not found`);
      return { product };
    },
  });
}
