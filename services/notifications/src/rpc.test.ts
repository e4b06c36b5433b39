import { startTestProducer, testCallers, testClient, type TestProducer, waitFor } from "@tessera/kit/testing";
import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { OrderRejectedSchema } from "@tessera/contracts/orders/v1";
import { createClient, newId, type Client } from "@tessera/kit";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeMessage } from "./messages.ts";
import { startTestNotifications, type TestNotifications } from "./testing/test-service.ts";

describe("ListMyNotifications over gRPC, without SMTP", () => {
  let orders: TestProducer;
  let app: TestNotifications;
  let client: Client<typeof NotificationsService>;
  const alice = newId();
  const bob = newId();

  beforeAll(async () => {
    orders = await startTestProducer("orders");
    app = await startTestNotifications({ ORDERS_ADDR: orders.address, NOTIFICATIONS_MAIL_INTERVAL_MS: "50" });
    // A service client reading for any user, as the gateway's kind does.
    client = testClient(NotificationsService, app.address, testCallers.service);
    const store = app.store;
    // 25 for alice, 3 for bob, stored as the event handler stores them.
    const stored = [...Array(25).fill(alice), ...Array(3).fill(bob)] as string[];
    for (const userId of stored) {
      const message = composeMessage({ kind: "order_cancelled", orderId: newId(), userId, reason: "" });
      await app.service.db.tx((tx) => store.insert(tx, message));
    }
  });

  afterAll(async () => {
    client?.close();
    await app?.stop();
    await orders?.stop();
  });

  it("stores messages without e-mailing them when SMTP_URL is not set", async () => {
    expect(app.mailer).toBeUndefined();
    const userId = newId();
    const orderId = newId();
    await orders.publish(OrderRejectedSchema, { orderId, userId, reason: "card declined" }, orderId);
    const [notification] = await waitFor("the notification", async () => {
      const page = await client.listMyNotifications({ userId });
      return page.notifications.length > 0 && page.notifications;
    });
    await sleep(200);
    const { notifications } = await client.listMyNotifications({ userId });
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({
      id: notification?.id,
      userId,
      orderId,
      kind: "order_rejected",
      subject: `Your order ${orderId} was not accepted`,
      emailed: false,
    });
    expect(notifications[0]?.body).toContain("Reason: card declined");
    expect(notifications[0]?.createTime?.seconds).toBeGreaterThan(0n);
  });

  it("pages through the caller's own notifications, newest first, without gaps", async () => {
    const ids: string[] = [];
    const sizes: number[] = [];
    let pageToken = "";
    do {
      const page = await client.listMyNotifications({ userId: alice, pageSize: 10, pageToken });
      for (const notification of page.notifications) expect(notification.userId).toBe(alice);
      ids.push(...page.notifications.map((n) => n.id));
      sizes.push(page.notifications.length);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(ids).size).toBe(25);
    // UUIDv7s sort by creation time: descending ids are newest first.
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it("returns 20 by default and only the caller's own", async () => {
    expect((await client.listMyNotifications({ userId: alice })).notifications).toHaveLength(20);
    const { notifications, nextPageToken } = await client.listMyNotifications({ userId: bob });
    expect(notifications.map((n) => n.userId)).toEqual([bob, bob, bob]);
    expect(nextPageToken).toBe("");
    expect((await client.listMyNotifications({ userId: newId() })).notifications).toEqual([]);
  });

  it("refuses another user's page token, and a token altered by the client", async () => {
    const { nextPageToken } = await client.listMyNotifications({ userId: alice, pageSize: 5 });
    expect(nextPageToken).not.toBe("");
    expect(Buffer.from(nextPageToken, "base64url").toString("latin1")).not.toContain(alice);
    await expect(client.listMyNotifications({ userId: bob, pageToken: nextPageToken })).rejects.toMatchObject(
      {
        code: "invalid_argument",
        message: expect.stringMatching(/page_token/),
      },
    );
    const altered = nextPageToken.slice(0, -2) + (nextPageToken.endsWith("AA") ? "BB" : "AA");
    await expect(client.listMyNotifications({ userId: alice, pageToken: altered })).rejects.toMatchObject({
      code: "invalid_argument",
    });
  });

  it.each([
    ["an empty user id", { userId: "" }, /user_id is required/],
    ["a blank user id", { userId: "  " }, /user_id is required/],
    ["page_size -1", { userId: "u", pageSize: -1 }, /page_size must be a positive integer/],
    ["a malformed page token", { userId: "u", pageToken: "!!!" }, /page_token is malformed/],
    [
      "a token of JSON that is no cursor",
      { userId: "u", pageToken: Buffer.from('{"u":"u","b":"1; DROP"}').toString("base64url") },
      /page_token is malformed/,
    ],
  ])("rejects %s as invalid_argument", async (_, request, message) => {
    await expect(client.listMyNotifications(request)).rejects.toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(message),
    });
  });

  it("lets a customer read only their own notifications, and refuses a call without a token", async () => {
    const own = testClient(NotificationsService, app.address, testCallers.customer(alice));
    const bare = createClient(NotificationsService, app.address);
    try {
      expect((await own.listMyNotifications({ userId: alice, pageSize: 5 })).notifications).toHaveLength(5);
      await expect(own.listMyNotifications({ userId: bob })).rejects.toMatchObject({
        code: "permission_denied",
      });
      await expect(bare.listMyNotifications({ userId: alice })).rejects.toMatchObject({
        code: "unauthenticated",
      });
    } finally {
      own.close();
      bare.close();
    }
  });
});
