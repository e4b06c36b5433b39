import { ProductChangedSchema } from "@tessera/contracts/catalog/v1";
import { CommitStockSchema, ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { createService, newId, RpcServiceConfig, z, type Service } from "@tessera/kit";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishedAbout, startTestInventory, type TestInventory } from "./test-inventory.ts";

/** A stand-in for another service: only its outbox, streamed to consumers over gRPC. */
async function startProducer(name: string, migrations: string) {
  const database = await createTestDatabase(`inventory_${name}`);
  const service = await createService({
    name,
    config: RpcServiceConfig.extend({ DATABASE_URL: z.string() }),
    migrations,
    env: { DATABASE_URL: database.url, GRPC_HOST: "127.0.0.1", OPS_HOST: "127.0.0.1", LOG_LEVEL: "silent" },
  });
  const { rpcPort } = await service.start();
  return { service, database, address: `127.0.0.1:${rpcPort}` };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

describe("events from the catalog and the orders service, over the direct transport", () => {
  let emptyMigrations: string;
  const producers: { service: Service<unknown>; database: TestDatabase }[] = [];
  let catalog: Service<unknown>;
  let orders: Service<unknown>;
  let inventory: TestInventory;

  beforeAll(async () => {
    emptyMigrations = await mkdtemp(join(tmpdir(), "inventory-producer-"));
    const catalogProducer = await startProducer("catalog", emptyMigrations);
    producers.push(catalogProducer);
    const ordersProducer = await startProducer("orders", emptyMigrations);
    producers.push(ordersProducer);
    catalog = catalogProducer.service;
    orders = ordersProducer.service;
    inventory = await startTestInventory({
      subscribe: true,
      env: { CATALOG_ADDR: catalogProducer.address, ORDERS_ADDR: ordersProducer.address },
    });
  });

  afterAll(async () => {
    await inventory?.close();
    for (const { service, database } of producers) {
      await service.stop();
      await database.drop();
    }
    if (emptyMigrations) await rm(emptyMigrations, { recursive: true, force: true });
  });

  it("seeds a new product's stock, then holds and commits an order's units, answering each command", async () => {
    const productId = newId();
    await catalog.db.tx((tx) =>
      catalog.publish(
        tx,
        ProductChangedSchema,
        {
          productId,
          sku: "FLOW-TENT",
          name: "Flow tent",
          price: { currencyCode: "USD", amountMinor: 19_900n },
          created: true,
        },
        { subject: productId },
      ),
    );
    const seeded = await eventually(
      () => inventory.store.stockOf(["FLOW-TENT"]),
      (stock) => stock.length === 1,
    );
    expect(seeded).toMatchObject([{ onHand: 100n, received: 100n }]);

    const orderId = newId();
    await orders.db.tx(async (tx) => {
      const lines = [{ sku: "FLOW-TENT", quantity: 2 }];
      await orders.publish(tx, ReserveStockSchema, { orderId, lines }, { subject: orderId });
      await orders.publish(tx, CommitStockSchema, { orderId }, { subject: orderId });
    });
    const answers = await eventually(
      () => publishedAbout(inventory.db, orderId),
      (events) => events.length === 2,
    );
    expect(answers.map((e) => e.type)).toEqual(["StockReserved", "StockCommitted"]);
    expect(await inventory.store.stockOf(["FLOW-TENT"])).toMatchObject([
      { onHand: 98n, reserved: 0n, committed: 2n, received: 100n },
    ]);
  });
});
