import type { CartService } from "@tessera/contracts/cart/v1";
import type { Client } from "@tessera/kit";
import { callerSignal } from "../request-context.ts";
import { userOf } from "../user.ts";
import type { Api } from "./api.ts";
import { toCartJson } from "./cart-json.ts";
import {
  addCartItemRouteSchema,
  clearCartSchema,
  getCartSchema,
  removeCartItemSchema,
  setCartItemQuantityRouteSchema,
} from "./cart-schemas.ts";

/** The cart service as the cart API calls it: the kit's typed client, or a fake of the same contract in tests. */
export type CartClient = Client<typeof CartService>;

/** The user's cart under `/api/v1/cart`, backed by the cart service. */
export function cartRoutes(app: Api, { cart }: { cart: CartClient }): void {
  app.get("/api/v1/cart", { config: { access: "user" }, schema: getCartSchema }, async (request) => {
    const response = await cart.getCart({ userId: userOf(request) }, { signal: callerSignal(request) });
    return toCartJson(response.cart);
  });

  app.post(
    "/api/v1/cart/items",
    { config: { access: "user" }, schema: addCartItemRouteSchema },
    async (request) => {
      const { productId, quantity } = request.body;
      const response = await cart.addItem(
        { userId: userOf(request), productId, quantity },
        { signal: callerSignal(request) },
      );
      return toCartJson(response.cart);
    },
  );

  app.put(
    "/api/v1/cart/items/:productId",
    { config: { access: "user" }, schema: setCartItemQuantityRouteSchema },
    async (request) => {
      const response = await cart.setItemQuantity(
        { userId: userOf(request), productId: request.params.productId, quantity: request.body.quantity },
        { signal: callerSignal(request) },
      );
      return toCartJson(response.cart);
    },
  );

  app.delete(
    "/api/v1/cart/items/:productId",
    { config: { access: "user" }, schema: removeCartItemSchema },
    async (request) => {
      const response = await cart.removeItem(
        { userId: userOf(request), productId: request.params.productId },
        { signal: callerSignal(request) },
      );
      return toCartJson(response.cart);
    },
  );

  app.delete("/api/v1/cart", { config: { access: "user" }, schema: clearCartSchema }, async (request) => {
    const response = await cart.clearCart({ userId: userOf(request) }, { signal: callerSignal(request) });
    return toCartJson(response.cart);
  });
}
