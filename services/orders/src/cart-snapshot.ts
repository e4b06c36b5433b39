import type { Cart } from "@tessera/contracts/cart/v1";
import { ServiceError } from "@tessera/kit";
import type { OrderLine } from "./order.ts";

export interface CartSnapshot {
  lines: OrderLine[];
  currency: string;
  totalMinor: bigint;
}

/** Far above any real basket, far below int64: a total past it is a bug upstream, not an order. */
const maxTotalMinor = 10n ** 15n;
const maxLines = 200;

/**
 * The cart's lines and prices, frozen into an order. The cart is another service's data: anything
 * an order cannot be made of (no lines, mixed currencies, a line without a price) is refused with
 * `failed_precondition` rather than trusted.
 */
export function snapshotCart(cart: Cart | undefined): CartSnapshot {
  const items = cart?.items ?? [];
  if (items.length === 0) throw new ServiceError("failed_precondition", "the cart is empty");
  if (items.length > maxLines) {
    throw new ServiceError("failed_precondition", `the cart has more than ${maxLines} lines`);
  }
  const currency = items[0]?.unitPrice?.currencyCode ?? "";
  const lines = items.map((item): OrderLine => {
    const price = item.unitPrice;
    if (!price || !/^[A-Z]{3}$/.test(price.currencyCode) || price.amountMinor < 0n) {
      throw new ServiceError(
        "failed_precondition",
        `cart line ${item.sku || item.productId} has no valid price`,
      );
    }
    if (price.currencyCode !== currency) {
      throw new ServiceError(
        "failed_precondition",
        `the cart mixes currencies (${currency} and ${price.currencyCode}); an order is paid in one`,
      );
    }
    if (!Number.isInteger(item.quantity) || item.quantity < 1) {
      throw new ServiceError("failed_precondition", `cart line ${item.sku} has quantity ${item.quantity}`);
    }
    if (!item.sku || !item.productId) {
      throw new ServiceError("failed_precondition", "a cart line has no product id or SKU");
    }
    return {
      productId: item.productId,
      sku: item.sku,
      name: item.name,
      quantity: item.quantity,
      unitPriceMinor: price.amountMinor,
    };
  });
  const totalMinor = lines.reduce((sum, line) => sum + line.unitPriceMinor * BigInt(line.quantity), 0n);
  if (totalMinor > maxTotalMinor)
    throw new ServiceError("failed_precondition", "the cart total is too large");
  return { lines, currency, totalMinor };
}
