import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "./page-token.ts";

const id = "0195a5c0-0000-7000-8000-000000000001";
const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("page tokens", () => {
  it("round-trip the last id of a page", () => {
    expect(decodePageToken(encodePageToken({ list: "mine", id }), "mine")).toEqual({ list: "mine", id });
    expect(decodePageToken("", "all")).toBeUndefined();
  });

  it.each([
    ["another list's token", token({ list: "all", id })],
    ["a token whose id is no UUID", token({ list: "mine", id: "1; DROP TABLE orders" })],
    ["a token of the wrong shape", token(["mine", id])],
    ["a token that is not JSON", Buffer.from("not json").toString("base64url")],
    ["characters outside base64url", "a+b/c="],
    ["a huge token", "a".repeat(513)],
  ])("refuses %s with invalid_argument", (_, value) => {
    expect(() => decodePageToken(value, "mine")).toThrow(
      expect.objectContaining({ code: "invalid_argument" }),
    );
  });
});
