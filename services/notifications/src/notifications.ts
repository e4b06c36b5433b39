import { createPageTokens, pageSizeOf, ServiceError, uuidPattern, z } from "@tessera/kit";
import type { Notification, NotificationStore } from "./notification-store.ts";

/**
 * Where the next page starts, opaque to callers: `u` is whose list it is, `b` the id of the last
 * notification of the previous page (short keys keep tokens short).
 */
export const pageTokens = createPageTokens(z.object({ u: z.string(), b: z.string().regex(uuidPattern) }), {
  maxLength: 1024,
});

export interface Page {
  notifications: Notification[];
  nextPageToken: string;
}

/** Reading a user's notifications, free of gRPC: validates input, pages, delegates SQL. */
export class Notifications {
  readonly #store: NotificationStore;

  constructor(store: NotificationStore) {
    this.#store = store;
  }

  /** The user's own notifications, newest first. */
  async listMine(request: { userId: string; pageSize: number; pageToken: string }): Promise<Page> {
    const userId = request.userId;
    if (userId.trim() === "") throw new ServiceError("invalid_argument", "user_id is required");
    if (userId.length > 200) throw new ServiceError("invalid_argument", "user_id is too long (max 200)");
    const limit = pageSizeOf(request.pageSize);
    const cursor = pageTokens.decode(request.pageToken);
    if (cursor && cursor.u !== userId) {
      throw new ServiceError("invalid_argument", "page_token was issued for another user");
    }
    const rows = await this.#store.listByUser({ userId, before: cursor?.b, limit: limit + 1 });
    const notifications = rows.slice(0, limit);
    const last = notifications.at(-1);
    return {
      notifications,
      nextPageToken: rows.length > limit && last ? pageTokens.encode({ u: userId, b: last.id }) : "",
    };
  }
}
