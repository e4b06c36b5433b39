import { checkConsistency, type Addresses } from "@tessera/checker";
import { InventoryService } from "@tessera/contracts/inventory/v1";
import { PaymentsService } from "@tessera/contracts/payments/v1";
import { createClient, listAll } from "@tessera/kit";
import { createTestDatabase } from "@tessera/kit/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { waitUntil } from "./polling.ts";
import { startTestSystem, type SeededProduct, type TestSystem } from "./system.ts";

// The checkout system test's set-up: the whole system started in one of two modes, and the steps of
// a purchase through the gateway.

export const cards = { approve: "tok_visa_approve", decline: "tok_card_declined" };
const natsUrl = process.env["NATS_URL"] ?? "nats://127.0.0.1:4222";
const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
const STEP_TIMEOUT_MS = 20_000;

export interface Order {
  id: string;
  status: string;
  total: { amountMinor: number };
  reason: { code: string; message: string } | null;
  items: { productId: string; unitPrice: { amountMinor: number } }[];
}
export interface Cart {
  items: {
    productId: string;
    quantity: number;
    unitPrice: { amountMinor: number };
    addedUnitPrice: { amountMinor: number };
    priceChanged: boolean;
  }[];
  pricesCurrent: boolean;
}
export interface Problem {
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
export interface Mode {
  name: string;
  prepare: () => Promise<{ env: Record<string, string>; cleanUp: () => Promise<void> }>;
}

const services = ["catalog", "cart", "inventory", "orders", "payments", "notifications"];

export const modes: Mode[] = [
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

export interface CheckoutSystem extends TestSystem {
  addresses: Addresses & { cart: string; catalog: string };
  /** Stops the system, then removes what its mode prepared. */
  stop(): Promise<void>;
}

/** Prepares the mode and starts the system in it, saga steps timing out after STEP_TIMEOUT_MS. */
export async function startCheckoutSystem(mode: Mode): Promise<CheckoutSystem> {
  const prepared = await mode.prepare();
  let running: TestSystem;
  try {
    running = await startTestSystem({
      name: "checkout",
      env: { ...process.env, ...prepared.env, ORDERS_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS) },
    });
  } catch (error) {
    await prepared.cleanUp();
    throw error;
  }
  const { address } = running;
  return {
    ...running,
    addresses: {
      orders: address("orders"),
      inventory: address("inventory"),
      payments: address("payments"),
      cart: address("cart"),
      catalog: address("catalog"),
    },
    async stop() {
      await running.stop();
      await prepared.cleanUp();
    },
  };
}

/** A purchase step by step, on the system `current` returns (started before any step runs). */
export function checkoutSteps(current: () => CheckoutSystem) {
  const api = <T>(...args: Parameters<TestSystem["api"]>) => current().api<T>(...args);
  const finished = ["confirmed", "rejected", "cancelled"];
  /** The order once final, followed over its Server-Sent Events (reopened when a stream ends at its lifetime). */
  const settled = async (user: string, id: string) => {
    const signal = AbortSignal.timeout(STEP_TIMEOUT_MS * 2);
    const seen: string[] = [];
    while (!signal.aborted) {
      for await (const order of current().events<Order>(`/api/v1/orders/${id}/events`, {
        user,
        event: "order",
        signal,
      })) {
        seen.push(order.status);
        if (finished.includes(order.status)) return order;
      }
    }
    throw new Error(`order ${id} did not settle in time; its events: ${seen.join(", ")}`);
  };
  const addToCart = async (user: string, product: SeededProduct, quantity: number) => {
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
        const report = await checkConsistency(current().addresses, {
          stepTimeoutMs: STEP_TIMEOUT_MS,
          credentials: current().credentials,
        });
        if (report.violations.length > 0) throw new Error(report.text);
        return report;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  /** The user has this order and no other, and payments charged it once. */
  const expectOneOrderChargedOnce = async (user: string, orderId: string) => {
    const list = await api<{ orders: Order[] }>("GET", "/api/v1/orders", { user });
    expect(list.body.orders.map((o) => o.id)).toEqual([orderId]);
    const payments = createClient(PaymentsService, current().addresses.payments, {
      credentials: current().credentials,
    });
    try {
      const all = await listAll(
        (page) => payments.listPayments(page),
        (response) => response.payments,
      );
      const charged = all.filter((p) => p.orderId === orderId);
      expect(charged).toHaveLength(1);
    } finally {
      payments.close();
    }
  };
  const stockOf = async (sku: string) => {
    const inventory = createClient(InventoryService, current().addresses.inventory, {
      credentials: current().credentials,
    });
    try {
      const level = (await inventory.getStock({ skus: [sku] })).stock[0];
      if (!level) throw new Error(`no stock for ${sku}`);
      return level;
    } finally {
      inventory.close();
    }
  };
  return { settled, addToCart, checkout, consistent, expectOneOrderChargedOnce, stockOf };
}
