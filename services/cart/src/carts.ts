import type { Tx } from "@tessera/kit";
import {
  addLine,
  removeLine,
  requireProductId,
  requireQuantity,
  requireUserId,
  setLineQuantity,
  takeOrdered,
  type CartLine,
  type Money,
} from "./cart-rules.ts";
import type { CatalogProducts } from "./catalog-products.ts";
import { changeLines, emptyCart, type CartStore, type StoredCart } from "./cart-store.ts";
import { cartVersion, ifVersion } from "./cart-version.ts";

/** A line as shown: the price now next to the price when it was added. */
export interface PricedLine extends CartLine {
  /** The catalog's current price; the price when added if the catalog could not be asked. */
  unitPrice: Money;
  /** Whether the price changed since the line was added. */
  priceChanged: boolean;
}

export interface CartView {
  userId: string;
  /** Names these contents until they become an order; "" for an empty cart. */
  cartId: string;
  lines: PricedLine[];
  /** At the lines' unit prices; absent for an empty cart or one whose prices mix currencies. */
  subtotal: Money | undefined;
  /** Whether every unit price was read from the catalog for this view. */
  pricesCurrent: boolean;
  /** The stored cart's version (`cartVersion`): what a conditional write names. */
  version: string;
}

/**
 * The cart use cases, free of gRPC and of the storage technology: validate, then one atomic change
 * of the store applying a pure rule. Every view asks the catalog for the current prices, so what a
 * buyer sees is what checkout charges.
 */
export class Carts {
  readonly #store: CartStore;
  readonly #catalog: CatalogProducts;
  readonly #now: () => Date;

  constructor(store: CartStore, catalog: CatalogProducts, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#catalog = catalog;
    this.#now = now;
  }

  async get(userId: string): Promise<CartView> {
    requireUserId(userId);
    let cart = await this.#store.get(userId);
    // A cart stored before carts had ids gets one before anyone can order it.
    if (cart.lines.length > 0 && !cart.id) cart = await this.#store.update(userId, (same) => same);
    return this.#view(userId, cart);
  }

  /** Each change takes an `expectedVersion`: "" applies it whatever the cart holds (`ifVersion`). */
  async add(userId: string, productId: string, quantity: number, expectedVersion = ""): Promise<CartView> {
    requireUserId(userId);
    const id = requireProductId(productId);
    requireQuantity(quantity);
    // Asked before the atomic change, so no lock or retry loop waits on the catalog.
    const product = await this.#catalog.product(id);
    const now = this.#now();
    return this.#view(
      userId,
      await this.#store.update(
        userId,
        ifVersion(
          expectedVersion,
          changeLines((lines) => addLine(lines, product, quantity, now)),
        ),
      ),
    );
  }

  async setQuantity(
    userId: string,
    productId: string,
    quantity: number,
    expectedVersion = "",
  ): Promise<CartView> {
    requireUserId(userId);
    const id = requireProductId(productId);
    requireQuantity(quantity, { zeroRemoves: true });
    return this.#view(
      userId,
      await this.#store.update(
        userId,
        ifVersion(
          expectedVersion,
          changeLines((lines) => setLineQuantity(lines, id, quantity)),
        ),
      ),
    );
  }

  async remove(userId: string, productId: string, expectedVersion = ""): Promise<CartView> {
    requireUserId(userId);
    const id = requireProductId(productId);
    return this.#view(
      userId,
      await this.#store.update(
        userId,
        ifVersion(
          expectedVersion,
          changeLines((lines) => removeLine(lines, id)),
        ),
      ),
    );
  }

  async clear(userId: string, expectedVersion = ""): Promise<CartView> {
    requireUserId(userId);
    if (expectedVersion === "") await this.#store.clear(userId);
    else
      await this.#store.update(
        userId,
        ifVersion(expectedVersion, () => emptyCart),
      );
    return this.#view(userId, emptyCart);
  }

  /**
   * Takes what an order took out of cart `cartId`, in the transaction applying OrderPlaced. An
   * order from before carts had ids names none: the whole cart goes, as it always did.
   */
  async takeOrdered(
    tx: Tx,
    userId: string,
    cartId: string,
    ordered: readonly { productId: string; quantity: number }[],
  ): Promise<void> {
    if (!cartId) return this.#store.clear(userId, tx);
    await this.#store.update(userId, (cart) => takeOrdered(cart, cartId, ordered), tx);
  }

  async #view(userId: string, cart: StoredCart): Promise<CartView> {
    const prices = await this.#catalog.prices(cart.lines.map((line) => line.productId));
    const lines = cart.lines.map((line): PricedLine => {
      const added = { amountMinor: line.unitPriceMinor, currency: line.currency };
      const unitPrice = prices?.get(line.productId) ?? added;
      const priceChanged =
        unitPrice.amountMinor !== added.amountMinor || unitPrice.currency !== added.currency;
      return { ...line, unitPrice, priceChanged };
    });
    const pricesCurrent = prices !== undefined && lines.every((line) => prices.has(line.productId));
    return {
      userId,
      cartId: cart.id,
      lines,
      subtotal: subtotalOf(lines),
      pricesCurrent,
      version: cartVersion(cart),
    };
  }
}

function subtotalOf(lines: readonly PricedLine[]): Money | undefined {
  const currency = lines[0]?.unitPrice.currency;
  if (currency === undefined || lines.some((line) => line.unitPrice.currency !== currency)) return undefined;
  const amountMinor = lines.reduce(
    (sum, line) => sum + line.unitPrice.amountMinor * BigInt(line.quantity),
    0n,
  );
  return { amountMinor, currency };
}
