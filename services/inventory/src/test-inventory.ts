// Test support (imported by tests only): an inventory on a fresh database of the real PostgreSQL.
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { InventoryService } from "@tessera/contracts/inventory/v1";
import {
  createService,
  newId,
  type Db,
  type EventEnvelope,
  type ReceivedEvent,
  type Service,
} from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { InventoryConfig } from "./config.ts";
import {
  catalogProducts,
  productChangedHandler,
  sagaCommandHandler,
  sagaCommands,
} from "./event-handlers.ts";
import { Reservations } from "./reservations.ts";
import { inventoryHandlers } from "./rpc.ts";
import { StockAdmin } from "./stock-admin.ts";
import { StockStore } from "./stock-store.ts";

export interface TestClock {
  now: () => Date;
  advance: (ms: number) => void;
}

export interface TestInventory {
  service: Service<InventoryConfig>;
  db: Db;
  store: StockStore;
  admin: StockAdmin;
  reservations: Reservations;
  clock: TestClock;
  database: TestDatabase;
  rpcPort: number;
  close(): Promise<void>;
}

/**
 * Wires the inventory as main.ts does, on a clock of its own. Subscriptions only when asked (with
 * ORDERS_ADDR and CATALOG_ADDR in `env`): most tests call the handlers directly.
 */
export async function startTestInventory({
  env = {},
  subscribe = false,
}: { env?: Record<string, string>; subscribe?: boolean } = {}): Promise<TestInventory> {
  const database = await createTestDatabase("inventory");
  let service: Service<InventoryConfig> | undefined;
  try {
    service = await createService({
      name: "inventory",
      config: InventoryConfig,
      database: { migrations: new URL("../migrations", import.meta.url) },
      producers: { orders: (config) => config.ORDERS_ADDR, catalog: (config) => config.CATALOG_ADDR },
      env: {
        DATABASE_URL: database.url,
        GRPC_PORT: "0",
        GRPC_HOST: "127.0.0.1",
        OPS_HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        ...env,
      },
    });
    const { config, db, log, publish } = service;
    let now = new Date();
    const clock: TestClock = { now: () => now, advance: (ms) => (now = new Date(now.getTime() + ms)) };
    const store = new StockStore(db);
    const admin = new StockAdmin({ db, store, initialStock: BigInt(config.INVENTORY_INITIAL_STOCK) });
    const reservations = new Reservations({
      db,
      store,
      publish,
      log,
      defaultTtlSeconds: config.INVENTORY_RESERVATION_TTL_SECONDS,
      now: clock.now,
    });
    service.serve(InventoryService, inventoryHandlers(admin));
    if (subscribe) {
      service.subscribe("saga-commands", sagaCommands, sagaCommandHandler(reservations));
      service.subscribe("catalog-products", catalogProducts, productChangedHandler(admin));
    }
    const { rpcPort } = await service.start();
    const started = service;
    return {
      service,
      db,
      store,
      admin,
      reservations,
      clock,
      database,
      rpcPort,
      async close() {
        await started.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await service?.stop();
    await database.drop();
    throw error;
  }
}

/** An event as a subscription handler receives it. */
export function received<D extends DescMessage>(
  schema: D,
  data: MessageInitShape<D>,
  subject: string,
): ReceivedEvent<D> {
  const envelope: EventEnvelope = {
    id: newId(),
    type: schema.typeName,
    source: "test",
    subject,
    time: new Date(),
    datacontenttype: "application/json",
    schemaVersion: 1,
    data: {},
    traceparent: "",
    position: 0n,
  };
  return { envelope, data: create(schema, data) };
}

/** The events the inventory published about `subject`, oldest first, by short type name. */
export async function publishedAbout(db: Db, subject: string): Promise<{ type: string; data: unknown }[]> {
  const { rows } = await db.query<{ type: string; data: unknown }>(
    "SELECT type, data FROM outbox WHERE subject = $1 ORDER BY id_seq",
    [subject],
  );
  return rows.map((row) => ({ type: row.type.slice(row.type.lastIndexOf(".") + 1), data: row.data }));
}
