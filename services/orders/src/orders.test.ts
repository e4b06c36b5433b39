import { OrderStatus, OrdersService } from "@tessera/contracts/orders/v1";
import { createClient, newId, ServiceError } from "@tessera/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCartDouble, type CartDouble } from "./testing/cart-double.ts";
import { startTestOrders, type TestOrders } from "./testing/test-service.ts";

// PlaceOrder calls the cart over gRPC. The real cart is a separate service, so these tests serve a
// test double of it (testing/cart-double.ts) on a real gRPC port: the call, its deadline and its errors
// are the production ones; only the cart's own storage is not there.
let cart: CartDouble;
let t: TestOrders;

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });
const tent = { productId: "p-tent", sku: "TENT-2P", name: "Tent", quantity: 1, unitPrice: usd(34900n) };
const mugs = { productId: "p-mug", sku: "MUG", name: "Mug", quantity: 3, unitPrice: usd(2400n) };

beforeAll(async () => {
  cart = await startCartDouble();
  t = await startTestOrders({ cartAddress: cart.address });
  for (const user of ["alice", "bob", "carol", "dave", "erin"]) cart.setCart(user, [tent, mugs]);
});

afterAll(async () => {
  await t?.stop();
  await cart?.close();
});

const countOrders = async (userId: string) =>
  (await t.service.db.query<{ count: bigint }>("SELECT count(*) FROM orders WHERE user_id = $1", [userId]))
    .rows[0]!.count;

