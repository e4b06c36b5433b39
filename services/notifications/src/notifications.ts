import {
  createPageTokens,
  pageSizeOf,
  ServiceError,
  uuidPattern,
  z,
  type PageTokenKey,
  type PageTokens,
} from "@tessera/kit";
import type { Notification, NotificationStore } from "./notification-store.ts";

/** Where the next page starts: `b`, the id of the last notification of the previous page. */
const cursor = z.object({ b: z.string().regex(uuidPattern) });

/**
 * The notification list's page tokens: sealed by the kit (nothing in them readable, the user id
 * least of all) and bound to the user whose list they page, so another user's token is refused.
 */
export function notificationPageTokens(key: PageTokenKey): PageTokens<z.infer<typeof cursor>> {
  return createPageTokens(cursor, { key, list: "notifications.mine", maxLength: 1024 });
}

export interface Page {
  notifications: Notification[];
  nextPageToken: string;
}

/** Reading a user's notifications, free of gRPC: validates input, pages, delegates SQL. */
export class Notifications {
  readonly #store: NotificationStore;
  readonly #pageTokens: PageTokens<z.infer<typeof cursor>>;

  constructor(store: NotificationStore, pageTokenKey: PageTokenKey) {
    this.#store = store;
    this.#pageTokens = notificationPageTokens(pageTokenKey);
  }

  /** The user's own notifications, newest first. */
  async listMine(request: { userId: string; pageSize: number; pageToken: string }): Promise<Page> {
    const userId = request.userId;
    if (userId.trim() === "") throw new ServiceError("invalid_argument", "user_id is required");
    if (userId.length > 200) throw new ServiceError("invalid_argument", "user_id is too long (max 200)");
    const limit = pageSizeOf(request.pageSize);
    const after = this.#pageTokens.decode(request.pageToken, userId);
    const rows = await this.#store.listByUser({ userId, before: after?.b, limit: limit + 1 });
    const notifications = rows.slice(0, limit);
    const last = notifications.at(-1);
    return {
      notifications,
      nextPageToken: rows.length > limit && last ? this.#pageTokens.encode({ b: last.id }, userId) : "",
    };
  }
}
