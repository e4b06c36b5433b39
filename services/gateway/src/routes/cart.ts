import type { CartService } from "@tessera/contracts/cart/v1";
import type { Client } from "@tessera/kit";
import { callerSignal } from "../request-context.ts";
import { userOf } from "../user.ts";
import type { Api } from "./api.ts";
import { toCartJson } from "./cart-json.ts";
import { conditionally, expectedVersionOf, sendCartEtag } from "./cart-preconditions.ts";
import {
  addCartItemRouteSchema,
  clearCartSchema,
  getCartSchema,
  removeCartItemSchema,
  setCartItemQuantityRouteSchema,
} from "./cart-schemas.ts";

/** The cart service as the cart API calls it: the kit's typed client, or a fake of the same contract in tests. */
export type CartClient = Client<typeof CartService>;

/**
 * The user's cart under `/api/v1/cart`, backed by the cart service. Every answer carries the cart's
 * `ETag`; writes take it back in `If-Match` (cart-preconditions.ts), required where they replace or
 * remove, optional where they add.
 */
export function cartRoutes(app: Api, { cart }: { cart: CartClient }): void {
  app.get("/api/v1/cart", { config: { access: "user" }, schema: getCartSchema }, async (request, reply) => {
    const response = await cart.getCart({ userId: userOf(request) }, { signal: callerSignal(request) });
    sendCartEtag(reply, response.cart?.version ?? "");
    return toCartJson(response.cart);
  });

  app.post(
    "/api/v1/cart/items",
    { config: { access: "user" }, schema: addCartItemRouteSchema },
    async (request, reply) => {
      const { productId, quantity } = request.body;
      const expectedVersion = expectedVersionOf(request, { required: false });
      const response = await conditionally(
        cart.addItem(
          { userId: userOf(request), productId, quantity, expectedVersion },
          { signal: callerSignal(request) },
        ),
      );
      sendCartEtag(reply, response.cart?.version ?? "");
      return toCartJson(response.cart);
    },
  );

  app.put(
    "/api/v1/cart/items/:productId",
    { config: { access: "user" }, schema: setCartItemQuantityRouteSchema },
    async (request, reply) => {
      const expectedVersion = expectedVersionOf(request, { required: true });
      const { productId } = request.params;
      const response = await conditionally(
        cart.setItemQuantity(
          { userId: userOf(request), productId, quantity: request.body.quantity, expectedVersion },
          { signal: callerSignal(request) },
        ),
      );
      sendCartEtag(reply, response.cart?.version ?? "");
      return toCartJson(response.cart);
    },
  );

  app.delete(
    "/api/v1/cart/items/:productId",
    { config: { access: "user" }, schema: removeCartItemSchema },
    async (request, reply) => {
      const expectedVersion = expectedVersionOf(request, { required: true });
      const response = await conditionally(
        cart.removeItem(
          { userId: userOf(request), productId: request.params.productId, expectedVersion },
          { signal: callerSignal(request) },
        ),
      );
      sendCartEtag(reply, response.cart?.version ?? "");
      return toCartJson(response.cart);
    },
  );

  app.delete(
    "/api/v1/cart",
    { config: { access: "user" }, schema: clearCartSchema },
    async (request, reply) => {
      const expectedVersion = expectedVersionOf(request, { required: true });
      const response = await conditionally(
        cart.clearCart({ userId: userOf(request), expectedVersion }, { signal: callerSignal(request) }),
      );
      sendCartEtag(reply, response.cart?.version ?? "");
      return toCartJson(response.cart);
    },
  );
}
