import { newId } from "@tessera/kit";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CartLine } from "../cart-rules.ts";
import type { CartStore } from "../cart-store.ts";

/** A store of the implementation under test whose carts expire `ttlMs` after their last change. */
export type MakeStore = (options: { ttlMs: number }) => CartStore;

const t0 = new Date("2025-03-01T10:00:00.000Z");

export const sampleLine = (n: number, overrides: Partial<CartLine> = {}): CartLine => ({
  productId: `0195a3c0-0000-7000-8000-${n.toString().padStart(12, "0")}`,
  sku: `SKU-${n}`,
  name: `Product ${n}`,
  quantity: 1,
  unitPriceMinor: 1_999n,
  currency: "USD",
  addedAt: new Date(t0.getTime() + n * 1_000),
  ...overrides,
});

/**
 * What every CartStore must do, run against each implementation (Redis and PostgreSQL) so the
 * two modes behave alike. Call inside a `describe` whose `beforeAll` prepared what `make` needs.
 */
export function cartStoreContract(make: MakeStore): void {
  let store: CartStore;
  let shortLived: CartStore;
  const ttlMs = 800;

  beforeAll(() => {
    store = make({ ttlMs: 30 * 86_400_000 });
    shortLived = make({ ttlMs });
  });

  afterAll(async () => {
    await store?.close();
    await shortLived?.close();
  });

  describe("the CartStore contract", () => {
    it("has an empty cart for a user it never saw", async () => {
      expect(await store.get(newId())).toEqual([]);
    });

    it("keeps the lines an update writes, oldest first, with prices beyond 2^53 intact", async () => {
      const user = newId();
      const lines = [
        sampleLine(3, { name: 'Tent "Ultra" ⛺ — 2 persons', quantity: 99 }),
        sampleLine(1, { unitPriceMinor: 2n ** 62n }),
        sampleLine(2, { currency: "USD", sku: "A-B-C" }),
      ];
      const written = await store.update(user, () => lines);
      const expected = [lines[1], lines[2], lines[0]];
      expect(written).toEqual(expected);
      expect(await store.get(user)).toEqual(expected);
    });

    it("hands the current lines to the change and writes exactly what it returns", async () => {
      const user = newId();
      await store.update(user, () => [sampleLine(1), sampleLine(2)]);
      let seen: readonly CartLine[] = [];
      await store.update(user, (lines) => {
        seen = lines;
        return [{ ...sampleLine(2), quantity: 5 }, sampleLine(3)];
      });
      expect(seen).toEqual([sampleLine(1), sampleLine(2)]);
      expect(await store.get(user)).toEqual([{ ...sampleLine(2), quantity: 5 }, sampleLine(3)]);
    });

    it("changes nothing when the change throws", async () => {
      const user = newId();
      await store.update(user, () => [sampleLine(1)]);
      const refused = store.update(user, () => {
        throw new Error("refused");
      });
      await expect(refused).rejects.toThrow("refused");
      expect(await store.get(user)).toEqual([sampleLine(1)]);
    });

    it("empties the cart when the change leaves no lines", async () => {
      const user = newId();
      await store.update(user, () => [sampleLine(1)]);
      expect(await store.update(user, () => [])).toEqual([]);
      expect(await store.get(user)).toEqual([]);
      expect(await store.update(user, (lines) => [...lines, sampleLine(2)])).toEqual([sampleLine(2)]);
    });

    it("clears a cart, and clearing it again or clearing an unknown cart is harmless", async () => {
      const user = newId();
      await store.update(user, () => [sampleLine(1), sampleLine(2)]);
      await store.clear(user);
      expect(await store.get(user)).toEqual([]);
      await store.clear(user);
      await store.clear(newId());
      expect(await store.get(user)).toEqual([]);
    });

    it("keeps every user's cart apart", async () => {
      const [alice, bob] = [newId(), newId()];
      await store.update(alice, () => [sampleLine(1)]);
      await store.update(bob, () => [sampleLine(2)]);
      await store.clear(alice);
      expect(await store.get(alice)).toEqual([]);
      expect(await store.get(bob)).toEqual([sampleLine(2)]);
    });

    it("applies concurrent changes of one cart one after the other, losing none", async () => {
      const user = newId();
      const increment = (lines: readonly CartLine[]) => {
        const line = lines.find((l) => l.productId === sampleLine(1).productId) ?? {
          ...sampleLine(1),
          quantity: 0,
        };
        return [...lines.filter((l) => l !== line), { ...line, quantity: line.quantity + 1 }];
      };
      const others = Array.from({ length: 8 }, (_, i) => sampleLine(10 + i));
      await Promise.all([
        ...Array.from({ length: 8 }, () => store.update(user, increment)),
        ...others.map((line) => store.update(user, (lines) => [...lines, line])),
      ]);
      const lines = await store.get(user);
      expect(lines.find((l) => l.productId === sampleLine(1).productId)?.quantity).toBe(8);
      expect(lines).toHaveLength(9);
      for (const line of others) expect(lines).toContainEqual(line);
    });

    it("drops a cart its time to live after the last change, and every change restarts that time", async () => {
      const user = newId();
      await shortLived.update(user, () => [sampleLine(1)]);
      await sleep(ttlMs / 2);
      await shortLived.update(user, (lines) => [...lines, sampleLine(2)]);
      await sleep(ttlMs * 0.75);
      expect(await shortLived.get(user)).toHaveLength(2);
      await sleep(ttlMs);
      expect(await shortLived.get(user)).toEqual([]);
      // An expired cart starts afresh rather than reviving its old lines.
      expect(await shortLived.update(user, (lines) => [...lines, sampleLine(3)])).toEqual([sampleLine(3)]);
    });
  });
}
