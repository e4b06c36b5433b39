import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { EventSourceParserStream } from "eventsource-parser/stream";

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
/** The `event: order` events of `GET /api/v1/orders/{id}/events` as `user`, until the stream ends. */
export type WatchOrder = (orderId: string, user: string) => AsyncIterable<OrderJson>;

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

/**
 * One order from cart to settled: add `product` to `user`'s cart, check out with an approving card,
 * then follow the order's events (pushed by the gateway as each change commits) until it settles.
 * Latency is submit (checkout sent) → confirmed seen.
 */
export async function placeOrder(
  { call, watch }: { call: Call; watch: WatchOrder },
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
    // The stream ends after a final status, or at its lifetime (then it is opened again).
    while (!terminal.has(order.status) && !signal.aborted) {
      let events = 0;
      for await (const event of watch(order.id, user)) {
        order = event;
        events++;
      }
      if (events === 0)
        return { kind: "failed", submitted, reason: `order ${order.id}: an empty event stream` };
    }
    if (!terminal.has(order.status)) return { kind: "unsettled", submitted };
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

/** `WatchOrder` over fetch, the Server-Sent Events parsed by eventsource-parser; abandoned at `signal`. */
export function gatewayWatcher(
  base: string,
  tokens: ReadonlyMap<string, string>,
  signal: AbortSignal,
): WatchOrder {
  return async function* watch(orderId: string, user: string) {
    const response = await fetch(new URL(`/api/v1/orders/${encodeURIComponent(orderId)}/events`, base), {
      headers: { authorization: `Bearer ${tokens.get(user) ?? ""}`, accept: "text/event-stream" },
      signal,
    });
    if (response.status !== 200 || !response.body)
      throw new Error(
        `order ${orderId} events: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`,
      );
    const events = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    for await (const event of events) if (event.event === "order") yield JSON.parse(event.data) as OrderJson;
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
