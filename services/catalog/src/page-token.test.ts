import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "./page-token.ts";

describe("page tokens", () => {
  it("round-trips a list cursor", () => {
    const cursor = {
      kind: "list",
      name: "Tent",
      id: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d",
      category: "",
    } as const;
    expect(decodePageToken(encodePageToken(cursor), "list")).toEqual(cursor);
  });

  it("treats an empty token as the first page", () => {
    expect(decodePageToken("", "search")).toBeUndefined();
  });

  it.each([
    ["not base64url", "!!!"],
    ["not JSON", Buffer.from("hello").toString("base64url")],
    ["a JSON scalar", Buffer.from("42").toString("base64url")],
    [
      "a list cursor with a bad id",
      encodePageToken({ kind: "list", name: "x", id: "1; DROP TABLE", category: "" }),
    ],
    [
      "a negative offset",
      Buffer.from(JSON.stringify({ kind: "search", offset: -5, query: "x" })).toString("base64url"),
    ],
    ["a huge token", "a".repeat(5000)],
    [
      "a list cursor whose name holds a NUL",
      Buffer.from(
        JSON.stringify({
          kind: "list",
          name: "a\u0000",
          id: "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d",
          category: "",
        }),
      ).toString("base64url"),
    ],
    ["a cursor that is not UTF-8", Buffer.from([0x7b, 0xff, 0x7d]).toString("base64url")],
  ])("rejects %s as invalid_argument", (_, token) => {
    expect(() => decodePageToken(token, "list")).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
    expect(() => decodePageToken(token, "search")).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
  });

  it("rejects a search token where a list token is expected", () => {
    const token = encodePageToken({ kind: "search", offset: 20, query: "tent" });
    expect(() => decodePageToken(token, "list")).toThrowError(/page_token/);
  });
});
