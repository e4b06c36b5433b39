import { ProductChangedSchema } from "@tessera/contracts/catalog/v1";
import { CommitStockSchema, ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { newId, type Service } from "@tessera/kit";
import { startTestProducer, type TestProducer } from "@tessera/kit/testing";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishedAbout, startTestInventory, type TestInventory } from "./test-inventory.ts";

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

describe("events from the catalog and the orders service, over the direct transport", () => {
  const producers: TestProducer[] = [];
  let catalog: Service<unknown>;
  let orders: Service<unknown>;
  let inventory: TestInventory;

  beforeAll(async () => {
    const catalogProducer = await startTestProducer("catalog");
    producers.push(catalogProducer);
    const ordersProducer = await startTestProducer("orders");
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
    for (const producer of producers) await producer.stop();
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
