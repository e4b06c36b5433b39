import { describe, expect, it } from "vitest";
import { mailRetryDelayMs } from "./mailer.ts";

// The delays are jittered (the kit's backoff): these assert their bounds, over many draws.
const draws = (attempts: number, intervalMs = 1_000) =>
  Array.from({ length: 1_000 }, () => mailRetryDelayMs(attempts, intervalMs));
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

describe("mailRetryDelayMs", () => {
  it("waits about the mail interval before the first retry", () => {
    for (const delay of draws(1)) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(1_400);
    }
    for (const delay of draws(1, 50)) expect(delay).toBeLessThanOrEqual(70);
  });

  it("waits longer the more sends failed", () => {
    // About twice as long per failure on average, so four times over two; 1.5 leaves room for the jitter.
    const means = [1, 3, 5, 7].map((attempts) => mean(draws(attempts)));
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeGreaterThan(1.5 * means[i - 1]!);
  });

  it("never waits more than five minutes, and reaches that after many failures", () => {
    for (const attempts of [1, 5, 10, 20, 60]) {
      for (const delay of draws(attempts)) expect(delay).toBeLessThanOrEqual(300_000);
    }
    expect(mailRetryDelayMs(60, 1_000)).toBe(300_000);
  });
});
