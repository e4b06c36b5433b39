import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { holdSeconds } from "./event-handlers.ts";

const duration = (seconds: bigint, nanos = 0) => create(DurationSchema, { seconds, nanos });

describe("the hold a ReserveStock asks for", () => {
  it("is expire_after when it is set, whatever the deprecated seconds say", () => {
    expect(holdSeconds({ expireAfter: duration(90n), expireAfterSeconds: 90 })).toBe(90);
    expect(holdSeconds({ expireAfter: duration(30n), expireAfterSeconds: 600 })).toBe(30);
  });

  it("rounds a fraction of a second up, so a hold is never shorter than asked", () => {
    expect(holdSeconds({ expireAfter: duration(1n, 500_000_000), expireAfterSeconds: 0 })).toBe(2);
    expect(holdSeconds({ expireAfter: duration(0n, 1_000_000), expireAfterSeconds: 0 })).toBe(1);
  });

  it("falls back to expire_after_seconds in a command written before expire_after existed", () => {
    expect(holdSeconds({ expireAfter: undefined, expireAfterSeconds: 45 })).toBe(45);
    expect(holdSeconds({ expireAfter: undefined, expireAfterSeconds: 0 })).toBe(0);
  });

  it("passes a zero or negative duration on for the reservation rules to default or refuse", () => {
    expect(holdSeconds({ expireAfter: duration(0n), expireAfterSeconds: 90 })).toBe(0);
    expect(holdSeconds({ expireAfter: duration(-5n), expireAfterSeconds: 90 })).toBe(-5);
  });
});
