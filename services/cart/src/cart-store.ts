import type { Tx } from "@tessera/kit";
import type { CartLine } from "./cart-rules.ts";

/**
 * A cart as stored: its lines and the id naming these contents until they become an order. The id
 * is "" for an empty cart; the store gives a cart a new id when it gets lines while it has none.
 */
export interface StoredCart {
  readonly id: string;
  readonly lines: readonly CartLine[];
}

export const emptyCart: StoredCart = { id: "", lines: [] };

/** Turns a cart into its next state; throws (a ServiceError) to refuse the change. */
export type CartChange = (cart: StoredCart) => StoredCart;

/** A change of the cart's lines alone: the cart keeps its id. */
export const changeLines =
  (change: (lines: readonly CartLine[]) => CartLine[]): CartChange =>
  (cart) => ({ id: cart.id, lines: change(cart.lines) });

/**
 * Where carts live: Redis in infrastructure mode, the service's PostgreSQL database otherwise.
 * Both keep a cart for a fixed time after its last change, and apply each change atomically.
 */
export interface CartStore {
  /** The user's cart, lines in display order; `emptyCart` when it is empty or expired. */
  get(userId: string): Promise<StoredCart>;
  /**
   * Reads the cart, applies `change` and writes the result as one atomic step (no concurrent change
   * is lost) and restarts the cart's expiry. A result without lines deletes the cart; a result with
   * lines and the id "" gets a new id. Returns the cart written, lines in display order. With `tx`, a
   * store in the service database changes within that transaction (a store elsewhere cannot, and
   * ignores it).
   */
  update(userId: string, change: CartChange, tx?: Tx): Promise<StoredCart>;
  /** Empties the cart; clearing an empty cart is harmless. `tx` as for `update`. */
  clear(userId: string, tx?: Tx): Promise<void>;
  /** Whether the storage answers: readiness. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const dayMs = 86_400_000;
