import { InventoryService } from "@tessera/contracts/inventory/v1";
import { createService } from "@tessera/kit";
import { InventoryConfig } from "./config.ts";
import {
  catalogProducts,
  productChangedHandler,
  sagaCommandHandler,
  sagaCommands,
} from "./event-handlers.ts";
import { releaseExpired } from "./expiry-sweep.ts";
import { Reservations } from "./reservations.ts";
import { inventoryHandlers } from "./rpc.ts";
import { StockAdmin } from "./stock-admin.ts";
import { StockStore } from "./stock-store.ts";

export interface CreateInventoryOptions {
  /** The environment to read; `process.env` when omitted (a bad value then exits the process). */
  env?: Record<string, string | undefined>;
  /** Tests: the clock of reservations and of the expiry sweep. */
  now?: () => Date;
  /** Tests: holds the expiry sweep releases per batch (100). */
  sweepBatchSize?: number;
}

/**
 * Builds the inventory service: the stock RPCs, the saga-commands and catalog-products
 * subscriptions and the expiry sweep. main.ts calls this, and so do the tests; the caller starts
 * the service.
 */
export async function createInventory({ env, now, sweepBatchSize }: CreateInventoryOptions = {}) {
  const service = await createService({
    name: "inventory",
    config: InventoryConfig,
    database: { migrations: new URL("../migrations", import.meta.url) },
    producers: { orders: (config) => config.ORDERS_ADDR, catalog: (config) => config.CATALOG_ADDR },
    env,
  });
  const { config, db, log, publish } = service;
  const store = new StockStore(db);
  const admin = new StockAdmin({
    db,
    store,
    initialStock: BigInt(config.INVENTORY_INITIAL_STOCK),
    pageTokenKey: service.pageTokenKey,
  });
  const reservations = new Reservations({
    db,
    store,
    publish,
    log,
    defaultTtlSeconds: config.INVENTORY_RESERVATION_TTL_SECONDS,
    now,
  });
  service.serve(InventoryService, inventoryHandlers(admin));
  service.subscribe("saga-commands", sagaCommands, sagaCommandHandler(reservations));
  service.subscribe("catalog-products", catalogProducts, productChangedHandler(admin));
  service.every("expiry-sweep", config.INVENTORY_SWEEP_INTERVAL_MS, (signal) =>
    releaseExpired({ reservations, log, signal, batchSize: sweepBatchSize }),
  );
  return { service, store, admin, reservations };
}

export type InventoryWiring = Awaited<ReturnType<typeof createInventory>>;
