import { describe, expect, it } from "vitest";
import { appPerTest, type TestApp } from "../testing/test-app.ts";
import { alice } from "../testing/users.ts";

const tent = "01970000-0000-7000-8000-000000000001";
const stove = "01970000-0000-7000-8000-000000000002";
const start = appPerTest();

async function send(
  test: TestApp,
  method: "GET" | "POST" | "PUT" | "DELETE",
  url: string,
  { ifMatch, payload }: { ifMatch?: string; payload?: object } = {},
) {
  const headers = {
    ...(await test.bearer(alice)),
    ...(ifMatch === undefined ? {} : { "if-match": ifMatch }),
  };
  return test.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
}

const addTent = (test: TestApp, ifMatch?: string) =>
  send(test, "POST", "/api/v1/cart/items", { ifMatch, payload: { productId: tent, quantity: 1 } });

describe("cart ETag and If-Match", () => {
  it("sends a strong ETag on every cart answer, new after each change", async () => {
    const test = await start();
    const empty = await send(test, "GET", "/api/v1/cart");
    const added = await addTent(test);
    const read = await send(test, "GET", "/api/v1/cart");
    expect(empty.headers.etag).toMatch(/^"[^"]+"$/);
    expect(added.headers.etag).toMatch(/^"[^"]+"$/);
    expect(added.headers.etag).not.toBe(empty.headers.etag);
    expect(read.headers.etag).toBe(added.headers.etag);
    expect(read.headers["cache-control"]).toBe("no-store");
  });

  it("applies a write whose If-Match is the current ETag, and passes the version to the cart service", async () => {
    const test = await start();
    const etag = (await addTent(test)).headers.etag as string;
    const set = await send(test, "PUT", `/api/v1/cart/items/${tent}`, {
      ifMatch: etag,
      payload: { quantity: 4 },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ items: [{ productId: tent, quantity: 4 }] });
    expect(test.cart.calls.at(-1)?.request).toMatchObject({ expectedVersion: etag.slice(1, -1) });
    const cleared = await send(test, "DELETE", "/api/v1/cart", { ifMatch: set.headers.etag as string });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ items: [] });
  });

  it.each([
    ["setting a quantity", "PUT", `/api/v1/cart/items/${tent}`, { quantity: 2 }],
    ["removing a line", "DELETE", `/api/v1/cart/items/${tent}`, undefined],
    ["clearing the cart", "DELETE", "/api/v1/cart", undefined],
  ] as const)(
    "refuses %s with a stale If-Match: 412 precondition-failed",
    async (_, method, url, payload) => {
      const test = await start();
      const stale = (await addTent(test)).headers.etag as string;
      await send(test, "POST", "/api/v1/cart/items", { payload: { productId: stove, quantity: 1 } });
      const response = await send(test, method, url, { ifMatch: stale, payload });
      expect(response.statusCode).toBe(412);
      expect(response.headers["content-type"]).toContain("application/problem+json");
      expect(response.json()).toMatchObject({ status: 412, type: "urn:tessera:problem:precondition-failed" });
      const cart = await send(test, "GET", "/api/v1/cart");
      expect(cart.json<{ items: unknown[] }>().items).toHaveLength(2);
    },
  );

  it.each([
    ["setting a quantity", "PUT", `/api/v1/cart/items/${tent}`, { quantity: 2 }],
    ["removing a line", "DELETE", `/api/v1/cart/items/${tent}`, undefined],
    ["clearing the cart", "DELETE", "/api/v1/cart", undefined],
  ] as const)("refuses %s without If-Match: 428 precondition-required", async (_, method, url, payload) => {
    const test = await start();
    await addTent(test);
    const calls = test.cart.calls.length;
    const response = await send(test, method, url, { payload });
    expect(response.statusCode).toBe(428);
    expect(response.json()).toMatchObject({ status: 428, type: "urn:tessera:problem:precondition-required" });
    expect(test.cart.calls).toHaveLength(calls);
  });

  it("lets adding a line go without If-Match, and refuses it with a stale one", async () => {
    const test = await start();
    const first = await addTent(test);
    expect(first.statusCode).toBe(200);
    await addTent(test);
    const stale = await addTent(test, first.headers.etag);
    expect(stale.statusCode).toBe(412);
  });

  it("refuses a weak or malformed If-Match with 412, and accepts * as any version", async () => {
    const test = await start();
    const etag = (await addTent(test)).headers.etag as string;
    for (const ifMatch of [`W/${etag}`, "not-a-tag", `${etag}, "other"`]) {
      const response = await send(test, "DELETE", `/api/v1/cart/items/${tent}`, { ifMatch });
      expect(response.statusCode).toBe(412);
    }
    expect((await send(test, "DELETE", "/api/v1/cart", { ifMatch: "*" })).statusCode).toBe(200);
  });

  it("lets exactly one of concurrent writers with the same ETag win; the others get 412", async () => {
    const test = await start();
    const etag = (await addTent(test)).headers.etag as string;
    const responses = await Promise.all(
      [2, 3, 4, 5].map((quantity) =>
        send(test, "PUT", `/api/v1/cart/items/${tent}`, { ifMatch: etag, payload: { quantity } }),
      ),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([200, 412, 412, 412]);
  });
});
