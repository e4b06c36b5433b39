import type { CartService } from "@tessera/contracts/cart/v1";
import {
  createPageTokens,
  isUuid,
  newId,
  pageSizeOf,
  ServiceError,
  uuidPattern,
  z,
  type Client,
  type Db,
  type PageTokenKey,
  type PageTokens,
} from "@tessera/kit";
import { snapshotCart } from "./cart-snapshot.ts";
import { IdempotencyKeys, placeOrderFingerprint } from "./idempotency-keys.ts";
import type { Order } from "./order.ts";
import type { OrderStore } from "./order-store.ts";
import type { SagaRunner } from "./saga-runner.ts";

type List = "mine" | "all";

const cursor = z.object({ id: z.string().regex(uuidPattern) });
type OrderPageTokens = Record<List, PageTokens<z.infer<typeof cursor>>>;

/**
 * Page tokens sealed by the kit around the last order id of a page: bound to their list, so a token
 * of one list is refused by the other, and a user's to that user.
 */
const pageTokensOf = (key: PageTokenKey): OrderPageTokens => ({
  mine: createPageTokens(cursor, { key, list: "orders.mine", maxLength: 512 }),
  all: createPageTokens(cursor, { key, list: "orders.all", maxLength: 512 }),
});

export interface OrdersOptions {
  db: Db;
  store: OrderStore;
  saga: SagaRunner;
  cart: Pick<Client<typeof CartService>, "getCart">;
  cartDeadlineMs: number;
  /** Seals the page tokens (`service.pageTokenKey`). */
  pageTokenKey: PageTokenKey;
  keys?: IdempotencyKeys;
  /** Told the id of an order changed by a transaction of this class, once that committed. */
  changed?: (orderId: string) => void;
}

export interface Placed {
  order: Order;
  /** Whether an earlier request with the same idempotency key placed it. */
  replayed: boolean;
}

export interface Page {
  orders: Order[];
  nextPageToken: string;
}

/** The orders API's rules, free of gRPC: validation, ownership, idempotent placing, paging. */
export class Orders {
  readonly #db: Db;
  readonly #store: OrderStore;
  readonly #saga: SagaRunner;
  readonly #cart: OrdersOptions["cart"];
  readonly #cartDeadlineMs: number;
  readonly #keys: IdempotencyKeys;
  readonly #pageTokens: OrderPageTokens;
  readonly #changed: (orderId: string) => void;

  constructor({
    db,
    store,
    saga,
    cart,
    cartDeadlineMs,
    pageTokenKey,
    keys = new IdempotencyKeys(db),
    changed = () => undefined,
  }: OrdersOptions) {
    this.#changed = changed;
    this.#db = db;
    this.#pageTokens = pageTokensOf(pageTokenKey);
    this.#keys = keys;
    this.#store = store;
    this.#saga = saga;
    this.#cart = cart;
    this.#cartDeadlineMs = cartDeadlineMs;
  }

  /**
   * Makes the user's cart, at the catalog's current prices, into a PENDING order and starts the
   * saga. The request first claims its idempotency key (see IdempotencyKeys): a retry of a placed
   * request gets its order back (`replayed`), a different request under the key is refused, and so
   * is a second request while the first is still working. Of concurrent checkouts of one cart under
   * different keys, the unique (user, cart id) lets one order in and refuses the others.
   */
  async place(request: { userId: string; idempotencyKey: string; cardToken: string }): Promise<Placed> {
    const { userId, idempotencyKey: key, cardToken } = request;
    const problems = [
      ...userIdProblems(userId),
      ...(key.length < 1 || key.length > 128 ? ["idempotency_key must be 1-128 characters"] : []),
      ...(!/^[\x21-\x7e]{1,256}$/.test(cardToken)
        ? ["card_token must be 1-256 printable characters without spaces"]
        : []),
    ];
    if (problems.length > 0) throw new ServiceError("invalid_argument", problems.join("; "));

    const claim = await this.#keys.claim(userId, key, placeOrderFingerprint(request));
    switch (claim.kind) {
      case "replay":
        return { order: await this.#replayed(claim.orderId), replayed: true };
      case "mismatch":
        throw new ServiceError(
          "invalid_argument",
          "this Idempotency-Key was used with a different request; use a new key for a new request",
          { reason: "idempotency-key-reused" },
        );
      case "in-progress":
        throw new ServiceError(
          "aborted",
          "a request with this Idempotency-Key is still being handled; retry when it has finished",
          { reason: "idempotency-key-in-use" },
        );
      case "claimed":
        break;
    }
    try {
      const snapshot = snapshotCart(await this.#readCart(userId));
      const order = await this.#db.tx(async (tx) => {
        const placed = await this.#saga.start(tx, { id: newId(), userId, cardToken, ...snapshot }, key);
        if (!placed) {
          const other = await this.#store.findByCart(tx, userId, snapshot.cartId);
          throw new ServiceError(
            "failed_precondition",
            `this cart was already placed as order ${other?.id ?? "(unknown)"}; add items to order again`,
            { reason: "cart-already-ordered" },
          );
        }
        if (!(await this.#keys.complete(tx, userId, key, claim.token, placed.id))) {
          throw new ServiceError(
            "aborted",
            "this request took too long and lost its Idempotency-Key; retry",
            {
              reason: "idempotency-key-in-use",
            },
          );
        }
        return placed;
      });
      return { order, replayed: false };
    } catch (error) {
      // Nothing was placed: the key is free for a retry of the same request.
      await this.#keys.release(userId, key, claim.token).catch(() => undefined);
      throw error;
    }
  }

  async #replayed(orderId: string): Promise<Order> {
    const order = await this.#store.get(orderId);
    if (!order) throw new ServiceError("internal", `order ${orderId} of an idempotency key is missing`);
    return order;
  }

