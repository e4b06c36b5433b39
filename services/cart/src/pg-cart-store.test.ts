import { createDb, migrate, newId, readMigrations, type Db } from "@tessera/kit";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyCart } from "./cart-store.ts";
import { PgCartStore } from "./pg-cart-store.ts";
import { cartStoreContract, sampleLine, setLines } from "./testing/cart-store-contract.ts";

describe("PgCartStore on a real PostgreSQL", () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase("cart_store");
    db = createDb({ connectionString: database.url });
    await migrate(db, await readMigrations(fileURLToPath(new URL("../migrations", import.meta.url))));
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  cartStoreContract(({ ttlMs }) => new PgCartStore(db, { ttlMs }));

  describe("in the service database", () => {
    let store: PgCartStore;
    beforeAll(() => {
      store = new PgCartStore(db, { ttlMs: 30 * 86_400_000 });
    });

    it("clears a cart inside the caller's transaction, so a rollback keeps it", async () => {
      const user = newId();
      await store.update(user, setLines([sampleLine(1)]));
      const rolledBack = db.tx(async (tx) => {
        await store.clear(user, tx);
        throw new Error("the event's transaction failed");
      });
      await expect(rolledBack).rejects.toThrow("failed");
      expect((await store.get(user)).lines).toEqual([sampleLine(1)]);
      await db.tx((tx) => store.clear(user, tx));
      expect(await store.get(user)).toEqual(emptyCart);
    });

    it("deletes expired carts with their lines, and only those", async () => {
      const [stale, fresh] = [newId(), newId()];
      await store.update(stale, setLines([sampleLine(1), sampleLine(2)]));
      await store.update(fresh, setLines([sampleLine(1)]));
      await db.query("UPDATE carts SET updated_at = now() - interval '31 days' WHERE user_id = $1", [stale]);
      expect(await store.get(stale)).toEqual(emptyCart);
      expect(await store.deleteExpired()).toBe(1);
      const { rows } = await db.query<{ count: bigint }>(
        "SELECT count(*) FROM cart_items WHERE user_id = ANY($1)",
        [[stale, fresh]],
      );
      expect(rows[0]?.count).toBe(1n);
      expect((await store.get(fresh)).lines).toEqual([sampleLine(1)]);
      expect(await store.deleteExpired()).toBe(0);
    });

    it("refuses what the rules never produce, as a last line of defence", async () => {
      await expect(store.update(newId(), setLines([sampleLine(1, { quantity: 100 })]))).rejects.toThrow(
        /cart_items_quantity_check/,
      );
    });
  });
});
