import { describe, expect, it } from "vitest";
import { createShutdownPolicy } from "./signals.ts";

describe("createShutdownPolicy", () => {
  it("stops on the first signal and kills on a later one", () => {
    let now = 0;
    const next = createShutdownPolicy(1_000, () => now);
    expect(next()).toBe("stop");
    now = 2_500;
    expect(next()).toBe("kill");
  });

  it("takes the same Ctrl-C forwarded by npm for one keypress", () => {
    let now = 10_000;
    const next = createShutdownPolicy(1_000, () => now);
    expect(next()).toBe("stop");
    now += 3;
    expect(next()).toBe("ignore");
    now += 1_000;
    expect(next()).toBe("kill");
  });
});
