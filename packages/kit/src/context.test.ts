import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { currentContext, runWithContext } from "./context.ts";

describe("request context", () => {
  it("is undefined outside any unit of work", () => {
    expect(currentContext()).toBeUndefined();
  });

  it("returns what the function returns", () => {
    expect(runWithContext({ requestId: "r1" }, () => 42)).toBe(42);
  });

  it("follows the work across awaits and timers", async () => {
    const seen = await runWithContext({ requestId: "r1", deadline: 1_000 }, async () => {
      await sleep(1);
      const afterAwait = currentContext();
      const inTimer = await new Promise((resolve) => setTimeout(() => resolve(currentContext()), 1));
      return { afterAwait, inTimer };
    });
    expect(seen.afterAwait).toEqual({ requestId: "r1", deadline: 1_000 });
    expect(seen.inTimer).toEqual({ requestId: "r1", deadline: 1_000 });
    expect(currentContext()).toBeUndefined();
  });

  it("restores the outer context when a nested one ends", () => {
    runWithContext({ requestId: "outer" }, () => {
      runWithContext({ requestId: "inner" }, () => expect(currentContext()?.requestId).toBe("inner"));
      expect(currentContext()?.requestId).toBe("outer");
    });
  });

  it("keeps concurrent units of work apart", async () => {
    const work = (id: string, delay: number) =>
      runWithContext({ requestId: id }, async () => {
        await sleep(delay);
        return currentContext()?.requestId;
      });
    expect(await Promise.all([work("a", 5), work("b", 1), work("c", 3)])).toEqual(["a", "b", "c"]);
  });
});
