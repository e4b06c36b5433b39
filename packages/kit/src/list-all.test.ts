import { describe, expect, it } from "vitest";
import { listAll } from "./list-all.ts";

describe("listAll", () => {
  it("follows next_page_token at the largest page size until it is empty", async () => {
    const asked: { pageSize: number; pageToken: string }[] = [];
    const pages: Record<string, { items: number[]; nextPageToken: string }> = {
      "": { items: [1, 2], nextPageToken: "b" },
      b: { items: [3], nextPageToken: "c" },
      c: { items: [], nextPageToken: "" },
    };
    const items = await listAll(
      (page) => {
        asked.push(page);
        return Promise.resolve(pages[page.pageToken]!);
      },
      (response) => response.items,
    );
    expect(items).toEqual([1, 2, 3]);
    expect(asked).toEqual([
      { pageSize: 100, pageToken: "" },
      { pageSize: 100, pageToken: "b" },
      { pageSize: 100, pageToken: "c" },
    ]);
  });

  it("stops with an error when a list hands back a token it already gave", async () => {
    const looping = () => Promise.resolve({ items: [1], nextPageToken: "same" });
    await expect(listAll(looping, (response) => response.items)).rejects.toThrow(/page token twice/);
  });
});
