import { describe, expect, it } from "vitest";
import { pageOf } from "./page-of.ts";

describe("pageOf", () => {
  it("serves the first `limit` rows and a token after the last one when a row was left over", () => {
    expect(pageOf([1, 2, 3], 2, (last) => `after-${last}`)).toEqual({
      items: [1, 2],
      nextPageToken: "after-2",
    });
  });

  it("ends the list (empty token) when no row was left over", () => {
    expect(pageOf([1, 2], 2, (last) => `after-${last}`)).toEqual({ items: [1, 2], nextPageToken: "" });
    expect(pageOf([], 2, () => "never")).toEqual({ items: [], nextPageToken: "" });
  });
});
