import { ProductChangedSchema } from "@tessera/contracts/catalog/v1";
import { CommitStockSchema, ReserveStockSchema } from "@tessera/contracts/orders/v1";
import { newId, type Service } from "@tessera/kit";
import { publishedAbout, startTestProducer, type TestProducer, waitFor } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInventory, type TestInventory } from "./testing/test-service.ts";

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
    const seeded = await waitFor("stock seeded for FLOW-TENT", async () => {
      const stock = await inventory.store.stockOf(["FLOW-TENT"]);
      return stock.length === 1 ? stock : undefined;
    });
    expect(seeded).toMatchObject([{ onHand: 100n, received: 100n }]);

    const orderId = newId();
    await orders.db.tx(async (tx) => {
      const lines = [{ sku: "FLOW-TENT", quantity: 2 }];
      await orders.publish(tx, ReserveStockSchema, { orderId, lines }, { subject: orderId });
      await orders.publish(tx, CommitStockSchema, { orderId }, { subject: orderId });
    });
    const answers = await waitFor("inventory to answer both commands", async () => {
      const events = await publishedAbout(inventory.db, orderId);
      return events.length === 2 ? events : undefined;
    });
    expect(answers.map((e) => e.type)).toEqual(["StockReserved", "StockCommitted"]);
    expect(await inventory.store.stockOf(["FLOW-TENT"])).toMatchObject([
      { onHand: 98n, reserved: 0n, committed: 2n, received: 100n },
    ]);
  });
});
