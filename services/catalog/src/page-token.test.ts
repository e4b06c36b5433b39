import { pageTokenKeyOf } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { catalogPageTokens } from "./page-token.ts";

const tokens = catalogPageTokens(pageTokenKeyOf("catalog secret"));
const id = "0193a6c4-1f2e-7a3b-9c4d-5e6f7a8b9c0d";

describe("catalog page tokens", () => {
  it("round-trip a list cursor and read an empty token as the first page", () => {
    const cursor = { name: "Tent", id, category: "hiking" };
    expect(tokens.list.decode(tokens.list.encode(cursor))).toEqual(cursor);
    expect(tokens.search.decode("")).toBeUndefined();
  });

  it("refuse a search token where a list token is expected, and the other way round", () => {
    const search = tokens.search.encode({ offset: 20, query: "tent" });
    const list = tokens.list.encode({ name: "Tent", id, category: "" });
    expect(() => tokens.list.decode(search)).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
    expect(() => tokens.search.decode(list)).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
  });

  it("refuse a token sealed with another service's key", () => {
    const other = catalogPageTokens(pageTokenKeyOf("another secret"));
    const token = other.list.encode({ name: "Tent", id, category: "" });
    expect(() => tokens.list.decode(token)).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
  });

  it("refuse a cursor the client wrote itself, however well-formed", () => {
    const forged = Buffer.from(JSON.stringify({ name: "Tent", id, category: "" })).toString("base64url");
    expect(() => tokens.list.decode(forged)).toThrowError(
      expect.objectContaining({ code: "invalid_argument" }),
    );
  });
});
