import type { CatalogService } from "@tessera/contracts/catalog/v1";
import { ServiceError, type Client } from "@tessera/kit";
import type { ProductSnapshot } from "./cart-rules.ts";

export type LookUpProduct = (productId: string) => Promise<ProductSnapshot>;

/**
 * Looks products up in the catalog. The catalog saying "no such product" is `not_found`; the
 * catalog not answering in time (down, slow, breaker open) is `unavailable`, so adding fails fast
 * and honestly while the carts themselves stay readable.
 */
export function catalogProducts(catalog: Client<typeof CatalogService>): LookUpProduct {
  return async (productId) => {
    let response;
    try {
      response = await catalog.getProduct({ id: productId });
    } catch (error) {
      const failure = ServiceError.from(error);
      if (failure.code === "not_found") {
        throw new ServiceError("not_found", `product ${productId} not found`, { cause: error });
      }
      if (failure.code === "invalid_argument") throw failure;
      throw new ServiceError("unavailable", "the catalog is unavailable; try adding again later", {
        cause: error,
      });
    }
    const { product } = response;
    if (!product?.price) {
      throw new ServiceError("failed_precondition", `product ${productId} has no price to put in a cart`);
    }
    return {
      productId,
      sku: product.sku,
      name: product.name,
      unitPriceMinor: product.price.amountMinor,
      currency: product.price.currencyCode,
    };
  };
}
