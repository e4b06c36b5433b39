import { CartService } from "@tessera/contracts/cart/v1";
import { OrdersService } from "@tessera/contracts/orders/v1";
import { createService } from "@tessera/kit";
import { OrdersConfig } from "./config.ts";
import { IdempotencyKeys } from "./idempotency-keys.ts";
import { OrderStore } from "./order-store.ts";
import { Orders } from "./orders.ts";
import { ordersHandlers } from "./rpc.ts";
import { sagaEvents, sagaHandler } from "./saga-events.ts";
import { SagaRunner } from "./saga-runner.ts";
import { startTimeoutSweep } from "./timeout-sweep.ts";

const service = await createService({
  name: "orders",
  config: OrdersConfig,
  database: { migrations: new URL("../migrations", import.meta.url) },
  producers: { inventory: (config) => config.INVENTORY_ADDR, payments: (config) => config.PAYMENTS_ADDR },
});
const { config, db, log } = service;
const cart = service.client(CartService, config.CART_ADDR);
const store = new OrderStore(db);
const saga = new SagaRunner({
  store,
  publish: service.publish,
  stepTimeoutMs: config.ORDERS_STEP_TIMEOUT_MS,
  metrics: service.metrics,
});
const keys = new IdempotencyKeys(db);
service.serve(
  OrdersService,
  ordersHandlers(new Orders({ db, store, saga, cart, keys, cartDeadlineMs: config.CART_DEADLINE_MS })),
);
service.subscribe("saga", sagaEvents, sagaHandler(saga));
await service.start();
const sweep = startTimeoutSweep({ db, saga, log, keys, intervalMs: config.ORDERS_TIMEOUT_SWEEP_MS });
service.onStop(() => sweep.stop());
