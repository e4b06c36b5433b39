// Test support (imported by tests only): the orders service as main.ts wires it, on a fresh database.
import { OrdersService } from "@tessera/contracts/orders/v1";
import type { Client } from "@tessera/kit";
import {
  nowhere,
  publishedAbout,
  startTestService,
  testCallers,
  testClient,
  type TestDatabase,
} from "@tessera/kit/testing";
import { createOrders } from "../wiring.ts";

export const stepTimeoutMs = 30_000;

/**
 * Starts the orders service of `createOrders` on a fresh test database, with a clock the test
 * moves (`clock.now`). Its subscription finds no producer (tests hand events to the saga handler),
 * and its timeout sweep runs once a minute unless `env` says otherwise (ORDERS_TIMEOUT_SWEEP_MS),
 * so a test that moves the clock and sweeps itself counts its own. Given another's `database`, it is a
 * second replica of that service (the database is left to its owner).
 */
export async function startTestOrders(options: {
  cartAddress: string;
  env?: Record<string, string>;
  database?: TestDatabase;
}) {
  const clock = { now: new Date() };
  const orders = await startTestService(
    "orders",
    (env) => createOrders({ env, now: () => clock.now }),
    {
      CART_ADDR: options.cartAddress,
      CART_DEADLINE_MS: "300",
      INVENTORY_ADDR: nowhere,
      PAYMENTS_ADDR: nowhere,
      ORDERS_STEP_TIMEOUT_MS: String(stepTimeoutMs),
      ORDERS_TIMEOUT_SWEEP_MS: "60000",
      ...options.env,
    },
    { database: options.database },
  );
  const { service } = orders;
  // An operator's client: acts for any user (as a trusted service does) and lists every order.
  const client: Client<typeof OrdersService> = testClient(
    OrdersService,
    orders.address,
    testCallers.operator,
  );
  return {
    ...orders,
    clock,
    client,
    rpcAddress: orders.address,
    /** The outbox rows about one order, in publishing order. */
    outbox: (orderId: string) => publishedAbout(service.db, orderId),
    /** Stops the service and drops its database. */
    async stop() {
      client.close();
      await orders.stop();
    },
  };
}

export type TestOrders = Awaited<ReturnType<typeof startTestOrders>>;
