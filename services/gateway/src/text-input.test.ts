import { describe, expect, it } from "vitest";
import { appPerTest, type TestApp } from "./testing/test-app.ts";
import { alice } from "./testing/users.ts";

const tent = "01970000-0000-7000-8000-000000000001";
const start = appPerTest();

interface Problem {
  status: number;
  type: string;
  detail: string;
  errors: { in: string; parameter: string; detail: string }[];
}

/** A request carrying a hostile string; `key` is its Idempotency-Key. */
interface Hostile {
  method?: "GET" | "POST";
  url: string;
  payload?: string;
  key?: string;
}

/** Every service call the fakes saw: a refused request must reach none. */
const calls = (test: TestApp) => [...test.fake.calls, ...test.cart.calls, ...test.orders.calls];

describe("the gateway's check of text input", () => {
  it.each<[string, Hostile, string, string, string]>([
    ["a NUL in a query parameter", { url: "/api/v1/products?category=a%00b" }, "query", "category", "U+0000"],
    ["DEL in a search query", { url: "/api/v1/products?q=tent%7F" }, "query", "q", "U+007F"],
    [
      "a C1 control in a page token",
      { url: "/api/v1/orders?page_token=%C2%85" },
      "query",
      "page_token",
      "U+0085",
    ],
    ["a NUL in a path parameter", { url: "/api/v1/products/%00" }, "path", "id", "U+0000"],
    ["an escape in a path parameter", { url: "/api/v1/orders/%1B%5B31m" }, "path", "id", "U+001B"],
    [
      "a NUL in a JSON body",
      { method: "POST", url: "/api/v1/cart/items", payload: `{"productId":"${tent}\\u0000","quantity":1}` },
      "body",
      "productId",
      "U+0000",
    ],
    [
      "a lone surrogate in a JSON body",
      { method: "POST", url: "/api/v1/checkout", payload: '{"cardToken":"tok_\\ud800"}', key: "k1" },
      "body",
      "cardToken",
      "U+D800, an unpaired surrogate",
    ],
    [
      "a NUL in a JSON property name",
      { method: "POST", url: "/api/v1/cart/items", payload: '{"quantity\\u0000":1}' },
      "body",
      "quantity\\u0000",
      "is a name that contains U+0000",
    ],
    [
      "a C1 control in the Idempotency-Key header",
      { method: "POST", url: "/api/v1/checkout", payload: '{"cardToken":"tok"}', key: "k\u0085" },
      "header",
      "Idempotency-Key",
      "U+0085",
    ],
  ])("refuses %s with a 400 problem naming where", async (_, request, where, parameter, detail) => {
    const test = await start();
    const { method = "GET", url, payload, key } = request;
    const response = await test.app.inject({
      method,
      url,
      payload,
      headers: {
        ...(await test.bearer(alice)),
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
        ...(key === undefined ? {} : { "idempotency-key": key }),
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const problem = response.json<Problem>();
    expect(problem.type).toBe("urn:tessera:problem:invalid-argument");
    expect(problem.errors).toEqual([{ in: where, parameter, detail: expect.stringContaining(detail) }]);
    expect(problem.detail).toContain("other than tab, line feed and carriage return");
    expect(calls(test)).toEqual([]);
  });

  it.each<[string, string, string]>([
    ["an invalid UTF-8 byte", "category=%FF", "category"],
    ["an encoded surrogate", "q=%ED%A0%80", "q"],
    ["a lone percent sign", "q=100%", "q"],
    ["a bad escape in a name", "c%zz=1", "c%zz"],
  ])("refuses a query with %s as not valid percent-encoded UTF-8", async (_, query, parameter) => {
    const test = await start();
    const response = await test.app.inject({ url: `/api/v1/products?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json<Problem>().errors).toEqual([
      { in: "query", parameter, detail: "is not valid percent-encoded UTF-8" },
    ]);
    expect(calls(test)).toEqual([]);
  });

  it("passes tab, line feed, emoji, right-to-left and zero-width text through to the service", async () => {
    const test = await start();
    const q = "tent\t\n😀 \u202eשלום\u200b";
    const response = await test.app.inject({ url: `/api/v1/products?q=${encodeURIComponent(q)}` });
    expect(response.statusCode).toBe(200);
    expect(test.fake.calls).toMatchObject([{ method: "searchProducts", request: { query: q } }]);
  });
});
