import { describe, expect, it } from "vitest";
import { acceptRequestId } from "./request-id.ts";

describe("acceptRequestId", () => {
  it("accepts ids of word characters, dots, colons and hyphens up to 128 characters", () => {
    for (const id of ["abc", "0197a3e0-1c2d-7e4f-8a9b-0c1d2e3f4a5b", "lb.1:req-42_x", "a".repeat(128)]) {
      expect(acceptRequestId(id)).toBe(id);
    }
  });

  it("rejects empty, overlong, repeated and unsafe ids", () => {
    for (const id of [
      "",
      "a".repeat(129),
      "abc/def",
      "a b",
      "a, b",
      "x\u00e9",
      "<script>",
      "id\r\nset-cookie: x",
    ]) {
      expect(acceptRequestId(id)).toBeUndefined();
    }
    expect(acceptRequestId(undefined)).toBeUndefined();
    expect(acceptRequestId(["a", "b"])).toBeUndefined();
  });
});
