import { describe, expect, it } from "vitest";
import { appPerTest } from "../testing/test-app.ts";

const productId = "01970000-0000-7000-8000-000000000001";

const start = appPerTest();

describe("products API", () => {
  it("lists products as camelCase JSON with integer minor units and ISO times", async () => {
    const { app } = await start();
    const response = await app.inject({ url: "/api/v1/products" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    const body = response.json<{ products: Record<string, unknown>[]; nextPageToken: string }>();
    expect(body.nextPageToken).toBe("");
    expect(body.products[0]).toMatchObject({
      id: productId,
      price: { currencyCode: "USD", amountMinor: 34900, formatted: "$349.00" },
      imageUrl: "/images/products/tent-2p-ultra.svg",
      createTime: "2026-01-02T03:04:05.123Z",
    });
  });

  it("passes paging and category to ListProducts and q to SearchProducts", async () => {
    const { app, fake } = await start();
    await app.inject({ url: "/api/v1/products?page_size=7&page_token=abc&category=tents" });
    await app.inject({ url: "/api/v1/products?q=tent&page_size=3" });
    expect(fake.calls.map(({ method, request }) => ({ method, request }))).toEqual([
      { method: "listProducts", request: { pageSize: 7, pageToken: "abc", category: "tents" } },
      { method: "searchProducts", request: { query: "tent", pageSize: 3, pageToken: "" } },
    ]);
  });

  it("gets one product by id", async () => {
    const { app } = await start();
    const response = await app.inject({ url: `/api/v1/products/${productId}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: productId, sku: "TENT-2P-ULTRA" });
  });

  it.each(["limit=5", "page_size=2&utm_source=mail", "x[y]=1"])(
    "refuses %s: a query parameter the operation does not declare is a 400 naming it",
    async (query) => {
      const { app, fake } = await start();
      const response = await app.inject({ url: `/api/v1/products?${query}` });
      expect(response.statusCode).toBe(400);
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      const parameter = /(?:^|&)(?!page_size)([^=&]+)=/.exec(query)?.[1];
      expect(response.json()).toMatchObject({
        status: 400,
        type: "urn:tessera:problem:invalid-argument",
        errors: [{ in: "query", parameter, detail: "is not a known parameter" }],
      });
      expect(fake.calls).toEqual([]);
    },
  );

  it("refuses undeclared query parameters on an operation that declares none", async () => {
    const { app } = await start();
    const response = await app.inject({ url: `/api/v1/products/${productId}?expand=all` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ errors: [{ in: "query", parameter: "expand" }] });
  });

  it.each([
    ["101", 101],
    ["1000", 1000],
    ["1e9", 1e9],
  ])("accepts page_size=%s, passing it on for the service to reduce to 100", async (query, pageSize) => {
    const { app, fake } = await start();
    const response = await app.inject({ url: `/api/v1/products?page_size=${query}` });
    expect(response.statusCode).toBe(200);
    expect(fake.calls.map(({ request }) => request)).toEqual([{ pageSize, pageToken: "", category: "" }]);
  });

  it.each([
    ["page_size=-1", "page_size"],
    ["page_size=0", "page_size"],
    ["page_size=1e10", "page_size"],
    ["page_size=abc", "page_size"],
    ["page_size=2.5", "page_size"],
    ["page_size=", "page_size"],
    ["page_size=1&page_size=2", "page_size"],
    ["q=", "q"],
    [`q=${"a".repeat(201)}`, "q"],
    [`page_token=${"a".repeat(2049)}`, "page_token"],
    [`category=${"a".repeat(101)}`, "category"],
  ])("rejects %s with a 400 problem naming %s", async (query, parameter) => {
    const { app, fake } = await start();
    const response = await app.inject({ url: `/api/v1/products?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const problem = response.json<{ errors: { parameter: string; in: string }[]; detail: string }>();
    expect(problem).toMatchObject({ status: 400, type: "urn:tessera:problem:invalid-argument" });
    expect(problem.errors[0]).toMatchObject({ parameter, in: "query" });
    expect(problem.detail).toContain(parameter);
    expect(fake.calls).toEqual([]);
  });

  it("accepts q of 200 characters", async () => {
    const { app } = await start();
    expect((await app.inject({ url: `/api/v1/products?q=${"a".repeat(200)}` })).statusCode).toBe(200);
  });

  it("refuses category together with q, as search spans all categories", async () => {
    const { app } = await start();
    const response = await app.inject({ url: "/api/v1/products?q=tent&category=tents" });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ detail: string }>().detail).toMatch(/category cannot be combined with q/);
  });

  it("rejects a malformed product id with a 400 problem naming id", async () => {
    const { app, fake } = await start();
    for (const id of ["abc", "01970000-0000-7000-8000-00000000000g", "1".repeat(36)]) {
      const response = await app.inject({ url: `/api/v1/products/${id}` });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ in: "path", parameter: "id" }] });
    }
    expect(fake.calls).toEqual([]);
  });
});
