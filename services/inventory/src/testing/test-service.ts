// Test support (imported by tests only): the inventory as main.ts wires it, on a fresh database.
import type { Db } from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { createInventory, type InventoryWiring } from "../wiring.ts";

export interface TestClock {
  now: () => Date;
  advance: (ms: number) => void;
}

export interface TestInventory extends InventoryWiring {
  db: Db;
  clock: TestClock;
  database: TestDatabase;
  rpcPort: number;
  /** Stops the service and drops its database. */
  close(): Promise<void>;
}

/**
 * Starts the inventory of `createInventory` on a fresh database of the real PostgreSQL, on a clock
 * of its own. Its subscriptions find no producer unless `env` names one (ORDERS_ADDR, CATALOG_ADDR):
 * most tests hand events to the handlers themselves. Its expiry sweep runs hourly unless `env`
 * says otherwise (INVENTORY_SWEEP_INTERVAL_MS), so a test that expires holds itself counts its own.
 */
export async function startTestInventory({
  env = {},
  sweepBatchSize,
}: { env?: Record<string, string>; sweepBatchSize?: number } = {}): Promise<TestInventory> {
  const database = await createTestDatabase("inventory");
  let now = new Date();
  const clock: TestClock = { now: () => now, advance: (ms) => (now = new Date(now.getTime() + ms)) };
  let inventory: InventoryWiring | undefined;
  try {
    inventory = await createInventory({
      env: {
        DATABASE_URL: database.url,
        GRPC_HOST: "127.0.0.1",
        GRPC_PORT: "0",
        OPS_HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        // Nothing listens on port 1: the consumers keep reconnecting, quietly, until the test stops.
        ORDERS_ADDR: "127.0.0.1:1",
        CATALOG_ADDR: "127.0.0.1:1",
        INVENTORY_SWEEP_INTERVAL_MS: "3600000",
        ...env,
      },
      now: clock.now,
      sweepBatchSize,
    });
    const { service } = inventory;
    const { rpcPort } = await service.start();
    return {
      ...inventory,
      db: service.db,
      clock,
      database,
      rpcPort,
      async close() {
        await service.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await inventory?.service.stop();
    await database.drop();
    throw error;
  }
}
