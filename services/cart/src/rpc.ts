import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CartSchema, CartService } from "@tessera/contracts/cart/v1";
import type { ServiceImpl } from "@tessera/kit";
import type { Money } from "./cart-rules.ts";
import type { Carts, CartView } from "./carts.ts";

/** gRPC handlers: map protobuf ↔ domain; errors are ServiceErrors from the domain. */
export function cartHandlers(carts: Carts): ServiceImpl<typeof CartService> {
  return {
    async getCart(request) {
      return { cart: toMessage(await carts.get(request.userId)) };
    },
    async addItem(request) {
      return {
        cart: toMessage(
          await carts.add(request.userId, request.productId, request.quantity, request.expectedVersion),
        ),
      };
    },
    async setItemQuantity(request) {
      return {
        cart: toMessage(
          await carts.setQuantity(
            request.userId,
            request.productId,
            request.quantity,
            request.expectedVersion,
          ),
        ),
      };
    },
    async removeItem(request) {
      return {
        cart: toMessage(await carts.remove(request.userId, request.productId, request.expectedVersion)),
      };
    },
    async clearCart(request) {
      return { cart: toMessage(await carts.clear(request.userId, request.expectedVersion)) };
    },
  };
}

function toMessage(cart: CartView): MessageInitShape<typeof CartSchema> {
  return {
    userId: cart.userId,
    items: cart.lines.map((line) => ({
      productId: line.productId,
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitPrice: money(line.unitPrice),
      addedUnitPrice: money({ amountMinor: line.unitPriceMinor, currency: line.currency }),
      priceChanged: line.priceChanged,
    })),
    subtotal: cart.subtotal && money(cart.subtotal),
    cartId: cart.cartId,
    pricesCurrent: cart.pricesCurrent,
    version: cart.version,
  };
}

const money = ({ amountMinor, currency }: Money) => ({ currencyCode: currency, amountMinor });
