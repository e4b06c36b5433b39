import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPageTokens, defaultPageSize, maxPageSize, pageSizeOf } from "./page-token.ts";

const tokens = createPageTokens(z.object({ name: z.string(), id: z.uuid() }), { maxLength: 512 });
const id = "0195a5c0-0000-7000-8000-000000000001";
const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");

describe("page tokens", () => {
  it("round-trip a cursor, and read the empty token as the first page", () => {
    expect(tokens.decode(tokens.encode({ name: "Tent\t2P 😀", id }))).toEqual({ name: "Tent\t2P 😀", id });
    expect(tokens.decode("")).toBeUndefined();
  });

  it.each([
    ["characters outside base64url", "a+b/c="],
    ["a token over the length limit", "a".repeat(513)],
    ["bytes that are not UTF-8", base64url(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))],
    ["text that is not JSON", base64url("hello")],
    ["JSON null", base64url("null")],
    ["a cursor of the wrong shape", base64url(JSON.stringify({ name: 1, id }))],
    ["a cursor whose id is no UUID", base64url(JSON.stringify({ name: "x", id: "1; DROP TABLE x" }))],
    ["a NUL in a string of the cursor", base64url(JSON.stringify({ name: "a\u0000b", id }))],
    ["a NUL in a property name", base64url(JSON.stringify({ name: "a", id, "x\u0000": 1 }))],
    ["a lone surrogate in a string", base64url('{"name":"\\ud800","id":"' + id + '"}')],
  ])("refuses %s with invalid_argument", (_, token) => {
    expect(() => tokens.decode(token)).toThrowError(
      expect.objectContaining({ code: "invalid_argument", message: expect.stringMatching(/^page_token/) }),
    );
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
