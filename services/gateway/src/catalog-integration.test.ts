import { setTimeout as sleep } from "node:timers/promises";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { createLogger, createMetrics, loadConfig, type Client } from "@tessera/kit";
import {
  createTestDatabase,
  type TestDatabase,
  freePort,
  startRpcService,
  startService,
  testCallers,
  testClient,
  testIssuer,
  type RpcServiceProcess,
} from "@tessera/kit/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./app.ts";
import { GatewayConfig } from "./config.ts";
import type { ProductJson } from "./routes/product-json.ts";
import { createFakeCart } from "./testing/fake-cart.ts";
import { createFakeNotifications } from "./testing/fake-notifications.ts";
import { createFakeOrders } from "./testing/fake-orders.ts";
import { openApiProblems } from "./testing/openapi-check.ts";

// The gateway against the real catalog, run as its own process on a fresh database.

interface Page {
  products: ProductJson[];
  nextPageToken: string;
}

let database: TestDatabase | undefined;
let catalogProcess: RpcServiceProcess | undefined;
let catalog: Client<typeof CatalogService> | undefined;
let app: FastifyInstance;
let base: string;
let auth: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase("gateway");
  auth = (await testIssuer()).env;
  catalogProcess = await startRpcService(new URL("../../catalog/src/main.ts", import.meta.url), {
    ...auth,
    DATABASE_URL: database.url,
  });
  const metrics = createMetrics("gateway");
  // A service client, as the gateway's own clients are (svc-gateway) when no user signed in.
  catalog = testClient(CatalogService, catalogProcess.address, testCallers.service, { metrics });
  // Only the catalog runs here; the other services' routes are covered in-process (app tests).
  const fakeCart = createFakeCart();
  app = await buildApp({
    catalog,
    cart: fakeCart.client,
    orders: createFakeOrders(fakeCart).client,
    notifications: createFakeNotifications().client,
    log: createLogger({ service: "gateway", level: "silent" }),
    metrics,
    config: loadConfig(GatewayConfig, {}),
  });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await app?.close();
  catalog?.close();
  await catalogProcess?.kill("SIGKILL");
  await database?.drop();
});

type Linked = Page & { next?: string };
type Headers = Record<string, string | string[] | number | undefined>;

/** A GET as a well-behaved client makes it: a 503 or 504 (a busy machine's deadline) is retried twice at most. */
async function get<T>(url: string) {
  let response = await app.inject({ url });
  for (let retry = 1; retry <= 2 && [503, 504].includes(response.statusCode); retry++) {
    await sleep(250 * retry);
    response = await app.inject({ url });
  }
  return { status: response.statusCode, headers: response.headers, body: response.json<T>() };
}

async function pageThrough(query: string, pageSize: number): Promise<ProductJson[]> {
  const all: ProductJson[] = [];
  let token = "";
  for (let pages = 0; pages < 100; pages++) {
    const { status, body } = await get<Page>(
      `/api/v1/products?${query}&page_size=${pageSize}&page_token=${encodeURIComponent(token)}`,
    );
    expect(status).toBe(200);
    expect(body.products.length).toBeLessThanOrEqual(pageSize);
    all.push(...body.products);
    if (body.nextPageToken === "") return all;
    token = body.nextPageToken;
  }
  throw new Error("paging did not end");
}

