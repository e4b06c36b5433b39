import { setTimeout as sleep } from "node:timers/promises";
import { OrderStatus } from "@tessera/contracts/orders/v1";
import { ServiceError } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../testing/checkout-flow.ts";
import { appPerTest, type TestApp } from "../testing/test-app.ts";
import { alice, bob } from "../testing/users.ts";

const start = appPerTest();

/** The `event: order` events of an SSE body: their ids and the orders' statuses. */
function ordersIn(body: string) {
  return body
    .split("\n\n")
    .filter((block) => block.startsWith("event: order\n"))
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { id: field("id"), order: JSON.parse(field("data") ?? "{}") as { id: string; status: string } };
    });
}

const watching = (test: TestApp) => () => test.orders.calls.filter((c) => c.method === "watchOrder").length;

describe("GET /api/v1/orders/{id}/events", () => {
  it("streams the order at once and each change as Server-Sent Events, ending after a final status", async () => {
    const test = await start();
    const order = await placeOrder(test, "events");
    const response = test.app.inject({
      url: `/api/v1/orders/${order.id}/events`,
      headers: { ...(await test.bearer(alice)), "last-event-id": "2025-01-01T00:00:00.000Z" },
    });
    await expect.poll(watching(test)).toBe(1);
    test.orders.advance(order.id, OrderStatus.STOCK_RESERVED);
    test.orders.advance(order.id, OrderStatus.CONFIRMED);
    const answer = await response;
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.headers["x-request-id"]).toEqual(expect.any(String));
    expect(answer.body).toMatch(/^retry: \d+\n\n/);
    const events = ordersIn(answer.body);
    expect(events[0]?.order).toMatchObject({ id: order.id, status: "pending" });
    expect(events.at(-1)?.order.status).toBe("confirmed");
    expect(events.every((event) => event.id && !Number.isNaN(Date.parse(event.id)))).toBe(true);
  });

  it("answers 404 for another user's order, 400 for a bad id, 401 without a token", async () => {
    const test = await start();
    const order = await placeOrder(test, "private-events");
    const other = await test.app.inject({
      url: `/api/v1/orders/${order.id}/events`,
      headers: await test.bearer(bob),
    });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ type: "urn:tessera:problem:not-found" });
    const bad = await test.app.inject({
      url: "/api/v1/orders/latest/events",
      headers: await test.bearer(alice),
    });
    expect(bad.statusCode).toBe(400);
    expect((await test.app.inject({ url: `/api/v1/orders/${order.id}/events` })).statusCode).toBe(401);
  });

  it("answers 429 when the orders service refuses another stream for the user", async () => {
    const test = await start();
    const order = await placeOrder(test, "capped");
    test.orders.failWith(
      new ServiceError("resource_exhausted", "at most 8 order streams may be open per user", {
        reason: "too-many-watchers-per-user",
      }),
    );
    const response = await test.app.inject({
      url: `/api/v1/orders/${order.id}/events`,
      headers: await test.bearer(alice),
    });
    expect(response.statusCode).toBe(429);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("outlives the request timeout", async () => {
    const test = await start({ env: { GATEWAY_REQUEST_TIMEOUT_MS: "150" } });
    const order = await placeOrder(test, "long");
    const response = test.app.inject({
      url: `/api/v1/orders/${order.id}/events`,
      headers: await test.bearer(alice),
    });
    await expect.poll(watching(test)).toBe(1);
    await sleep(400);
    test.orders.advance(order.id, OrderStatus.REJECTED);
    const answer = await response;
    expect(answer.statusCode).toBe(200);
    expect(ordersIn(answer.body).map((event) => event.order.status)).toEqual(["pending", "rejected"]);
  });

  it("stops the upstream stream when the client goes away", async () => {
    const test = await start();
    const order = await placeOrder(test, "gone");
    const { order: stored } = await test.orders.client.getOrder({ userId: alice, orderId: order.id });
    let upstreamStopped = false;
    test.orders.override({
      async *watchOrder(_request, signal) {
        yield { order: stored };
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        upstreamStopped = true;
      },
    });
    const address = await test.app.listen({ port: 0, host: "127.0.0.1" });
    const client = new AbortController();
    const response = await fetch(`${address}/api/v1/orders/${order.id}/events`, {
      headers: await test.bearer(alice),
      signal: client.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("event: order")) text += new TextDecoder().decode((await reader.read()).value);
    client.abort();
    await expect.poll(() => upstreamStopped).toBe(true);
  });
});
