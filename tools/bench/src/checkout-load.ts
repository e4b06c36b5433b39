import { randomUUID } from "node:crypto";
import { buyersPerUser, signInBuyers } from "./buyers.ts";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/** What a virtual user buys. */
export interface Product {
  id: string;
  sku: string;
}

/** Any one request the bench sends through the gateway. */
export const requestTimeoutMs = 10_000;

/** What the virtual users saw. */
export interface CheckoutLoad {
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
}

export interface CheckoutLoadOptions {
  /** The gateway: http://127.0.0.1:<port>/. */
  base: string;
  /** Starts every progress line ("checkout embedded"). */
  label: string;
  /** Names the buyers, so two runs never share a cart. */
  runId: string;
  products: readonly Product[];
  users: number;
  seconds: number;
  drainSeconds: number;
  progress: (line: string) => void;
}

interface OrderJson {
  id: string;
  status: string;
  reason: { code: string; message: string } | null;
}
interface Reply<T> {
  status: number;
  body: T;
}
type Call = <T>(
  method: string,
  path: string,
  user: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Reply<T>>;

/** Counts shared by every virtual user of a run. */
interface Tally {
  counts: {
    orders: number;
    rejected: number;
    cancelled: number;
    timedOut: number;
    errors: number;
    cartErrors: number;
  };
  /** Submit → confirmed, in ms. */
  latencies: number[];
  samples: Set<string>;
  lastConfirmedAt: number;
}

/** One run of virtual users against one gateway. */
interface Session {
  call: Call;
  tally: Tally;
  /** When submitting stops (performance.now()). */
  stopAt: number;
  /** Aborted at the end of the drain: every request still open is abandoned. */
  drained: AbortSignal;
}

const terminal = new Set(["confirmed", "rejected", "cancelled"]);
const approvedCard = "tok_visa_approve";
const pollIntervalMs = 25;

/**
 * `users` closed-loop virtual users, each a fresh buyer per order: add a random product to a cart,
 * check out with an approving card, poll the order every 25 ms until it settles. Submitting stops
 * after `seconds`; orders in flight get `drainSeconds` more, then count as timed out.
 */
export async function runCheckoutLoad({
  base,
  label,
  runId,
  products,
  users,
  seconds,
  drainSeconds,
  progress,
}: CheckoutLoadOptions): Promise<CheckoutLoad> {
  const buyers = Array.from({ length: users * buyersPerUser }, (_, n) => `bench-${runId}-${n}`);
  progress(`${label}: signing ${buyers.length} buyers in through identity…`);
  const tokens = await signInBuyers(base, buyers);
  const started = performance.now();
  const stopAt = started + seconds * 1_000;
  const drainUntil = stopAt + drainSeconds * 1_000;
  const tally: Tally = {
    counts: { orders: 0, rejected: 0, cancelled: 0, timedOut: 0, errors: 0, cartErrors: 0 },
    latencies: [],
    samples: new Set(),
    lastConfirmedAt: started,
  };
  const drained = new AbortController();
  const hardStop = setTimeout(() => drained.abort(new Error("drain over")), drainUntil - started);
  const ticker = setInterval(
    () =>
      progress(
        `  … ${Math.round((performance.now() - started) / 1_000)} s: ${tally.counts.orders} orders submitted, ${tally.latencies.length} confirmed`,
      ),
    5_000,
  );
  const session: Session = {
    call: gatewayCaller(base, tokens, drained.signal),
    tally,
    stopAt,
    drained: drained.signal,
  };
  try {
    await Promise.all(
      Array.from({ length: users }, (_, vu) =>
        virtualUser(session, products, buyers.slice(vu * buyersPerUser, (vu + 1) * buyersPerUser)),
      ),
    );
  } finally {
    clearTimeout(hardStop);
    clearInterval(ticker);
  }
  const load = summarise(tally, started);
  progress(
    `${label}: ${load.orders} orders submitted, ${load.confirmed} confirmed in ${load.windowSeconds.toFixed(1)} s`,
  );
  return load;
}

/** Orders one after another until submitting stops, its buyers taking turns. */
async function virtualUser(
  session: Session,
  products: readonly Product[],
  buyers: readonly string[],
): Promise<void> {
  const { tally, stopAt, drained } = session;
  // Buyers take turns: a cart is emptied asynchronously (on OrderPlaced), so a buyer ordering again
  // at once could race its next add-to-cart against the previous order's clear.
  for (let n = 0; performance.now() < stopAt && !drained.aborted; n++) {
    const user = buyers[n % buyers.length]!;
    const product = products[Math.floor(Math.random() * products.length)]!;
    const state = { submitted: false };
    try {
      await placeOrder(session, user, product, state);
    } catch (error) {
      if (drained.aborted) {
        // Cut off by the end of the drain: an order already submitted is in flight, not failed to submit.
        if (state.submitted) tally.counts.timedOut++;
        break;
      }
      tally.counts[state.submitted ? "errors" : "cartErrors"]++;
      note(tally, `${user}: ${(error as Error).message}`);
      await sleep(100);
    }
  }
}

/** One order from cart to settled; `submitted` is set once the checkout is on its way. */
async function placeOrder(
  { call, tally, stopAt, drained }: Session,
  user: string,
  product: Product,
  state: { submitted: boolean },
): Promise<void> {
  const added = await call("POST", "/api/v1/cart/items", user, { productId: product.id, quantity: 1 });
  if (added.status !== 200) {
    tally.counts.cartErrors++;
    note(tally, problem("add to cart", added));
    return;
  }
  if (performance.now() >= stopAt) return;
  const submittedAt = performance.now();
  state.submitted = true;
  tally.counts.orders++;
  const headers = { "idempotency-key": randomUUID() };
  const placed = await call<OrderJson>(
    "POST",
    "/api/v1/checkout",
    user,
    { cardToken: approvedCard },
    headers,
  );
  if (placed.status !== 201) {
    tally.counts.errors++;
    note(tally, problem("checkout", placed));
    return;
  }
  let order = placed.body;
  while (!terminal.has(order.status)) {
    await sleep(pollIntervalMs, undefined, { signal: drained });
    const polled = await call<OrderJson>("GET", `/api/v1/orders/${encodeURIComponent(order.id)}`, user);
    if (polled.status !== 200) {
      tally.counts.errors++;
      note(tally, problem(`order ${order.id}`, polled));
      return;
    }
    order = polled.body;
  }
  if (order.status === "confirmed") {
    tally.lastConfirmedAt = performance.now();
    tally.latencies.push(tally.lastConfirmedAt - submittedAt);
  } else {
    tally.counts[order.status === "rejected" ? "rejected" : "cancelled"]++;
    note(tally, `order ${order.id} ${order.status}: ${order.reason?.code ?? "(no reason)"}`);
  }
}

/** JSON over HTTP to the gateway as signed-in `user`, each request abandoned at `drained` or after 10 s. */
function gatewayCaller(base: string, tokens: ReadonlyMap<string, string>, drained: AbortSignal): Call {
  return async <T>(
    method: string,
    path: string,
    user: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> => {
    const response = await fetch(new URL(path, base), {
      method,
      headers: {
        authorization: `Bearer ${tokens.get(user) ?? ""}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any([drained, AbortSignal.timeout(requestTimeoutMs)]),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

function problem(what: string, reply: Reply<unknown>): string {
  return `${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 200) ?? ""}`;
}

/** Keeps the first few distinct reasons. */
function note(tally: Tally, reason: string): void {
  if (tally.samples.size < 5) tally.samples.add(reason);
}

function summarise({ counts, latencies, samples, lastConfirmedAt }: Tally, started: number): CheckoutLoad {
  const sorted = latencies.toSorted((a, b) => a - b);
  const windowSeconds = Math.max(lastConfirmedAt - started, 1) / 1_000;
  return {
    ...counts,
    confirmed: sorted.length,
    confirmedPerSecond: sorted.length / windowSeconds,
    windowSeconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    samples: [...samples],
  };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
