import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPageTokens, defaultPageSize, maxPageSize, pageSizeOf, pageTokenKeyOf } from "./page-token.ts";

const key = pageTokenKeyOf("a service's client secret");
const schema = z.object({ name: z.string(), id: z.uuid() });
const tokens = createPageTokens(schema, { key, list: "things", maxLength: 512 });
const id = "0195a5c0-0000-7000-8000-000000000001";
const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");
const refused = expect.objectContaining({
  code: "invalid_argument",
  message: expect.stringMatching(/^page_token/),
});

describe("page tokens", () => {
  it("round-trip a cursor, and read the empty token as the first page", () => {
    expect(tokens.decode(tokens.encode({ name: "Tent\t2P 😀", id }))).toEqual({ name: "Tent\t2P 😀", id });
    expect(tokens.decode("")).toBeUndefined();
  });

  it("are opaque: the cursor, and the caller it is bound to, cannot be read from the token", () => {
    const token = tokens.encode({ name: "secret-name", id }, "user-42");
    const decoded = Buffer.from(token, "base64url").toString("latin1");
    expect(decoded).not.toContain("secret-name");
    expect(decoded).not.toContain("user-42");
    expect(decoded).not.toContain(id);
  });

  it("are accepted by every replica: the same secret derives the same key", () => {
    const replica = createPageTokens(schema, {
      key: pageTokenKeyOf("a service's client secret"),
      list: "things",
    });
    expect(replica.decode(tokens.encode({ name: "a", id }))).toEqual({ name: "a", id });
  });

  it("refuse a token of another list, another caller, or sealed with another key", () => {
    const otherList = createPageTokens(schema, { key, list: "other things" });
    const otherKey = createPageTokens(schema, { key: pageTokenKeyOf("another secret"), list: "things" });
    expect(() => tokens.decode(otherList.encode({ name: "a", id }))).toThrowError(refused);
    expect(() => tokens.decode(otherKey.encode({ name: "a", id }))).toThrowError(refused);
    const mine = tokens.encode({ name: "a", id }, "alice");
    expect(tokens.decode(mine, "alice")).toEqual({ name: "a", id });
    expect(() => tokens.decode(mine, "bob")).toThrowError(refused);
    expect(() => tokens.decode(mine)).toThrowError(refused);
  });

  it("refuse a token altered in any byte", () => {
    const bytes = Buffer.from(tokens.encode({ name: "a", id }), "base64url");
    for (const position of [0, 1, 13, bytes.length - 20, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[position] = (altered[position] ?? 0) ^ 0x01;
      expect(() => tokens.decode(altered.toString("base64url"))).toThrowError(refused);
    }
  });

  it.each([
    ["characters outside base64url", "a+b/c="],
    ["a token over the length limit", "a".repeat(513)],
    ["a token too short to hold a sealed cursor", base64url("short")],
    ["a cursor written by the client in clear", base64url(JSON.stringify({ name: "x", id }))],
    ["random bytes of a plausible length", base64url(Buffer.alloc(64, 7))],
  ])("refuse %s with invalid_argument", (_, token) => {
    expect(() => tokens.decode(token)).toThrowError(refused);
  });

  it("refuse a sealed cursor the schema does not accept (a cursor of an older shape)", () => {
    const loose = createPageTokens(z.unknown(), { key, list: "things" });
    expect(() => tokens.decode(loose.encode({ name: 1, id }))).toThrowError(refused);
    expect(() => tokens.decode(loose.encode({ name: "a\u0000b", id }))).toThrowError(refused);
  });
});

describe("pageSizeOf", () => {
  it("serves the default for 0 and a requested size up to the maximum as asked", () => {
    expect(pageSizeOf(0)).toBe(defaultPageSize);
    expect(pageSizeOf(1)).toBe(1);
    expect(pageSizeOf(maxPageSize)).toBe(maxPageSize);
  });

  it("reduces a size above the maximum to it (AIP-158) rather than refusing it", () => {
    expect(pageSizeOf(maxPageSize + 1)).toBe(maxPageSize);
    expect(pageSizeOf(1000)).toBe(maxPageSize);
    expect(pageSizeOf(2 ** 31 - 1)).toBe(maxPageSize);
  });

  it.each([-1, -100, 2.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses %s as invalid_argument", (size) => {
    expect(() => pageSizeOf(size)).toThrow(expect.objectContaining({ code: "invalid_argument" }));
  });
});
