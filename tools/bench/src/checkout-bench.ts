import { checkConsistency, type Addresses, type Report } from "@tessera/checker";
import { InventoryService } from "@tessera/contracts/inventory/v1";
import { startSystem, type RunningSystem } from "@tessera/dev-runner";
import { findFreePort } from "@tessera/dev-runner/ports";
import { findFreePortOffset } from "@tessera/dev-runner/system-ports";
import { createClient, createDb } from "@tessera/kit";
import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { deleteStreams } from "./nats-streams.ts";

export type CheckoutMode = "embedded" | "postgres+nats";

export interface CheckoutBenchOptions {
  /** The bench's PostgreSQL server (admin URL): the system's databases go there. */
  adminUrl: string;
  /** A directory of the bench's own; each mode's runner state goes in a subdirectory. */
  workDir: string;
  /** For "postgres+nats". */
  natsUrl: string;
  /** Concurrent virtual users. */
  users?: number;
  /** How long new orders are submitted. */
  seconds?: number;
  /** After that, how long in-flight orders may take to settle before they count as timed out. */
  drainSeconds?: number;
  /** Latency of the card processor simulator (payments' PAYMENTS_PROCESSOR_LATENCY_MS); a real one's is 200–500 ms. */
  processorLatencyMs?: number;
  progress: (line: string) => void;
}

export interface CheckoutBenchResult {
  mode: CheckoutMode;
  processorLatencyMs: number;
  users: number;
  /** Checkouts submitted (POST /api/v1/checkout sent). */
  orders: number;
  confirmed: number;
  /** Confirmed orders ÷ the measured window (first submit → last confirmation seen). */
  confirmedPerSecond: number;
  windowSeconds: number;
  /** Submit → confirmed, as the polling client saw it. */
  p50Ms: number;
  p99Ms: number;
  rejected: number;
  cancelled: number;
  /** Still in flight when the drain ended. */
  timedOut: number;
  /** Submitted orders whose checkout or polling failed (an HTTP error, a refused connection). */
  errors: number;
  /** Add-to-cart failures: no order was submitted, but the bench fails. */
  cartErrors: number;
  /** The first few distinct reasons for the above. */
  samples: string[];
  /** The checker's one-line verdict. */
  consistency: string;
  consistent: boolean;
}

interface ProductJson {
  id: string;
  sku: string;
}
interface OrderJson {
  id: string;
  status: string;
  reason: string;
}
interface Reply<T> {
  status: number;
  body: T;
}

const terminal = new Set(["confirmed", "rejected", "cancelled"]);
const approvedCard = "tok_visa_approve";
const pollIntervalMs = 25;
const requestTimeoutMs = 10_000;
const restockQuantity = 100_000n;
/** The orders service's default step timeout; the checker allows for it. */
const stepTimeoutMs = 30_000;

/**
 * Checkout under load, end to end through the gateway: a fresh system on the bench's PostgreSQL
 * (direct events, or NATS JetStream for "postgres+nats"), `users` closed-loop virtual users who
 * each add a random product to a cart, check out with an approving card and poll the order every
 * 25 ms until it settles. Submitting stops after `seconds`; in-flight orders get `drainSeconds`
 * more. Then the consistency checker runs (retried for up to 30 s while the saga's tail settles).
 * Load only targets 127.0.0.1.
 */