  async #readCart(userId: string) {
    try {
      const { cart } = await this.#cart.getCart({ userId }, { timeoutMs: this.#cartDeadlineMs });
      return cart;
    } catch (error) {
      const failure = ServiceError.from(error);
      if (failure.code === "not_found") {
        throw new ServiceError("failed_precondition", "the cart is empty", { reason: "cart-empty" });
      }
      if (failure.code === "invalid_argument") throw failure;
      // Whatever went wrong in the cart, for this caller it is a dependency to retry later.
      throw new ServiceError("unavailable", `the cart could not be read (${failure.message}); try again`, {
        cause: error,
      });
    }
  }

  /** One of the user's orders; another user's order is `not_found`, as if it did not exist. */
  async get(userId: string, orderId: string): Promise<Order> {
    validateIds(userId, orderId);
    const order = await this.#store.get(orderId);
    if (!order || order.userId !== userId) throw new ServiceError("not_found", `order ${orderId} not found`);
    return order;
  }

  /** The user's orders, newest first. */
  async listMine(request: { userId: string; pageSize: number; pageToken: string }): Promise<Page> {
    const problems = userIdProblems(request.userId);
    if (problems.length > 0) throw new ServiceError("invalid_argument", problems.join("; "));
    const limit = pageSizeOf(request.pageSize);
    const after = this.#pageTokens.mine.decode(request.pageToken, request.userId);
    const rows = await this.#store.listByUser({
      userId: request.userId,
      before: after?.id,
      limit: limit + 1,
    });
    return page(rows, limit, (id) => this.#pageTokens.mine.encode({ id }, request.userId));
  }

  /** Every order, oldest first (administration, the consistency checker). */
  async list(request: { pageSize: number; pageToken: string }): Promise<Page> {
    const limit = pageSizeOf(request.pageSize);
    const after = this.#pageTokens.all.decode(request.pageToken);
    return page(await this.#store.list({ after: after?.id, limit: limit + 1 }), limit, (id) =>
      this.#pageTokens.all.encode({ id }),
    );
  }

  /** Cancels the user's order before its payment is captured, compensating what was done. */
  async cancel(userId: string, orderId: string): Promise<Order> {
    validateIds(userId, orderId);
    const cancelled = await this.#db.tx(async (tx) => {
      const order = await this.#store.lock(tx, orderId);
      if (!order || order.userId !== userId)
        throw new ServiceError("not_found", `order ${orderId} not found`);
      return this.#saga.apply(tx, order, { type: "Cancel" });
    });
    this.#changed(orderId);
    return cancelled;
  }
}

function userIdProblems(userId: string): string[] {
  return userId.length < 1 || userId.length > 128 || /[\s\p{Cc}]/u.test(userId)
    ? ["user_id must be 1-128 characters without spaces"]
    : [];
}

function validateIds(userId: string, orderId: string): void {
  const problems = [...userIdProblems(userId), ...(isUuid(orderId) ? [] : ["order_id must be a UUID"])];
  if (problems.length > 0) throw new ServiceError("invalid_argument", problems.join("; "));
}

function page(rows: Order[], limit: number, tokenAfter: (id: string) => string): Page {
  const orders = rows.slice(0, limit);
  const last = orders.at(-1);
  return { orders, nextPageToken: rows.length > limit && last ? tokenAfter(last.id) : "" };
}
