import { CartService, type Cart, type CartItem } from "@tessera/contracts/cart/v1";
import type { Product } from "@tessera/contracts/catalog/v1";
import { newId, ServiceError } from "@tessera/kit";
import { productMessage } from "./fake-catalog.ts";
import { createFakeClient } from "./fake-client.ts";

/** A second product, cheaper, for carts of more than one line. */
export const stoveMessage = productMessage({
  id: "01970000-0000-7000-8000-000000000002",
  sku: "STOVE-TI",
  name: "Titanium Camp Stove",
  price: { $typeName: "tessera.common.v1.Money", currencyCode: "USD", amountMinor: 4550n },
});

const maxLineQuantity = 99;

function checkQuantity(quantity: number, min: number): void {
  if (!Number.isInteger(quantity) || quantity < min || quantity > maxLineQuantity) {
    throw new ServiceError("invalid_argument", `quantity must be ${min} to ${maxLineQuantity}`);
  }
}

/**
 * A stand-in for the cart service, with its rules: one cart per user, lines priced from the
 * catalog when added, adding to an existing line adds up (to 99 units at most), quantity 0
 * removes, removing and clearing are idempotent. An empty cart has no subtotal. Every change
 * gives the cart a new version, and a write naming another `expectedVersion` is refused as the
 * cart service refuses it.
 */
export function createFakeCart(products: Product[] = [productMessage(), stoveMessage]) {
  const carts = new Map<string, CartItem[]>();
  const linesOf = (userId: string) => carts.get(userId) ?? [];
  const ids = new Map<string, string>();
  const cartIdOf = (userId: string) => ids.get(userId) ?? ids.set(userId, newId()).get(userId)!;
  const versions = new Map<string, number>();
  const versionOf = (userId: string) => `v${versions.get(userId) ?? 0}`;
  /** Refuses a write whose expected version is stale, then counts the change. */
  const write = (userId: string, expectedVersion: string) => {
    if (expectedVersion !== "" && expectedVersion !== versionOf(userId)) {
      throw new ServiceError("aborted", "the cart changed since it was read", {
        reason: "cart-version-mismatch",
      });
    }
    versions.set(userId, (versions.get(userId) ?? 0) + 1);
  };

  const cartOf = (userId: string): Cart => {
    const items = linesOf(userId);
    const first = items[0]?.unitPrice;
    const subtotal = first && {
      ...first,
      amountMinor: items.reduce((sum, i) => sum + (i.unitPrice?.amountMinor ?? 0n) * BigInt(i.quantity), 0n),
    };
    return {
      $typeName: "tessera.cart.v1.Cart",
      userId,
      items: items.map((i) => ({ ...i })),
      subtotal,
      cartId: items.length > 0 ? cartIdOf(userId) : "",
      pricesCurrent: true,
      version: versionOf(userId),
    };
  };

  const fake = createFakeClient(CartService, {
    getCart: ({ userId }) => ({ cart: cartOf(userId) }),
    addItem: ({ userId, productId, quantity, expectedVersion }) => {
      checkQuantity(quantity, 1);
      const product = products.find((p) => p.id === productId);
      if (!product) throw new ServiceError("not_found", `product ${productId} not found`);
      const lines = linesOf(userId);
      const line = lines.find((l) => l.productId === productId);
      if (line && line.quantity + quantity > maxLineQuantity) {
        throw new ServiceError("failed_precondition", `a cart line holds at most ${maxLineQuantity} units`);
      }
      write(userId, expectedVersion);
      if (line) line.quantity += quantity;
      else {
        const { sku, name, price } = product;
        lines.push({
          $typeName: "tessera.cart.v1.CartItem",
          productId,
          sku,
          name,
          quantity,
          unitPrice: price,
          addedUnitPrice: price,
          priceChanged: false,
        });
      }
      carts.set(userId, lines);
      return { cart: cartOf(userId) };
    },
    setItemQuantity: ({ userId, productId, quantity, expectedVersion }) => {
      checkQuantity(quantity, 0);
      const line = linesOf(userId).find((l) => l.productId === productId);
      if (!line) throw new ServiceError("not_found", `product ${productId} is not in the cart`);
      write(userId, expectedVersion);
      line.quantity = quantity;
      carts.set(
        userId,
        linesOf(userId).filter((l) => l.quantity > 0),
      );
      return { cart: cartOf(userId) };
    },
    removeItem: ({ userId, productId, expectedVersion }) => {
      write(userId, expectedVersion);
      carts.set(
        userId,
        linesOf(userId).filter((l) => l.productId !== productId),
      );
      return { cart: cartOf(userId) };
    },
    clearCart: ({ userId, expectedVersion }) => {
      write(userId, expectedVersion);
      carts.delete(userId);
      return { cart: cartOf(userId) };
    },
  });
  return {
    ...fake,
    /** The user's cart as the orders service snapshots it at checkout. */
    cartOf,
    /** Empties the user's cart, as the cart service does on OrderPlaced. */
    clear: (userId: string) => {
      carts.delete(userId);
      ids.delete(userId);
    },
  };
}

export type FakeCart = ReturnType<typeof createFakeCart>;
