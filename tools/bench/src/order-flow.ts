import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/** What a buyer buys. */
export interface Product {
  id: string;
  sku: string;
}

/** Any one request the bench sends through the gateway. */
export const requestTimeoutMs = 10_000;

interface OrderJson {
  id: string;
  status: string;
  reason: { code: string; message: string } | null;
}
export interface Reply<T> {
  status: number;
  body: T;
}
export type Call = <T>(
  method: string,
  path: string,
  user: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Reply<T>>;

/** How one order ended, as its buyer saw it. */
export type OrderOutcome =
  | { kind: "confirmed"; latencyMs: number }
  | { kind: "rejected" | "cancelled"; reason: string }
  /** An HTTP error or a refused connection; `submitted` once the checkout was sent. */
  | { kind: "failed"; submitted: boolean; reason: string }
  /** Not settled when `signal` ended the wait: stuck once the checkout was sent. */
  | { kind: "unsettled"; submitted: boolean };

const terminal = new Set(["confirmed", "rejected", "cancelled"]);
const approvedCard = "tok_visa_approve";
const pollIntervalMs = 25;

/**
 * One order from cart to settled: add `product` to `user`'s cart, check out with an approving card,
 * poll the order every 25 ms until it settles. Latency is submit (checkout sent) → confirmed seen.
 */
export async function placeOrder(
  call: Call,
  user: string,
  product: Product,
  signal: AbortSignal,
): Promise<OrderOutcome> {
  let submitted = false;
  try {
    const added = await call("POST", "/api/v1/cart/items", user, { productId: product.id, quantity: 1 });
    if (added.status !== 200) return { kind: "failed", submitted, reason: problem("add to cart", added) };
    const submittedAt = performance.now();
    submitted = true;
    const headers = { "idempotency-key": randomUUID() };
    const placed = await call<OrderJson>(
      "POST",
      "/api/v1/checkout",
      user,
      { cardToken: approvedCard },
      headers,
    );
    if (placed.status !== 201) return { kind: "failed", submitted, reason: problem("checkout", placed) };
    let order = placed.body;
    while (!terminal.has(order.status)) {
      await sleep(pollIntervalMs, undefined, { signal });
      const polled = await call<OrderJson>("GET", `/api/v1/orders/${encodeURIComponent(order.id)}`, user);
      if (polled.status !== 200)
        return { kind: "failed", submitted, reason: problem(`order ${order.id}`, polled) };
      order = polled.body;
    }
    if (order.status === "confirmed")
      return { kind: "confirmed", latencyMs: performance.now() - submittedAt };
    return {
      kind: order.status === "rejected" ? "rejected" : "cancelled",
      reason: `order ${order.id}: ${order.reason?.code ?? "(no reason)"}`,
    };
  } catch (error) {
    if (signal.aborted) return { kind: "unsettled", submitted };
    return { kind: "failed", submitted, reason: `${user}: ${(error as Error).message}` };
  }
}

/** JSON over HTTP to the gateway as signed-in `user`, each request abandoned at `signal` or after 10 s. */
export function gatewayCaller(base: string, tokens: ReadonlyMap<string, string>, signal: AbortSignal): Call {
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
      signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

function problem(what: string, reply: Reply<unknown>): string {
  return `${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 200) ?? ""}`;
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
