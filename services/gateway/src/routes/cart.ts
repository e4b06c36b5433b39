import { callerSignal } from "../request-context.ts";
import type { FastifyInstance } from "fastify";
import type { CartService } from "@tessera/contracts/cart/v1";
import type { Client } from "@tessera/kit";
import { userOf } from "../user.ts";
import { toCartJson, type CartJson } from "./cart-json.ts";
import {
  addCartItemRouteSchema,
  clearCartSchema,
  getCartSchema,
  removeCartItemSchema,
  setCartItemQuantityRouteSchema,
  type AddCartItemBody,
  type CartItemParams,
  type SetCartItemQuantityBody,
} from "./cart-schemas.ts";

/** The cart calls the cart API makes; the kit's typed client, or a stand-in in tests. */
export type CartClient = Pick<
  Client<typeof CartService>,
  "getCart" | "addItem" | "setItemQuantity" | "removeItem" | "clearCart"
>;

/** The user's cart under `/api/v1/cart`, backed by the cart service. Needs the user hook. */
export function cartRoutes(app: FastifyInstance, { cart }: { cart: CartClient }): void {
  app.get("/api/v1/cart", { schema: getCartSchema }, async (request): Promise<CartJson> => {
    const response = await cart.getCart({ userId: userOf(request) }, { signal: callerSignal(request) });
    return toCartJson(response.cart);
  });

  app.post<{ Body: AddCartItemBody }>(
    "/api/v1/cart/items",
    { schema: addCartItemRouteSchema },
    async (request): Promise<CartJson> => {
      const { productId, quantity } = request.body;
      const response = await cart.addItem(
        { userId: userOf(request), productId, quantity },
        { signal: callerSignal(request) },
      );
      return toCartJson(response.cart);
    },
  );

  app.put<{ Params: CartItemParams; Body: SetCartItemQuantityBody }>(
    "/api/v1/cart/items/:productId",
    { schema: setCartItemQuantityRouteSchema },
    async (request): Promise<CartJson> => {
      const response = await cart.setItemQuantity(
        { userId: userOf(request), productId: request.params.productId, quantity: request.body.quantity },
        { signal: callerSignal(request) },
      );
      return toCartJson(response.cart);
    },
  );

  app.delete<{ Params: CartItemParams }>(
    "/api/v1/cart/items/:productId",
    { schema: removeCartItemSchema },
    async (request): Promise<CartJson> => {
      const response = await cart.removeItem(
        { userId: userOf(request), productId: request.params.productId },
        { signal: callerSignal(request) },
      );
      return toCartJson(response.cart);
    },
  );

  app.delete("/api/v1/cart", { schema: clearCartSchema }, async (request): Promise<CartJson> => {
    const response = await cart.clearCart({ userId: userOf(request) }, { signal: callerSignal(request) });
    return toCartJson(response.cart);
  });
}
