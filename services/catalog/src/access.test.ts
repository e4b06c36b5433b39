import { CatalogService } from "@tessera/contracts/catalog/v1";
import { createClient } from "@tessera/kit";
import { testCallers, testClient } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCatalog, type TestCatalog } from "./testing/test-service.ts";

describe("who may call the catalog", () => {
  let app: TestCatalog;
  const clients: { close(): void }[] = [];
  const as = (caller: Parameters<typeof testClient>[2]) => {
    const client = testClient(CatalogService, app.address, caller);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    app = await startTestCatalog();
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.stop();
  });

  const tarp = {
    sku: "TARP-ACCESS",
    name: "Tarp",
    description: "",
    price: { currencyCode: "USD", amountMinor: 100n },
    categories: ["camping"],
  };

  it("lets a signed-in customer browse", async () => {
    const { products } = await as(testCallers.customer("alice")).listProducts({ pageSize: 3 });
    expect(products).toHaveLength(3);
  });

  it("refuses a customer creating a product or setting a price", async () => {
    const customer = as(testCallers.customer("alice"));
    await expect(customer.createProduct(tarp)).rejects.toMatchObject({ code: "permission_denied" });
    const { products } = await customer.listProducts({ pageSize: 1 });
    await expect(
      customer.updateProductPrice({ id: products[0]!.id, price: { currencyCode: "USD", amountMinor: 1n } }),
    ).rejects.toMatchObject({ code: "permission_denied" });
  });

  it("refuses a call without a token", async () => {
    const bare = createClient(CatalogService, app.address);
    clients.push(bare);
    await expect(bare.listProducts({ pageSize: 1 })).rejects.toMatchObject({ code: "unauthenticated" });
  });
});
