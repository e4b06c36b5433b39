import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService, type Product } from "@tessera/contracts/catalog/v1";
import { newId, type Client } from "@tessera/kit";
import {
  createTestDatabase,
  type TestDatabase,
  startRpcService,
  type RpcServiceProcess,
  testCallers,
  testClient,
  testIssuer,
} from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCart, type TestCart } from "./testing/test-service.ts";

const deadlineMs = 400;

describe("the cart over gRPC, pricing from the real catalog", () => {
  let catalogDatabase: TestDatabase;
  let catalogProcess: RpcServiceProcess;
  let catalog: Client<typeof CatalogService>;
  let cartService: TestCart;
  let cart: Client<typeof CartService>;
  let products: Product[];
  let euroProduct: Product;

  beforeAll(async () => {
    catalogDatabase = await createTestDatabase("cart_catalog");
    catalogProcess = await startRpcService(new URL("../../catalog/src/main.ts", import.meta.url), {
      ...(await testIssuer()).env,
      DATABASE_URL: catalogDatabase.url,
    });
    catalog = testClient(CatalogService, catalogProcess.address, testCallers.operator);
    products = (await catalog.listProducts({ pageSize: 100 })).products;
    euroProduct = (
      await catalog.createProduct({
        sku: "EURO-MUG",
        name: "Enamel Mug (EU)",
        price: { currencyCode: "EUR", amountMinor: 1_250n },
      })
    ).product!;
    cartService = await startTestCart({
      CATALOG_ADDR: catalogProcess.address,
      CART_CATALOG_DEADLINE_MS: String(deadlineMs),
    });
    // A service client acting for many users (as the gateway does for each signed-in one); the cart
    // prices through the catalog with this caller's token.
    cart = testClient(CartService, cartService.address, testCallers.service);
  });

  afterAll(async () => {
    cart?.close();
    catalog?.close();
    await cartService?.stop();
    await catalogProcess?.kill("SIGKILL");
    await catalogDatabase?.drop();
  });

  const product = (i: number) => products[i]!;

  it("adds a product with the catalog's SKU, name and price at that moment", async () => {
    const user = newId();
    const { cart: added } = await cart.addItem({ userId: user, productId: product(0).id, quantity: 2 });
    expect(added?.userId).toBe(user);
    expect(added?.items).toEqual([
      expect.objectContaining({
        productId: product(0).id,
        sku: product(0).sku,
        name: product(0).name,
        quantity: 2,
        unitPrice: expect.objectContaining(product(0).price),
      }),
    ]);
    const { cart: read } = await cart.getCart({ userId: user });
    expect(read).toEqual(added);
  });

  it("shows the catalog's current price, flagging a line whose price changed since it was added", async () => {
    const user = newId();
    const target = product(1);
    await cart.addItem({ userId: user, productId: target.id, quantity: 2 });
    await cart.addItem({ userId: user, productId: product(0).id, quantity: 1 });
    const original = target.price!;
    const raised = { ...original, amountMinor: original.amountMinor * 900n };
    await catalog.updateProductPrice({ id: target.id, price: raised });
    try {
      const { cart: read } = await cart.getCart({ userId: user });
      expect(read?.pricesCurrent).toBe(true);
      const [changed, same] = [
        read?.items.find((i) => i.productId === target.id),
        read?.items.find((i) => i.productId === product(0).id),
      ];
      expect(changed).toMatchObject({ priceChanged: true, unitPrice: raised, addedUnitPrice: original });
      expect(same).toMatchObject({
        priceChanged: false,
        unitPrice: product(0).price,
        addedUnitPrice: product(0).price,
      });
      expect(read?.subtotal?.amountMinor).toBe(2n * raised.amountMinor + product(0).price!.amountMinor);
      // Adding the product again takes the new price, and the flag goes.
      const { cart: readded } = await cart.addItem({ userId: user, productId: target.id, quantity: 1 });
      expect(readded?.items.find((i) => i.productId === target.id)).toMatchObject({
        quantity: 3,
        priceChanged: false,
        addedUnitPrice: raised,
      });
    } finally {
      await catalog.updateProductPrice({ id: target.id, price: original });
    }
  });

  it("adds to an existing line and sums the subtotal in minor units", async () => {
    const user = newId();
    await cart.addItem({ userId: user, productId: product(0).id, quantity: 1 });
    await cart.addItem({ userId: user, productId: product(2).id, quantity: 3 });
    const { cart: result } = await cart.addItem({ userId: user, productId: product(0).id, quantity: 2 });
    expect(result?.items.map((item) => [item.productId, item.quantity])).toEqual([
      [product(0).id, 3],
      [product(2).id, 3],
    ]);
    const expected = 3n * product(0).price!.amountMinor + 3n * product(2).price!.amountMinor;
    expect(result?.subtotal).toEqual(expect.objectContaining({ currencyCode: "USD", amountMinor: expected }));
  });

  it("sets a quantity, removes the line at 0, and has no subtotal once empty", async () => {
    const user = newId();
    await cart.addItem({ userId: user, productId: product(3).id, quantity: 1 });
    const set = await cart.setItemQuantity({ userId: user, productId: product(3).id, quantity: 99 });
    expect(set.cart?.items[0]?.quantity).toBe(99);
    const removed = await cart.setItemQuantity({ userId: user, productId: product(3).id, quantity: 0 });
    expect(removed.cart?.items).toEqual([]);
    expect(removed.cart?.subtotal).toBeUndefined();
  });

  it("removes and clears, and doing either twice is harmless", async () => {
    const user = newId();
    await cart.addItem({ userId: user, productId: product(4).id, quantity: 1 });
    await cart.addItem({ userId: user, productId: product(5).id, quantity: 1 });
    await cart.removeItem({ userId: user, productId: product(4).id });
    const again = await cart.removeItem({ userId: user, productId: product(4).id });
    expect(again.cart?.items.map((item) => item.productId)).toEqual([product(5).id]);
    expect((await cart.clearCart({ userId: user })).cart?.items).toEqual([]);
    expect((await cart.clearCart({ userId: user })).cart?.items).toEqual([]);
    expect((await cart.getCart({ userId: user })).cart?.items).toEqual([]);
  });

  it("takes 1 to 99 units per line", async () => {
    const user = newId();
    const id = product(6).id;
    for (const quantity of [0, -1, 100]) {
      await expect(cart.addItem({ userId: user, productId: id, quantity })).rejects.toMatchObject({
        code: "invalid_argument",
        fieldViolations: [{ field: "quantity", description: "must be between 1 and 99" }],
      });
    }
    await cart.addItem({ userId: user, productId: id, quantity: 60 });
    await expect(cart.addItem({ userId: user, productId: id, quantity: 40 })).rejects.toMatchObject({
      code: "failed_precondition",
      reason: "line-quantity-exceeded",
      domain: "tessera.cart",
      metadata: { max: "99" },
    });
    await expect(cart.setItemQuantity({ userId: user, productId: id, quantity: 100 })).rejects.toMatchObject({
      code: "invalid_argument",
    });
    expect((await cart.getCart({ userId: user })).cart?.items[0]?.quantity).toBe(60);
  });

  it("holds at most 50 different products", async () => {
    const user = newId();
    const usd = products.filter((p) => p.price?.currencyCode === "USD");
    expect(usd.length).toBeGreaterThanOrEqual(50);
    for (const p of usd.slice(0, 50)) await cart.addItem({ userId: user, productId: p.id, quantity: 1 });
    const extra = (
      await catalog.createProduct({
        sku: "EXTRA-51",
        name: "The 51st product",
        price: { currencyCode: "USD", amountMinor: 100n },
      })
    ).product!;
    await expect(cart.addItem({ userId: user, productId: extra.id, quantity: 1 })).rejects.toMatchObject({
      code: "failed_precondition",
      reason: "line-limit-exceeded",
      message: expect.stringMatching(/at most 50/),
    });
    expect((await cart.getCart({ userId: user })).cart?.items).toHaveLength(50);
  });

  it("refuses to mix currencies in one cart", async () => {
    const user = newId();
    await cart.addItem({ userId: user, productId: product(0).id, quantity: 1 });
    await expect(
      cart.addItem({ userId: user, productId: euroProduct.id, quantity: 1 }),
    ).rejects.toMatchObject({
      code: "failed_precondition",
      reason: "cart-currency-mismatch",
    });
    const other = newId();
    const { cart: euros } = await cart.addItem({ userId: other, productId: euroProduct.id, quantity: 2 });
    expect(euros?.subtotal).toEqual(expect.objectContaining({ currencyCode: "EUR", amountMinor: 2_500n }));
  });

  it("answers not_found for a product the catalog does not have", async () => {
    const user = newId();
    await expect(cart.addItem({ userId: user, productId: newId(), quantity: 1 })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(
      cart.setItemQuantity({ userId: user, productId: product(0).id, quantity: 2 }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("refuses malformed user and product ids", async () => {
    const cases = [
      () => cart.getCart({ userId: "" }),
      () => cart.getCart({ userId: "u".repeat(129) }),
      () => cart.addItem({ userId: "", productId: product(0).id, quantity: 1 }),
      () => cart.addItem({ userId: newId(), productId: "not-a-uuid", quantity: 1 }),
      () => cart.setItemQuantity({ userId: newId(), productId: "42", quantity: 1 }),
      () => cart.removeItem({ userId: newId(), productId: "'; DROP TABLE carts; --" }),
      () => cart.clearCart({ userId: "" }),
    ];
    for (const call of cases) await expect(call()).rejects.toMatchObject({ code: "invalid_argument" });
    expect((await cart.getCart({ userId: "u".repeat(128) })).cart?.items).toEqual([]);
  });

  it("treats one product id in any letter case as one line", async () => {
    const user = newId();
    await cart.addItem({ userId: user, productId: product(7).id.toUpperCase(), quantity: 1 });
    const { cart: result } = await cart.addItem({ userId: user, productId: product(7).id, quantity: 1 });
    expect(result?.items.map((item) => [item.productId, item.quantity])).toEqual([[product(7).id, 2]]);
  });

  it("fails adding with unavailable when the catalog stops answering, within the deadline", async () => {
    const user = newId();
    await cart.addItem({ userId: user, productId: product(8).id, quantity: 1 });
    catalogProcess.pause();
    try {
      const started = Date.now();
      await expect(
        cart.addItem({ userId: user, productId: product(9).id, quantity: 1 }),
      ).rejects.toMatchObject({
        code: "unavailable",
        message: expect.stringMatching(/catalog is unavailable/),
      });
      expect(Date.now() - started).toBeLessThan(deadlineMs + 1_500);
      expect((await cart.getCart({ userId: user })).cart?.items).toHaveLength(1);
    } finally {
      catalogProcess.resume();
    }
    await cart.addItem({ userId: user, productId: product(9).id, quantity: 1 });
  });

  // Last: the catalog does not come back.
  it("with the catalog gone, adding is unavailable while every cart stays readable and editable", async () => {
    const user = newId();
    await cart.addItem({ userId: user, productId: product(10).id, quantity: 2 });
    await catalogProcess.kill("SIGKILL");
    // Its own client: every `unavailable` would count towards the breaker of `cart`, and past five it
    // would fail GetCart too, on the caller's side (see the report: breakers are per client, not per method).
    const adder = testClient(CartService, cartService.address, testCallers.service, {
      breakerThreshold: 1_000,
    });
    try {
      // Enough failures to open the cart's own breaker on the catalog: it then fails fast, still unavailable.
      for (let i = 0; i < 7; i++) {
        const started = Date.now();
        await expect(
          adder.addItem({ userId: user, productId: product(11).id, quantity: 1 }),
        ).rejects.toMatchObject({ code: "unavailable" });
        expect(Date.now() - started).toBeLessThan(deadlineMs + 1_500);
      }
    } finally {
      adder.close();
    }
    const { cart: read } = await cart.getCart({ userId: user });
    expect(read?.items.map((item) => [item.productId, item.quantity])).toEqual([[product(10).id, 2]]);
    // Shown at the price when added, and said so: checkout refuses a cart whose prices are not current.
    expect(read?.pricesCurrent).toBe(false);
    expect(read?.items[0]).toMatchObject({ unitPrice: product(10).price, priceChanged: false });
    const set = await cart.setItemQuantity({ userId: user, productId: product(10).id, quantity: 5 });
    expect(set.cart?.items[0]?.quantity).toBe(5);
  });
});
