import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { NotificationsService, type Notification } from "@tessera/contracts/notifications/v1";
import { createFakeClient, pageOf } from "./fake-client.ts";
import { alice } from "./users.ts";

/** A notification message as the notifications client returns it. */
export function notificationMessage(overrides: Partial<Omit<Notification, "$typeName">> = {}): Notification {
  return {
    $typeName: "tessera.notifications.v1.Notification",
    id: "01970000-0000-7000-8000-00000000a001",
    userId: alice,
    orderId: "01970000-0000-7000-8000-00000000b001",
    kind: "order_confirmed",
    subject: "Your order is confirmed",
    body: "We are packing your Ultralight Two-Person Tent.",
    emailed: false,
    createTime: timestampFromMs(Date.UTC(2026, 0, 3, 10, 0, 0, 250)),
    ...overrides,
  };
}

/** A stand-in for the notifications service: a user's own notifications, newest first. */
export function createFakeNotifications(notifications: Notification[] = [notificationMessage()]) {
  return createFakeClient(NotificationsService, {
    listMyNotifications: ({ userId, pageSize, pageToken }) => {
      const mine = notifications
        .filter((n) => n.userId === userId)
        .sort((a, b) => Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)));
      const { page, nextPageToken } = pageOf(mine, pageSize, pageToken);
      return { notifications: page, nextPageToken };
    },
  });
}
