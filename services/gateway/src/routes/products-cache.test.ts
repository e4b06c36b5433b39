import { describe, expect, it } from "vitest";
import { appPerTest } from "../testing/test-app.ts";
import { alice } from "../testing/users.ts";

const tent = "01970000-0000-7000-8000-000000000001";
const start = appPerTest();

describe("caching of public catalog data", () => {
  it.each([
    ["a product", `/api/v1/products/${tent}`],
    ["the product list", "/api/v1/products"],
    ["a search", "/api/v1/products?q=tent"],
    ["the categories", "/api/v1/categories"],
  ])("sends %s with a strong ETag and a public Cache-Control, and 304 when it is current", async (_, url) => {
    const test = await start();
    const first = await test.app.inject({ url });
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers["cache-control"]).toMatch(/^public, max-age=\d+/);
    expect((await test.app.inject({ url })).headers.etag).toBe(etag);

    const revalidated = await test.app.inject({ url, headers: { "if-none-match": `"other", ${etag}` } });
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.body).toBe("");
    expect(revalidated.headers.etag).toBe(etag);

    const changed = await test.app.inject({ url, headers: { "if-none-match": '"stale"' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual(first.json());
  });

  it("gives another representation another ETag", async () => {
    const test = await start();
    const all = await test.app.inject({ url: "/api/v1/products" });
    const none = await test.app.inject({ url: "/api/v1/products?category=nothing-here" });
    expect(none.headers.etag).not.toBe(all.headers.etag);
  });

  it("keeps signed-in answers out of shared caches", async () => {
    const test = await start();
    const cart = await test.app.inject({ url: "/api/v1/cart", headers: await test.bearer(alice) });
    expect(cart.headers["cache-control"]).toBe("no-store");
  });

  it("lists the categories with their product counts", async () => {
    const test = await start();
    const response = await test.app.inject({ url: "/api/v1/categories" });
    const { categories } = response.json<{ categories: { name: string; productCount: number }[] }>();
    expect(categories.length).toBeGreaterThan(0);
    for (const category of categories) expect(category.productCount).toBeGreaterThanOrEqual(1);
    expect(test.fake.calls.at(-1)?.method).toBe("listCategories");
  });
});
