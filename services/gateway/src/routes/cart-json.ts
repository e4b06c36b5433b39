import type { Cart } from "@tessera/contracts/cart/v1";
import { ServiceError } from "@tessera/kit";
import { toLineJson, type LineJson } from "./line-json.ts";
import { toMoneyJson, type MoneyJson } from "./product-json.ts";

/** A cart as the public API shows it. */
export interface CartJson {
  userId: string;
  /** Names the contents until they become an order; absent for an empty cart. */
  id?: string;
  items: LineJson[];
  /** Units in all lines, for a cart badge. */
  itemCount: number;
  /** Absent only when the cart service sends none for an empty cart. */
  subtotal?: MoneyJson;
  /** Whether the catalog confirmed every unit price just now. */
  pricesCurrent: boolean;
}

export function toCartJson(cart: Cart | undefined): CartJson {
  // The contract always returns the cart, empty or not; no cart is the cart service's bug.
  if (!cart) throw new ServiceError("internal", "cart service returned no cart");
  if (!cart.subtotal && cart.items.length > 0) {
    throw new ServiceError("internal", "cart service returned a cart with lines but no subtotal");
  }
  const items = cart.items.map((item) => toLineJson(item));
  const json: CartJson = {
    userId: cart.userId,
    items,
    itemCount: items.reduce((sum, item) => sum + item.quantity, 0),
    pricesCurrent: cart.pricesCurrent || items.length === 0,
  };
  if (cart.cartId) json.id = cart.cartId;
  if (cart.subtotal) json.subtotal = toMoneyJson(cart.subtotal);
  return json;
}
