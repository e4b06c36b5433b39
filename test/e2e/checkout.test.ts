import { CatalogService } from "@tessera/contracts/catalog/v1";
import { limits } from "@tessera/contracts/limits";
import type { RunningSystem } from "@tessera/dev-runner";
import { createClient } from "@tessera/kit";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cards,
  checkoutSteps,
  modes,
  startCheckoutSystem,
  type Cart,
  type CheckoutSystem,
  type Problem,
} from "../support/checkout-system.ts";
import { waitUntil } from "../support/polling.ts";

// Checkout end to end, in embedded mode, through the gateway: the saga across orders, inventory,
// payments, cart and notifications as separate processes, with the consistency checker after each.

describe.each(modes)("checkout end to end ($name)", (mode) => {
  let running: CheckoutSystem | undefined;
  let system: RunningSystem;
  let api: CheckoutSystem["api"];
  let addresses: CheckoutSystem["addresses"];
  let products: CheckoutSystem["products"];

  beforeAll(async () => {
    running = await startCheckoutSystem(mode);
    ({ system, api, addresses, products } = running);
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  const { settled, addToCart, checkout, consistent, expectOneOrderChargedOnce, stockOf } = checkoutSteps(
    () => running!,
  );

  it("browses, adds to the cart, checks out and ends CONFIRMED with a notification", async () => {
    const user = `alice-${randomUUID().slice(0, 8)}`;
    const tent = products.find((p) => p.sku === "TENT-2P-ULTRA")!;
    const before = await stockOf(tent.sku);
    await addToCart(user, tent, 2);
    const placed = await checkout(user, randomUUID(), cards.approve);
    expect(placed.status).toBe(201);
    expect(placed.body.total.amountMinor).toBe(tent.price.amountMinor * 2);
    const done = await settled(user, placed.body.id);
    expect(done.status).toBe("confirmed");
    await waitUntil(
      "the confirmation notification",
      async () => {
        const { body } = await api<{ notifications: { orderId: string; kind: string }[] }>(
          "GET",
          "/api/v1/notifications",
          { user },
        );
        return body.notifications.find((n) => n.orderId === done.id && n.kind === "order_confirmed");
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    await waitUntil(
      "the cart to be cleared",
      async () =>
        (await api<Cart>("GET", "/api/v1/cart", { user })).body.items.length === 0 ? true : undefined,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    await consistent();
    const after = await stockOf(tent.sku);
    expect(after.committed - before.committed).toBe(2n);
    expect(after.onHand).toBe(before.onHand - 2n);
  });

  it("rejects an order paid with a declined card and releases its stock", async () => {
    const user = `bob-${randomUUID().slice(0, 8)}`;
    const lamp = products.find((p) => p.sku === "LANTERN-LED")!;
    const before = await stockOf(lamp.sku);
    await addToCart(user, lamp, 1);
    const placed = await checkout(user, randomUUID(), cards.decline);
    const done = await settled(user, placed.body.id);
    expect(done.status).toBe("rejected");
    expect(done.reason).not.toBe("");
    await waitUntil(
      "the reservation to be released",
      async () => ((await stockOf(lamp.sku)).reserved === before.reserved ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect((await stockOf(lamp.sku)).onHand).toBe(before.onHand);
    await consistent();
  });

  it("places one order and charges once when the same checkout is posted twice with one key", async () => {
    const user = `carol-${randomUUID().slice(0, 8)}`;
    const mug = products.find((p) => p.sku === "MUG-INSUL-350")!;
    await addToCart(user, mug, 1);
    const key = randomUUID();
    const both = await Promise.all([checkout(user, key, cards.approve), checkout(user, key, cards.approve)]);
    // The one that came second got the same order, or was told the first is still being handled.
    const first = both.find(
      (reply) => reply.status === 201 && reply.headers.get("idempotent-replayed") === null,
    )!;
    expect(first.body.id).toBeDefined();
    for (const reply of both) {
      if (reply === first) continue;
      if (reply.status === 201) expect(reply.body.id).toBe(first.body.id);
      else
        expect(reply.body).toMatchObject({ status: 409, type: "urn:tessera:problem:idempotency-key-in-use" });
    }
    const third = await checkout(user, key, cards.approve);
    expect(third.body.id).toBe(first.body.id);
    expect(third.headers.get("idempotent-replayed")).toBe("true");
    // The same key with another request is refused, and changes nothing.
    const changed = await checkout(user, key, cards.decline);
    expect(changed.status).toBe(422);
    expect((changed.body as unknown as Problem).type).toBe("urn:tessera:problem:idempotency-key-reused");
    expect((await settled(user, first.body.id)).status).toBe("confirmed");
    await expectOneOrderChargedOnce(user, first.body.id);
    await consistent();
  });

  it("makes one order of one cart, however many checkouts with their own keys race", async () => {
    const user = `erin-${randomUUID().slice(0, 8)}`;
    const bottle = products.find((p) => p.sku === "BOTTLE-STEEL-1L")!;
    await addToCart(user, bottle, 1);
    const replies = await Promise.all(
      Array.from({ length: 32 }, () => checkout(user, randomUUID(), cards.approve)),
    );
    const placed = replies.filter((reply) => reply.status === 201);
    expect(placed).toHaveLength(1);
    for (const reply of replies.filter((r) => r.status !== 201)) {
      expect(reply.status).toBe(409);
      // Refused as an order of a cart already ordered, or, once OrderPlaced emptied it, as empty.
      expect((reply.body as unknown as Problem).type).toMatch(/cart-already-ordered|cart-empty/);
    }
    const orderId = placed[0]!.body.id;
    expect((await settled(user, orderId)).status).toBe("confirmed");
    await expectOneOrderChargedOnce(user, orderId);
    await consistent();
  });

  it("charges the catalog's current price, and the cart shows the change before checkout", async () => {
    const user = `frank-${randomUUID().slice(0, 8)}`;
    const pad = products.find((p) => p.sku === "PAD-INSUL-R4")!;
    const catalog = createClient(CatalogService, addresses.catalog, { credentials: running!.credentials });
    const original = { currencyCode: pad.price.currencyCode, amountMinor: BigInt(pad.price.amountMinor) };
    try {
      await addToCart(user, pad, 2);
      const raised = original.amountMinor * 900n;
      await catalog.updateProductPrice({ id: pad.id, price: { ...original, amountMinor: raised } });
      const { body: cart } = await api<Cart>("GET", "/api/v1/cart", { user });
      expect(cart.pricesCurrent).toBe(true);
      expect(cart.items[0]).toMatchObject({
        priceChanged: true,
        unitPrice: { amountMinor: Number(raised) },
        addedUnitPrice: { amountMinor: pad.price.amountMinor },
      });
      const placed = await checkout(user, randomUUID(), cards.approve);
      expect(placed.status).toBe(201);
      expect(placed.body.total.amountMinor).toBe(Number(raised) * 2);
      expect(placed.body.items[0]?.unitPrice.amountMinor).toBe(Number(raised));
      expect((await settled(user, placed.body.id)).status).toBe("confirmed");

      // A total one payment cannot take is refused up front, naming the limit.
      await waitUntil(
        "the ordered cart to be emptied",
        async () =>
          (await api<Cart>("GET", "/api/v1/cart", { user })).body.items.length === 0 ? true : undefined,
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      await catalog.updateProductPrice({
        id: pad.id,
        price: { ...original, amountMinor: limits.unitPriceMinor.max },
      });
      await addToCart(user, pad, 2);
      const tooDear = await checkout(user, randomUUID(), cards.approve);
      expect(tooDear.status).toBe(422);
      expect(tooDear.body as unknown as Problem).toMatchObject({
        type: "urn:tessera:problem:order-total-out-of-range",
        detail: expect.stringMatching(/10,000,000,000/),
      });
    } finally {
      await catalog.updateProductPrice({ id: pad.id, price: original });
      catalog.close();
    }
    await consistent();
  });

  it("completes an order when inventory is killed during its checkout and restarted", async () => {
    const user = `dave-${randomUUID().slice(0, 8)}`;
    const stove = products.find((p) => p.sku === "STOVE-CANISTER")!;
    await addToCart(user, stove, 1);
    const inventoryPid = system.statuses.get("inventory")!.pid!;
    const placed = await checkout(user, randomUUID(), cards.approve);
    process.kill(inventoryPid, "SIGKILL");
    await waitUntil(
      "the runner to restart inventory",
      () => {
        const status = system.statuses.get("inventory");
        return status?.state === "ready" && status.pid !== inventoryPid ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect((await settled(user, placed.body.id)).status).toBe("confirmed");
    await consistent();
  });
});
