import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { gatewayCaller, gatewayWatcher, placeOrder } from "./order-flow.ts";

const product = { id: "0197a3c2-5f1e-7b3a-9c4d-2e8f6a1b0c9d", sku: "TENT" };
const orderId = "0197a3d4-7e3b-7f02-9d1c-5a6b7c8d9e0f";
const order = (status: string) => ({ id: orderId, status, reason: null });
const event = (status: string) => `event: order\nid: ${status}\ndata: ${JSON.stringify(order(status))}\n\n`;

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

/** A stand-in for the gateway's cart, checkout and order event stream; `streams` are its bodies in turn. */
async function fakeGateway(streams: string[][]) {
  app = Fastify();
  const opened: string[] = [];
  app.post("/api/v1/cart/items", () => ({}));
  app.post("/api/v1/checkout", (_request, reply) => reply.code(201).send(order("pending")));
  app.get("/api/v1/orders/:id/events", (request, reply) => {
    opened.push(request.headers.authorization ?? "");
    const chunks = streams.shift() ?? [];
    reply.type("text/event-stream").send(`retry: 1000\n\n: heartbeat\n\n${chunks.join("")}`);
  });
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  const tokens = new Map([["buyer", "token-1"]]);
  const signal = new AbortController().signal;
  return {
    opened,
    io: { call: gatewayCaller(base, tokens, signal), watch: gatewayWatcher(base, tokens, signal) },
  };
}

describe("placeOrder", () => {
  it("follows the order's events until it is confirmed", async () => {
    const { io, opened } = await fakeGateway([
      [event("pending"), event("stock_reserved"), event("confirmed")],
    ]);
    const outcome = await placeOrder(io, "buyer", product, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: "confirmed", latencyMs: expect.any(Number) });
    expect(opened).toEqual(["Bearer token-1"]);
  });

  it("opens the stream again when it ends before a final status", async () => {
    const { io, opened } = await fakeGateway([
      [event("pending")],
      [event("stock_reserved"), event("rejected")],
    ]);
    const outcome = await placeOrder(io, "buyer", product, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: "rejected" });
    expect(opened).toHaveLength(2);
  });

  it("fails on a stream with no event rather than reopening it forever", async () => {
    const { io } = await fakeGateway([[]]);
    const outcome = await placeOrder(io, "buyer", product, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: "failed", submitted: true });
  });
});
