import { CartService } from "@tessera/contracts/cart/v1";
import { OrdersService } from "@tessera/contracts/orders/v1";
import { createService } from "@tessera/kit";
import { OrdersConfig } from "./config.ts";
import { IdempotencyKeys } from "./idempotency-keys.ts";
import { OrderChanges } from "./order-changes.ts";
import { OrderStore } from "./order-store.ts";
import { OrderWatch } from "./order-watch.ts";
import { Orders } from "./orders.ts";
import { ordersHandlers } from "./rpc.ts";
import { sagaEvents, sagaHandler } from "./saga-events.ts";
import { SagaRunner } from "./saga-runner.ts";
import { sweepTimeouts } from "./timeout-sweep.ts";

export interface CreateOrdersOptions {
  /** The environment to read; `process.env` when omitted (a bad value then exits the process). */
  env?: Record<string, string | undefined>;
  /** Tests: the saga's clock, which the timeout sweep goes by too. */
  now?: () => Date;
}

/**
 * Builds the orders service: its RPCs (reading carts from the cart service), the
 * saga's subscription to the answers of inventory and payments, and the timeout sweep. main.ts
 * calls this, and so do the tests; the caller starts the service.
 */
export async function createOrders({ env, now }: CreateOrdersOptions = {}) {
  const service = await createService({
    name: "orders",
    config: OrdersConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    producers: { inventory: (config) => config.INVENTORY_ADDR, payments: (config) => config.PAYMENTS_ADDR },
    env,
  });
  const { config, db, log } = service;
  const cart = service.client(CartService, config.CART_ADDR);
  const store = new OrderStore(db);
  // One LISTEN connection per process for every WatchOrder stream; commits here also tell it directly.
  const changes = new OrderChanges(db.pool.options, log);
  const changed = (orderId: string) => changes.notify(orderId);
  const saga = new SagaRunner({
    store,
    publishAll: service.publishAll,
    stepTimeoutMs: config.ORDERS_STEP_TIMEOUT_MS,
    now,
    metrics: service.metrics,
    changed,
  });
  const keys = new IdempotencyKeys(db);
  const orders = new Orders({
    db,
    store,
    saga,
    cart,
    keys,
    cartDeadlineMs: config.CART_DEADLINE_MS,
    pageTokenKey: service.pageTokenKey,
    changed,
  });
  const watch = new OrderWatch({
    orders,
    store,
    changes,
    maxWatchers: config.ORDERS_MAX_WATCHERS,
    maxWatchersPerUser: config.ORDERS_MAX_WATCHERS_PER_USER,
  });
  service.metrics.gauge(
    "orders_watch_streams",
    "WatchOrder streams open in this process (each an order's Server-Sent Events at the gateway).",
    [],
    (gauge) => gauge.set(watch.open),
  );
  service.beforeServing(() => changes.start());
  service.onStop(() => changes.close());
  service.serve(OrdersService, ordersHandlers(orders, watch));
  service.subscribe("saga", sagaEvents, sagaHandler(saga));
  service.every("timeout-sweep", config.ORDERS_TIMEOUT_SWEEP_MS, () =>
    sweepTimeouts({ db, saga, log, keys }),
  );
  return { service, store, saga, keys, orders, changes, watch };
}

export type OrdersWiring = Awaited<ReturnType<typeof createOrders>>;
