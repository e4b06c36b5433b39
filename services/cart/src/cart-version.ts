import { createHash } from "node:crypto";
import { ServiceError } from "@tessera/kit";
import type { CartChange, StoredCart } from "./cart-store.ts";

/**
 * The version of a stored cart: a hash of its id and lines, so it changes with every change of
 * what the cart holds and needs no counter in either store. Two carts with the same contents share
 * a version, which is right for a client's conditional write: what it read is still what is there.
 * The catalog's current prices are not part of it; they are not the cart's state.
 */
export function cartVersion(cart: StoredCart): string {
  const lines = [...cart.lines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((line) => [
      line.productId,
      line.sku,
      line.name,
      line.quantity,
      line.unitPriceMinor.toString(),
      line.currency,
      line.addedAt.toISOString(),
    ]);
  return createHash("sha256")
    .update(JSON.stringify([cart.id, lines]))
    .digest("base64url")
    .slice(0, 22);
}

/**
 * `change`, applied only while the cart is still at `expectedVersion` (compare-and-set): it runs
 * inside the store's atomic step, so of concurrent writers sending the same version one wins and
 * the others are refused. An empty `expectedVersion` applies the change unconditionally.
 */
export function ifVersion(expectedVersion: string, change: CartChange): CartChange {
  return (cart) => {
    if (expectedVersion !== "" && cartVersion(cart) !== expectedVersion) {
      throw new ServiceError(
        "aborted",
        "the cart changed since it was read (its version differs); read it again and retry",
        { reason: "cart-version-mismatch" },
      );
    }
    return change(cart);
  };
}