export async function benchCheckout(
  mode: CheckoutMode,
  {
    adminUrl,
    workDir,
    natsUrl,
    users = 16,
    seconds = 30,
    drainSeconds = 15,
    processorLatencyMs = 0,
    progress,
  }: CheckoutBenchOptions,
): Promise<CheckoutBenchResult> {
  const runId = randomBytes(3).toString("hex");
  const prefix = `benchco${runId}`;
  const env: Record<string, string | undefined> = { ...process.env };
  // The bench owns the databases: nothing inherited may point a service elsewhere.
  for (const name of Object.keys(env)) if (/^DATABASE_URL_/.test(name)) delete env[name];
  Object.assign(
    env,
    mode === "embedded"
      ? { EVENTS_TRANSPORT: "direct" }
      : { EVENTS_TRANSPORT: "nats", NATS_URL: natsUrl, EVENTS_PREFIX: prefix },
    { PAYMENTS_PROCESSOR_LATENCY_MS: String(processorLatencyMs) },
  );

  // Every system on this server uses databases tessera_<service>: start from empty ones.
  await dropSystemDatabases(adminUrl);
  const gatewayPort = await findFreePort();
  const portOffset = await findFreePortOffset({ avoid: [gatewayPort] });
  const recent: string[] = [];
  const output = {
    write: (text: string) => {
      recent.push(...text.split("\n").filter(Boolean));
      recent.splice(0, Math.max(0, recent.length - 30));
    },
  };
  progress(
    `checkout ${mode}, processor ${processorLatencyMs} ms: starting the system (port offset ${portOffset}, gateway :${gatewayPort})…`,
  );
  const startup = AbortSignal.timeout(120_000);
  let system: RunningSystem | undefined;
  try {
    try {
      system = await startSystem({
        dataDir: join(workDir, `checkout-${mode.replace(/\W/g, "-")}`),
        pgUrl: adminUrl,
        portOffset,
        gatewayPort,
        output,
        env,
        logLevel: "warn",
        signal: startup,
      });
    } catch (error) {
      throw new Error(`the system did not start:\n  ${recent.join("\n  ")}`, { cause: error });
    }
    const base = system.gatewayUrl;
    if (!/^http:\/\/127\.0\.0\.1:\d+\/$/.test(base))
      throw new Error(`load only targets this machine: ${base}`);
    const address = (name: string) => {
      const port = system?.statuses.get(name)?.port;
      if (!port) throw new Error(`${name} has no port`);
      return `127.0.0.1:${port}`;
    };
    const addresses: Addresses = {
      orders: address("orders"),
      inventory: address("inventory"),
      payments: address("payments"),
    };

    const products = await listProducts(base);
    const stocked = await restockAll(addresses.inventory, products, runId);
    const candidates = products.filter((p) => stocked.has(p.sku));
    if (candidates.length === 0) throw new Error("no product has stock");
    progress(
      `checkout ${mode}: ${candidates.length} products restocked (+${restockQuantity} each); ${users} users for ${seconds} s`,
    );

    const load = await runLoad({
      base,
      mode,
      runId,
      products: candidates,
      users,
      seconds,
      drainSeconds,
      progress,
    });
    progress(`checkout ${mode}: checking consistency (up to 30 s for the saga's tail to settle)…`);
    const report = await settledConsistency(addresses);
    const consistent = report.violations.length === 0;
    const consistency = consistent
      ? `${report.text.split("\n").at(-1)} — ${report.text.split("\n")[0]}`
      : `${report.violations.length} violation(s): ${report.violations.map((v) => `[${v.invariant}] ${v.detail}`).join("; ")}`;
    progress(`checkout ${mode}: ${consistency}`);
    return { mode, processorLatencyMs, users, ...load, consistency, consistent };
  } finally {
    await system?.stop();
    await dropSystemDatabases(adminUrl);
    if (mode === "postgres+nats") await deleteStreams(natsUrl, prefix);
  }
}

interface LoadOutcome {
  orders: number;
  confirmed: number;
  confirmedPerSecond: number;
  windowSeconds: number;
  p50Ms: number;
  p99Ms: number;
  rejected: number;
  cancelled: number;
  timedOut: number;
  errors: number;
  cartErrors: number;
  samples: string[];
}

