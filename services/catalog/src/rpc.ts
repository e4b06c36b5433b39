import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { CatalogService, ProductSchema } from "@tessera/contracts/catalog/v1";
import type { ServiceImpl } from "@tessera/kit";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Catalog, Page } from "./catalog.ts";
import type { CatalogAdmin } from "./catalog-admin.ts";
import { ServiceError } from "@tessera/kit";
import type { Product } from "./product-store.ts";

/** gRPC handlers: map protobuf ↔ domain; errors are ServiceErrors from the domain. */
export function catalogHandlers(catalog: Catalog, admin: CatalogAdmin): ServiceImpl<typeof CatalogService> {
  return {
    async createProduct(request) {
      const price = requirePrice(request.price);
      const product = await admin.create({
        sku: request.sku,
        name: request.name,
        description: request.description,
        ...price,
        categories: request.categories,
        imageUrl: request.imageUrl,
        attributes: request.attributes,
      });
      return { product: toMessage(product) };
    },
    async updateProductPrice(request) {
      return { product: toMessage(await admin.updatePrice(request.id, requirePrice(request.price))) };
    },
    async getProduct(request) {
      return { product: toMessage(await catalog.get(request.id)) };
    },
    async batchGetProducts(request) {
      return { products: (await catalog.batchGet(request.ids)).map(toMessage) };
    },
    async listCategories() {
      return { categories: await catalog.categories() };
    },
    async listProducts(request) {
      return toPageMessage(await catalog.list(request));
    },
    async searchProducts(request) {
      return toPageMessage(await catalog.search(request));
    },
  };
}

function toMessage(product: Product): MessageInitShape<typeof ProductSchema> {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    price: { currencyCode: product.currency, amountMinor: product.priceMinor },
    categories: product.categories,
    imageUrl: product.imageUrl,
    attributes: product.attributes,
    createTime: timestampFromDate(product.createdAt),
    updateTime: timestampFromDate(product.updatedAt),
  };
}

function toPageMessage(page: Page) {
  return { products: page.products.map(toMessage), nextPageToken: page.nextPageToken };
}

function requirePrice(price: { currencyCode: string; amountMinor: bigint } | undefined) {
  if (!price) throw new ServiceError("invalid_argument", "price is required");
  return { priceMinor: price.amountMinor, currency: price.currencyCode };
}
