import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { batched } from "./batched.ts";

async function* source(items: number[], delayEvery = 0): AsyncGenerator<number> {
  for (const [i, item] of items.entries()) {
    if (delayEvery && i > 0 && i % delayEvery === 0) await sleep(20);
    yield item;
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("batched", () => {
  it("groups what is already available, never more than max", async () => {
    const batches = await collect(batched(source(Array.from({ length: 25 }, (_, i) => i)), 10));
    expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(10);
    expect(batches.length).toBeLessThan(25);
  });

  it("does not wait for more when the source pauses", async () => {
    const batches = await collect(batched(source([1, 2, 3, 4, 5, 6], 3), 100));
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("ends with the source, also when empty", async () => {
    expect(await collect(batched(source([]), 5))).toEqual([]);
  });
});
