import { beforeAll, describe, expect, it } from "vitest";
import { cart, t, tent, useOrdersWithCart } from "./testing/orders-with-cart.ts";

useOrdersWithCart();

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
  // ListOrders lists every user's orders: there are some besides the lister's.
  beforeAll(async () => {
    for (const userId of ["alice", "bob"])
      await t.client.placeOrder({ userId, idempotencyKey: "listed", cardToken: "tok" });
  });

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
