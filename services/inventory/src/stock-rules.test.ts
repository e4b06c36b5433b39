import { describe, expect, it } from "vitest";
import {
  decideReservation,
  isExpired,
  maxTtlSeconds,
  normalizeLines,
  reservationExpiry,
  type StockCounters,
} from "./stock-rules.ts";

const stock = (entries: Record<string, [onHand: number, reserved: number]>) =>
  new Map<string, StockCounters>(
    Object.entries(entries).map(([sku, [onHand, reserved]]) => [
      sku,
      { onHand: BigInt(onHand), reserved: BigInt(reserved) },
    ]),
  );

describe("normalizeLines", () => {
  it("adds up the quantities of a repeated SKU and sorts lines by SKU", () => {
    expect(
      normalizeLines([
        { sku: "TENT-2P", quantity: 1 },
        { sku: "BAG-0C", quantity: 2 },
        { sku: "TENT-2P", quantity: 3 },
      ]),
    ).toEqual({
      lines: [
        { sku: "BAG-0C", quantity: 2n },
        { sku: "TENT-2P", quantity: 4n },
      ],
    });
  });

  it.each([
    ["no lines", [], /no lines/],
    ["a zero quantity", [{ sku: "TENT-2P", quantity: 0 }], /quantity of TENT-2P/],
    ["a negative quantity", [{ sku: "TENT-2P", quantity: -1 }], /quantity of TENT-2P/],
    ["a huge quantity", [{ sku: "TENT-2P", quantity: 2_000_000_000 }], /quantity of TENT-2P/],
    ["an empty SKU", [{ sku: "", quantity: 1 }], /malformed SKU/],
    ["a lower-case SKU", [{ sku: "tent", quantity: 1 }], /malformed SKU/],
  ])("refuses %s", (_, lines, problem) => {
    const result = normalizeLines(lines);
    expect("problem" in result && result.problem).toMatch(problem);
  });
});

describe("decideReservation", () => {
  const lines = [
    { sku: "BAG-0C", quantity: 2n },
    { sku: "TENT-2P", quantity: 1n },
  ];

  it("holds every line when every SKU has the units available", () => {
    expect(decideReservation(lines, stock({ "BAG-0C": [2, 0], "TENT-2P": [5, 4] }))).toEqual({
      outcome: "reserved",
      lines,
    });
  });

  it("holds nothing and names the short SKU when one line lacks units", () => {
    const decision = decideReservation(lines, stock({ "BAG-0C": [3, 2], "TENT-2P": [5, 0] }));
    expect(decision).toEqual({
      outcome: "rejected",
      reason: "insufficient stock: BAG-0C (requested 2, available 1)",
      shortSkus: ["BAG-0C"],
    });
  });

  it("counts held units as unavailable", () => {
    const decision = decideReservation([{ sku: "TENT-2P", quantity: 1n }], stock({ "TENT-2P": [1, 1] }));
    expect(decision.outcome).toBe("rejected");
  });

  it("names every short SKU, unknown ones included", () => {
    const decision = decideReservation(lines, stock({ "BAG-0C": [0, 0] }));
    expect(decision).toMatchObject({ outcome: "rejected", shortSkus: ["BAG-0C", "TENT-2P"] });
    expect(decision.outcome === "rejected" && decision.reason).toMatch(/TENT-2P \(unknown SKU\)/);
  });
});

describe("reservationExpiry", () => {
  const now = new Date("2025-01-01T12:00:00Z");

  it("uses the default hold when the command asks for none", () => {
    expect(reservationExpiry(now, 0, 900)).toEqual({ expiresAt: new Date("2025-01-01T12:15:00Z") });
  });

  it("uses the hold the command asks for", () => {
    expect(reservationExpiry(now, 30, 900)).toEqual({ expiresAt: new Date("2025-01-01T12:00:30Z") });
  });

  it.each([-1, maxTtlSeconds + 1])("refuses a hold of %i seconds", (seconds) => {
    expect(reservationExpiry(now, seconds, 900)).toHaveProperty("problem");
  });
});

describe("isExpired", () => {
  const expiresAt = new Date("2025-01-01T12:15:00Z");

  it("is not expired a millisecond before its expiry time", () => {
    expect(isExpired({ expiresAt }, new Date(expiresAt.getTime() - 1))).toBe(false);
  });

  it("is expired from its expiry time on", () => {
    expect(isExpired({ expiresAt }, expiresAt)).toBe(true);
    expect(isExpired({ expiresAt }, new Date(expiresAt.getTime() + 60_000))).toBe(true);
  });
});
