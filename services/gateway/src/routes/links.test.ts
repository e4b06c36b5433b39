import { describe, expect, it } from "vitest";
import { createFakeCatalog, productMessage } from "../testing/fake-catalog.ts";
import { checkout, fillCart } from "../testing/checkout-flow.ts";
import { appPerTest } from "../testing/test-app.ts";
import { alice } from "../testing/users.ts";

const start = appPerTest();

const products = [1, 2, 3].map((n) =>
  productMessage({ id: `01970000-0000-7000-8000-00000000000${n}`, sku: `TENT-${n}`, categories: ["tents"] }),
);

interface Page {
  products: { id: string }[];
  nextPageToken: string;
  next?: string;
}

describe("absolute links", () => {
  it("gives a page a `next` link and a Link header that keep the query, and none on the last page", async () => {
    const { app } = await start({ catalog: createFakeCatalog(products).client });
    const first = await app.inject({ url: "/api/v1/products?category=Tents&page_size=2" });
    expect(first.statusCode).toBe(200);
    const page = first.json<Page>();
    expect(page.products.map((p) => p.id)).toEqual([products[0]?.id, products[1]?.id]);
    expect(page.next).toBe("http://gateway.test/api/v1/products?category=Tents&page_size=2&page_token=2");
    expect(first.headers.link).toBe(`<${page.next}>; rel="next"`);

    const next = new URL(page.next ?? "");
    const last = await app.inject({ url: next.pathname + next.search });
    expect(last.json<Page>()).toEqual({
      products: [expect.objectContaining({ id: products[2]?.id })],
      nextPageToken: "",
    });
    expect(last.headers.link).toBeUndefined();
  });

  it("replaces a page_token the request already had, once", async () => {
    const { app } = await start({ catalog: createFakeCatalog(products).client });
    const response = await app.inject({ url: "/api/v1/products?page_token=1&page_size=1" });
    expect(response.json<Page>().next).toBe("http://gateway.test/api/v1/products?page_token=2&page_size=1");
  });

  it("builds Location on the configured public origin, whatever Host the request names", async () => {
    const test = await start({ env: { PUBLIC_URL: "https://shop.example" } });
    await fillCart(test);
    const headers = {
      ...(await test.bearer(alice)),
      host: "evil.example",
      "x-forwarded-host": "evil.example",
    };
    const response = await test.app.inject({
      method: "POST",
      url: "/api/v1/checkout",
      headers: { ...headers, "idempotency-key": "links-1" },
      payload: { cardToken: "tok_visa" },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toMatch(/^https:\/\/shop\.example\/api\/v1\/orders\/[0-9a-f-]{36}$/);
    // The same origin serves the OpenAPI document's servers.
    const document = (await test.app.inject({ url: "/api/openapi.json" })).json<{
      servers: { url: string }[];
    }>();
    expect(document.servers.map((s) => s.url)).toEqual(["https://shop.example"]);
    expect((await checkout(test, "links-1")).headers.location).toBe(response.headers.location);
  });

  it("refuses a PUBLIC_URL that is not an origin", async () => {
    await expect(start({ env: { PUBLIC_URL: "https://shop.example/api?x=1" } })).rejects.toThrow(
      /PUBLIC_URL/,
    );
  });
});
