import type { Product } from "@tessera/contracts/catalog/v1";
import { ServiceError } from "@tessera/kit";
import type { CatalogClient } from "../routes/products.ts";
import { createRecorder } from "./recorder.ts";

/** A product message as the catalog client returns it. */
export function productMessage(overrides: Partial<Omit<Product, "$typeName">> = {}): Product {
  const seconds = BigInt(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
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
    createTime: { $typeName: "google.protobuf.Timestamp", seconds, nanos: 123_000_000 },
    updateTime: { $typeName: "google.protobuf.Timestamp", seconds, nanos: 0 },
    ...overrides,
  };
}

/**
 * An in-memory stand-in for the catalog client, for in-process tests of the HTTP layer: it records
 * each call with the request context it ran in, and fails every call while `failWith` is set.
 */
export function createFakeCatalog(products: Product[] = [productMessage()]) {
  const { calls, record, failWith } = createRecorder();
  const client: CatalogClient = {
    async listProducts(request) {
      await record("listProducts", request);
      const selected = products.filter((p) => !request.category || p.categories.includes(request.category));
      return { $typeName: "tessera.catalog.v1.ListProductsResponse", products: selected, nextPageToken: "" };
    },
    async searchProducts(request) {
      await record("searchProducts", request);
      const selected = products.filter((p) =>
        p.name.toLowerCase().includes(String(request.query).toLowerCase()),
      );
      return {
        $typeName: "tessera.catalog.v1.SearchProductsResponse",
        products: selected,
        nextPageToken: "",
      };
    },
    async getProduct(request) {
      await record("getProduct", request);
      const product = products.find((p) => p.id === request.id);
      if (!product) throw new ServiceError("not_found", `product ${request.id} not found`);
      return { $typeName: "tessera.catalog.v1.GetProductResponse", product };
    },
  };
  return { client, calls, failWith };
}
