import { describe, expect, it } from "vitest";
import { mailRetryDelayMs } from "./mailer.ts";

describe("mailRetryDelayMs", () => {
  it("doubles from the base delay with each failed send", () => {
    const noJitter = () => 1;
    expect([1, 2, 3, 4].map((attempts) => mailRetryDelayMs(attempts, 1_000, noJitter))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it("never waits more than five minutes", () => {
    expect(mailRetryDelayMs(60, 1_000, () => 1)).toBe(300_000);
  });

  it("spreads retries over half to all of the delay", () => {
    expect(mailRetryDelayMs(3, 1_000, () => 0)).toBe(2_000);
    expect(mailRetryDelayMs(3, 1_000, () => 0.5)).toBe(3_000);
  });
});
