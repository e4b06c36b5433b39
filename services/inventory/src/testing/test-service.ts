// Test support (imported by tests only): the inventory as main.ts wires it, on a fresh database.
import type { Db } from "@tessera/kit";
import { nowhere, startTestService, type StartedTestService } from "@tessera/kit/testing";
import { createInventory, type InventoryWiring } from "../wiring.ts";

export interface TestClock {
  now: () => Date;
  advance: (ms: number) => void;
}

export interface TestInventory extends StartedTestService<InventoryWiring> {
  db: Db;
  clock: TestClock;
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
  let now = new Date();
  const clock: TestClock = { now: () => now, advance: (ms) => (now = new Date(now.getTime() + ms)) };
  const inventory = await startTestService(
    "inventory",
    (env) => createInventory({ env, now: clock.now, sweepBatchSize }),
    { ORDERS_ADDR: nowhere, CATALOG_ADDR: nowhere, INVENTORY_SWEEP_INTERVAL_MS: "3600000", ...env },
  );
  return { ...inventory, db: inventory.service.db, clock, close: () => inventory.stop() };
}
