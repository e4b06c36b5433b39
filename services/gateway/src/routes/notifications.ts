import type { Notification, NotificationsService } from "@tessera/contracts/notifications/v1";
import { ServiceError, type Client } from "@tessera/kit";
import { callerSignal } from "../request-context.ts";
import { userOf } from "../user.ts";
import type { Api, JsonOf } from "./api.ts";
import { toIsoString } from "./product-json.ts";
import { example, notificationExample } from "./examples.ts";
import { pageQuerySchema, pageSchema, problem } from "./shared-schemas.ts";

/** The notifications service as the API calls it: the kit's typed client, or a fake of the same contract in tests. */
export type NotificationsClient = Client<typeof NotificationsService>;

export const notificationSchema = {
  $id: "Notification",
  type: "object",
  required: ["id", "orderId", "kind", "subject", "body", "emailed", "createTime"],
  properties: {
    id: { type: "string" },
    orderId: { type: "string", format: "uuid" },
    kind: {
      type: "string",
      "x-extensible-enum": ["order_confirmed", "order_rejected", "order_cancelled"],
      description:
        "What the message is about. Extensible: new kinds may be added, so a client must accept one it does not know (show `subject` and `body`).",
      examples: ["order_confirmed"],
    },
    subject: { type: "string" },
    body: { type: "string" },
    emailed: { type: "boolean", description: "Whether it was also sent by e-mail." },
    createTime: { type: "string", format: "date-time" },
  },
} as const;

/** A message to the user about one of their orders, as the public API shows it. */
export type NotificationJson = JsonOf<typeof notificationSchema>;

export const notificationSchemas = [
  notificationSchema,
  pageSchema("NotificationPage", "notifications", "Notification"),
] as const;

const listNotificationsSchema = {
  operationId: "listNotifications",
  summary: "List the user's notifications",
  description: "Messages about the user's orders, newest first. Page with `page_token`.",
  tags: ["notifications"],
  querystring: pageQuerySchema,
  "x-examples": {
    200: example("The last page", { notifications: [notificationExample], nextPageToken: "" }),
  },
  response: {
    200: { description: "A page of notifications.", $ref: "NotificationPage#" },
    400: problem("A parameter is invalid; `errors` says which."),
    503: problem("The notifications service is unavailable; see `Retry-After`."),
    default: problem("Any other error."),
  },
} as const;

/** `GET /api/v1/notifications`, backed by the notifications service. */
export function notificationRoutes(
  app: Api,
  { notifications }: { notifications: NotificationsClient },
): void {
  app.get(
    "/api/v1/notifications",
    { config: { access: "user" }, schema: listNotificationsSchema },
    async (request) => {
      const { page_size: pageSize = 0, page_token: pageToken = "" } = request.query;
      const page = await notifications.listMyNotifications(
        { userId: userOf(request), pageSize, pageToken },
        { signal: callerSignal(request) },
      );
      return { notifications: page.notifications.map(toNotificationJson), nextPageToken: page.nextPageToken };
    },
  );
}

export function toNotificationJson(notification: Notification): NotificationJson {
  // The contract always sets it; without it it is the notifications service's bug, not the caller's.
  if (!notification.createTime) {
    throw new ServiceError("internal", `notification ${notification.id} has no create time`);
  }
  return {
    id: notification.id,
    orderId: notification.orderId,
    kind: notification.kind,
    subject: notification.subject,
    body: notification.body,
    emailed: notification.emailed,
    createTime: toIsoString(notification.createTime),
  };
}
