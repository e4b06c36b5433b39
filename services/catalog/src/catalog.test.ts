import { limits } from "@tessera/contracts/limits";
import type { CatalogService } from "@tessera/contracts/catalog/v1";
import type { Client } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchTerms } from "./catalog.ts";
import { seedProducts } from "./seed.ts";
import { seedCatalog } from "./seed-data.ts";
import { startAdminCatalog, type TestCatalog } from "./testing/test-service.ts";

describe("searchTerms", () => {
  it("keeps letters and digits, lower-cased and de-duplicated", () => {
    expect(searchTerms("Tent, TENT & 2-person!")).toEqual(["tent", "2", "person"]);
  });

  it("drops everything that could be tsquery syntax", () => {
    expect(searchTerms("a:* | !b & (c) <-> 'd'")).toEqual(["a", "b", "c", "d"]);
  });
});

describe("catalog over gRPC on PostgreSQL", () => {
  let app: TestCatalog;
  let catalog: Client<typeof CatalogService>;

  beforeAll(async () => {
    ({ app, catalog } = await startAdminCatalog());
  });

  afterAll(async () => {
    catalog?.close();
    await app?.stop();
  });

  it("seeds the demo catalog once, however often it starts", async () => {
    const { rows } = await app.service.db.query<{ count: bigint }>("SELECT count(*) FROM products");
    expect(rows[0]?.count).toBe(BigInt(seedCatalog.length));
    expect(await seedProducts(app.service.db, app.admin, app.service.log)).toBe(0);
    expect(seedCatalog.length).toBeGreaterThanOrEqual(50);
  });

  it("pages through every product by name without duplicates or gaps", async () => {
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await catalog.listProducts({ pageSize: 7, pageToken });
      expect(page.products.length).toBeLessThanOrEqual(7);
      seen.push(...page.products.map((p) => p.name));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(seen).toHaveLength(seedCatalog.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(pages).toBe(Math.ceil(seedCatalog.length / 7));
  });

  it("filters by category", async () => {
    const { products } = await catalog.listProducts({ category: "tents", pageSize: 100 });
    expect(products.map((p) => p.sku).sort()).toEqual(["TENT-2P-ULTRA", "TENT-4P-FAMILY"]);
  });

  it("returns a product with its price in minor units", async () => {
    const { products } = await catalog.listProducts({ pageSize: 1 });
    const first = products[0]!;
    const { product } = await catalog.getProduct({ id: first.id });
    expect(product?.sku).toBe(first.sku);
    expect(product?.price?.currencyCode).toBe("USD");
    expect(typeof product?.price?.amountMinor).toBe("bigint");
    expect(product?.createTime?.seconds).toBeGreaterThan(0n);
  });

  it("gets products by id in the order asked, and answers not_found naming a missing one", async () => {
    const { products } = await catalog.listProducts({ pageSize: 3 });
    const ids = products.map((p) => p.id).reverse();
    const { products: got } = await catalog.batchGetProducts({ ids: [...ids, ids[0]!.toUpperCase()] });
    expect(got.map((p) => p.id)).toEqual([...ids, ids[0]]);
    expect((await catalog.batchGetProducts({ ids: [] })).products).toEqual([]);
    const missing = "0195a3c0-0000-7000-8000-0000000000ff";
    await expect(catalog.batchGetProducts({ ids: [ids[0]!, missing] })).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining(missing),
    });
    await expect(catalog.batchGetProducts({ ids: ["x"] })).rejects.toMatchObject({
      code: "invalid_argument",
    });
    await expect(
      catalog.batchGetProducts({ ids: Array.from({ length: 101 }, () => ids[0]!) }),
    ).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("ranks name matches first and matches word prefixes", async () => {
    const { products } = await catalog.searchProducts({ query: "tent" });
    expect(
      products
        .slice(0, 2)
        .map((p) => p.sku)
        .sort(),
    ).toEqual(["TENT-2P-ULTRA", "TENT-4P-FAMILY"]);
    const prefix = await catalog.searchProducts({ query: "sleep" });
    expect(prefix.products.map((p) => p.sku)).toContain("BAG-DOWN-0C");
  });

  it("puts the name with every word first, though 'down' is an English stop word", async () => {
    const { products } = await catalog.searchProducts({ query: "down jacket" });
    expect(products[0]?.sku).toBe("JACKET-DOWN");
    for (const product of products) expect(`${product.name} ${product.description}`).toMatch(/jacket/i);
    expect(products.map((p) => p.sku)).not.toContain("TENT-2P-ULTRA");
  });

  it("requires every non-stop word to match", async () => {
    const { products } = await catalog.searchProducts({ query: "trekking poles" });
    expect(products.map((p) => p.sku)).toEqual(["POLES-CARBON"]);
  });

  it("pages search results with a token bound to the query", async () => {
    const first = await catalog.searchProducts({ query: "camping", pageSize: 5 });
    expect(first.nextPageToken).not.toBe("");
    const second = await catalog.searchProducts({
      query: "camping",
      pageSize: 5,
      pageToken: first.nextPageToken,
    });
    const overlap = second.products.filter((p) => first.products.some((q) => q.id === p.id));
    expect(overlap).toEqual([]);
    await expect(
      catalog.searchProducts({ query: "hiking", pageSize: 5, pageToken: first.nextPageToken }),
    ).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("finds nothing, without an error, for a query of punctuation only", async () => {
    expect((await catalog.searchProducts({ query: "?!&|" })).products).toEqual([]);
  });

  it.each([
    ["an unknown id", { id: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d" }, "not_found"],
    ["a malformed id", { id: "42" }, "invalid_argument"],
  ])("answers %s with %s", async (_, request, code) => {
    await expect(catalog.getProduct(request)).rejects.toMatchObject({ code });
  });

  it.each([
    ["a negative page size", { pageSize: -1 }],
    ["a malformed page token", { pageToken: "%%%not-a-token" }],
    ["a forged page token", { pageToken: Buffer.from('{"kind":"list","name":1}').toString("base64url") }],
  ])("rejects %s with invalid_argument", async (_, request) => {
    await expect(catalog.listProducts(request)).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("serves a page of at most 100 for a page size above that (AIP-158: reduced, not refused)", async () => {
    const { products } = await catalog.listProducts({ pageSize: 1_000_000 });
    expect(products.length).toBeGreaterThan(0);
    expect(products.length).toBeLessThanOrEqual(100);
  });

  it("rejects an empty or oversized search query", async () => {
    await expect(catalog.searchProducts({ query: "  " })).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(catalog.searchProducts({ query: "x".repeat(100_000) })).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(/too long/),
    });
  });

  it("stays ready after all that bad input", async () => {
    const { products } = await catalog.listProducts({ pageSize: 3 });
    expect(products).toHaveLength(3);
  });

  const productChanged = async (productId: string) => {
    const { rows } = await app.service.db.query<{
      data: Record<string, unknown>;
      subject: string;
      type: string;
    }>("SELECT data, subject, type FROM outbox WHERE subject = $1 ORDER BY id_seq", [productId]);
    return rows;
  };

  it("emits ProductChanged for every seeded product, in the seeding transaction", async () => {
    const { rows } = await app.service.db.query<{ count: bigint }>(
      "SELECT count(*) FROM outbox WHERE type = 'tessera.catalog.v1.ProductChanged'",
    );
    expect(rows[0]?.count).toBeGreaterThanOrEqual(BigInt(seedCatalog.length));
  });

  it("creates a product and emits ProductChanged with created set", async () => {
    const { product } = await catalog.createProduct({
      sku: "TARP-3X3",
      name: "Ultralight Tarp 3 × 3 m",
      description: "A silnylon tarp with 16 tie-outs.",
      price: { currencyCode: "USD", amountMinor: 8900n },
      categories: ["camping", "shelter"],
    });
    expect(product?.sku).toBe("TARP-3X3");
    const events = await productChanged(product!.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "tessera.catalog.v1.ProductChanged",
      data: {
        productId: product!.id,
        sku: "TARP-3X3",
        created: true,
        price: { currencyCode: "USD", amountMinor: "8900" },
      },
    });
    await expect(
      catalog.createProduct({
        sku: "TARP-3X3",
        name: "Again",
        price: { currencyCode: "USD", amountMinor: 1n },
      }),
    ).rejects.toMatchObject({ code: "already_exists" });
  });

  it("emits ProductChanged with the previous price when a price changes, and nothing when it does not", async () => {
    const { products } = await catalog.searchProducts({ query: "headlamp" });
    const headlamp = products[0]!;
    const before = (await productChanged(headlamp.id)).length;
    const { product } = await catalog.updateProductPrice({
      id: headlamp.id,
      price: { currencyCode: "USD", amountMinor: 3500n },
    });
    expect(product?.price?.amountMinor).toBe(3500n);
    await catalog.updateProductPrice({ id: headlamp.id, price: { currencyCode: "USD", amountMinor: 3500n } });
    const events = await productChanged(headlamp.id);
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)?.data).toMatchObject({
      price: { amountMinor: "3500" },
      previousPrice: { amountMinor: headlamp.price!.amountMinor.toString() },
    });
  });

  it.each([
    ["a lower-case SKU", { sku: "tarp", name: "x", price: { currencyCode: "USD", amountMinor: 1n } }],
    ["no price", { sku: "NO-PRICE", name: "x" }],
    ["a negative price", { sku: "NEG-PRICE", name: "x", price: { currencyCode: "USD", amountMinor: -1n } }],
    [
      "a zero price (nothing is sold free)",
      { sku: "FREE", name: "x", price: { currencyCode: "USD", amountMinor: 0n } },
    ],
    [
      "a price above what one payment can take",
      {
        sku: "TOO-DEAR",
        name: "x",
        price: { currencyCode: "USD", amountMinor: limits.unitPriceMinor.max + 1n },
      },
    ],
    ["a bad currency", { sku: "BAD-CUR", name: "x", price: { currencyCode: "dollars", amountMinor: 1n } }],
    ["an empty name", { sku: "NO-NAME", name: "  ", price: { currencyCode: "USD", amountMinor: 1n } }],
  ])("refuses a product with %s, emitting nothing", async (_, request) => {
    const { rows } = await app.service.db.query<{ count: bigint }>("SELECT count(*) FROM outbox");
    await expect(catalog.createProduct(request)).rejects.toMatchObject({ code: "invalid_argument" });
    const after = await app.service.db.query<{ count: bigint }>("SELECT count(*) FROM outbox");
    expect(after.rows[0]?.count).toBe(rows[0]?.count);
  });

  it("answers a price change of an unknown product with not_found", async () => {
    await expect(
      catalog.updateProductPrice({
        id: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d",
        price: { currencyCode: "USD", amountMinor: 1n },
      }),
    ).rejects.toMatchObject({ code: "not_found" });
  });
});
