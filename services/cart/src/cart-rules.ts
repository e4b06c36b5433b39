import { limits } from "@tessera/contracts/limits";
import { isUuid, ServiceError } from "@tessera/kit";
import type { StoredCart } from "./cart-store.ts";

/** One product in a cart, with the catalog's name, SKU and price as they were when it was added. */
export interface CartLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceMinor: bigint;
  currency: string;
  addedAt: Date;
}

/** What the catalog says about a product at the moment it is added. */
export interface ProductSnapshot {
  productId: string;
  sku: string;
  name: string;
  unitPriceMinor: bigint;
  currency: string;
}

export interface Money {
  amountMinor: bigint;
  currency: string;
}

export const maxQuantity = limits.lineQuantity.max;
export const maxLines = limits.cartLines.max;
export const maxUserIdLength = 128;

export function requireUserId(userId: string): string {
  if (userId.length === 0) throw new ServiceError("invalid_argument", "user_id is required");
  if (userId.length > maxUserIdLength) {
    throw new ServiceError("invalid_argument", `user_id is too long (max ${maxUserIdLength} characters)`);
  }
  return userId;
}

/** The product id in canonical (lower-case) form, so one product is always one line. */
export function requireProductId(productId: string): string {
  if (!isUuid(productId)) {
    throw new ServiceError("invalid_argument", "product_id must be a UUID", {
      fieldViolations: [{ field: "product_id", description: "must be a UUID" }],
    });
  }
  return productId.toLowerCase();
}

/** A quantity from 1 to 99; from 0 when `zeroRemoves`. */
export function requireQuantity(quantity: number, { zeroRemoves = false } = {}): number {
  const min = zeroRemoves ? 0 : 1;
  if (!Number.isInteger(quantity) || quantity < min || quantity > maxQuantity) {
    const description = `must be between ${min} and ${maxQuantity}`;
    throw new ServiceError("invalid_argument", `quantity ${description}`, {
      fieldViolations: [{ field: "quantity", description }],
    });
  }
  return quantity;
}

/**
 * Adds `quantity` units of a product. A product already in the cart keeps its line and gets the
 * latest snapshot; a new one is appended. Refuses more than 99 units, more than 50 lines, or a
 * currency other than the cart's.
 */
export function addLine(
  lines: readonly CartLine[],
  product: ProductSnapshot,
  quantity: number,
  now: Date,
): CartLine[] {
  const others = lines.filter((line) => line.productId !== product.productId);
  const mixed = others.find((line) => line.currency !== product.currency);
  if (mixed) {
    throw new ServiceError(
      "failed_precondition",
      `the cart is priced in ${mixed.currency}; a product priced in ${product.currency} cannot join it`,
      { reason: "cart-currency-mismatch", metadata: { currency: mixed.currency } },
    );
  }
  const existing = lines.find((line) => line.productId === product.productId);
  if (!existing) {
    if (lines.length >= maxLines) {
      throw new ServiceError("failed_precondition", `a cart holds at most ${maxLines} different products`, {
        reason: "line-limit-exceeded",
        metadata: { max: String(maxLines) },
      });
    }
    return [...lines, { ...product, quantity, addedAt: now }];
  }
  const total = existing.quantity + quantity;
  if (total > maxQuantity) {
    throw new ServiceError(
      "failed_precondition",
      `the cart already holds ${existing.quantity} of this product; at most ${maxQuantity} fit`,
      { reason: "line-quantity-exceeded", metadata: { max: String(maxQuantity) } },
    );
  }
  return lines.map((line) => (line === existing ? { ...line, ...product, quantity: total } : line));
}

/** Sets a line's quantity; 0 removes it. Only products already in the cart have a price to keep. */
export function setLineQuantity(lines: readonly CartLine[], productId: string, quantity: number): CartLine[] {
  if (quantity === 0) return removeLine(lines, productId);
  if (!lines.some((line) => line.productId === productId)) {
    throw new ServiceError("not_found", `product ${productId} is not in the cart`);
  }
  return lines.map((line) => (line.productId === productId ? { ...line, quantity } : line));
}

/** Removes a line; removing a product that is not there changes nothing (retries are harmless). */
export function removeLine(lines: readonly CartLine[], productId: string): CartLine[] {
  return lines.filter((line) => line.productId !== productId);
}

/**
 * What is left of cart `cartId` once an order took `ordered` from it: the ordered quantities
 * removed, and the rest — what was added after the order was placed — under a new id, since the
 * old one now names an order. Another cart (the user's next one) is left as it is.
 */
export function takeOrdered(
  cart: StoredCart,
  cartId: string,
  ordered: readonly { productId: string; quantity: number }[],
): StoredCart {
  if (cart.id !== cartId) return cart;
  const taken = new Map<string, number>();
  for (const item of ordered) {
    const id = item.productId.toLowerCase();
    taken.set(id, (taken.get(id) ?? 0) + item.quantity);
  }
  const lines = cart.lines
    .map((line) => ({ ...line, quantity: line.quantity - (taken.get(line.productId) ?? 0) }))
    .filter((line) => line.quantity > 0);
  return { id: "", lines };
}

/** Display order: oldest line first, ties by product id. */
export function byAddedAt(a: CartLine, b: CartLine): number {
  const diff = a.addedAt.getTime() - b.addedAt.getTime();
  if (diff !== 0) return diff;
  return a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;
}