describe("PlaceOrder", () => {
  it("snapshots the cart's lines and prices into a PENDING order and starts the saga", async () => {
    const { order } = await t.client.placeOrder({
      userId: "alice",
      idempotencyKey: "k-1",
      cardToken: "tok_ok",
    });
    expect(order).toMatchObject({
      userId: "alice",
      status: OrderStatus.PENDING,
      total: usd(34900n + 3n * 2400n),
      reason: "",
      lines: [
        { productId: "p-tent", sku: "TENT-2P", name: "Tent", quantity: 1, unitPrice: usd(34900n) },
        { productId: "p-mug", sku: "MUG", name: "Mug", quantity: 3, unitPrice: usd(2400n) },
      ],
    });
    expect(order?.createTime?.seconds).toBeGreaterThan(0n);
    expect((await t.store.get(order!.id))?.cardToken).toBe("tok_ok");
    expect(await t.outbox(order!.id)).toEqual([
      {
        type: "OrderPlaced",
        data: {
          orderId: order!.id,
          userId: "alice",
          total: { currencyCode: "USD", amountMinor: "42100" },
          cartId: (await t.store.get(order!.id))?.cartId,
          items: [
            { productId: "p-tent", quantity: 1 },
            { productId: "p-mug", quantity: 3 },
          ],
        },
      },
      {
        type: "ReserveStock",
        data: {
          orderId: order!.id,
          lines: [
            { sku: "TENT-2P", quantity: 1 },
            { sku: "MUG", quantity: 3 },
          ],
          expireAfterSeconds: 90,
        },
      },
    ]);
  });

  it("returns the same order for the same idempotency key, without asking the cart again", async () => {
    const first = await t.client.placeOrder({ userId: "bob", idempotencyKey: "same", cardToken: "tok_ok" });
    expect(first.replayed).toBe(false);
    const calls = cart.calls;
    const second = await t.client.placeOrder({ userId: "bob", idempotencyKey: "same", cardToken: "tok_ok" });
    expect(second.order?.id).toBe(first.order?.id);
    expect(second.replayed).toBe(true);
    expect(cart.calls).toBe(calls);
    expect(await countOrders("bob")).toBe(1n);
    expect(await t.outbox(first.order!.id)).toHaveLength(2);
    const other = await t.client.placeOrder({
      userId: "bob",
      idempotencyKey: "another",
      cardToken: "tok_ok",
    });
    expect(other.order?.id).not.toBe(first.order?.id);
  });

  it("makes exactly one order of ten concurrent calls with one key; the others are told to retry", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        t.client.placeOrder({ userId: "carol", idempotencyKey: "race", cardToken: "tok_ok" }),
      ),
    );
    const ids = new Set(results.flatMap((r) => (r.status === "fulfilled" ? [r.value.order?.id] : [])));
    expect(ids.size).toBe(1);
    for (const result of results) {
      if (result.status === "rejected") {
        expect(result.reason).toMatchObject({ code: "aborted", reason: "idempotency-key-in-use" });
      }
    }
    expect(await countOrders("carol")).toBe(1n);
    const retried = await t.client.placeOrder({
      userId: "carol",
      idempotencyKey: "race",
      cardToken: "tok_ok",
    });
    expect(retried).toMatchObject({ replayed: true, order: { id: [...ids][0] } });
    const types = (await t.outbox([...ids][0]!)).map((m) => m.type);
    expect(types).toEqual(["OrderPlaced", "ReserveStock"]);
  });

  it("makes one order of one cart, however many checkouts race with their own keys", async () => {
    const cartId = newId();
    cart.setCart("racer", [tent], { cartId });
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) =>
        t.client.placeOrder({ userId: "racer", idempotencyKey: `race-${i}`, cardToken: "tok_ok" }),
      ),
    );
    const placed = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason as ServiceError);
    expect(placed).toHaveLength(1);
    expect(await countOrders("racer")).toBe(1n);
    const orderId = placed[0]!.value.order!.id;
    for (const error of refused) {
      expect(error).toMatchObject({ code: "failed_precondition", reason: "cart-already-ordered" });
      expect(error.message).toContain(orderId);
    }
    // The refused requests freed their keys: a retry of one of them is refused the same way, not stuck.
    const refusedKey = `race-${results.findIndex((r) => r.status === "rejected")}`;
    await expect(
      t.client.placeOrder({ userId: "racer", idempotencyKey: refusedKey, cardToken: "tok_ok" }),
    ).rejects.toMatchObject({ code: "failed_precondition", reason: "cart-already-ordered" });
  });

  it("refuses the same key with a different request, and keeps the first order", async () => {
    cart.setCart("frank", [tent]);
    const first = await t.client.placeOrder({
      userId: "frank",
      idempotencyKey: "k-changed",
      cardToken: "tok_a",
    });
    await expect(
      t.client.placeOrder({ userId: "frank", idempotencyKey: "k-changed", cardToken: "tok_card_declined" }),
    ).rejects.toMatchObject({ code: "invalid_argument", reason: "idempotency-key-reused" });
    const again = await t.client.placeOrder({
      userId: "frank",
      idempotencyKey: "k-changed",
      cardToken: "tok_a",
    });
    expect(again).toMatchObject({ replayed: true, order: { id: first.order!.id } });
  });

  it("refuses a second request with a key whose first request is still being handled", async () => {
    cart.setCart("grace", [tent]);
    cart.delay("grace", 250);
    const client = createClient(OrdersService, t.rpcAddress, { maxAttempts: 1 });
    try {
      const first = client.placeOrder({ userId: "grace", idempotencyKey: "slow", cardToken: "tok_ok" });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(
        client.placeOrder({ userId: "grace", idempotencyKey: "slow", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({ code: "aborted", reason: "idempotency-key-in-use" });
      // The first one may itself miss the cart's 300 ms deadline on a busy machine; either way the
      // key ends up bound to its order or free again, never stuck.
      const outcome = await first.then(
        (placed) => placed.order!.id,
        () => undefined,
      );
      cart.delay("grace", 0);
      const retried = await client.placeOrder({
        userId: "grace",
        idempotencyKey: "slow",
        cardToken: "tok_ok",
      });
      if (outcome) expect(retried).toMatchObject({ replayed: true, order: { id: outcome } });
      else expect(retried.replayed).toBe(false);
    } finally {
      client.close();
    }
  });

  it("frees the key of a request that failed, and forgets keys after their 24 hours", async () => {
    await expect(
      t.client.placeOrder({ userId: "heidi", idempotencyKey: "k-free", cardToken: "tok_ok" }),
    ).rejects.toMatchObject({ reason: "cart-empty" });
    cart.setCart("heidi", [tent]);
    const placed = await t.client.placeOrder({
      userId: "heidi",
      idempotencyKey: "k-free",
      cardToken: "tok_ok",
    });
    expect(placed.replayed).toBe(false);
    await t.service.db.query(
      "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = 'heidi'",
    );
    const later = await t.client.placeOrder({
      userId: "heidi",
      idempotencyKey: "k-free",
      cardToken: "tok_b",
    });
    expect(later).toMatchObject({ replayed: false });
    expect(later.order?.id).not.toBe(placed.order?.id);
  });

  it("refuses a total one payment cannot take, naming the limit, and a cart whose prices are not current", async () => {
    cart.setCart("ivan", [{ ...tent, quantity: 99, unitPrice: usd(10n ** 9n) }]);
    await expect(
      t.client.placeOrder({ userId: "ivan", idempotencyKey: "k", cardToken: "tok_ok" }),
    ).rejects.toMatchObject({
      code: "failed_precondition",
      reason: "order-total-out-of-range",
      message: expect.stringMatching(/10,000,000,000/),
    });
    const client = createClient(OrdersService, t.rpcAddress, { maxAttempts: 1 });
    try {
      cart.setCart("ivan", [tent], { cartId: newId(), pricesCurrent: false });
      await expect(
        client.placeOrder({ userId: "ivan", idempotencyKey: "k2", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/current prices/) });
    } finally {
      client.close();
    }
    expect(await countOrders("ivan")).toBe(0n);
  });

  it("keeps one key per user: another user's same key is another order", async () => {
    const a = await t.client.placeOrder({ userId: "dave", idempotencyKey: "shared", cardToken: "tok_ok" });
    const b = await t.client.placeOrder({ userId: "erin", idempotencyKey: "shared", cardToken: "tok_ok" });
    expect(a.order?.id).not.toBe(b.order?.id);
  });

  it.each([
    ["an empty cart", "empty-user", () => undefined, /cart is empty/],
    [
      "a cart in two currencies",
      "mixed-user",
      () =>
        cart.setCart("mixed-user", [tent, { ...mugs, unitPrice: { currencyCode: "EUR", amountMinor: 1n } }]),
      /mixes currencies/,
    ],
    [
      "a cart line without a price",
      "free-user",
      () => cart.setCart("free-user", [{ ...tent, unitPrice: undefined }]),
      /no valid price/,
    ],
  ])("refuses %s with failed_precondition, writing nothing", async (_, userId, arrange, message) => {
    arrange();
    await expect(
      t.client.placeOrder({ userId, idempotencyKey: "k", cardToken: "tok_ok" }),
    ).rejects.toMatchObject({
      code: "failed_precondition",
      message: expect.stringMatching(message),
    });
    expect(await countOrders(userId)).toBe(0n);
  });

  it("answers unavailable when the cart fails, and when it misses the deadline", async () => {
    // Its own client: `unavailable` is retryable, and the shared client's breaker would count it.
    const client = createClient(OrdersService, t.rpcAddress, { maxAttempts: 1 });
    try {
      cart.fail("cart-down", new ServiceError("internal", "redis is gone"));
      await expect(
        client.placeOrder({ userId: "cart-down", idempotencyKey: "k", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({
        code: "unavailable",
        message: expect.stringMatching(/cart could not be read/),
      });
      cart.setCart("slow", [tent]);
      cart.delay("slow", 2_000);
      const started = Date.now();
      await expect(
        client.placeOrder({ userId: "slow", idempotencyKey: "k", cardToken: "tok_ok" }),
      ).rejects.toMatchObject({ code: "unavailable" });
      // The cart deadline in the test service is 300 ms: the cart is not waited for.
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await countOrders("slow")).toBe(0n);
    } finally {
      client.close();
    }
  });

  it.each([
    ["an empty user id", { userId: "", idempotencyKey: "k", cardToken: "tok" }, /user_id/],
    ["a user id with spaces", { userId: "a b", idempotencyKey: "k", cardToken: "tok" }, /user_id/],
    [
      "an empty idempotency key",
      { userId: "alice", idempotencyKey: "", cardToken: "tok" },
      /idempotency_key/,
    ],
    [
      "a 129-character idempotency key",
      { userId: "alice", idempotencyKey: "k".repeat(129), cardToken: "tok" },
      /idempotency_key/,
    ],
    ["no card token", { userId: "alice", idempotencyKey: "k", cardToken: "" }, /card_token/],
    [
      "a card token with spaces",
      { userId: "alice", idempotencyKey: "k", cardToken: "4242 4242" },
      /card_token/,
    ],
  ])("rejects %s with invalid_argument", async (_, request, message) => {
    await expect(t.client.placeOrder(request)).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(message),
    });
  });

  it("accepts a 128-character idempotency key", async () => {
    const { order } = await t.client.placeOrder({
      userId: "alice",
      idempotencyKey: "k".repeat(128),
      cardToken: "tok",
    });
    expect(order?.status).toBe(OrderStatus.PENDING);
  });
});

describe("GetOrder", () => {
  it("returns the caller's own order and hides everyone else's", async () => {
    const { order } = await t.client.placeOrder({ userId: "alice", idempotencyKey: "get", cardToken: "tok" });
    expect((await t.client.getOrder({ userId: "alice", orderId: order!.id })).order?.id).toBe(order!.id);
    await expect(t.client.getOrder({ userId: "bob", orderId: order!.id })).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it.each([
    ["an unknown order", { userId: "alice", orderId: "0195a5c0-0000-7000-8000-0000000000ff" }, "not_found"],
    ["a malformed order id", { userId: "alice", orderId: "42" }, "invalid_argument"],
    ["no user id", { userId: "", orderId: "0195a5c0-0000-7000-8000-0000000000ff" }, "invalid_argument"],
  ])("answers %s with %s", async (_, request, code) => {
    await expect(t.client.getOrder(request)).rejects.toMatchObject({ code });
  });
});

describe("ListMyOrders and ListOrders", () => {
  it("pages through the caller's orders newest first, without duplicates or gaps", async () => {
    cart.setCart("lister", [tent]);
    const placed: string[] = [];
    for (let i = 0; i < 7; i++) {
      placed.push(
        (await t.client.placeOrder({ userId: "lister", idempotencyKey: `k${i}`, cardToken: "t" })).order!.id,
      );
    }
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await t.client.listMyOrders({ userId: "lister", pageSize: 3, pageToken });
      expect(page.orders.length).toBeLessThanOrEqual(3);
      expect(page.orders.every((o) => o.userId === "lister")).toBe(true);
      seen.push(...page.orders.map((o) => o.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual([...placed].reverse());
  });

  it("lists every user's orders oldest first", async () => {
    const { orders } = await t.client.listOrders({ pageSize: 100 });
    const ids = orders.map((o) => o.id);
    expect(ids).toEqual([...ids].sort());
    expect(orders.map((o) => o.userId)).toEqual(expect.arrayContaining(["alice", "bob", "lister"]));
  });

  const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const id = "0195a5c0-0000-7000-8000-0000000000ff";

  it.each([
    ["a negative page size", { userId: "lister", pageSize: -1 }],
    ["a huge page size", { userId: "lister", pageSize: 101 }],
    ["a malformed page token", { userId: "lister", pageToken: "%%%" }],
    ["a ListOrders page token", { userId: "lister", pageToken: token({ list: "all", id }) }],
    [
      "a page token whose id is no UUID",
      { userId: "lister", pageToken: token({ list: "mine", id: "1; DROP" }) },
    ],
    ["a page token of the wrong shape", { userId: "lister", pageToken: token(["mine", id]) }],
    [
      "a page token that is not JSON",
      { userId: "lister", pageToken: Buffer.from("no").toString("base64url") },
    ],
    ["a page token outside base64url", { userId: "lister", pageToken: "a+b/c=" }],
    ["a huge page token", { userId: "lister", pageToken: "a".repeat(513) }],
    ["no user id", { userId: "" }],
  ])("rejects %s with invalid_argument", async (_, request) => {
    await expect(t.client.listMyOrders(request)).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("refuses a ListMyOrders page token in ListOrders", async () => {
    await expect(t.client.listOrders({ pageToken: token({ list: "mine", id }) })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });
});

describe("CancelOrder", () => {
  const place = async (userId: string, key: string) =>
    (await t.client.placeOrder({ userId, idempotencyKey: key, cardToken: "tok" })).order!;

  it("cancels a pending order, emits OrderCancelled, and accepts a retried cancel", async () => {
    const order = await place("alice", "cancel-1");
    const { order: cancelled } = await t.client.cancelOrder({ userId: "alice", orderId: order.id });
    expect(cancelled).toMatchObject({ status: OrderStatus.CANCELLED, reason: "cancelled by the customer" });
    const again = await t.client.cancelOrder({ userId: "alice", orderId: order.id });
    expect(again.order?.status).toBe(OrderStatus.CANCELLED);
    expect((await t.outbox(order.id)).map((m) => m.type)).toEqual([
      "OrderPlaced",
      "ReserveStock",
      "OrderCancelled",
    ]);
  });

  it("releases the stock of an order that was waiting for payment", async () => {
    const order = await place("alice", "cancel-2");
    await t.service.db.tx((tx) => t.saga.advance(tx, order.id, { type: "StockReserved" }));
    await t.client.cancelOrder({ userId: "alice", orderId: order.id });
    expect((await t.outbox(order.id)).slice(-2)).toEqual([
      {
        type: "OrderCancelled",
        data: { orderId: order.id, userId: "alice", reason: "cancelled by the customer" },
      },
      { type: "ReleaseStock", data: { orderId: order.id, reason: "cancelled by the customer" } },
    ]);
  });

  it("refuses to cancel a confirmed order", async () => {
    const order = await place("alice", "cancel-3");
    await t.service.db.tx(async (tx) => {
      await t.saga.advance(tx, order.id, { type: "StockReserved" });
      await t.saga.advance(tx, order.id, { type: "PaymentAuthorized", paymentId: "pay" });
    });
    await expect(t.client.cancelOrder({ userId: "alice", orderId: order.id })).rejects.toMatchObject({
      code: "failed_precondition",
    });
    expect((await t.client.getOrder({ userId: "alice", orderId: order.id })).order?.status).toBe(
      OrderStatus.CONFIRMED,
    );
  });

  it("hides another user's order", async () => {
    const order = await place("alice", "cancel-4");
    await expect(t.client.cancelOrder({ userId: "bob", orderId: order.id })).rejects.toMatchObject({
      code: "not_found",
    });
    expect((await t.store.get(order.id))?.status).toBe("PENDING");
  });

  it("rejects a malformed order id", async () => {
    await expect(t.client.cancelOrder({ userId: "alice", orderId: "x" })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });
});
