import { pageTokenKeyOf } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { notificationPageTokens } from "./notifications.ts";

const pageTokens = notificationPageTokens(pageTokenKeyOf("notifications secret"));
const b = "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d";

describe("page tokens of a user's notifications", () => {
  it("round-trip a cursor for the user they were issued to", () => {
    expect(pageTokens.decode(pageTokens.encode({ b }, "user-1"), "user-1")).toEqual({ b });
  });

  it("treat an empty token as the first page", () => {
    expect(pageTokens.decode("", "user-1")).toBeUndefined();
  });

  it("show neither the user nor the cursor", () => {
    const token = pageTokens.encode({ b }, "user-1");
    expect(Buffer.from(token, "base64url").toString("latin1")).not.toMatch(/user-1|0193a6c4/);
  });

  it.each([
    ["not base64url", "!!!"],
    ["a cursor in clear", Buffer.from(JSON.stringify({ b })).toString("base64url")],
    ["another user's token", pageTokens.encode({ b }, "user-2")],
    ["a huge token", "a".repeat(5000)],
  ])("reject %s as invalid_argument", (_, token) => {
    expect(() => pageTokens.decode(token, "user-1")).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
  });
});
