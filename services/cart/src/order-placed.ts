import type { OrderPlacedSchema } from "@tessera/contracts/orders/v1";
import type { EventHandler } from "@tessera/kit";
import { maxUserIdLength } from "./cart-rules.ts";
import type { Carts } from "./carts.ts";

/**
 * Takes what an order took out of the buyer's cart once it is placed: that cart's ordered
 * quantities go, what was added since stays under a new cart id, and a newer cart is left alone.
 *
 * The kit runs this handler in the transaction that records the event id in the inbox, so a
 * redelivered event is skipped and the effect happens once:
 * - PostgreSQL store: the cart changes in that very transaction; it commits with the inbox row
 *   or not at all — exactly once.
 * - Redis store: the change cannot join a PostgreSQL transaction. It runs before the inbox row
 *   commits, so a crash in between redelivers the event. The change is idempotent all the same:
 *   it applies only to the cart named by the event, and the cart it leaves has a new id.
 */
export function takeOrderFromCart(carts: Carts): EventHandler<readonly [typeof OrderPlacedSchema]> {
  return async ({ data }, tx) => {
    // No cart can exist for an id the cart service would refuse: nothing to clear, nothing to retry.
    if (data.userId.length === 0 || data.userId.length > maxUserIdLength) return;
    await carts.takeOrdered(tx, data.userId, data.cartId, data.items);
  };
}
