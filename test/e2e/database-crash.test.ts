import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { checkConsistency, type Addresses } from "@tessera/checker";
import type { RunningSystem } from "@tessera/dev-runner";
import { waitFor } from "@tessera/kit/testing";
import { isolatedEnv } from "../support/system-probes.ts";
import { bearer } from "../support/tokens.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/system.ts";

// The embedded PostgreSQL killed (SIGKILL of the postmaster) in the middle of a checkout burst,
// through the dev runner as `npm start` runs it: the runner restarts it, every service reconnects
// without being restarted, the gateway answers 503 (or 504 for a request whose time ran out) —
// never 500 — while the database is gone, and
// afterwards every order the API acknowledged exists and ends terminal, and the system is consistent.

const STEP_TIMEOUT_MS = 20_000;
const BUYERS = 6;
const terminal = new Set(["confirmed", "rejected", "cancelled"]);

interface Product {
  id: string;
  sku: string;
}
interface Order {
  id: string;
  status: string;
}

describe("a PostgreSQL crash in the middle of a checkout burst", () => {
  let dataDir: string;
  let running: TestSystem | undefined;
  let system: RunningSystem;
  let products: Product[] = [];
  let output: string[] = [];
  /** Every answer the burst got, by status (a request that got no answer counts as "no answer"). */
  const answers = new Map<string, number>();
  /** Requests answered with a server error other than 503 or 504, or not answered at all. */
  const failures: string[] = [];

  const port = (name: string) => running!.address(name);

  beforeAll(async () => {
    running = await startTestSystem({
      name: "pg-crash",
      env: { ...isolatedEnv, ORDERS_STEP_TIMEOUT_MS: String(STEP_TIMEOUT_MS) },
    });
    ({ system, products, output, dataDir } = running);
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  /** One request to the gateway, its status recorded; a 5xx other than 503 or 504 is a failure. */
  async function call<T>(method: string, path: string, user: string, body?: unknown, key?: string) {
    // Signed in before the crash (userToken keeps the token): identity's database dies with the others.
    const headers: Record<string, string> = await bearer(system.gatewayUrl, user);
    if (body !== undefined) headers["content-type"] = "application/json";
    if (key) headers["idempotency-key"] = key;
    let response: Response;
    try {
      response = await fetch(new URL(path, system.gatewayUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      answers.set("no answer", (answers.get("no answer") ?? 0) + 1);
      failures.push(`${method} ${path}: no answer (${(error as Error).message})`);
      await sleep(100);
      return { status: 0, body: undefined };
    }
    const text = await response.text();
    answers.set(String(response.status), (answers.get(String(response.status)) ?? 0) + 1);
    // Unavailable (503) and out of time (504) both tell a client to come back later; it does not
    // hammer a recovering system.
    const retryLater = response.status === 503 || response.status === 504;
    if (retryLater) await sleep(100);
    if (response.status >= 500 && !retryLater) {
      failures.push(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    }
    if (retryLater && response.headers.get("retry-after") === null) {
      failures.push(`${method} ${path}: ${response.status} without Retry-After`);
    }
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  it("restarts PostgreSQL, answers 503 and never 500 meanwhile, and loses no acknowledged order", async () => {
    const run = randomUUID().slice(0, 8);
    /** Orders the API acknowledged with 201, by id, with their buyer. */
    const placed = new Map<string, string>();
    let stopping = false;

    // One signed-in buyer per virtual user, signed in before the burst: each order empties the cart
    // asynchronously, so a checkout racing that may be refused (409), which the loop skips.
    const buyers = Array.from({ length: BUYERS }, (_, vu) => `crash-${run}-${vu}`);
    const readers = [0, 1].map((vu) => `crash-${run}-reader-${vu}`);
    await Promise.all([...buyers, ...readers].map((user) => bearer(system.gatewayUrl, user)));
    const buyer = async (vu: number) => {
      for (let n = 0; !stopping; n++) {
        const user = buyers[vu]!;
        const product = products[(vu * 7 + n) % products.length]!;
        const added = await call("POST", "/api/v1/cart/items", user, { productId: product.id, quantity: 1 });
        if (added.status !== 200) continue;
        const order = await call<Order>(
          "POST",
          "/api/v1/checkout",
          user,
          { cardToken: "tok_visa_approve" },
          randomUUID(),
        );
        if (order.status === 201 && order.body) placed.set(order.body.id, user);
      }
    };
    const reader = async (vu: number) => {
      for (let n = 0; !stopping; n++) {
        const user = readers[vu]!;
        await call("GET", "/api/v1/products?page_size=5", user);
        await call("GET", "/api/v1/cart", user);
        await call("GET", "/api/v1/orders", user);
      }
    };
    const burst = Promise.all([
      ...Array.from({ length: BUYERS }, (_, vu) => buyer(vu)),
      reader(0),
      reader(1),
    ]);

    try {
      await waitFor("the burst to place some orders", () => Promise.resolve(placed.size >= 5), 60_000);
      const killed = await postmasterPid();
      process.kill(killed, "SIGKILL");
      await waitFor(
        "the runner to restart PostgreSQL",
        async () => output.join("").includes("PostgreSQL restarted") && (await postmasterPid()) !== killed,
        60_000,
      );
      const placedBefore = placed.size;
      await waitFor(
        "orders to be placed again after the restart",
        () => Promise.resolve(placed.size >= placedBefore + 5),
        90_000,
      );
    } finally {
      stopping = true;
      await burst;
    }

    const summary = `answers: ${JSON.stringify(Object.fromEntries(answers))}`;
    expect(failures, summary).toEqual([]);
    expect(output.join("")).toMatch(/PostgreSQL exited unexpectedly \(killed by SIGKILL\)/);

    // Every order the API acknowledged is there and reaches a terminal state.
    const pending = new Map(placed);
    const seen = new Map<string, string>();
    await waitFor(
      `every acknowledged order to settle (${placed.size} placed)`,
      async () => {
        for (const [id, user] of pending) {
          const { status, body } = await call<Order>("GET", `/api/v1/orders/${id}`, user);
          seen.set(id, status === 200 && body ? body.status : `HTTP ${status}`);
          if (status === 200 && body && terminal.has(body.status)) pending.delete(id);
        }
        return pending.size === 0;
      },
      STEP_TIMEOUT_MS * 4,
    ).catch((error: unknown) => {
      const left = [...pending.keys()].map((id) => `${id}: ${seen.get(id)}`).join(", ");
      throw new Error(`${(error as Error).message}; not settled: ${left}`, { cause: error });
    });

    // Every service reconnected by itself: ready again, never restarted by the runner.
    for (const [name, status] of system.statuses) {
      expect(status.restarts, `${name} was restarted`).toBe(0);
      await waitFor(
        `${name} to be ready again`,
        async () => (await fetch(`http://127.0.0.1:${status.opsPort}/readyz`)).status === 200,
        60_000,
      );
    }

    const addresses: Addresses = {
      orders: port("orders"),
      inventory: port("inventory"),
      payments: port("payments"),
    };
    let report = "";
    await waitFor(
      "the consistency checker to pass",
      async () => {
        const checked = await checkConsistency(addresses, {
          stepTimeoutMs: STEP_TIMEOUT_MS,
          credentials: running!.credentials,
        });
        report = checked.text;
        return checked.violations.length === 0;
      },
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${report}`, { cause: error });
    });
    expect(failures, summary).toEqual([]);
  }, 360_000);

  /** The postmaster's pid, from the lock file PostgreSQL keeps in its data directory. */
  async function postmasterPid(): Promise<number> {
    const lockFile = await readFile(join(dataDir, "postgres", "postmaster.pid"), "utf8");
    return Number.parseInt(lockFile.split("\n")[0] ?? "", 10);
  }
});
