import type { OrderPlacedSchema } from "@tessera/contracts/orders/v1";
import type { EventHandler } from "@tessera/kit";
import { maxUserIdLength } from "./cart-rules.ts";
import type { Carts } from "./carts.ts";

/**
 * Empties the buyer's cart once their order is placed.
 *
 * The kit runs this handler in the transaction that records the event id in the inbox, so a
 * redelivered event is skipped and the effect happens once:
 * - PostgreSQL store: the cart is deleted in that very transaction; it commits with the inbox row
 *   or not at all — exactly once.
 * - Redis store: the delete cannot join a PostgreSQL transaction. It runs before the inbox row
 *   commits, so a crash in between redelivers the event and deletes again. Deleting a cart is
 *   idempotent (an already empty cart stays empty), so "at least once" here has the same effect
 *   as exactly once, and once the inbox row commits, later deliveries are skipped. (The one
 *   difference: items added between a delete and its redelivery after a crash are cleared too.)
 */
export function clearCartOnOrderPlaced(carts: Carts): EventHandler<readonly [typeof OrderPlacedSchema]> {
  return async ({ data }, tx) => {
    // No cart can exist for an id the cart service would refuse: nothing to clear, nothing to retry.
    if (data.userId.length === 0 || data.userId.length > maxUserIdLength) return;
    await carts.clearAfterOrder(tx, data.userId);
  };
}
