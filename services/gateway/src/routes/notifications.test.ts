import { describe, expect, it } from "vitest";
import { ServiceError } from "@tessera/kit";
import { notificationMessage } from "../testing/fake-notifications.ts";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { appPerTest } from "../testing/test-app.ts";
import { alice, bob } from "../testing/users.ts";
import { toNotificationJson } from "./notifications.ts";

const start = appPerTest();

describe("notifications API", () => {
  it("lists the user's notifications as camelCase JSON with ISO times", async () => {
    const test = await start();
    const response = await test.app.inject({
      url: "/api/v1/notifications",
      headers: await test.bearer(alice),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      notifications: [
        {
          id: "01970000-0000-7000-8000-00000000a001",
          orderId: "01970000-0000-7000-8000-00000000b001",
          kind: "order_confirmed",
          subject: "Your order is confirmed",
          body: "We are packing your Ultralight Two-Person Tent.",
          emailed: false,
          createTime: "2026-01-03T10:00:00.250Z",
        },
      ],
      nextPageToken: "",
    });
    expect(test.notifications.calls.map((c) => c.request)).toEqual([
      { userId: alice, pageSize: 0, pageToken: "" },
    ]);
  });

  it("shows another user none of them", async () => {
    const test = await start();
    const response = await test.app.inject({
      url: "/api/v1/notifications",
      headers: await test.bearer(bob),
    });
    expect(response.json()).toEqual({ notifications: [], nextPageToken: "" });
  });

  it("passes paging on, and refuses a bad page_size with a 400", async () => {
    const test = await start();
    await test.app.inject({ url: "/api/v1/notifications?page_size=5", headers: await test.bearer(alice) });
    expect(test.notifications.calls[0]?.request).toMatchObject({ pageSize: 5 });
    const bad = await test.app.inject({
      url: "/api/v1/notifications?page_size=0",
      headers: await test.bearer(alice),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ errors: [{ in: "query", parameter: "page_size" }] });
  });

  it("answers 503 with Retry-After when the notifications service is down", async () => {
    const test = await start();
    test.notifications.failWith(new ServiceError("unavailable", "down"));
    const response = await test.app.inject({
      url: "/api/v1/notifications",
      headers: await test.bearer(alice),
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
  });
});

describe("toNotificationJson", () => {
  it("says whether the notification was e-mailed", () => {
    expect(
      toNotificationJson(notificationMessage({ emailed: true, createTime: timestampFromMs(0) })),
    ).toMatchObject({
      emailed: true,
      createTime: "1970-01-01T00:00:00.000Z",
    });
  });

  it("treats a notification without a time as the service's internal error", () => {
    expect(() => toNotificationJson(notificationMessage({ createTime: undefined }))).toThrow(
      /no create time/,
    );
  });
});