async function runLoad({
  base,
  mode,
  runId,
  products,
  users,
  seconds,
  drainSeconds,
  progress,
}: {
  base: string;
  mode: CheckoutMode;
  runId: string;
  products: ProductJson[];
  users: number;
  seconds: number;
  drainSeconds: number;
  progress: (line: string) => void;
}): Promise<LoadOutcome> {
  const latencies: number[] = [];
  const counts = { orders: 0, rejected: 0, cancelled: 0, timedOut: 0, errors: 0, cartErrors: 0 };
  const samples = new Set<string>();
  const note = (reason: string) => {
    if (samples.size < 5) samples.add(reason);
  };
  const started = performance.now();
  const stopAt = started + seconds * 1_000;
  const drainUntil = stopAt + drainSeconds * 1_000;
  let lastConfirmedAt = started;
  // At the end of the drain every request still open is abandoned.
  const drained = new AbortController();
  const hardStop = setTimeout(() => drained.abort(new Error("drain over")), drainUntil - started);
  const ticker = setInterval(
    () =>
      progress(
        `  … ${Math.round((performance.now() - started) / 1_000)} s: ${counts.orders} orders submitted, ${latencies.length} confirmed`,
      ),
    5_000,
  );

  const call = async <T>(
    method: string,
    path: string,
    user: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> => {
    const response = await fetch(new URL(path, base), {
      method,
      headers: {
        "x-tessera-user": user,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any([drained.signal, AbortSignal.timeout(requestTimeoutMs)]),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const problem = (what: string, reply: Reply<unknown>) =>
    `${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 200) ?? ""}`;

  /** One order from cart to settled; `submitted` is set once the checkout is on its way. */
  const placeOne = async (user: string, product: ProductJson, state: { submitted: boolean }) => {
    const added = await call("POST", "/api/v1/cart/items", user, { productId: product.id, quantity: 1 });
    if (added.status !== 200) {
      counts.cartErrors++;
      note(problem("add to cart", added));
      return;
    }
    if (performance.now() >= stopAt) return;
    const submittedAt = performance.now();
    state.submitted = true;
    counts.orders++;
    const placed = await call<OrderJson>(
      "POST",
      "/api/v1/checkout",
      user,
      { cardToken: approvedCard },
      {
        "idempotency-key": randomUUID(),
      },
    );
    if (placed.status !== 201) {
      counts.errors++;
      note(problem("checkout", placed));
      return;
    }
    let order = placed.body;
    while (!terminal.has(order.status)) {
      await sleep(pollIntervalMs, undefined, { signal: drained.signal });
      const polled = await call<OrderJson>("GET", `/api/v1/orders/${encodeURIComponent(order.id)}`, user);
      if (polled.status !== 200) {
        counts.errors++;
        note(problem(`order ${order.id}`, polled));
        return;
      }
      order = polled.body;
    }
    if (order.status === "confirmed") {
      lastConfirmedAt = performance.now();
      latencies.push(lastConfirmedAt - submittedAt);
    } else {
      counts[order.status === "rejected" ? "rejected" : "cancelled"]++;
      note(`order ${order.id} ${order.status}: ${order.reason}`);
    }
  };

  const virtualUser = async (vu: number) => {
    // A fresh buyer per order: the cart is emptied asynchronously (on OrderPlaced), so reusing one
    // could race the next order's add-to-cart against the previous order's clear.
    for (let n = 0; performance.now() < stopAt && !drained.signal.aborted; n++) {
      const user = `bench-${runId}-${vu}-${n}`;
      const product = products[Math.floor(Math.random() * products.length)]!;
      const state = { submitted: false };
      try {
        await placeOne(user, product, state);
      } catch (error) {
        if (drained.signal.aborted) {
          // Cut off by the end of the drain: an order already submitted is in flight, not failed to submit.
          if (state.submitted) counts.timedOut++;
          break;
        }
        counts[state.submitted ? "errors" : "cartErrors"]++;
        note(`${user}: ${(error as Error).message}`);
        await sleep(100);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: users }, (_, vu) => virtualUser(vu)));
  } finally {
    clearTimeout(hardStop);
    clearInterval(ticker);
  }
  latencies.sort((a, b) => a - b);
  const windowSeconds = Math.max(lastConfirmedAt - started, 1) / 1_000;
  progress(
    `checkout ${mode}: ${counts.orders} orders submitted, ${latencies.length} confirmed in ${windowSeconds.toFixed(1)} s`,
  );
  return {
    ...counts,
    confirmed: latencies.length,
    confirmedPerSecond: latencies.length / windowSeconds,
    windowSeconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    samples: [...samples],
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function listProducts(base: string): Promise<ProductJson[]> {
  const products: ProductJson[] = [];
  let token = "";
  do {
    const url = new URL(
      `api/v1/products?page_size=100${token ? `&page_token=${encodeURIComponent(token)}` : ""}`,
      base,
    );
    const response = await fetch(url, { signal: AbortSignal.timeout(requestTimeoutMs) });
    if (!response.ok) throw new Error(`GET ${url.pathname}: HTTP ${response.status}`);
    const page = (await response.json()) as { products: ProductJson[]; nextPageToken: string };
    products.push(...page.products);
    token = page.nextPageToken;
  } while (token);
  if (products.length === 0) throw new Error("the catalog returned no product");
  return products;
}

/**
 * Inventory seeds 100 units per SKU from catalog's ProductChanged events: waits until it has them
 * all, then restocks every SKU once (keyed by run) so the run never sells out. Returns the SKUs.
 */
async function restockAll(
  address: string,
  products: readonly ProductJson[],
  runId: string,
): Promise<Set<string>> {
  const inventory = createClient(InventoryService, address);
  try {
    const giveUpAt = Date.now() + 60_000;
    for (;;) {
      const { stock } = await inventory.listStock({});
      if (stock.length >= products.length) break;
      if (Date.now() > giveUpAt) {
        throw new Error(`inventory seeded ${stock.length} of ${products.length} products in 60 s`);
      }
      await sleep(250);
    }
    const skus = new Set(products.map((p) => p.sku));
    for (const sku of skus) {
      await inventory.restock({ sku, quantity: restockQuantity, idempotencyKey: `bench-${runId}-${sku}` });
    }
    const { stock } = await inventory.listStock({});
    return new Set(
      stock.filter((level) => skus.has(level.sku) && level.available > 0n).map((level) => level.sku),
    );
  } finally {
    inventory.close();
  }
}

/** The checker's report once consistent, or the last one after 30 s. */
async function settledConsistency(addresses: Addresses): Promise<Report> {
  const giveUpAt = Date.now() + 30_000;
  let last: Report | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await checkConsistency(addresses, { stepTimeoutMs });
      if (last.violations.length === 0) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= giveUpAt) {
      if (last) return last;
      throw new Error("the consistency checker could not read the system", { cause: lastError });
    }
    await sleep(500);
  }
}

/** Drops the runner's tessera_* databases on the bench's own (temporary) server. */
async function dropSystemDatabases(adminUrl: string): Promise<void> {
  const db = createDb({ connectionString: adminUrl, max: 1, applicationName: "tessera-bench" });
  try {
    const { rows } = await db.query<{ name: string }>(
      "SELECT datname AS name FROM pg_database WHERE datname LIKE 'tessera\\_%'",
    );
    for (const { name } of rows) await db.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await db.close();
  }
}
