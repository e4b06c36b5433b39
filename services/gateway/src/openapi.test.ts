import { afterEach, describe, expect, it } from "vitest";
import { openApiProblems } from "./testing/openapi-check.ts";
import { buildTestApp, type TestApp } from "./testing/test-app.ts";

let current: TestApp | undefined;
async function start(options?: Parameters<typeof buildTestApp>[0]): Promise<TestApp> {
  current = await buildTestApp(options);
  return current;
}
afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

describe("the OpenAPI document and docs", () => {
  it("publishes a valid OpenAPI 3.1 document generated from the routes", async () => {
    const { app } = await start();
    const response = await app.inject({ url: "/api/openapi.json" });
    expect(response.statusCode).toBe(200);
    const document = response.json<{
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    }>();
    expect(openApiProblems(document)).toEqual([]);
    expect(Object.keys(document.paths).sort()).toEqual([
      "/api/v1/cart",
      "/api/v1/cart/items",
      "/api/v1/cart/items/{productId}",
      "/api/v1/checkout",
      "/api/v1/notifications",
      "/api/v1/orders",
      "/api/v1/orders/{id}",
      "/api/v1/orders/{id}/cancel",
      "/api/v1/products",
      "/api/v1/products/{id}",
    ]);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining([
        "Problem",
        "Product",
        "Money",
        "ProductPage",
        "Cart",
        "Line",
        "AddCartItem",
        "SetCartItemQuantity",
        "Checkout",
        "Order",
        "OrderPage",
        "Notification",
        "NotificationPage",
      ]),
    );
    expect(document).toMatchObject({
      paths: {
        "/api/v1/products/{id}": {
          get: {
            responses: {
              "404": {
                content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
              },
            },
          },
        },
      },
    });
  });

  it("documents who may call each operation: products for anyone, the rest for a user", async () => {
    const { app } = await start();
    type Operation = {
      tags: string[];
      security?: unknown;
      responses: Record<string, { headers?: Record<string, unknown> }>;
      parameters?: { in: string; name: string; required?: boolean }[];
      requestBody?: { content: Record<string, { schema: unknown }> };
    };
    const document = (await app.inject({ url: "/api/openapi.json" })).json<{
      tags: { name: string }[];
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    expect(document.tags.map((t) => t.name)).toEqual([
      "products",
      "cart",
      "checkout",
      "orders",
      "notifications",
    ]);
    expect(document.components.securitySchemes).toEqual({
      developmentUser: expect.objectContaining({ type: "apiKey", in: "header", name: "X-Tessera-User" }),
    });
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations).toHaveLength(12);
    for (const { path, operation } of operations) {
      if (path.startsWith("/api/v1/products")) {
        expect(operation.security).toBeUndefined();
        continue;
      }
      expect(operation.security, path).toEqual([{ developmentUser: [] }]);
      expect(operation.responses["401"]?.headers, path).toHaveProperty("WWW-Authenticate");
      expect(operation.responses["503"], path).toBeDefined();
    }
    const checkout = document.paths["/api/v1/checkout"]?.["post"];
    expect(checkout?.parameters).toEqual([
      expect.objectContaining({ in: "header", name: "Idempotency-Key", required: true }),
    ]);
    expect(checkout?.responses["201"]?.headers).toHaveProperty("Location");
    expect(checkout?.requestBody?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/Checkout",
    });
    const cancel = document.paths["/api/v1/orders/{id}/cancel"]?.["post"];
    expect(Object.keys(cancel?.responses ?? {})).toEqual(expect.arrayContaining(["200", "404", "409"]));
  });

  it("serves the API docs as HTML whose assets the CSP allows", async () => {
    const { app } = await start();
    const page = await app.inject({ url: "/api/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("swagger-ui-bundle.js");
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/);
    const script = await app.inject({ url: "/api/docs/static/swagger-initializer.js" });
    expect(script.statusCode).toBe(200);
  });
});
