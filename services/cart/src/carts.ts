import type { Tx } from "@tessera/kit";
import {
  addLine,
  removeLine,
  requireProductId,
  requireQuantity,
  requireUserId,
  setLineQuantity,
  subtotal,
  type CartLine,
  type Money,
} from "./cart-rules.ts";
import type { LookUpProduct } from "./catalog-products.ts";
import type { CartStore } from "./cart-store.ts";

export interface CartView {
  userId: string;
  lines: CartLine[];
  /** Absent for an empty cart. */
  subtotal: Money | undefined;
}

/**
 * The cart use cases, free of gRPC and of the storage technology: validate, then one atomic change
 * of the store applying a pure rule. Only adding asks the catalog; reading never does.
 */
export class Carts {
  readonly #store: CartStore;
  readonly #lookUp: LookUpProduct;
  readonly #now: () => Date;

  constructor(store: CartStore, lookUp: LookUpProduct, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#lookUp = lookUp;
    this.#now = now;
  }

  async get(userId: string): Promise<CartView> {
    requireUserId(userId);
    return view(userId, await this.#store.get(userId));
  }

  async add(userId: string, productId: string, quantity: number): Promise<CartView> {
    requireUserId(userId);
    const id = requireProductId(productId);
    requireQuantity(quantity);
    // Asked before the atomic change, so no lock or retry loop waits on the catalog.
    const product = await this.#lookUp(id);
    const now = this.#now();
    return view(userId, await this.#store.update(userId, (lines) => addLine(lines, product, quantity, now)));
  }

  async setQuantity(userId: string, productId: string, quantity: number): Promise<CartView> {
    requireUserId(userId);
    const id = requireProductId(productId);
    requireQuantity(quantity, { zeroRemoves: true });
    return view(userId, await this.#store.update(userId, (lines) => setLineQuantity(lines, id, quantity)));
  }

  async remove(userId: string, productId: string): Promise<CartView> {
    requireUserId(userId);
    const id = requireProductId(productId);
    return view(userId, await this.#store.update(userId, (lines) => removeLine(lines, id)));
  }

  async clear(userId: string): Promise<CartView> {
    requireUserId(userId);
    await this.#store.clear(userId);
    return view(userId, []);
  }

  /** Empties the cart of a user who placed an order, in the transaction applying the event. */
  async clearAfterOrder(tx: Tx, userId: string): Promise<void> {
    await this.#store.clear(userId, tx);
  }
}

function view(userId: string, lines: CartLine[]): CartView {
  return { userId, lines, subtotal: subtotal(lines) };
}
