import { checkConsistency, type Addresses } from "@tessera/checker";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { InventoryService } from "@tessera/contracts/inventory/v1";
import { limits } from "@tessera/contracts/limits";
import { PaymentsService } from "@tessera/contracts/payments/v1";
import type { RunningSystem } from "@tessera/dev-runner";
import { createClient } from "@tessera/kit";
import { createTestDatabase } from "@tessera/kit/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../support/polling.ts";
import { startTestSystem, type TestSystem } from "../support/system.ts";

// Checkout end to end, in embedded mode, through the gateway: the saga across orders, inventory,
// payments, cart and notifications as separate processes, with the consistency checker after each.

const cards = { approve: "tok_visa_approve", decline: "tok_card_declined" };
const natsUrl = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
const STEP_TIMEOUT_MS = 20_000;

interface Product {
  id: string;
  sku: string;
  price: { amountMinor: number; currencyCode: string };
}
interface Order {
  id: string;
  status: string;
  total: { amountMinor: number };
  reason: string;
  lines: { productId: string; unitPrice: { amountMinor: number } }[];
}
interface Cart {
  items: {
    productId: string;
    quantity: number;
    unitPrice: { amountMinor: number };
    addedUnitPrice: { amountMinor: number };
    priceChanged: boolean;
  }[];
  pricesCurrent: boolean;
}
interface Problem {
  type: string;
  status: number;
  detail: string;
}

/**
 * Where the system runs. Embedded: what `npm start` does (embedded PostgreSQL, direct event
 * streams, carts in PostgreSQL). Infrastructure: the local PostgreSQL server (a fresh database per
 * service, dropped afterwards), NATS JetStream (streams under a prefix of this run) and Redis for
 * carts (keys under a prefix of this run).
 */
interface Mode {
  name: string;
  prepare: () => Promise<{ env: Record<string, string>; cleanUp: () => Promise<void> }>;
}

const services = ["catalog", "cart", "inventory", "orders", "payments", "notifications"];

const modes: Mode[] = [
  { name: "embedded", prepare: () => Promise.resolve({ env: {}, cleanUp: () => Promise.resolve() }) },
  {
    name: "PostgreSQL + NATS + Redis",
    async prepare() {
      const run = `e2e${randomUUID().slice(0, 8)}`;
      const databases = await Promise.all(services.map((name) => createTestDatabase(`${run}_${name}`)));
      const env: Record<string, string> = {
        EVENTS_TRANSPORT: "nats",
        NATS_URL: natsUrl,
        EVENTS_PREFIX: run,
        // A crashed consumer's unacknowledged events come back after this; well within a saga step.
        EVENTS_ACK_WAIT_MS: "3000",
        REDIS_URL: redisUrl,
        CART_REDIS_PREFIX: `${run}:cart:`,
      };
      services.forEach((name, i) => (env[`DATABASE_URL_${name.toUpperCase()}`] = databases[i]!.url));
      return {
        env,
        cleanUp: async () => {
          await Promise.all(databases.map((database) => database.drop()));
          const connection = await connect({ servers: natsUrl });
          const manager = await jetstreamManager(connection);
          for await (const stream of manager.streams.list()) {
            if (stream.config.name.startsWith(run.toUpperCase()))
              await manager.streams.delete(stream.config.name);
          }
          await connection.close();
          const redis = new Redis(redisUrl);
          const keys = await redis.keys(`${run}:*`);
          if (keys.length > 0) await redis.del(...keys);
          redis.disconnect();
        },
      };
    },
  },
];

describe.each(modes)("checkout end to end ($name)", (mode) => {
  let cleanUp: (() => Promise<void>) | undefined;
  let running: TestSystem | undefined;
  let system: RunningSystem;
  let api: TestSystem["api"];
  let addresses: Addresses & { cart: string; catalog: string };
  let products: Product[];

  beforeAll(async () => {
    const prepared = await mode.prepare();
    cleanUp = prepared.cleanUp;
    running = await startTestSystem({
      name: "checkout",
      env: { ...process.env, ...prepared.env, ORDERS_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS) },
    });
    ({ system, api, products } = running);
    const { address } = running;
    addresses = {
      orders: address("orders"),
      inventory: address("inventory"),
      payments: address("payments"),
      cart: address("cart"),
      catalog: address("catalog"),
    };
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
    await cleanUp?.();
  }, 60_000);

  const order = (user: string, id: string) => api<Order>("GET", `/api/v1/orders/${id}`, { user });
  const settled = (user: string, id: string) =>
    waitUntil(
      `order ${id} to settle`,
      async () => {
        const { body } = await order(user, id);
        return ["confirmed", "rejected", "cancelled"].includes(body.status) ? body : undefined;
      },
      { timeoutMs: STEP_TIMEOUT_MS * 2, intervalMs: 200 },
    );
  const addToCart = async (user: string, product: Product, quantity: number) => {
    const reply = await api<Cart>("POST", "/api/v1/cart/items", {
      user,
      body: { productId: product.id, quantity },
    });
    expect(reply.status).toBe(200);
  };
  const checkout = (user: string, key: string, cardToken: string) =>
    api<Order>("POST", "/api/v1/checkout", {
      user,
      body: { cardToken },
      headers: { "idempotency-key": key },
    });
  /** The asynchronous tail (capture, stock commit) settles shortly after an order does. */
  const consistent = () =>
    waitUntil(
      "the system to be consistent",
      async () => {
        const report = await checkConsistency(addresses, { stepTimeoutMs: STEP_TIMEOUT_MS });
        if (report.violations.length > 0) throw new Error(report.text);
        return report;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  /** The user has this order and no other, and payments charged it once. */
  const expectOneOrderChargedOnce = async (user: string, orderId: string) => {
    const list = await api<{ orders: Order[] }>("GET", "/api/v1/orders", { user });
    expect(list.body.orders.map((o) => o.id)).toEqual([orderId]);
    const payments = createClient(PaymentsService, addresses.payments);
    try {
      const charged = (await payments.listPayments({})).payments.filter((p) => p.orderId === orderId);
      expect(charged).toHaveLength(1);
    } finally {
      payments.close();
    }
  };
  const stockOf = async (sku: string) => {
    const inventory = createClient(InventoryService, addresses.inventory);
    try {
      const level = (await inventory.getStock({ skus: [sku] })).stock[0];
      if (!level) throw new Error(`no stock for ${sku}`);
      return level;
    } finally {
      inventory.close();
    }
  };

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
    const catalog = createClient(CatalogService, addresses.catalog);
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
      expect(placed.body.lines[0]?.unitPrice.amountMinor).toBe(Number(raised));
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
