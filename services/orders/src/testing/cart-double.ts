import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { CartSchema, CartService } from "@tessera/contracts/cart/v1";
import { createLogger, createMetrics, createRpcServer, newId, ServiceError } from "@tessera/kit";
import { setTimeout as sleep } from "node:timers/promises";

type CartInit = MessageInitShape<typeof CartSchema>;

/**
 * A test double of the REMOTE cart service, for the orders tests: a real gRPC server (the kit's)
 * serving CartService/GetCart from fixed carts, so PlaceOrder is exercised over the network exactly
 * as in production. The real cart service is its own process with its own storage, written and
 * tested separately; orders only depends on its contract. Not used outside tests.
 */
export async function startCartDouble() {
  const carts = new Map<string, CartInit>();
  const failures = new Map<string, ServiceError>();
  const delays = new Map<string, number>();
  let calls = 0;
  let lastAuthorization: string | undefined;
  const unsupported = () => {
    throw new ServiceError("failed_precondition", "the cart test double serves GetCart only");
  };
  const rpc = createRpcServer({
    log: createLogger({ service: "cart-double", level: "silent" }),
    metrics: createMetrics("cart-double"),
  });
  rpc.add(CartService, {
    async getCart({ userId }, { signal, metadata }) {
      calls++;
      const authorization = metadata.get("authorization")[0];
      lastAuthorization = typeof authorization === "string" ? authorization : undefined;
      const delay = delays.get(userId);
      if (delay) await sleep(delay, undefined, { signal }).catch(() => undefined);
      const failure = failures.get(userId);
      if (failure) throw failure;
      const stored = carts.get(userId);
      // Without a pinned id, every read is a cart refilled since the last order: a new id.
      const fields = stored?.items?.length ? { cartId: newId(), pricesCurrent: true } : {};
      return { cart: create(CartSchema, { userId, items: [], ...fields, ...stored }) };
    },
    addItem: unsupported,
    setItemQuantity: unsupported,
    removeItem: unsupported,
    clearCart: unsupported,
  });
  const port = await rpc.listen("127.0.0.1:0");
  return {
    address: `127.0.0.1:${port}`,
    /**
     * Sets what GetCart answers for a user: `items` at current prices, under `fields.cartId` when
     * given (one cart, read again and again), else under a new cart id on every read.
     */
    setCart(userId: string, items: CartInit["items"], fields: Omit<CartInit, "userId" | "items"> = {}) {
      carts.set(userId, { ...fields, userId, items } as CartInit);
    },
    /** Makes GetCart fail for a user. */
    fail(userId: string, error: ServiceError) {
      failures.set(userId, error);
    },
    /** Makes GetCart answer a user after `ms`. */
    delay(userId: string, ms: number) {
      delays.set(userId, ms);
    },
    get calls() {
      return calls;
    },
    /** The `authorization` metadata of the last GetCart (this double checks none: the real cart does). */
    get lastAuthorization() {
      return lastAuthorization;
    },
    close: () => rpc.close(0),
  };
}

export type CartDouble = Awaited<ReturnType<typeof startCartDouble>>;
