import { describe, expect, it } from "vitest";
import { consecutiveCrashes, restartDelay } from "./backoff.ts";

describe("restart backoff", () => {
  it("doubles from half a second up to a ten second cap", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((n) => restartDelay(n));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it("counts crashes in a row while the service keeps dying quickly", () => {
    expect(consecutiveCrashes(0, 100)).toBe(1);
    expect(consecutiveCrashes(3, 29_999)).toBe(4);
  });

  it("starts the schedule over after a run of thirty seconds", () => {
    expect(consecutiveCrashes(6, 30_000)).toBe(1);
    expect(restartDelay(consecutiveCrashes(6, 45_000))).toBe(500);
  });

  it("follows a custom policy", () => {
    const policy = { initialMs: 10, maxMs: 25, resetAfterMs: 1_000 };
    expect([1, 2, 3].map((n) => restartDelay(n, policy))).toEqual([10, 20, 25]);
  });
});
