import { describe, expect, it } from "vitest";
import { OrderChanges } from "./order-changes.ts";

// Without start(), nothing listens: only this process's own notices arrive.
const changes = () => new OrderChanges({ connectionString: "postgres://127.0.0.1:1/none" });
const order = "0195a5c0-0000-7000-8000-000000000001";

describe("OrderChanges", () => {
  it("wakes a waiting watcher of the order changed, and only that order's", async () => {
    const feed = changes();
    const mine = feed.subscribe(order);
    const other = feed.subscribe("0195a5c0-0000-7000-8000-000000000002");
    const never = new AbortController();
    let otherWoke = false;
    void other.next(never.signal).then(() => (otherWoke = true));
    const woke = mine.next(never.signal);
    feed.notify(order);
    await woke;
    expect(otherWoke).toBe(false);
    mine.close();
    other.close();
  });

  it("keeps a notice that came while the watcher was busy, so no change slips by", async () => {
    const feed = changes();
    const watcher = feed.subscribe(order);
    feed.notify(order);
    feed.notify(order);
    await watcher.next(new AbortController().signal);
    let again = false;
    const abort = new AbortController();
    const next = watcher.next(abort.signal).then(() => (again = true));
    await Promise.resolve();
    expect(again).toBe(false);
    abort.abort();
    await next;
    watcher.close();
  });
});
