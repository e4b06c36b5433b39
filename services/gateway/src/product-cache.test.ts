import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { createProductCache } from "./product-cache.ts";
import { appPerTest } from "./testing/test-app.ts";

const tent = "01970000-0000-7000-8000-000000000001";
const start = appPerTest();
const log = createLogger({ service: "gateway", level: "silent" });
const cacheOf = (ttlMs = 60_000) => createProductCache({ maxBytes: 1024 * 1024, ttlMs, log });

describe("the gateway's product cache", () => {
  it.each([
    ["a product", `/api/v1/products/${tent}`],
    ["the product list", "/api/v1/products?page_size=2"],
    ["a search", "/api/v1/products?q=tent"],
    ["the categories", "/api/v1/categories"],
  ])("answers %s from memory after the first read, with the same body, ETag and 304", async (_, url) => {
    const productCache = cacheOf();
    const test = await start({ productCache });
    const first = await test.app.inject({ url });
    const calls = test.fake.calls.length;
    const second = await test.app.inject({ url });
    expect(test.fake.calls.length).toBe(calls);
    expect(second.statusCode).toBe(200);
    expect(second.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(second.json()).toEqual(first.json());
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers.link).toBe(first.headers.link);
    const revalidated = await test.app.inject({
      url,
      headers: { "if-none-match": String(first.headers.etag) },
    });
    expect(revalidated.statusCode).toBe(304);
    expect(test.fake.calls.length).toBe(calls);
  });

  it("drops a changed product and every page, and keeps other products", async () => {
    const productCache = cacheOf();
    const test = await start({ productCache });
    const other = "01970000-0000-7000-8000-0000000000ff";
    productCache.set("product", other, { json: "{}", etag: '"other"' }, productCache.mark());
    for (const url of [`/api/v1/products/${tent}`, "/api/v1/products", "/api/v1/categories"])
      await test.app.inject({ url });
    expect(productCache.get("page", "/api/v1/products")).toBeDefined();
    productCache.productChanged(tent);
    expect(productCache.get("product", tent)).toBeUndefined();
    expect(productCache.get("page", "/api/v1/products")).toBeUndefined();
    expect(productCache.get("page", "/api/v1/categories")).toBeUndefined();
    expect(productCache.get("product", other)).toBeDefined();
  });

  it("does not keep an answer read while a change arrived", () => {
    const productCache = cacheOf();
    const mark = productCache.mark();
    productCache.productChanged(tent);
    productCache.set("product", tent, { json: "{}", etag: '"x"' }, mark);
    expect(productCache.get("product", tent)).toBeUndefined();
  });

  it("forgets an answer after its TTL, and everything on a flush", async () => {
    const productCache = cacheOf(100);
    productCache.set("product", tent, { json: "{}", etag: '"x"' }, productCache.mark());
    productCache.set("page", "/api/v1/categories", { json: "{}", etag: '"y"' }, productCache.mark());
    productCache.flush();
    expect(productCache.get("page", "/api/v1/categories")).toBeUndefined();
    productCache.set("product", tent, { json: "{}", etag: '"x"' }, productCache.mark());
    expect(productCache.get("product", tent)).toBeDefined();
    await sleep(150);
    expect(productCache.get("product", tent)).toBeUndefined();
  });

  it("stays within its size, dropping the least recently used", () => {
    const productCache = createProductCache({ maxBytes: 20_000, ttlMs: 60_000, log });
    const json = "x".repeat(1_000);
    for (let n = 0; n < 100; n++)
      productCache.set("product", `p${n}`, { json, etag: '"e"' }, productCache.mark());
    expect(productCache.get("product", "p0")).toBeUndefined();
    expect(productCache.get("product", "p99")).toBeDefined();
  });
});
