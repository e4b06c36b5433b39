import { PassThrough } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { runWithContext, ServiceError } from "@tessera/kit";
import { callerSignal, contextOf } from "../request-context.ts";
import { userOf } from "../user.ts";
import type { Api } from "./api.ts";
import { toOrderJson, type OrderJson } from "./order-json.ts";
import { orderEventsSchema } from "./order-schemas.ts";
import type { OrdersClient } from "./orders.ts";

export interface OrderEventsOptions {
  orders: OrdersClient;
  /** How long one stream lasts at most; the client then reconnects (the request timeout does not apply). */
  lifetimeMs?: number;
  /** How often an idle stream sends a comment, so proxies and clients keep the connection. */
  heartbeatMs?: number;
}

const finished = new Set<OrderJson["status"]>(["confirmed", "rejected", "cancelled"]);

/**
 * `GET /api/v1/orders/:id/events`: the orders service's WatchOrder stream as Server-Sent Events. The
 * first order is awaited before answering, so an unknown order or a refusal is an ordinary problem
 * response; after that the stream is fastify's reply body, so every hook's headers (request id,
 * rate limits, security) are on it. A stream has its own lifetime instead of the request timeout,
 * and the upstream call ends with it or when the client goes away.
 */
export function orderEventRoutes(
  app: Api,
  { orders, lifetimeMs = 60_000, heartbeatMs = 15_000 }: OrderEventsOptions,
): void {
  app.get(
    "/api/v1/orders/:id/events",
    // The handler returns once the stream is under way; the stream itself ends within lifetimeMs.
    { config: { access: "user" }, schema: orderEventsSchema, handlerTimeout: lifetimeMs + 5_000 },
    async (request, reply) => {
      // The gateway lets clients half-close (app.ts), so a client that hangs up is seen as the end of
      // its side of the socket: an event stream's client sends nothing more, so that ends the stream.
      // `done` ends it from here: after a final status, or a refusal before it began.
      const done = new AbortController();
      const socket = request.raw.socket;
      const onEnd = () => done.abort();
      socket.once("end", onEnd);
      const stop = AbortSignal.any(
        [callerSignal(request), done.signal, AbortSignal.timeout(lifetimeMs)].filter((s) => s !== undefined),
      );
      stop.addEventListener("abort", () => socket.off("end", onEnd), { once: true });
      // The call may last the stream's lifetime, not the request timeout's deadline it would inherit.
      const context = { ...contextOf(request), deadline: Date.now() + lifetimeMs + 1_000 };
      const updates = runWithContext(context, () => {
        const watched = orders.watchOrder(
          { userId: userOf(request), orderId: request.params.id },
          { signal: stop },
        );
        return watched[Symbol.asyncIterator]();
      });
      const first = await runWithContext(context, () => updates.next()).catch((error: unknown) => {
        done.abort();
        throw error;
      });
      if (first.done) {
        done.abort();
        throw new ServiceError("unavailable", "the order stream ended before it began; retry");
      }
      return sendEvents(request, reply, { first: first.value, updates, stop, done, context, heartbeatMs });
    },
  );
}

function sendEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  options: {
    first: { order?: Parameters<typeof toOrderJson>[0] };
    updates: AsyncIterator<{ order?: Parameters<typeof toOrderJson>[0] }>;
    stop: AbortSignal;
    done: AbortController;
    context: ReturnType<typeof contextOf>;
    heartbeatMs: number;
  },
) {
  const { first, updates, stop, done, context, heartbeatMs } = options;
  const body = new PassThrough();
  const heartbeat = setInterval(() => body.write(": heartbeat\n\n"), heartbeatMs);
  const event = (order: OrderJson) =>
    body.write(`event: order\nid: ${order.updateTime}\ndata: ${JSON.stringify(order)}\n\n`);
  const pump = async () => {
    let order = toOrderJson(first.order);
    body.write("retry: 1000\n\n");
    event(order);
    while (!finished.has(order.status) && !stop.aborted) {
      const next = await runWithContext(context, () => updates.next());
      if (next.done) break;
      order = toOrderJson(next.value.order);
      event(order);
    }
  };
  pump()
    .catch((error: unknown) => {
      // Headers are sent: a failure can only end the stream; the client reconnects and reads anew.
      if (!stop.aborted) request.log.warn({ err: error }, "order event stream failed");
    })
    .finally(() => {
      clearInterval(heartbeat);
      // Ends the upstream call and drops the socket listener, however the stream ended.
      done.abort();
      body.end();
    });
  return reply
    .header("content-type", "text/event-stream; charset=utf-8")
    .header("cache-control", "no-store")
    .header("x-accel-buffering", "no")
    .send(body);
}
