import { InventoryService } from "@tessera/contracts/inventory/v1";
import { createService } from "@tessera/kit";
import { InventoryConfig } from "./config.ts";
import {
  catalogProducts,
  productChangedHandler,
  sagaCommandHandler,
  sagaCommands,
} from "./event-handlers.ts";
import { startExpirySweep } from "./expiry-sweep.ts";
import { Reservations } from "./reservations.ts";
import { inventoryHandlers } from "./rpc.ts";
import { StockAdmin } from "./stock-admin.ts";
import { StockStore } from "./stock-store.ts";

const service = await createService({
  name: "inventory",
  config: InventoryConfig,
  database: { migrations: new URL("../migrations", import.meta.url) },
  producers: { orders: (config) => config.ORDERS_ADDR, catalog: (config) => config.CATALOG_ADDR },
});
const { config, db, log, publish } = service;
const store = new StockStore(db);
const admin = new StockAdmin({ db, store, initialStock: BigInt(config.INVENTORY_INITIAL_STOCK) });
const reservations = new Reservations({
  db,
  store,
  publish,
  log,
  defaultTtlSeconds: config.INVENTORY_RESERVATION_TTL_SECONDS,
});
service.serve(InventoryService, inventoryHandlers(admin));
service.subscribe("saga-commands", sagaCommands, sagaCommandHandler(reservations));
service.subscribe("catalog-products", catalogProducts, productChangedHandler(admin));
await service.start();
const sweep = startExpirySweep({ reservations, intervalMs: config.INVENTORY_SWEEP_INTERVAL_MS, log });
service.onStop(() => sweep.stop());
