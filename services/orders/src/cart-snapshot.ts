import type { Cart } from "@tessera/contracts/cart/v1";
import { limits, withinLimit } from "@tessera/contracts/limits";
import { isUuid, ServiceError } from "@tessera/kit";
import type { OrderLine } from "./order.ts";

export interface CartSnapshot {
  /** The cart these lines came from: the user's orders never share one. */
  cartId: string;
  lines: OrderLine[];
  currency: string;
  totalMinor: bigint;
}

/**
 * The cart's lines at the catalog's current prices, frozen into an order. The cart is another
 * service's data: anything an order cannot be made of (no lines, prices the catalog did not just
 * confirm, mixed currencies, a line without a price) is refused rather than trusted, and so is a
 * total that payments could not take (limits in @tessera/contracts/limits).
 */
export function snapshotCart(cart: Cart | undefined): CartSnapshot {
  const items = cart?.items ?? [];
  if (!cart || items.length === 0) {
    throw new ServiceError("failed_precondition", "the cart is empty", { reason: "cart-empty" });
  }
  if (!cart.pricesCurrent) {
    throw new ServiceError("unavailable", "the catalog could not confirm the current prices; try again");
  }
  if (!isUuid(cart.cartId)) throw new ServiceError("unavailable", "the cart has no id yet; try again");
  if (items.length > limits.cartLines.max) {
    throw new ServiceError("failed_precondition", `the cart has more than ${limits.cartLines.max} lines`, {
      reason: "line-limit-exceeded",
      metadata: { max: String(limits.cartLines.max) },
    });
  }
  const currency = items[0]?.unitPrice?.currencyCode ?? "";
  const lines = items.map((item): OrderLine => {
    const price = item.unitPrice;
    if (!price || !/^[A-Z]{3}$/.test(price.currencyCode) || price.amountMinor < 0n) {
      throw new ServiceError(
        "failed_precondition",
        `cart line ${item.sku || item.productId} has no valid price`,
        { reason: "product-not-priced" },
      );
    }
    if (price.currencyCode !== currency) {
      throw new ServiceError(
        "failed_precondition",
        `the cart mixes currencies (${currency} and ${price.currencyCode}); an order is paid in one`,
        { reason: "cart-currency-mismatch", metadata: { currency } },
      );
    }
    if (!Number.isInteger(item.quantity) || !withinLimit(item.quantity, limits.lineQuantity)) {
      // Above the maximum is a condition a client can fix; anything else is a cart gone wrong.
      const over = item.quantity > limits.lineQuantity.max;
      throw new ServiceError("failed_precondition", `cart line ${item.sku} has quantity ${item.quantity}`, {
        ...(over && { reason: "line-quantity-exceeded", metadata: { max: String(limits.lineQuantity.max) } }),
      });
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
  const { min, max } = limits.paymentAmountMinor;
  if (!withinLimit(totalMinor, limits.paymentAmountMinor)) {
    throw new ServiceError(
      "failed_precondition",
      `the order total ${totalMinor} ${currency} (minor units) is outside what one payment can take: ` +
        `${min} to ${max.toLocaleString("en")} minor units`,
      { reason: "order-total-out-of-range" },
    );
  }
  return { cartId: cart.cartId, lines, currency, totalMinor };
}
