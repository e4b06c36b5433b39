import type { Notification } from "@tessera/contracts/notifications/v1";
import type { NotificationsClient } from "../routes/notifications.ts";
import { createRecorder, pageOf, timestampOf } from "./recorder.ts";

/** A notification message as the notifications client returns it. */
export function notificationMessage(overrides: Partial<Omit<Notification, "$typeName">> = {}): Notification {
  return {
    $typeName: "tessera.notifications.v1.Notification",
    id: "01970000-0000-7000-8000-00000000a001",
    userId: "alice@example.com",
    orderId: "01970000-0000-7000-8000-00000000b001",
    kind: "order_confirmed",
    subject: "Your order is confirmed",
    body: "We are packing your Ultralight Two-Person Tent.",
    emailed: false,
    createTime: timestampOf(Date.UTC(2026, 0, 3, 10, 0, 0, 250)),
    ...overrides,
  };
}

/** An in-memory stand-in for the notifications service: a user's own notifications, newest first. */
export function createFakeNotifications(notifications: Notification[] = [notificationMessage()]) {
  const { calls, record, failWith } = createRecorder();
  const client: NotificationsClient = {
    async listMyNotifications(request) {
      await record("listMyNotifications", request);
      const mine = notifications
        .filter((n) => n.userId === request.userId)
        .sort((a, b) => Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)));
      const { page, nextPageToken } = pageOf(mine, request.pageSize ?? 0, request.pageToken ?? "");
      return {
        $typeName: "tessera.notifications.v1.ListMyNotificationsResponse",
        notifications: page,
        nextPageToken,
      };
    },
  };
  return { client, calls, failWith };
}
