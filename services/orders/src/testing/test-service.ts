// Test support (imported by tests only): the orders service as main.ts wires it, on a fresh database.
import { OrdersService } from "@tessera/contracts/orders/v1";
import { createClient, type Client } from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { createOrders, type OrdersWiring } from "../wiring.ts";

export const stepTimeoutMs = 30_000;

/**
 * Starts the orders service of `createOrders` on a fresh test database, with a clock the test
 * moves (`clock.now`). Its subscription finds no producer (tests hand events to the saga handler),
 * and its timeout sweep runs once a minute unless `env` says otherwise (ORDERS_TIMEOUT_SWEEP_MS),
 * so a test that moves the clock and sweeps itself counts its own.
 */
export async function startTestOrders(options: { cartAddress: string; env?: Record<string, string> }) {
  const database: TestDatabase = await createTestDatabase("orders");
  const clock = { now: new Date() };
  let orders: OrdersWiring | undefined;
  try {
    orders = await createOrders({
      env: {
        DATABASE_URL: database.url,
        GRPC_HOST: "127.0.0.1",
        GRPC_PORT: "0",
        OPS_HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        CART_ADDR: options.cartAddress,
        CART_DEADLINE_MS: "300",
        // Nothing listens on port 1: the consumers keep reconnecting, quietly, until the test stops.
        INVENTORY_ADDR: "127.0.0.1:1",
        PAYMENTS_ADDR: "127.0.0.1:1",
        ORDERS_STEP_TIMEOUT_MS: String(stepTimeoutMs),
        ORDERS_TIMEOUT_SWEEP_MS: "60000",
        ...options.env,
      },
      now: () => clock.now,
    });
    const { service } = orders;
    const { rpcPort } = await service.start();
    const client: Client<typeof OrdersService> = createClient(OrdersService, `127.0.0.1:${rpcPort}`);
    return {
      ...orders,
      database,
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
      /** Stops the service and drops its database. */
      async stop() {
        client.close();
        await service.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await orders?.service.stop();
    await database.drop();
    throw error;
  }
}

export type TestOrders = Awaited<ReturnType<typeof startTestOrders>>;
