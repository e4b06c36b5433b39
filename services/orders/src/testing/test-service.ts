import { CartService } from "@tessera/contracts/cart/v1";
import { OrdersService } from "@tessera/contracts/orders/v1";
import { createClient, createService, type Client, type Service } from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { OrdersConfig } from "./config.ts";
import { OrderStore } from "./order-store.ts";
import { Orders } from "./orders.ts";
import { ordersHandlers } from "./rpc.ts";
import { SagaRunner } from "./saga-runner.ts";

export const stepTimeoutMs = 30_000;

/**
 * The orders service wired as in main.ts, on a fresh test database, for tests: no subscription
 * (tests call the saga handler directly) and no background sweep (tests sweep explicitly), with a
 * clock the test moves. Not used outside tests.
 */
export async function startTestOrders(options: { cartAddress: string }) {
  const database: TestDatabase = await createTestDatabase("orders");
  const clock = { now: new Date() };
  const service: Service<OrdersConfig> = await createService({
    name: "orders",
    config: OrdersConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    producers: { inventory: (config) => config.INVENTORY_ADDR, payments: (config) => config.PAYMENTS_ADDR },
    env: {
      DATABASE_URL: database.url,
      GRPC_PORT: "0",
      GRPC_HOST: "127.0.0.1",
      OPS_HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      CART_ADDR: options.cartAddress,
      CART_DEADLINE_MS: "300",
      ORDERS_STEP_TIMEOUT_MS: String(stepTimeoutMs),
    },
  });
  const store = new OrderStore(service.db);
  const saga = new SagaRunner({
    store,
    publish: service.publish,
    stepTimeoutMs,
    now: () => clock.now,
    metrics: service.metrics,
  });
  const cart = service.client(CartService, service.config.CART_ADDR);
  service.serve(
    OrdersService,
    ordersHandlers(
      new Orders({ db: service.db, store, saga, cart, cartDeadlineMs: service.config.CART_DEADLINE_MS }),
    ),
  );
  const { rpcPort } = await service.start();
  const client: Client<typeof OrdersService> = createClient(OrdersService, `127.0.0.1:${rpcPort}`);
  return {
    service,
    database,
    store,
    saga,
    clock,
    client,
    rpcAddress: `127.0.0.1:${rpcPort}`,
    /** The outbox rows about one order, in publishing order. */
    async outbox(orderId: string) {
      const { rows } = await service.db.query<{ type: string; data: Record<string, unknown> }>(
        "SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id_seq",
        [orderId],
      );
      return rows.map((row) => ({ type: row.type.slice(row.type.lastIndexOf(".") + 1), data: row.data }));
    },
    async stop() {
      client.close();
      await service.stop();
      await database.drop();
    },
  };
}

export type TestOrders = Awaited<ReturnType<typeof startTestOrders>>;
