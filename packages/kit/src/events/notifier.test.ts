import { describe, expect, it } from "vitest";
import { Notifier } from "./notifier.ts";

describe("Notifier", () => {
  const notifier = new Notifier("postgres://unused", ["work"]);

  it("does not miss a notification that arrived while the waiter was busy", async () => {
    const mark = notifier.mark("work");
    notifier.poke("work"); // arrives between "look for work" and "wait"
    const started = Date.now();
    await notifier.wait("work", 5_000, undefined, mark);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it("waits for the next notification when none arrived since the mark", async () => {
    const mark = notifier.mark("work");
    setTimeout(() => notifier.poke("work"), 50);
    const started = Date.now();
    await notifier.wait("work", 5_000, undefined, mark);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("gives up after its timeout, so polling remains the fallback", async () => {
    const started = Date.now();
    await notifier.wait("work", 60, undefined, notifier.mark("work"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});
