import type { CatalogService } from "@tessera/contracts/catalog/v1";
import { ServiceError, type Client } from "@tessera/kit";
import type { Money, ProductSnapshot } from "./cart-rules.ts";

/** What the cart asks of the catalog. */
export interface CatalogProducts {
  /** One product as it is now; `not_found` for an unknown one, `unavailable` when the catalog is not answering. */
  product(productId: string): Promise<ProductSnapshot>;
  /** The current price of each product, by product id; undefined when the catalog cannot answer now. */
  prices(productIds: readonly string[]): Promise<Map<string, Money> | undefined>;
}

/**
 * Looks products up in the catalog. The catalog saying "no such product" is `not_found`; the
 * catalog not answering in time (down, slow, breaker open) is `unavailable`, so adding fails fast
 * and honestly while the carts themselves stay readable (at the prices when added, flagged so).
 */
export function catalogProducts(
  catalog: Pick<Client<typeof CatalogService>, "getProduct" | "batchGetProducts">,
): CatalogProducts {
  return {
    async product(productId) {
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
        throw new ServiceError("failed_precondition", `product ${productId} has no price to put in a cart`, {
          reason: "product-not-priced",
        });
      }
      return {
        productId,
        sku: product.sku,
        name: product.name,
        unitPriceMinor: product.price.amountMinor,
        currency: product.price.currencyCode,
      };
    },

    async prices(productIds) {
      if (productIds.length === 0) return new Map();
      try {
        const { products } = await catalog.batchGetProducts({ ids: [...productIds] });
        const prices = new Map<string, Money>();
        for (const product of products) {
          if (product.price) {
            prices.set(product.id.toLowerCase(), {
              amountMinor: product.price.amountMinor,
              currency: product.price.currencyCode,
            });
          }
        }
        return prices;
      } catch {
        // Shown at the prices when added, flagged as not current; checkout refuses such a cart.
        return undefined;
      }
    },
  };
}
