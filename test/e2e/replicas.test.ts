import { checkConsistency } from "@tessera/checker";
import type { RunningSystem } from "@tessera/dev-runner";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cards,
  modes,
  startCheckoutSystem,
  type CheckoutSystem,
  type Order,
} from "../support/checkout-system.ts";
import { waitUntil } from "../support/polling.ts";
import { userToken } from "../support/tokens.ts";

// Scaling, end to end: two processes each of orders, inventory and payments (TESSERA_REPLICAS), on
// PostgreSQL + NATS JetStream, whose durable consumers share a subscription's work between
// replicas. Callers balance RPCs round-robin over the replicas. A burst of checkouts runs while
// one replica of each is SIGKILLed; every order still ends final and the checker finds the system
// consistent.

const REPLICATED = ["orders", "inventory", "payments"] as const;
const BUYERS = 10;
const ORDERS_PER_BUYER = 4;
const finished = ["confirmed", "rejected", "cancelled"];
const infrastructure = modes.find((mode) => mode.name !== "embedded")!;

interface Placed {
  id: string;
  user: string;
}

/** What a process did, from its /metrics: RPCs served (health and reflection aside) and events applied. */
async function workDone(opsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    const rpc = /^rpc_server_duration_seconds_count\{(.*)\} (\d+)/.exec(line);
    if (rpc && !/grpc\.(health|reflection)/.test(rpc[1]!)) total += Number(rpc[2]);
    const event = /^events_consumed_total\{(.*outcome="applied".*)\} (\d+)/.exec(line);
    if (event) total += Number(event[2]);
  }
  return total;
}

describe("checkout with two replicas of orders, inventory and payments, one of each killed mid-burst", () => {
  let running: CheckoutSystem | undefined;
  let system: RunningSystem;

  beforeAll(async () => {
    running = await startCheckoutSystem({
      name: "replicas",
      prepare: async () => {
        const prepared = await infrastructure.prepare();
        const replicas = REPLICATED.map((service) => `${service}=2`).join(",");
        return { ...prepared, env: { ...prepared.env, TESSERA_REPLICAS: replicas } };
      },
    });
    system = running.system;
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  const status = (name: string) => {
    const found = system.statuses.get(name);
    if (!found) throw new Error(`no process ${name}`);
    return found;
  };
  /** Every replica's address, as a caller gets them: the checker balances over them too. */
  const everyReplica = (service: string) =>
    [service, `${service}#2`].map((name) => `127.0.0.1:${status(name).port}`).join(",");

  /** Retries what a killed replica cut short: same idempotency key, so one order however often. */
  async function buy(user: string): Promise<Placed> {
    const { api, products } = running!;
    const product = products[Math.floor(Math.random() * products.length)]!;
    const key = randomUUID();
    const retried = { timeoutMs: 90_000, intervalMs: 250 };
    let tried = false;
    // The last order's cart is cleared by its OrderPlaced event: this order starts from an empty one.
    await waitUntil(
      `${user}'s cart to be empty and take the product`,
      async () => {
        const cart = await api<{ items: unknown[] }>("GET", "/api/v1/cart", { user });
        if (cart.status !== 200) throw new Error(`the cart answered ${cart.status}`);
        // An attempt whose answer was lost may have added it.
        if (tried && cart.body.items.length === 1) return true;
        if (cart.body.items.length > 0) throw new Error("the last order's cart is not cleared yet");
        tried = true;
        const added = await api("POST", "/api/v1/cart/items", {
          user,
          body: { productId: product.id, quantity: 1 },
        });
        if (added.status !== 200) throw new Error(`adding to the cart answered ${added.status}`);
        return true;
      },
      retried,
    );
    return waitUntil(
      `${user}'s checkout`,
      async () => {
        const placed = await api<Order>("POST", "/api/v1/checkout", {
          user,
          body: { cardToken: cards.approve },
          headers: { "idempotency-key": key },
        });
        if (placed.status >= 500) throw new Error(`checkout answered ${placed.status}`);
        expect(placed.status).toBe(201);
        return { id: placed.body.id, user };
      },
      retried,
    );
  }

  const settled = ({ id, user }: Placed) =>
    waitUntil(
      `order ${id} to end final`,
      async () => {
        const { status: code, body } = await running!.api<Order>("GET", `/api/v1/orders/${id}`, { user });
        return code === 200 && finished.includes(body.status) ? body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );

  it("ends every order final and consistent, every replica having done its share", async () => {
    const names = REPLICATED.flatMap((service) => [service, `${service}#2`]);
    const before = new Map(
      await Promise.all(names.map(async (name) => [name, await workDone(status(name).opsPort)] as const)),
    );
    const placed: Placed[] = [];
    const run = randomUUID().slice(0, 8);
    const users = Array.from({ length: BUYERS }, (_, buyer) => `scale-${run}-${buyer}`);
    // Signed in (registered) before the clock starts, two at a time: hashing passwords is slow work.
    for (let i = 0; i < users.length; i += 2)
      await Promise.all(users.slice(i, i + 2).map((user) => userToken(system.gatewayUrl, user)));
    const buyers = users.map(async (user) => {
      for (let n = 0; n < ORDERS_PER_BUYER; n++) placed.push(await buy(user));
    });
    const burst = Promise.all(buyers);
    // Each replica does some of the work before one of each dies: round-robin and the shared consumers.
    const shares = async () =>
      new Map(
        await Promise.all(
          names.map(
            async (name) => [name, (await workDone(status(name).opsPort)) - before.get(name)!] as const,
          ),
        ),
      );
    const share = await waitUntil(
      "a quarter of the burst placed and every replica at work",
      async () => {
        const now = await shares();
        return placed.length >= 10 && [...now.values()].every((work) => work > 0) ? now : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    expect(placed.length, "the burst was over before every replica had work").toBeLessThan(
      BUYERS * ORDERS_PER_BUYER,
    );
    const killed = REPLICATED.map((service) => status(`${service}#2`));
    // The process group, as the runner itself kills a service.
    for (const replica of killed) process.kill(-replica.pid!, "SIGKILL");
    await burst;

    expect(placed).toHaveLength(BUYERS * ORDERS_PER_BUYER);
    const outcomes = await Promise.all(placed.map(settled));
    const count = (state: string) => outcomes.filter((order) => order.status === state).length;
    console.info(
      `replicas: ${placed.length} orders: ${count("confirmed")} confirmed, ${count("rejected")} rejected, ` +
        `${count("cancelled")} cancelled; work per replica before the kill: ${JSON.stringify(Object.fromEntries(share))}`,
    );
    expect(outcomes.every((order) => finished.includes(order.status))).toBe(true);
    expect(count("confirmed")).toBeGreaterThan(0);

    // The runner brought the killed replicas back, as it does any crashed service.
    await waitUntil(
      "the killed replicas to be restarted and ready",
      () =>
        killed.every(
          (replica) => status(replica.name).state === "ready" && status(replica.name).restarts >= 1,
        )
          ? true
          : undefined,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const addresses = {
      orders: everyReplica("orders"),
      inventory: everyReplica("inventory"),
      payments: everyReplica("payments"),
    };
    await waitUntil(
      "the system to be consistent",
      async () => {
        const report = await checkConsistency(addresses, {
          stepTimeoutMs: 20_000,
          credentials: running!.credentials,
        });
        if (report.violations.length > 0) throw new Error(report.text);
        return report;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
  }, 600_000);
});
