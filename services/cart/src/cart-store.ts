import type { Tx } from "@tessera/kit";
import type { CartLine } from "./cart-rules.ts";

/** Turns a cart's lines into its next lines; throws (a ServiceError) to refuse the change. */
export type CartChange = (lines: readonly CartLine[]) => CartLine[];

/**
 * Where carts live: Redis in infrastructure mode, the service's PostgreSQL database otherwise.
 * Both keep a cart for a fixed time after its last change, and apply each change atomically.
 */
export interface CartStore {
  /** The user's lines in display order; none when the cart is empty or expired. */
  get(userId: string): Promise<CartLine[]>;
  /**
   * Reads the lines, applies `change` and writes the result as one atomic step (no concurrent
   * change is lost) and restarts the cart's expiry. Returns the lines written, in display order.
   */
  update(userId: string, change: CartChange): Promise<CartLine[]>;
  /**
   * Empties the cart; clearing an empty cart is harmless. With `tx`, a store in the service
   * database clears within that transaction (a store elsewhere cannot, and ignores it).
   */
  clear(userId: string, tx?: Tx): Promise<void>;
  /** Whether the storage answers: readiness. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const dayMs = 86_400_000;
