import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { NotificationSchema, NotificationsService } from "@tessera/contracts/notifications/v1";
import type { ServiceImpl } from "@tessera/kit";
import type { Notification } from "./notification-store.ts";
import type { Notifications } from "./notifications.ts";

/** gRPC handlers: map protobuf ↔ domain; errors are ServiceErrors from the domain. */
export function notificationsHandlers(
  notifications: Notifications,
): ServiceImpl<typeof NotificationsService> {
  return {
    async listMyNotifications(request) {
      const page = await notifications.listMine(request);
      return { notifications: page.notifications.map(toMessage), nextPageToken: page.nextPageToken };
    },
  };
}

function toMessage(notification: Notification): MessageInitShape<typeof NotificationSchema> {
  return {
    id: notification.id,
    userId: notification.userId,
    orderId: notification.orderId,
    kind: notification.kind,
    subject: notification.subject,
    body: notification.body,
    emailed: notification.emailed,
    createTime: timestampFromDate(notification.createdAt),
  };
}
