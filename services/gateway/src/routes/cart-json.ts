import type { Cart } from "@tessera/contracts/cart/v1";
import { ServiceError } from "@tessera/kit";
import type { JsonOf } from "./api.ts";
import type { cartSchema } from "./cart-schemas.ts";
import { toLineJson } from "./line-json.ts";
import { toMoneyJson } from "./product-json.ts";

/** A cart as the public API shows it. */
export type CartJson = JsonOf<typeof cartSchema>;

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
    // Always present, so a client need not test for it: null until a line gives the cart a currency.
    subtotal: cart.subtotal ? toMoneyJson(cart.subtotal) : null,
    pricesCurrent: cart.pricesCurrent || items.length === 0,
  };
  if (cart.cartId) json.id = cart.cartId;
  return json;
}