describe("gateway → catalog", () => {
  it("pages through the whole seeded catalog by name, each product once", async () => {
    const paged = await pageThrough("", 7);
    const ids = paged.map((p) => p.id);
    expect(paged.length).toBeGreaterThanOrEqual(50);
    expect(new Set(ids).size).toBe(ids.length);
    const names = paged.map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const { body: onePage } = await get<Page>("/api/v1/products?page_size=100");
    expect(onePage.products.map((p) => p.id)).toEqual(ids);
    expect(onePage.nextPageToken).toBe("");
  });

  it("follows next links to the end, and revalidates a page with more to come as 304", async () => {
    let url: string | undefined = "/api/v1/products?category=camping&page_size=2";
    const seen: string[] = [];
    while (url !== undefined) {
      const { status, headers, body }: { status: number; headers: Headers; body: Linked } =
        await get<Linked>(url);
      expect(status).toBe(200);
      seen.push(...body.products.map((p) => p.id));
      if (seen.length === 2) {
        // The same page again gives the same token, so its ETag still holds.
        const again = await app.inject({ url, headers: { "if-none-match": String(headers.etag) } });
        expect(again.statusCode).toBe(304);
      }
      url = body.next === undefined ? undefined : new URL(body.next).pathname + new URL(body.next).search;
    }
    expect(seen).toEqual((await pageThrough("category=camping", 100)).map((p) => p.id));
    expect(seen.length).toBeGreaterThan(2);
  });

  it("serves a page_size above 100 as 100 (AIP-158) rather than refusing it", async () => {
    const { status, body } = await get<Page>("/api/v1/products?page_size=1000");
    expect(status).toBe(200);
    const { body: hundred } = await get<Page>("/api/v1/products?page_size=100");
    expect(body.products.map((p) => p.id)).toEqual(hundred.products.map((p) => p.id));
  });

  it("shows products in the public JSON shape", async () => {
    const { body } = await get<Page>("/api/v1/products?page_size=1");
    const [product] = body.products;
    expect(product).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      sku: expect.any(String) as string,
      name: expect.any(String) as string,
      description: expect.any(String) as string,
      price: {
        currencyCode: "USD",
        amountMinor: expect.any(Number) as number,
        formatted: expect.stringMatching(/^\$[\d,]+\.\d\d$/) as string,
      },
      categories: expect.any(Array) as unknown[],
      imageUrl: expect.stringMatching(/^\/images\/products\//) as string,
      attributes: expect.any(Object) as object,
      createTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
      updateTime: expect.stringMatching(/Z$/) as string,
    });
    expect(Number.isInteger(product?.price.amountMinor)).toBe(true);
  });

  it("filters by category across pages", async () => {
    const tents = await pageThrough("category=tents", 1);
    expect(tents.length).toBeGreaterThanOrEqual(2);
    for (const product of tents) expect(product.categories).toContain("tents");
    const none = await get<Page>("/api/v1/products?category=no-such-category");
    expect(none.body).toEqual({ products: [], nextPageToken: "" });
  });

  it("searches with q, tents first for 'tent'", async () => {
    const { status, body } = await get<Page>("/api/v1/products?q=tent");
    expect(status).toBe(200);
    expect(body.products.length).toBeGreaterThanOrEqual(2);
    for (const product of body.products.slice(0, 2)) expect(product.categories).toContain("tents");
  });

  it("gets a product by id, the same as listed", async () => {
    const { body } = await get<Page>("/api/v1/products?page_size=3");
    const listed = body.products[2];
    const response = await get<ProductJson>(`/api/v1/products/${listed?.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(listed);
  });

  it("answers an unknown id with a 404 problem", async () => {
    const id = "01970000-0000-7000-8000-00000000dead";
    const { status, headers, body } = await get(`/api/v1/products/${id}`);
    expect(status).toBe(404);
    expect(headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ status: 404, title: "Not found", detail: `product ${id} not found` });
  });

  it("answers a malformed id with a 400 problem", async () => {
    const { status, body } = await get("/api/v1/products/not-a-uuid");
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 400, errors: [{ parameter: "id" }] });
  });

  it.each(["!!!", "e30", "eyJraW5kIjoic2VhcmNoIiwib2Zmc2V0IjoxLCJxdWVyeSI6InRlbnQifQ"])(
    "answers the malformed or foreign page token %s with a 400 problem",
    async (token) => {
      const { status, body } = await get(`/api/v1/products?page_token=${token}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({
        status: 400,
        detail: expect.stringMatching(/^page_token (is malformed|was issued for a search)/),
      });
    },
  );

  it("refuses a token issued for another category", async () => {
    const { body: first } = await get<Page>("/api/v1/products?category=camping&page_size=2");
    const { status } = await get(`/api/v1/products?category=hiking&page_token=${first.nextPageToken}`);
    expect(status).toBe(400);
  });

  it.each(["page_size=-1", "page_size=0", "page_size=1e10", "page_size=abc", `q=${"a".repeat(201)}`])(
    "answers %s with a 400 problem",
    async (query) => {
      const { status, body } = await get(`/api/v1/products?${query}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({ status: 400, type: "urn:tessera:problem:invalid-argument" });
    },
  );

  it("answers a 100 kB query string on a real socket with a clean 4xx problem, and keeps serving", async () => {
    const response = await fetch(`${base}/api/v1/products?q=${"tent+".repeat(20 * 1024)}`);
    expect([400, 414, 431]).toContain(response.status);
    expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(await response.json()).toMatchObject({
      status: response.status,
      requestId: response.headers.get("x-request-id"),
    });
    const after = await fetch(`${base}/api/v1/products?page_size=2`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as Page).products).toHaveLength(2);
  });

  it("echoes a sane X-Request-Id and generates one otherwise", async () => {
    const echoed = await fetch(`${base}/api/v1/products?page_size=1`, {
      headers: { "x-request-id": "it-test-1" },
    });
    expect(echoed.headers.get("x-request-id")).toBe("it-test-1");
    const generated = await fetch(`${base}/api/v1/products/01970000-0000-7000-8000-00000000dead`);
    const id = generated.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab]/);
    expect(((await generated.json()) as { requestId: string }).requestId).toBe(id);
  });

  it("sends the security headers", async () => {
    const response = await fetch(`${base}/api/v1/products?page_size=1`);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("strict-transport-security")).toMatch(/max-age=/);
  });

  it("publishes a valid OpenAPI 3.1 document and the docs page", async () => {
    const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as { paths: object };
    expect(openApiProblems(document)).toEqual([]);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/api/v1/products", "/api/v1/products/{id}"]),
    );
    const docs = await fetch(`${base}/api/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await docs.text()).toContain("<html");
  });

  it("runs as its own process from main.ts, and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const gateway = await startService(new URL("./main.ts", import.meta.url), {
      ...auth,
      CATALOG_ADDR: catalogProcess?.address ?? "",
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(port),
    });
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/products?page_size=2`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as Page).products).toHaveLength(2);
      const metrics = await (await fetch(`http://127.0.0.1:${gateway.opsPort}/metrics`)).text();
      expect(metrics).toMatch(
        /http_server_duration_seconds_count\{[^}]*route="\/api\/v1\/products"[^}]*\} 1/,
      );
      expect(metrics).toMatch(/rpc_client_duration_seconds_count\{[^}]*method="ListProducts",code="OK"\} 1/);
    } finally {
      expect(await gateway.kill("SIGTERM"), gateway.output()).toBe(0);
    }
  });

  // Last: it kills the catalog.
  it("answers 503 with Retry-After when the catalog is down, and the rest of the gateway keeps working", async () => {
    await catalogProcess?.kill("SIGKILL");
    for (const url of ["/api/v1/products", "/api/v1/products/01970000-0000-7000-8000-00000000dead"]) {
      const response = await fetch(`${base}${url}`);
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      const problem = (await response.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({ status: 503, type: "urn:tessera:problem:unavailable" });
      expect(JSON.stringify(problem)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|circuit/);
    }
    expect((await fetch(`${base}/`)).status).toBe(200);
  });
});
