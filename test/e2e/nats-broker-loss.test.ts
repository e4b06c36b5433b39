import { checkConsistency, type Addresses } from "@tessera/checker";
import {
  createTestDatabase,
  startNatsServer,
  type NatsServer,
  type TestDatabase,
} from "@tessera/kit/testing";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../support/polling.ts";
import { startTestSystem, type TestSystem } from "../support/system.ts";

// The whole system on PostgreSQL + NATS + Redis, with a NATS server of this test's own that is
// killed in the middle of a burst of checkouts and comes back with an empty store — a broker that
// lost its volume. Streams and durable consumers must be declared again, and what the lost
// stream held sent again from the outboxes.

const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
const STEP_TIMEOUT_MS = 20_000;
const services = ["catalog", "cart", "inventory", "orders", "payments", "notifications"];

interface Product {
  id: string;
  sku: string;
}
interface Order {
  id: string;
  status: string;
}
interface Placed {
  id: string;
  user: string;
  startedAt: number;
}

describe("checkout when NATS loses its store in the middle of a burst", () => {
  const run = `loss${randomUUID().slice(0, 8)}`;
  let nats: NatsServer;
  let databases: TestDatabase[] = [];
  let running: TestSystem | undefined;
  let api: TestSystem["api"];
  let addresses: Addresses;
  let products: Product[];

  beforeAll(async () => {
    nats = await startNatsServer();
    databases = await Promise.all(services.map((name) => createTestDatabase(`${run}_${name}`)));
    const env: Record<string, string> = {
      EVENTS_TRANSPORT: "nats",
      NATS_URL: nats.url,
      EVENTS_PREFIX: run,
      EVENTS_ACK_WAIT_MS: "3000",
      REDIS_URL: redisUrl,
      CART_REDIS_PREFIX: `${run}:cart:`,
      ORDERS_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS),
    };
    services.forEach((name, i) => (env[`DATABASE_URL_${name.toUpperCase()}`] = databases[i]!.url));
    running = await startTestSystem({ name: "nats-loss", env: { ...process.env, ...env } });
    ({ api, products } = running);
    const { address } = running;
    addresses = { orders: address("orders"), inventory: address("inventory"), payments: address("payments") };
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
    await nats?.stop();
    await Promise.all(databases.map((database) => database.drop()));
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${run}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }, 60_000);

  /** One buyer: a new user puts one unit in the cart and checks out with a card that approves. */
  async function buy(n: number): Promise<Placed> {
    const user = `buyer-${n}-${randomUUID().slice(0, 8)}`;
    const product = products[n % products.length]!;
    const startedAt = Date.now();
    const added = await api("POST", "/api/v1/cart/items", {
      user,
      body: { productId: product.id, quantity: 1 },
    });
    if (added.status !== 200) throw new Error(`adding to the cart answered ${added.status}`);
    const placed = await api<Order>("POST", "/api/v1/checkout", {
      user,
      body: { cardToken: "tok_visa_approve" },
      headers: { "idempotency-key": randomUUID() },
    });
    if (placed.status !== 201) throw new Error(`checkout answered ${placed.status}`);
    return { id: placed.body.id, user, startedAt };
  }

  const settled = (order: Placed) =>
    waitUntil(
      `order ${order.id} to settle`,
      async () => {
        const { body } = await api<Order>("GET", `/api/v1/orders/${order.id}`, { user: order.user });
        return ["confirmed", "rejected", "cancelled"].includes(body.status) ? body : undefined;
      },
      { timeoutMs: STEP_TIMEOUT_MS * 3, intervalMs: 250 },
    );

  it("confirms every order placed after the broker came back empty, and stays consistent", async () => {
    const placed: Placed[] = [];
    let next = 0;
    let stop = false;
    // Four buyers at a time until told to stop. Checkout writes to the outbox, so it needs no broker.
    const buyers = Array.from({ length: 4 }, async () => {
      while (!stop) placed.push(await buy(next++));
    });
    await waitUntil("a first wave of orders", () => (placed.length >= 12 ? true : undefined), {
      timeoutMs: 60_000,
    });
    await nats.restart({ emptyStore: true });
    const restartedAt = Date.now();
    await waitUntil(
      "orders placed after the restart",
      () => (placed.filter((o) => o.startedAt >= restartedAt).length >= 12 ? true : undefined),
      { timeoutMs: 120_000 },
    );
    stop = true;
    await Promise.all(buyers);

    const afterwards = placed.filter((order) => order.startedAt >= restartedAt);
    const outcomes = await Promise.all(afterwards.map(settled));
    expect(outcomes.map((order) => order.status)).toEqual(afterwards.map(() => "confirmed"));
    // Orders in flight when the broker lost its store settle too: what it held is sent again.
    await Promise.all(placed.map(settled));
    await waitUntil(
      "the system to be consistent",
      async () => {
        const report = await checkConsistency(addresses, {
          stepTimeoutMs: STEP_TIMEOUT_MS,
          credentials: running!.credentials,
        });
        if (report.violations.length > 0) throw new Error(report.text);
        return report;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  }, 300_000);
});
