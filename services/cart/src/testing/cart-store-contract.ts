import { newId } from "@tessera/kit";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CartLine } from "../cart-rules.ts";
import { changeLines, emptyCart, type CartStore } from "../cart-store.ts";
import { cartVersion, ifVersion } from "../cart-version.ts";

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

/** A change that keeps the cart's id and sets its lines. */
export const setLines = (lines: readonly CartLine[] | ((current: readonly CartLine[]) => CartLine[])) =>
  changeLines(typeof lines === "function" ? lines : () => [...lines]);

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
    it("lets exactly one of concurrent writers expecting the same version win; the others are aborted", async () => {
      const user = newId();
      const read = await store.update(user, setLines([sampleLine(1)]));
      expect(cartVersion(await store.get(user))).toBe(cartVersion(read));
      const writes = [2, 3, 4, 5, 6].map((quantity) =>
        store.update(user, ifVersion(cartVersion(read), setLines([sampleLine(1, { quantity })]))),
      );
      const results = await Promise.allSettled(writes);
      const won = results.filter((result) => result.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const result of results) {
        if (result.status === "rejected") {
          expect(result.reason).toMatchObject({ code: "aborted", reason: "cart-version-mismatch" });
        }
      }
      expect((await store.get(user)).lines).toEqual(won[0]?.value.lines);
    });

    it("has an empty cart for a user it never saw", async () => {
      expect(await store.get(newId())).toEqual(emptyCart);
    });

    it("keeps the lines an update writes, oldest first, with prices beyond 2^53 intact", async () => {
      const user = newId();
      const lines = [
        sampleLine(3, { name: 'Tent "Ultra" ⛺ — 2 persons', quantity: 99 }),
        sampleLine(1, { unitPriceMinor: 2n ** 62n }),
        sampleLine(2, { currency: "USD", sku: "A-B-C" }),
      ];
      const written = await store.update(user, setLines(lines));
      const expected = [lines[1], lines[2], lines[0]];
      expect(written.lines).toEqual(expected);
      expect(await store.get(user)).toEqual(written);
    });

    it("hands the current lines to the change and writes exactly what it returns", async () => {
      const user = newId();
      await store.update(user, setLines([sampleLine(1), sampleLine(2)]));
      let seen: readonly CartLine[] = [];
      await store.update(
        user,
        setLines((lines) => {
          seen = lines;
          return [{ ...sampleLine(2), quantity: 5 }, sampleLine(3)];
        }),
      );
      expect(seen).toEqual([sampleLine(1), sampleLine(2)]);
      expect((await store.get(user)).lines).toEqual([{ ...sampleLine(2), quantity: 5 }, sampleLine(3)]);
    });

    it("changes nothing when the change throws", async () => {
      const user = newId();
      await store.update(user, setLines([sampleLine(1)]));
      const before = await store.get(user);
      const refused = store.update(user, () => {
        throw new Error("refused");
      });
      await expect(refused).rejects.toThrow("refused");
      expect(await store.get(user)).toEqual(before);
      expect(before.lines).toEqual([sampleLine(1)]);
    });

    it("empties the cart when the change leaves no lines", async () => {
      const user = newId();
      await store.update(user, setLines([sampleLine(1)]));
      expect(await store.update(user, setLines([]))).toEqual(emptyCart);
      expect(await store.get(user)).toEqual(emptyCart);
      expect(
        (
          await store.update(
            user,
            setLines((lines) => [...lines, sampleLine(2)]),
          )
        ).lines,
      ).toEqual([sampleLine(2)]);
    });

    it("clears a cart, and clearing it again or clearing an unknown cart is harmless", async () => {
      const user = newId();
      await store.update(user, setLines([sampleLine(1), sampleLine(2)]));
      await store.clear(user);
      expect(await store.get(user)).toEqual(emptyCart);
      await store.clear(user);
      await store.clear(newId());
      expect(await store.get(user)).toEqual(emptyCart);
    });

    it("gives a cart an id when it gets lines, keeps it through changes, and a new one after it was emptied", async () => {
      const user = newId();
      const first = await store.update(user, setLines([sampleLine(1)]));
      expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
      const changed = await store.update(
        user,
        setLines((lines) => [...lines, sampleLine(2)]),
      );
      expect(changed.id).toBe(first.id);
      expect((await store.get(user)).id).toBe(first.id);
      await store.clear(user);
      const next = await store.update(user, setLines([sampleLine(1)]));
      expect(next.id).not.toBe(first.id);
    });

    it("writes the id a change asks for, and a new one when the change gives none", async () => {
      const user = newId();
      const first = await store.update(user, setLines([sampleLine(1)]));
      const renewed = await store.update(user, (cart) => ({ id: "", lines: cart.lines }));
      expect(renewed.id).not.toBe(first.id);
      expect(renewed.id).not.toBe("");
      expect(await store.get(user)).toEqual(renewed);
    });

    it("keeps every user's cart apart", async () => {
      const [alice, bob] = [newId(), newId()];
      await store.update(alice, setLines([sampleLine(1)]));
      await store.update(bob, setLines([sampleLine(2)]));
      await store.clear(alice);
      expect(await store.get(alice)).toEqual(emptyCart);
      expect((await store.get(bob)).lines).toEqual([sampleLine(2)]);
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
        ...Array.from({ length: 8 }, () => store.update(user, setLines(increment))),
        ...others.map((line) =>
          store.update(
            user,
            setLines((lines) => [...lines, line]),
          ),
        ),
      ]);
      const { lines } = await store.get(user);
      expect(lines.find((l) => l.productId === sampleLine(1).productId)?.quantity).toBe(8);
      expect(lines).toHaveLength(9);
      for (const line of others) expect(lines).toContainEqual(line);
    });

    it("drops a cart its time to live after the last change, and every change restarts that time", async () => {
      const user = newId();
      await shortLived.update(user, setLines([sampleLine(1)]));
      await sleep(ttlMs / 2);
      await shortLived.update(
        user,
        setLines((lines) => [...lines, sampleLine(2)]),
      );
      await sleep(ttlMs * 0.75);
      const live = await shortLived.get(user);
      expect(live.lines).toHaveLength(2);
      await sleep(ttlMs);
      expect(await shortLived.get(user)).toEqual(emptyCart);
      // An expired cart starts afresh rather than reviving its old lines or its id.
      const fresh = await shortLived.update(
        user,
        setLines((lines) => [...lines, sampleLine(3)]),
      );
      expect(fresh.lines).toEqual([sampleLine(3)]);
      expect(fresh.id).not.toBe(live.id);
    });
  });
}
