import { describe, expect, it } from "vitest";
import { pageTokens } from "./notifications.ts";

describe("page tokens of a user's notifications", () => {
  it("round-trips a cursor", () => {
    const cursor = { u: "user-1", b: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d" };
    expect(pageTokens.decode(pageTokens.encode(cursor))).toEqual(cursor);
  });

  it("treats an empty token as the first page", () => {
    expect(pageTokens.decode("")).toBeUndefined();
  });

  it.each([
    ["not base64url", "!!!"],
    ["not JSON", Buffer.from("hello").toString("base64url")],
    ["a JSON scalar", Buffer.from("42").toString("base64url")],
    ["JSON null", Buffer.from("null").toString("base64url")],
    ["a cursor with a bad id", Buffer.from('{"u":"a","b":"1; DROP TABLE"}').toString("base64url")],
    [
      "a cursor without a user",
      Buffer.from('{"b":"0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d"}').toString("base64url"),
    ],
    ["a huge token", "a".repeat(5000)],
    [
      "a cursor whose user holds a NUL",
      Buffer.from(JSON.stringify({ u: "a\u0000", b: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d" })).toString(
        "base64url",
      ),
    ],
  ])("rejects %s as invalid_argument", (_, token) => {
    expect(() => pageTokens.decode(token)).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
  });
});
